"""Staff side of the intake: sending links, the front desk's queue, the clinician's view of an
intake, urgent alerts and amendments.

Front desk and clinicians send, resend and revoke links and see the queue (statuses and dates,
no answers). Only clinicians see what the patient answered, the scores and the alerts.
"""

import segno
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from clinic.audit import record_access
from clinic.locations import current_location_id
from clinic.roles import CLINICIAN, FRONT_DESK, has_role, role_required
from clinic.show_more import ShownRows, shown_query, shown_sizes

from .. import patient_panels, scoring, selectors
from ..access import patient_visible, scope_rows, visible_patients
from ..forms import AlertAcknowledgeForm, IntakeAmendmentForm, IntakeLinkForm
from ..models import ClinicalAlert, Intake, IntakeLink, Patient
from ..questionnaire import STEP_BY_SLUG
from ..questionnaire_review import review_sections
from ..services import amendments as amendment_services
from ..services import questionnaires as intake_services

STATUS_STYLES = {
    "Invited": "text-bg-secondary",
    "Opened": "text-bg-info",
    "In progress": "text-bg-primary",
    "Submitted": "text-bg-success",
    "Expired": "text-bg-warning",
    "Link revoked": "text-bg-dark",
}


def _back(request, default: str) -> str:
    """Where to return after an action: the page it was started from, if it is ours."""
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


# Flash messages wait in a cookie until shown; the last digits are enough for the front desk to
# confirm which number or address was used (the full ones are on the patient page).
def _masked_mobile(patient: Patient) -> str:
    return f"the mobile number ending {str(patient.mobile)[-4:]}"


def _masked_email(patient: Patient) -> str:
    local, _, domain = patient.email.partition("@")
    return f"{local[:1]}…@{domain}"


# --- Sending, resending and revoking links -------------------------------------------------------


def intake_card_context(request, patient: Patient) -> dict:
    """The patient summary page's "Intake" card: the newest intake and the send form."""
    intake = selectors.patient_latest_intake(patient=patient)
    is_clinician = has_role(request.user, [CLINICIAN])
    last_submitted = None
    if is_clinician and intake is not None and not intake.is_submitted:
        last_submitted = selectors.patient_latest_submitted_intake(patient=patient)
    status = intake.queue_status() if intake is not None else None
    link = intake.newest_link if intake is not None else None
    return {
        "intake_card": {
            "intake": intake,
            "link": link,
            "status": status,
            "status_style": STATUS_STYLES.get(status, "text-bg-secondary"),
            "open": intake is not None and not intake.is_submitted,
            "link_active": link is not None and link.refusal() is None and not intake.is_submitted,
            "can_review": is_clinician,
            "last_submitted": last_submitted,
            "form": IntakeLinkForm(patient=patient),
        }
    }


def _issue(request, *, patient: Patient, channel: str, back: str) -> HttpResponse:
    try:
        issued = intake_services.intake_link_issue(
            patient=patient, channel=channel, created_by=request.user
        )
    except ValueError as refusal:
        messages.error(request, str(refusal))
        return redirect(back)
    if channel == IntakeLink.Channel.SCREEN:
        return _link_on_screen(request, issued=issued, patient=patient, back=back)
    # Email and SMS go through the outbox: the sweep queued when the issuing transaction
    # committed may have recorded the outcome by now; if not, the Intake card shows it later.
    issued.link.refresh_from_db(fields=["sent_at", "send_error"])
    if issued.link.send_error:
        messages.error(
            request,
            "The intake link could not be sent "
            f"({issued.link.send_error}). Try again, or show the link on screen.",
        )
    else:
        to = (
            f"by text message to {_masked_mobile(patient)}"
            if channel == IntakeLink.Channel.SMS
            else f"by email to {_masked_email(patient)}"
        )
        if issued.link.sent_at:
            messages.success(request, f"Intake link sent {to}.")
        else:  # the worker has not sent it yet: say so, not "sent"
            messages.success(
                request,
                f"Intake link queued to go {to} within a minute; the Intake card shows "
                "when it is delivered.",
            )
    return redirect(back)


def _link_on_screen(request, *, issued, patient: Patient, back: str) -> HttpResponse:
    # Rendered in answer to the POST, never redirected to: only a hash of the token is stored,
    # so this is the one moment the link exists in full.
    qr = segno.make(issued.url, error="m")
    response = render(
        request,
        "intake/staff/link_on_screen.html",
        {
            "patient": patient,
            "url": issued.url,
            "qr_svg": qr.svg_inline(scale=4, omitsize=False, title="QR code of the intake link"),
            "expires_at": issued.link.expires_at,
            "back": back,
        },
    )
    response["Referrer-Policy"] = "no-referrer"
    return response


@role_required(FRONT_DESK, CLINICIAN)
@require_POST
def intake_link_send(request, pk: int):
    patient = get_object_or_404(visible_patients(request), pk=pk)
    back = reverse("intake:patient_detail", args=[pk])
    form = IntakeLinkForm(request.POST, patient=patient)
    if not form.is_valid():
        for error in form.errors.get("channel", []):
            messages.error(request, error)
        return redirect(back)
    return _issue(request, patient=patient, channel=form.cleaned_data["channel"], back=back)


@role_required(FRONT_DESK, CLINICIAN)
@require_POST
def intake_link_resend(request, pk: int):
    """A new link by the same way as the last one (or as chosen); the old links stop working."""
    intake = get_object_or_404(scope_rows(request, Intake.objects.select_related("patient")), pk=pk)
    back = _back(request, reverse("intake:intake_queue"))
    if intake.is_submitted:
        messages.error(request, "This intake has been submitted: there is no link to resend.")
        return redirect(back)
    channel = request.POST.get("channel")
    if channel not in IntakeLink.Channel.values:
        newest = intake.links.order_by("-created_at", "-id").first()
        channel = newest.channel if newest else IntakeLink.Channel.SCREEN
    return _issue(request, patient=intake.patient, channel=channel, back=back)


@role_required(FRONT_DESK, CLINICIAN)
@require_POST
def intake_link_revoke(request, pk: int):
    """Stop the intake's links working, after a confirmation page. Answers so far are kept."""
    intake = get_object_or_404(scope_rows(request, Intake.objects.select_related("patient")), pk=pk)
    back = _back(request, reverse("intake:intake_queue"))
    if intake.is_submitted:
        messages.error(request, "This intake has been submitted: there is no link to revoke.")
        return redirect(back)
    if request.POST.get("confirm") != "yes":
        return render(request, "intake/staff/revoke_confirm.html", {"intake": intake, "back": back})
    intake_services.intake_link_revoke(intake=intake, revoked_by=request.user)
    messages.success(
        request,
        f"The intake link for {intake.patient.full_name} is revoked: it no longer opens. "
        "Answers saved so far are kept; resend to give the patient a new link.",
    )
    return redirect(back)


# --- The front desk's queue ----------------------------------------------------------------------


QUEUE_SECTIONS = ("queue",)


@role_required(FRONT_DESK, CLINICIAN)
@require_GET
def intake_queue(request):
    """The queue of one tab (or all), newest link first, 20 at a time (``?queue=40``)."""
    tab = request.GET.get("status")
    if tab not in selectors.QUEUE_TAB_SLUGS:
        tab = None
    now = timezone.now()
    location_id = current_location_id(request)  # a chain: the working location's intakes
    counts = selectors.intake_queue_counts(now=now, location_id=location_id)
    sizes = shown_sizes(request.GET, QUEUE_SECTIONS)
    queue = ShownRows.asked("queue", ("intake", "intakes"), sizes)
    queue.fill(
        selectors.intake_queue(tab=tab, now=now, limit=queue.size + 1, location_id=location_id),
        counts[tab] if tab else sum(counts.values()),
    )
    queue_url = reverse("intake:intake_queue")
    queue.link(queue_url, sizes, {"status": tab or ""})
    for intake in queue.rows:
        intake.queue_label = intake.queue_status(now)
        intake.status_style = STATUS_STYLES.get(intake.queue_label, "text-bg-secondary")
        link = intake.newest_link
        opened = link.last_opened_at if link else None
        intake.last_activity = max(
            (moment for moment in (intake.updated_at, opened) if moment), default=None
        )
    tabs = [
        {
            "url": f"{queue_url}?status={t.slug}",
            "label": t.label,
            "count": counts[t.slug],
            "current": t.slug == tab,
        }
        for t in selectors.QUEUE_TABS
    ]
    return render(
        request,
        "intake/staff/queue.html",
        {
            "queue": queue,
            "queue_url": queue_url,
            "tabs": tabs,
            "tab": tab,
            "total": sum(counts.values()),
            "can_review": has_role(request.user, [CLINICIAN]),
            # Resend and revoke come back here: the same tab and rows.
            "here": queue_url + shown_query(sizes, {"status": tab or ""}),
        },
    )


# --- The clinician's view of an intake -----------------------------------------------------------


def _sections_with_amendments(intake: Intake) -> list[dict]:
    """review_sections(), each row marked with the amendments made to it (oldest first)."""
    by_field: dict[tuple[str, str], list] = {}
    for amendment in intake.amendments.all():
        by_field.setdefault((amendment.step, amendment.field), []).append(amendment)
    amendable = amendment_services.AMENDABLE_STEPS if intake.is_submitted else ()
    sections = []
    for section in review_sections(intake):
        rows = []
        for row in section.rows:
            field = row.field
            rows.append(
                {
                    "label": row.label,
                    "value": row.value,
                    "field": field,
                    "amendable": field is not None and section.slug in amendable,
                    "amendments": [
                        {
                            "amendment": amendment,
                            "original": amendment_services.display_value(
                                section.slug, field, amendment.original_value
                            ),
                        }
                        for amendment in by_field.get((section.slug, field), [])
                    ],
                }
            )
        sections.append({"slug": section.slug, "title": section.title, "rows": rows})
    return sections


@role_required(CLINICIAN)
@require_GET
def intake_detail(request, pk: int):
    intake = selectors.intake_for_review(pk=pk)
    if intake is None or not patient_visible(request, intake.patient_id):
        raise Http404
    record_access(request, intake)
    context = {
        "intake": intake,
        "patient": intake.patient,
        "status": intake.queue_status(),
        "signatures": list(intake.signatures.all()),
    }
    if intake.is_submitted:
        answers = intake.answers.get("questionnaires", {})
        difficulty = dict(scoring.DIFFICULTY_CHOICES).get(answers.get("phq9_difficulty") or "")
        item9 = intake.phq9_item9
        context.update(
            {
                "gad7_max": scoring.GAD7_MAX,
                "phq9_max": scoring.PHQ9_MAX,
                "item9": item9,
                "item9_label": dict(scoring.ANSWER_CHOICES).get(item9, "—"),
                "item9_question": scoring.PHQ9_ITEMS[8],
                "difficulty": difficulty,
                "difficulty_question": scoring.DIFFICULTY_QUESTION,
                "item9_flags": [f for f in intake.flags if f.get("kind") == "item9"],
                "screening_flags": [f for f in intake.flags if f.get("kind") == "screening"],
                "medication_flags": [f for f in intake.flags if f.get("kind") == "medication"],
                "sections": _sections_with_amendments(intake),
                # What was made from this intake: its screening (another app's card), its alerts.
                "intake_panels": patient_panels.intake_panels_for(request, intake),
                "alerts": selectors.alerts_for_source(source_kind="intake", source_id=intake.pk),
            }
        )
    return render(request, "intake/staff/intake_detail.html", context)


@role_required(CLINICIAN)
@require_http_methods(["GET", "POST"])
def intake_amend(request, pk: int):
    """Correct one answer of a submitted intake, with a reason; the original is kept."""
    intake = get_object_or_404(scope_rows(request, Intake.objects.select_related("patient")), pk=pk)
    detail = reverse("intake:intake_detail", args=[pk])
    if not intake.is_submitted:
        messages.error(request, "Only a submitted intake can be amended.")
        return redirect(detail)
    target = request.POST.get("target") or request.GET.get("target") or ""
    step_slug, _, field = target.partition(".")
    if step_slug not in amendment_services.AMENDABLE_STEPS or field not in (
        amendment_services.field_labels(step_slug).values()
    ):
        messages.error(request, "That answer cannot be amended here.")
        return redirect(detail)
    form = IntakeAmendmentForm(
        request.POST or None,
        answer_field=amendment_services.step_fields(step_slug)[field],
    )
    if request.method == "POST" and form.is_valid():
        try:
            amendment_services.intake_amend(
                intake=intake,
                step=step_slug,
                field=field,
                new_value=form.new_value(),
                reason=form.cleaned_data["reason"],
                author=request.user,
            )
        except amendment_services.AmendmentRefused as refused:
            form.add_error("value", str(refused))
        else:
            messages.success(request, "The answer is amended; the patient's original is kept.")
            return redirect(f"{detail}#section-{step_slug}")
    record_access(request, intake)
    return render(
        request,
        "intake/staff/amend.html",
        {
            "intake": intake,
            "patient": intake.patient,
            "form": form,
            "target": target,
            "step": STEP_BY_SLUG[step_slug],
            "current": amendment_services.display_value(
                step_slug, field, intake.answers.get(step_slug, {}).get(field)
            ),
        },
        status=400 if request.method == "POST" else 200,
    )


# --- Alerts ------------------------------------------------------------------------------------


ALERT_SECTIONS = ("open",)


def _alert_list_url(sizes: dict[str, int]) -> str:
    return reverse("intake:alert_list") + shown_query(sizes)


def _render_alerts(request, *, bound=None, status: int = 200) -> HttpResponse:
    """The open alerts, urgent then newest first, 20 at a time (``?open=40`` shows 40), and the
    latest acknowledged; ``bound`` is an acknowledgement that failed, shown with its errors in
    its alert's card."""
    sizes = shown_sizes(request.GET, ALERT_SECTIONS)
    location_id = current_location_id(request)  # a chain: the working location's patients'
    open_alerts = ShownRows.asked("open", ("open alert", "open alerts"), sizes)
    open_alerts.fill(
        selectors.alerts_open(limit=open_alerts.size + 1, location_id=location_id),
        selectors.alerts_open_count(location_id=location_id),
    )
    open_alerts.link(reverse("intake:alert_list"), sizes)
    # The query string brings an error or the list after an acknowledgement back to the same
    # alerts.
    query = shown_query(sizes)
    bound_shown = False
    for alert in open_alerts.rows:
        alert.acknowledge_url = reverse("intake:alert_acknowledge", args=[alert.pk]) + query
        if bound and bound[0] == alert.pk:
            alert.form, bound_shown = bound[1], True
        else:
            alert.form = AlertAcknowledgeForm(prefix=f"alert-{alert.pk}")
    if bound and not bound_shown:
        # Its card is no longer among those shown (the list moved on): say why nothing changed.
        errors = [error for errors in bound[1].errors.values() for error in errors]
        messages.error(request, f"The alert was not acknowledged: {' '.join(errors)}")
    return render(
        request,
        "intake/staff/alerts.html",
        {
            "open_alerts": open_alerts,
            "acknowledged": selectors.alerts_acknowledged(location_id=location_id),
            "shown": selectors.ACKNOWLEDGED_ALERTS_SHOWN,
        },
        status=status,
    )


@role_required(CLINICIAN)
@require_GET
def alert_list(request):
    return _render_alerts(request)


@role_required(CLINICIAN)
@require_POST
def alert_acknowledge(request, pk: int):
    """Acknowledge from the alert list, or from the page that asked for it (``next``: a
    screening waiting to be approved), which the clinician is then brought back to."""
    alert = get_object_or_404(
        scope_rows(request, ClinicalAlert.objects.select_related("patient")), pk=pk
    )
    form = AlertAcknowledgeForm(request.POST, prefix=f"alert-{alert.pk}")
    list_url = _alert_list_url(shown_sizes(request.GET, ALERT_SECTIONS))
    back = _back(request, list_url)
    if not form.is_valid():
        if back != list_url:
            errors = " ".join(error for errors in form.errors.values() for error in errors)
            messages.error(request, f"The alert was not acknowledged: {errors}")
            return redirect(back)
        return _render_alerts(request, bound=(alert.pk, form), status=400)
    if intake_services.alert_acknowledge(
        alert=alert, user=request.user, note=form.cleaned_data["note"]
    ):
        messages.success(request, f"Alert for {alert.patient.full_name} acknowledged.")
    else:
        messages.info(request, "Someone else acknowledged that alert already.")
    return redirect(back)

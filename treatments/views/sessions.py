"""The session page: one page per treatment session with a short form per stage, from
check-in to the signed note; the REMS monitoring form for esketamine sessions.

The front desk sees a reduced page: the booking and the check-in, no clinical data.
Clinicians see and record everything. A signed note refuses every stage form; later changes
are addenda.
"""

from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from clinic.audit import record_access
from clinic.locations import current_location_id
from clinic.roles import CLINICIAN, FRONT_DESK, has_role, role_required
from clinic.show_more import ShownRows, shown_sizes
from intake.access import patient_visible

from .. import forms_sessions as forms
from .. import limits
from .. import session_rules as rules
from ..dosing import ROUTE_LABELS, Route
from ..models import TreatmentSession, VitalsReading
from ..selectors import sessions as selectors
from ..services import ledger
from ..services import sessions as services
from ..services.booking import session_closed_refusal
from . import post_or_back
from . import rems as rems_views

# A stage's form posts to its own address; opened by GET, it goes back to the session page.
stage_post = post_or_back("treatments:session_detail")

Status = TreatmentSession.Status
STATUS_STYLES = {
    Status.BOOKED: "text-bg-secondary",
    Status.CHECKED_IN: "text-bg-info",
    Status.IN_PROGRESS: "text-bg-primary",
    Status.COMPLETED: "text-bg-success",
    Status.CANCELLED: "text-bg-dark",
    Status.NO_SHOW: "text-bg-dark",
}


def _session_or_404(request, pk: int) -> TreatmentSession:
    session = selectors.session_for_page(pk=pk)
    if session is None or not patient_visible(request, session.patient_id):
        raise Http404
    return session


def _day(session: TreatmentSession):
    return timezone.localdate(session.starts_at)


def _add_errors(request, form, error: ValidationError) -> None:
    """Field errors go beside the fields; a refusal of the whole stage (the note is signed,
    dosing is blocked) is a message at the top, since the stage's form may not be shown."""
    if hasattr(error, "error_dict"):
        # (A dose outside the usual range: the form reads the error's code and asks for a
        # confirmation.)
        form.add_service_errors(error)
    else:
        messages.error(request, " ".join(error.messages))


def _observation_state(session: TreatmentSession, vitals: list[VitalsReading]) -> dict:
    """What the monitoring and discharge sections show: the earliest discharge by the route's
    minimum observation, the last vitals after the dose, and for esketamine the blood
    pressure at about 40 minutes."""
    started = session.administration_started_at
    if started is None:
        return {}
    route = services.session_route(session)
    after = services.readings_after_administration(session, vitals)
    last = after[-1] if after else None
    state = {
        "earliest_discharge": services.earliest_discharge(session),
        "observation_rule": rules.observation_rule(route, limits.observation_minutes(route)),
        "stop_time_missing": (
            services.stop_time_needed(session) and session.administration_stopped_at is None
        ),
        "last_reading": last,
        "last_reading_flags": rules.range_flags(last) if last else [],
        "oxygen_note": rules.oxygen_score_refusal(last.spo2, 2) if last else None,
        "is_esketamine": route == Route.ESKETAMINE_NASAL,
        "aldrete_consciousness_min": settings.CLINIC_DISCHARGE_CONSCIOUSNESS_MIN,
        "aldrete_oxygen_min": settings.CLINIC_DISCHARGE_OXYGEN_MIN,
    }
    if route == Route.ESKETAMINE_NASAL:
        check_minutes = settings.CLINIC_ESKETAMINE_BP_CHECK_MINUTES
        monitoring = [v for v in vitals if v.kind != VitalsReading.Kind.BASELINE]
        state["bp_check"] = {
            "minutes": check_minutes,
            "at": started + timedelta(minutes=check_minutes),
            "state": rules.bp_check_state(
                started, monitoring, timezone.now(), check_minutes=check_minutes
            ),
            "reading": rules.bp_check_reading(started, monitoring, check_minutes=check_minutes),
        }
    return state


def _page_state(session: TreatmentSession) -> dict:
    vitals = list(session.vitals.all())
    baseline = next((v for v in vitals if v.kind == VitalsReading.Kind.BASELINE), None)
    events = list(session.events.all())
    gated = services.bp_gated(session, baseline)
    fasting_short = services.fasting_shortfalls(session)
    signed = session.signed_at is not None
    route = session.route_given or session.plan_version.route
    return {
        **_observation_state(session, vitals),
        "vitals": [v for v in vitals if v.kind != VitalsReading.Kind.BASELINE],
        "baseline": baseline,
        "events": events,
        "escalated": [e for e in events if e.escalated],
        "addenda": list(session.addenda.all()),
        "bp_gated": gated,
        "bp_threshold": limits.blood_pressure().gate_text,
        "needs_bp_decision": gated and not session.bp_gate_decision,
        "fasting_shortfalls": fasting_short,
        "needs_fasting_decision": bool(fasting_short) and not session.fasting_decision,
        "fasting_minimum": limits.fasting(),
        "administration_blockers": (
            services.administration_blockers(session, baseline)
            if session.status == Status.CHECKED_IN
            else []
        ),
        # What each stage still waits for, said beside it (the next stage cannot pass before).
        "dosing_waits_for": (
            services.dosing_waits_for(session, baseline)
            if not signed and session.status in (Status.BOOKED, Status.CHECKED_IN)
            else []
        ),
        "discharge_waits_for": (
            services.discharge_waits_for(session, vitals, now=timezone.now())
            if not signed and session.status == Status.IN_PROGRESS
            else []
        ),
        "missing": rules.signing_missing(services.signing_parts(session, vitals)),
        "signed": signed,
        "can_check_in": not signed and session.status in (Status.BOOKED, Status.CHECKED_IN),
        "can_pre_dose": not signed and session.status == Status.CHECKED_IN,
        "can_monitor": not signed and session.status == Status.IN_PROGRESS,
        "can_sign": not signed and session.status == Status.COMPLETED,
        "pregnancy_applies": services.pregnancy_test_applies(session),
        "route_label": ROUTE_LABELS.get(Route(route), route) if route else "",
        "aldrete_min": settings.CLINIC_DISCHARGE_ALDRETE_MIN,
        "ledger_entries": _ledger_entries(session),
    }


def _ledger_entries(session: TreatmentSession) -> list:
    """What the dose took from the stock: given and wasted, container by container."""
    if session.administration_started_at is None:
        return []
    entries = list(
        session.ledger_entries.select_related("container__product", "witness").order_by("sequence")
    )
    for entry in entries:
        entry.amount = -entry.quantity
    return entries


def _initial_forms(session: TreatmentSession) -> dict:
    """The plan version the dose follows, and the empty forms of the stages open now (the page
    shows no other stage's form)."""
    day = _day(session)
    signed = session.signed_at is not None
    # Before the dose, the plan as it stands now (an amendment since the booking applies).
    version = (
        services.dosing_version(session)
        if session.status == Status.CHECKED_IN
        else session.plan_version
    )
    shown: dict = {"dose_plan_version": version}
    if signed:
        shown["addendum_form"] = forms.AddendumForm()
        return shown
    if session.status in (Status.BOOKED, Status.CHECKED_IN):
        shown["check_in_form"] = forms.CheckInForm(
            day=day,
            # A correction starts from what was saved.
            initial={
                "escort_name": session.escort_name,
                "escort_phone": session.escort_phone,
                "fasting_confirmed": session.fasting_confirmed,
                **(
                    {"arrived_at": timezone.localtime(session.arrived_at).time().replace(second=0)}
                    if session.arrived_at
                    else {}
                ),
            },
        )
    if session.status == Status.CHECKED_IN:
        shown["pre_dose_form"] = forms.PreDoseForm(day=day)
        shown["bp_form"] = forms.BpDecisionForm(day=day)
        shown["fasting_form"] = forms.FastingDecisionForm(day=day)
        shown["administration_form"] = forms.AdministrationForm(
            day=day,
            containers=_usable_containers(session, version),
            initial={
                "drug": "esketamine" if version.route == Route.ESKETAMINE_NASAL else "ketamine",
                "route": version.route,
                "dose_given_mg": version.dose_mg,
            },
        )
    if session.status == Status.IN_PROGRESS:
        shown["vitals_form"] = forms.VitalsForm(day=day)
        shown["event_form"] = forms.EventForm(day=day)
        shown["stop_time_form"] = forms.StopTimeForm(day=day)
        shown["discharge_form"] = forms.DischargeForm(
            day=day, initial={"escort_present": bool(session.escort_name)}
        )
    return shown


def _render_session(request, session: TreatmentSession, *, status: int = 200, **bound):
    record_access(request, session)
    context = {
        "session": session,
        "patient": session.patient,
        "status_style": STATUS_STYLES.get(session.status, "text-bg-secondary"),
        "board_url": f"{reverse('treatments:chair_board')}?date={_day(session):%Y-%m-%d}",
        **_initial_forms(session),
        **bound,
    }
    if not has_role(request.user, [CLINICIAN]):
        # The front desk: the booking and the check-in, no clinical data.
        signed = session.signed_at is not None
        context["can_check_in"] = not signed and session.status in (
            Status.BOOKED,
            Status.CHECKED_IN,
        )
        return render(request, "treatments/sessions/front_desk.html", context, status=status)
    context.update(_page_state(session))
    return render(request, "treatments/sessions/detail.html", context, status=status)


def _detail_url(session: TreatmentSession, anchor: str) -> str:
    return reverse("treatments:session_detail", args=[session.pk]) + f"#{anchor}"


@role_required(CLINICIAN, FRONT_DESK)
@require_GET
def session_detail(request, pk: int):
    return _render_session(request, _session_or_404(request, pk))


def _stage(request, pk: int, *, form_class, form_name: str, service, anchor: str, done: str):
    """Bind a stage's form, call its service, and show the page again with any errors. A
    session cancelled meanwhile (the page was opened before) is refused saying so, whatever
    the form holds."""
    session = _session_or_404(request, pk)
    closed = session_closed_refusal(session)
    if closed:
        messages.error(request, closed)
        return redirect("treatments:session_detail", pk=session.pk)
    form = form_class(request.POST, day=_day(session))
    if form.is_valid():
        try:
            service(session=session, by=request.user, **form.service_kwargs())
        except ValidationError as error:
            _add_errors(request, form, error)
        else:
            messages.success(request, done)
            return redirect(_detail_url(session, anchor))
    return _render_session(request, session, status=400, **{form_name: form})


@role_required(CLINICIAN, FRONT_DESK)
@stage_post
def session_check_in(request, pk: int):
    return _stage(
        request, pk, form_class=forms.CheckInForm, form_name="check_in_form",
        service=services.session_check_in, anchor="check-in", done="Checked in.",
    )  # fmt: skip


@role_required(CLINICIAN)
@stage_post
def session_pre_dose(request, pk: int):
    return _stage(
        request, pk, form_class=forms.PreDoseForm, form_name="pre_dose_form",
        service=services.session_record_pre_dose, anchor="pre-dose",
        done="Recorded the checks and baseline vitals before the dose.",
    )  # fmt: skip


@role_required(CLINICIAN)
@stage_post
def session_bp_decision(request, pk: int):
    return _stage(
        request, pk, form_class=forms.BpDecisionForm, form_name="bp_form",
        service=services.session_decide_bp, anchor="pre-dose",
        done="Recorded the blood pressure decision.",
    )  # fmt: skip


@role_required(CLINICIAN)
@stage_post
def session_fasting_decision(request, pk: int):
    return _stage(
        request, pk, form_class=forms.FastingDecisionForm, form_name="fasting_form",
        service=services.session_decide_fasting, anchor="pre-dose",
        done="Recorded the fasting decision.",
    )  # fmt: skip


@role_required(CLINICIAN)
@stage_post
def session_administer(request, pk: int):
    """The dose given, from the containers picked; a waste is witnessed by a second clinician
    who types their own password and authenticator code into this form."""
    session = _session_or_404(request, pk)
    closed = session_closed_refusal(session)
    if closed:
        messages.error(request, closed)
        return redirect("treatments:session_detail", pk=session.pk)
    form = forms.AdministrationForm(
        request.POST,
        day=_day(session),
        containers=_usable_containers(session, services.dosing_version(session)),
    )
    if form.is_valid():
        credentials = form.witness_credentials()

        def witness():
            return ledger.witness_confirm(request=request, by=request.user, **credentials)

        try:
            services.session_administer(
                session=session,
                by=request.user,
                # No witness named: the service says a waste needs one.
                witness=witness if credentials["username"].strip() else None,
                **form.service_kwargs(),
            )
        except ValidationError as error:
            _add_errors(request, form, error)
        else:
            messages.success(request, "Recorded the administration. Monitoring has started.")
            return redirect(_detail_url(session, "administration"))
    return _render_session(request, session, status=400, administration_form=form)


def _usable_containers(session: TreatmentSession, version) -> list:
    """The stock the dose may come from: its chair's location's (the clinic's with one)."""
    drug = "esketamine" if version.route == Route.ESKETAMINE_NASAL else "ketamine"
    return ledger.usable_containers(drug=drug, location=ledger.session_location(session))


@role_required(CLINICIAN)
@stage_post
def session_vitals_add(request, pk: int):
    return _stage(
        request, pk, form_class=forms.VitalsForm, form_name="vitals_form",
        service=services.vitals_record, anchor="monitoring", done="Added the vitals reading.",
    )  # fmt: skip


@role_required(CLINICIAN)
@stage_post
def session_event_add(request, pk: int):
    return _stage(
        request, pk, form_class=forms.EventForm, form_name="event_form",
        service=services.session_event_record, anchor="events", done="Recorded the event.",
    )  # fmt: skip


@role_required(CLINICIAN)
@stage_post
def session_stop_time(request, pk: int):
    return _stage(
        request, pk, form_class=forms.StopTimeForm, form_name="stop_time_form",
        service=services.session_record_stop, anchor="administration",
        done="Recorded the infusion's stop time.",
    )  # fmt: skip


@role_required(CLINICIAN)
@stage_post
def session_discharge(request, pk: int):
    return _stage(
        request, pk, form_class=forms.DischargeForm, form_name="discharge_form",
        service=services.session_discharge, anchor="discharge",
        done="Discharged. The note is ready to sign.",
    )  # fmt: skip


@role_required(CLINICIAN)
@stage_post
def session_sign(request, pk: int):
    session = _session_or_404(request, pk)
    try:
        services.session_sign(session=session, by=request.user)
    except ValidationError as error:
        return _render_session(request, session, status=400, sign_errors=error.messages)
    messages.success(request, "Signed. The note is locked; later changes are addenda.")
    return redirect(_detail_url(session, "signature"))


@role_required(CLINICIAN)
@stage_post
def session_addendum_add(request, pk: int):
    session = _session_or_404(request, pk)
    form = forms.AddendumForm(request.POST)
    if form.is_valid():
        try:
            services.session_addendum_add(
                session=session, author=request.user, text=form.cleaned_data["text"]
            )
        except ValidationError as error:
            _add_errors(request, form, error)
        else:
            messages.success(request, "Added the addendum.")
            return redirect(_detail_url(session, "addenda"))
    return _render_session(request, session, status=400, addendum_form=form)


# --- The clinician's worklist of notes to sign ------------------------------------------------


TO_SIGN_SECTIONS = ("unsigned",)


@role_required(CLINICIAN)
@require_GET
def sessions_to_sign(request):
    """Administered or discharged sessions not signed yet, oldest first, with what is missing,
    20 at a time (``?unsigned=40`` shows 40)."""
    sizes = shown_sizes(request.GET, TO_SIGN_SECTIONS)
    unsigned = ShownRows.asked("unsigned", ("session", "sessions"), sizes)
    location_id = current_location_id(request)  # a chain: the sessions at its chairs
    unsigned.fill(
        list(selectors.sessions_awaiting_signature(location_id=location_id)[: unsigned.size + 1]),
        selectors.sessions_to_sign_count(location_id=location_id),
    )
    unsigned.link(reverse("treatments:sessions_to_sign"), sizes)
    for session in unsigned.rows:
        session.missing = rules.signing_missing(services.signing_parts_from_row(session))
        session.status_style = STATUS_STYLES.get(session.status, "text-bg-secondary")
    return render(request, "treatments/sessions/to_sign.html", {"unsigned": unsigned})


# --- The REMS Patient Monitoring Form ----------------------------------------------------------


@role_required(CLINICIAN)
@require_GET
def session_rems(request, pk: int):
    """The esketamine REMS Patient Monitoring Form's data, assembled from the session, with its
    status: due date, to submit or submitted (the page is built in views/rems.py, which also
    shows it again with a refused "Mark as submitted")."""
    session = _session_or_404(request, pk)
    route = session.route_given or session.plan_version.route
    if route != Route.ESKETAMINE_NASAL:
        raise Http404("The REMS form is for intranasal esketamine sessions.")
    record_access(request, session)
    return rems_views.monitoring_form_page(request, session)

"""Patient-facing intake pages: opened from a link, phone first, no staff login."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from clinic.client_address import client_ip
from clinic.roles import public_view
from clinic.text_input import data_without_control_characters

from .. import patient_session
from ..models import ClinicalAlert
from ..questionnaire import STEP_SLUGS, STEPS
from ..questionnaire_review import review_sections
from ..questionnaire_state import bind_step, quiet
from ..services import questionnaires as intake_services


def _request_meta(request) -> dict:
    return {
        "ip": client_ip(request) or None,
        "user_agent": request.META.get("HTTP_USER_AGENT", ""),
    }


@public_view
@require_GET
def link_open(request, token: str):
    """Exchange the token for a session and move the browser to a URL without it."""
    link = intake_services.intake_link_find(token=token)
    return patient_session.INTAKE.exchange_token(
        request, link, reason=link.refusal() if link else None
    )


@public_view
@require_http_methods(["GET", "POST"])
def confirm_birth_date(request):
    return patient_session.INTAKE.confirm_birth_date(
        request,
        refusal_of=lambda link: link.refusal(),
        check=lambda link, born: intake_services.intake_link_confirm_birth_date(
            link=link, date_of_birth=born
        ),
        next_url="intake:resume",
        intro="Before you start your forms, please confirm your date of birth.",
    )


@patient_session.patient_link_required
@require_GET
def resume(request):
    intake = request.intake
    if intake.is_submitted:
        return redirect("intake:submitted")
    step = intake_services.intake_reachable_step(
        intake=intake, slug=intake.current_step or STEPS[0].slug
    )
    return redirect("intake:step", slug=step.slug)


def _has_open_item9_alert(intake) -> bool:
    """Shown the crisis resources on every page once item 9 was answered above zero."""
    return ClinicalAlert.objects.filter(
        kind=ClinicalAlert.Kind.PHQ9_ITEM9, source_kind="intake", source_id=intake.pk
    ).exists()


@patient_session.patient_link_required
@require_http_methods(["GET", "POST"])
def step(request, slug: str):
    intake = request.intake
    if intake.is_submitted:
        messages.info(request, "Your forms have been sent to the clinic and can't be changed now.")
        return redirect("intake:submitted")
    if slug not in STEP_SLUGS:
        return redirect("intake:resume")
    current = intake_services.intake_reachable_step(intake=intake, slug=slug)
    if current.slug != slug:
        messages.info(request, "Please finish this step first.")
        return redirect("intake:step", slug=current.slug)
    index = STEP_SLUGS.index(slug)
    status = 200

    if request.method == "POST":
        action = request.POST.get("action", "next")
        if current.slug == "review" and action == "submit":
            try:
                result = intake_services.intake_submit(
                    intake=intake, data=request.POST, request_meta=_request_meta(request)
                )
            except intake_services.IncompleteIntake as incomplete:
                messages.error(
                    request, f"Please check “{incomplete.step.title}” before you submit."
                )
                return redirect("intake:step", slug=incomplete.step.slug)
            if result is not None and not hasattr(result, "is_submitted"):
                bound = result  # the review confirmation was not ticked
                status = 200
            else:
                return redirect("intake:submitted")
        elif action == "back":
            intake_services.intake_step_save(
                intake=intake,
                step=current,
                data=request.POST,
                action="back",
                request_meta=_request_meta(request),
            )
            return redirect("intake:step", slug=STEP_SLUGS[max(index - 1, 0)])
        elif action == "add_row":
            intake_services.intake_step_save(
                intake=intake,
                step=current,
                data=request.POST,
                action="stay",
                request_meta=_request_meta(request),
            )
            # The page shows the draft as saved: what was typed, less any control character.
            typed = data_without_control_characters(request.POST)
            bound = quiet(bind_step(current, typed, intake=intake, extra_rows=3))
        else:
            bound = intake_services.intake_step_save(
                intake=intake,
                step=current,
                data=request.POST,
                action="next",
                request_meta=_request_meta(request),
            )
            if bound.is_valid():  # intake_step_save has brought ``intake`` up to date
                if set(STEP_SLUGS[:-1]) <= set(intake.completed_steps):
                    return redirect(
                        "intake:step", slug="review"
                    )  # back to the review after an edit
                return redirect("intake:step", slug=STEP_SLUGS[min(index + 1, len(STEPS) - 1)])
            status = 200
    else:
        stored = intake.answers.get(slug)
        bound = bind_step(current, stored, intake=intake)
        if stored is not None:
            quiet(bound)

    context = {
        "step": current,
        "bound": bound,
        "form": bound.form,
        "formset": bound.formset,
        "steps": STEPS,
        "step_number": index + 1,
        "step_count": len(STEPS),
        "completed_steps": intake.completed_steps,
        "show_crisis": _has_open_item9_alert(intake),
        "patient": intake.patient,
        "clinician_request": intake.clinician_request,
    }
    if current.slug == "questionnaires":
        # The crisis resources sit beside item 9, drawn from the answer shown (crisis.js
        # follows the patient's taps; this is what they see without it, after Save).
        context["crisis_hidden"] = bound.form["phq9_9"].value() not in ("1", "2", "3")
    if current.slug == "review":
        context["sections"] = review_sections(intake)
    return render(request, "intake/patient/step.html", context, status=status)


@patient_session.patient_link_required
@require_GET
def submitted(request):
    intake = request.intake
    if not intake.is_submitted:
        return redirect("intake:resume")
    return render(
        request,
        "intake/patient/submitted.html",
        {"show_crisis": _has_open_item9_alert(intake), "patient": intake.patient},
    )

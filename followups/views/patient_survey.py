"""Patient-facing check-in survey pages: opened from a link, phone first, no staff login."""

from functools import wraps

from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from clinic.roles import public_view
from intake.patient_session import sender_name

from ..models import Survey
from ..patient_session import SURVEY
from ..services import surveys as survey_services
from ..survey_questions import draft_form, steps_for

ANSWERED = "Your answers have been sent to the clinic and can't be changed now."


def _refusal(link) -> str | None:
    """Why the link cannot be used now: its own reasons, or the survey was cancelled."""
    reason = link.refusal()
    if reason is None and link.survey.status == Survey.Status.CANCELLED:
        return "revoked"
    return reason


def _survey_required(view):
    """A verified, still-usable link to a survey the clinic has not cancelled."""

    @wraps(view)
    def check(request, *args, **kwargs):
        if request.survey.status == Survey.Status.CANCELLED:
            SURVEY.end(request)
            return SURVEY.refuse(request, "revoked")
        return view(request, *args, **kwargs)

    return SURVEY.required(check)


@public_view
@require_GET
def link_open(request, token: str):
    """Exchange the token for a session and move the browser to a URL without it."""
    link = survey_services.survey_link_find(token=token)
    return SURVEY.exchange_token(request, link, reason=_refusal(link) if link else None)


@public_view
@require_http_methods(["GET", "POST"])
def confirm_birth_date(request):
    return SURVEY.confirm_birth_date(
        request,
        refusal_of=_refusal,
        check=lambda link, born: survey_services.survey_link_confirm_birth_date(
            link=link, date_of_birth=born
        ),
        next_url="followups:survey_resume",
        intro=(
            "The clinic would like to know how you have been since your treatment. "
            "Before you start, please confirm your date of birth."
        ),
    )


@_survey_required
@require_GET
def resume(request):
    survey = request.survey
    if survey.status == Survey.Status.COMPLETED:
        return redirect("followups:survey_done")
    step = survey_services.survey_reachable_step(survey=survey, slug="")
    return redirect("followups:survey_step", slug=step.slug)


def _asks_item9(form) -> bool:
    return "phq9_9" in form.fields


def _item9_above_zero(form) -> bool:
    return _asks_item9(form) and form["phq9_9"].value() in ("1", "2", "3")


@_survey_required
@require_http_methods(["GET", "POST"])
def step(request, slug: str):
    survey = request.survey
    if survey.status == Survey.Status.COMPLETED:
        messages.info(request, ANSWERED)
        return redirect("followups:survey_done")
    steps = steps_for(survey.content)
    slugs = [s.slug for s in steps]
    if slug not in slugs:
        return redirect("followups:survey_resume")
    current = survey_services.survey_reachable_step(survey=survey, slug=slug)
    if current.slug != slug:
        messages.info(request, "Please finish this step first.")
        return redirect("followups:survey_step", slug=current.slug)
    index = slugs.index(slug)
    is_last = index == len(steps) - 1

    if request.method == "POST":
        action = "back" if request.POST.get("action") == "back" else "next"
        try:
            form = survey_services.survey_step_save(
                survey=survey, step=current, data=request.POST, action=action
            )
            if action == "back":
                return redirect("followups:survey_step", slug=slugs[max(index - 1, 0)])
            if form.is_valid() and not is_last:
                return redirect("followups:survey_step", slug=slugs[index + 1])
            if form.is_valid():
                survey_services.survey_submit(survey=survey)
                return redirect("followups:survey_done")
        except survey_services.SurveyAlreadyAnswered:
            messages.info(request, ANSWERED)
            return redirect("followups:survey_done")
        except survey_services.IncompleteSurvey as incomplete:
            messages.error(
                request, f"Please check “{incomplete.step.title}” before you send your answers."
            )
            return redirect("followups:survey_step", slug=incomplete.step.slug)
    else:
        form = draft_form(current, survey.answers.get(slug))

    context = {
        "step": current,
        "form": form,
        "step_number": index + 1,
        "step_count": len(steps),
        "is_last": is_last,
        "asks_item9": _asks_item9(form),
        "crisis_hidden": not _item9_above_zero(form),
        **sender_name(neutral=True),
    }
    return render(request, "followups/patient/step.html", context)


@_survey_required
@require_GET
def done(request):
    survey = request.survey
    if survey.status != Survey.Status.COMPLETED:
        return redirect("followups:survey_resume")
    return render(
        request,
        "followups/patient/done.html",
        {"show_crisis": bool(survey.safety_answer), **sender_name(neutral=True)},
    )

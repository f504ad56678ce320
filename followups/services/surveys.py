"""The patient's side of a check-in survey: opening its link, answering it step by step and
sending it."""

from dataclasses import dataclass
from datetime import date, datetime

from django import forms
from django.db import transaction
from django.utils import timezone

from intake.services.questionnaires import patient_link_check_birth_date, token_digest

from ..models import Survey, SurveyLink
from ..survey_questions import EMPTY_RESULTS, Step, bind_step, steps_for, storable_answers
from .results import SurveyAlreadyAnswered, survey_results_record

__all__ = [
    "IncompleteSurvey",
    "SurveyAlreadyAnswered",
    "survey_link_confirm_birth_date",
    "survey_link_find",
    "survey_reachable_step",
    "survey_step_save",
    "survey_submit",
]

_TOKEN_MAX_LENGTH = 100
_CLOSED = (Survey.Status.COMPLETED, Survey.Status.CANCELLED)


@dataclass
class IncompleteSurvey(Exception):
    """A step is missing or no longer valid: the patient is sent back to it."""

    step: Step


def survey_link_find(*, token: str) -> SurveyLink | None:
    if not token or len(token) > _TOKEN_MAX_LENGTH:
        return None
    return (
        SurveyLink.objects.select_related("survey__patient")
        .filter(token_hash=token_digest(token))
        .first()
    )


def survey_link_confirm_birth_date(*, link: SurveyLink, date_of_birth: date) -> bool:
    """Check the date of birth (misses count towards the link's lock). The first time it
    matches, the survey counts as started."""
    confirmed = patient_link_check_birth_date(
        link=link, patient=link.survey.patient, date_of_birth=date_of_birth
    )
    if confirmed and link.survey.status == Survey.Status.INVITED:
        with transaction.atomic():
            survey = Survey.objects.select_for_update().get(pk=link.survey_id)
            if survey.status == Survey.Status.INVITED:
                survey.status = Survey.Status.IN_PROGRESS
                survey.started_at = survey.started_at or timezone.now()
                survey.save(update_fields=["status", "started_at"])
                link.survey.status, link.survey.started_at = survey.status, survey.started_at
    return confirmed


def _first_incomplete(survey: Survey) -> Step:
    steps = steps_for(survey.content)
    for step in steps:
        if step.slug not in survey.completed_steps:
            return step
    return steps[-1]


def survey_reachable_step(*, survey: Survey, slug: str) -> Step:
    """The step the patient may open: the one asked for, unless an earlier one is unfinished."""
    steps = steps_for(survey.content)
    slugs = [step.slug for step in steps]
    first_open = slugs.index(_first_incomplete(survey).slug)
    wanted = slugs.index(slug) if slug in slugs else len(steps)
    return steps[wanted] if wanted <= first_open else steps[first_open]


def survey_step_save(*, survey: Survey, step: Step, data, action: str) -> forms.Form:
    """Save what the patient typed on one step as a draft.

    ``action`` is "next" (the step must be valid to count as done; if it is not, nothing is
    saved and the form comes back with its errors) or "back" (the draft is kept as typed,
    minus oversized values, and the step stays unfinished if it is not valid). Only the
    step's own fields are stored. Raises ``SurveyAlreadyAnswered`` once the survey is sent.

    Returns the bound form so the view can show errors beside the fields.
    """
    if action not in ("next", "back"):
        raise ValueError(f"unknown action {action!r}")
    if survey.status in _CLOSED:
        raise SurveyAlreadyAnswered
    form = bind_step(step, data)
    valid = form.is_valid()
    if action == "next" and not valid:
        return form
    slugs = [s.slug for s in steps_for(survey.content)]
    with transaction.atomic():
        locked = Survey.objects.select_for_update().get(pk=survey.pk)
        if locked.status in _CLOSED:
            raise SurveyAlreadyAnswered
        locked.answers[step.slug] = storable_answers(form)
        completed = {s for s in locked.completed_steps if s != step.slug}
        if valid:
            completed.add(step.slug)
        locked.completed_steps = [s for s in slugs if s in completed]
        locked.started_at = locked.started_at or timezone.now()
        if locked.status == Survey.Status.INVITED:
            locked.status = Survey.Status.IN_PROGRESS
        locked.save(update_fields=["answers", "completed_steps", "started_at", "status"])
    survey.answers, survey.completed_steps = locked.answers, locked.completed_steps
    survey.started_at, survey.status = locked.started_at, locked.status
    return form


def survey_submit(*, survey: Survey, now: datetime | None = None) -> Survey:
    """Check every step again with the same forms, then record the answers (scores, alerts
    and escalations are worked out there, on the server).

    Raises ``IncompleteSurvey`` for the first step that is missing or no longer valid, and
    ``SurveyAlreadyAnswered`` when the survey was sent already."""
    if survey.status in _CLOSED:
        raise SurveyAlreadyAnswered
    with transaction.atomic():
        # Checked under the lock: a step saved meanwhile in another tab is what gets sent.
        locked = Survey.objects.select_for_update().get(pk=survey.pk)
        if locked.status in _CLOSED:
            raise SurveyAlreadyAnswered
        results = dict(EMPTY_RESULTS)
        for step in steps_for(locked.content):
            stored = locked.answers.get(step.slug)
            if stored is None or step.slug not in locked.completed_steps:
                raise IncompleteSurvey(step)
            form = bind_step(step, stored)
            if not form.is_valid():
                raise IncompleteSurvey(step)
            results.update(form.results())
        return survey_results_record(survey=locked, now=now, **results)

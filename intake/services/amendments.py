"""Staff corrections to a submitted intake.

The patient's intake is locked once submitted. A clinician may correct one answer at a time,
with a reason: the intake's answers then hold the corrected value, an IntakeAmendment row keeps
the original and the new value with who and when, and the scores, the flags and the intake's
assessments are computed again from the corrected answers.
"""

from django import forms
from django.db import transaction

from .. import scoring
from ..models import Assessment, ClinicalAlert, Intake, IntakeAmendment
from ..questionnaire import STEP_BY_SLUG
from ..questionnaire_state import bind_step
from . import questionnaires as intake_services

# About-you details live on the patient's record (edited there); consent is a signature and
# medications are rows: none of them is corrected through an amendment.
AMENDABLE_STEPS = ("history", "symptoms", "medical", "questionnaires")
REASON_LIMIT = 500


class AmendmentRefused(Exception):
    """The amendment was not made; the message says why, for the clinician."""


def step_fields(step_slug: str) -> dict[str, forms.Field]:
    """The questions of a step, by field name (a fresh form: some fields depend on the date)."""
    step = STEP_BY_SLUG[step_slug]
    return dict(step.form_class().fields)


def field_labels(step_slug: str) -> dict[str, str]:
    """Question label -> field name, to find a field from a row of ``review_sections``."""
    if step_slug not in AMENDABLE_STEPS:
        return {}
    return {str(field.label): name for name, field in step_fields(step_slug).items()}


def display_value(step_slug: str, field: str, value) -> str:
    """A stored answer as the patient saw it (the option's words, not its code)."""
    if value in (None, "", []):
        return "—"
    form_field = step_fields(step_slug).get(field)
    choices = {str(key): label for key, label in (getattr(form_field, "choices", None) or [])}
    if isinstance(value, list):
        return ", ".join(str(choices.get(str(v), v)) for v in value)
    return str(choices.get(str(value), value))


def _errors_text(bound) -> str:
    messages = [str(error) for errors in bound.form.errors.values() for error in errors]
    return " ".join(messages) or "That answer is not valid."


def _normalise(value) -> str | list[str]:
    if isinstance(value, list | tuple):
        return [str(v) for v in value]
    return "" if value is None else str(value)


def intake_amend(
    *, intake: Intake, step: str, field: str, new_value, reason: str, author
) -> IntakeAmendment:
    """Correct one answer of a submitted intake. Raises AmendmentRefused with the reason."""
    reason = " ".join((reason or "").split())
    if not reason:
        raise AmendmentRefused("Give a reason for the amendment.")
    if len(reason) > REASON_LIMIT:
        raise AmendmentRefused(f"Keep the reason under {REASON_LIMIT} characters.")
    if step not in AMENDABLE_STEPS or field not in step_fields(step):
        raise AmendmentRefused("That answer cannot be amended.")
    new_value = _normalise(new_value)
    with transaction.atomic():
        locked = Intake.objects.select_for_update().select_related("patient").get(pk=intake.pk)
        if not locked.is_submitted:
            raise AmendmentRefused("Only a submitted intake can be amended.")
        answers = dict(locked.answers.get(step) or {})
        original = answers.get(field)
        if _normalise(original) == new_value or (original is None and new_value in ("", [])):
            raise AmendmentRefused("That is already the answer.")
        answers[field] = new_value
        bound = bind_step(STEP_BY_SLUG[step], answers, intake=locked)
        if not bound.is_valid():
            raise AmendmentRefused(_errors_text(bound))
        locked.answers = {**locked.answers, step: answers}
        update_fields = ["answers", "updated_at"]
        if step in ("medical", "questionnaires"):
            update_fields += _recompute(locked)
        locked.save(update_fields=update_fields)
        amendment = IntakeAmendment.objects.create(
            intake=locked,
            step=step,
            field=field,
            original_value=original,
            new_value=new_value,
            reason=reason,
            author=author,
        )
        intake_services.intake_answers_changed(locked)
    intake.refresh_from_db()
    return amendment


def _recompute(intake: Intake) -> list[str]:
    """Scores, item 9, flags and the intake's assessments, from the (amended) answers."""
    bound_steps = {
        slug: bind_step(STEP_BY_SLUG[slug], intake.answers.get(slug), intake=intake)
        for slug in ("medical", "medications", "questionnaires")
    }
    for bound in bound_steps.values():
        if not bound.is_valid():
            raise AmendmentRefused(
                f"“{bound.step.title}” no longer checks out: {_errors_text(bound)}"
            )
    questionnaires = bound_steps["questionnaires"].form
    gad7_answers = questionnaires.gad7_answers()
    phq9_answers = questionnaires.phq9_answers()
    gad7 = scoring.score_gad7(gad7_answers)
    phq9 = scoring.score_phq9(phq9_answers)
    intake.gad7_total, intake.gad7_band = gad7.total, gad7.band
    intake.phq9_total, intake.phq9_band = phq9.total, phq9.band
    intake.phq9_item9 = phq9_answers[8]
    # The same rules as at submission (intake_submit's flags).
    intake.flags = intake_services.intake_flags(bound_steps)
    difficulty = questionnaires.cleaned_data.get("phq9_difficulty") or ""
    recomputed = {
        Assessment.Instrument.GAD7: (gad7_answers, gad7, ""),
        Assessment.Instrument.PHQ9: (phq9_answers, phq9, difficulty),
    }
    for assessment in Assessment.objects.filter(source_kind="intake", source_id=intake.pk):
        answers, score, extra = recomputed[assessment.instrument]
        assessment.answers = answers
        assessment.total, assessment.band = score.total, score.band
        assessment.difficulty = extra
        assessment.save(update_fields=["answers", "total", "band", "difficulty"])
    if scoring.phq9_item9_positive(phq9_answers):
        # Once per intake: an alert already raised (and perhaps acknowledged) is not repeated.
        intake_services.alert_raise(
            patient_id=intake.patient_id,
            kind=ClinicalAlert.Kind.PHQ9_ITEM9,
            source_kind="intake",
            source_id=intake.pk,
        )
    return ["gad7_total", "gad7_band", "phq9_total", "phq9_band", "phq9_item9", "flags"]

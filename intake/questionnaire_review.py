"""The answers of an intake as readable sections: the patient's review step and the
clinician's view share this."""

from dataclasses import dataclass

from django import forms

from .questionnaire import STEPS
from .questionnaire_state import bind_step


@dataclass(frozen=True)
class AnswerRow:
    label: str
    value: str
    field: str | None = None  # the form field behind the row; None for medication rows


@dataclass(frozen=True)
class ReviewSection:
    slug: str
    title: str
    rows: list[AnswerRow]
    complete: bool


def _display(form_field: forms.Field, value) -> str:
    if value in (None, "", [], False):
        return "—" if not isinstance(value, bool) else "No"
    if value is True:
        return "Yes"
    choices = dict(getattr(form_field, "choices", []) or [])
    if isinstance(value, list):
        return ", ".join(str(choices.get(v, v)) for v in value)
    if choices:
        return str(choices.get(value, choices.get(str(value), value)))
    return str(value)


def _label(name: str, form_field: forms.Field) -> str:
    # GAD-7 and PHQ-9 items are both numbered from 1: say which questionnaire each belongs to.
    for prefix, instrument in (("gad7_", "GAD-7"), ("phq9_", "PHQ-9")):
        if name.startswith(prefix):
            return f"{instrument} {form_field.label}"
    return str(form_field.label)


def review_sections(intake) -> list[ReviewSection]:
    sections = []
    for step in STEPS[:-1]:
        stored = intake.answers.get(step.slug)
        bound = bind_step(step, stored, intake=intake)
        rows: list[AnswerRow] = []
        complete = stored is not None and step.slug in intake.completed_steps and bound.is_valid()
        if complete:
            data = bound.form.cleaned_data
            for name, form_field in bound.form.fields.items():
                value = data.get(name)
                if step.slug == "history" and name.startswith("since_") and not value:
                    continue
                if step.slug == "consent" and name.startswith("agree_"):
                    continue
                rows.append(
                    AnswerRow(_label(name, form_field), _display(form_field, value), field=name)
                )
            for row in bound.medication_rows():
                details = ", ".join(v for v in (row.get("dose"), row.get("frequency")) if v)
                rows.append(AnswerRow(row["name"], details or "—"))
        sections.append(ReviewSection(step.slug, step.title, rows, complete))
    return sections

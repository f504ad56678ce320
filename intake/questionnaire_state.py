"""Binding a step's stored answers to its form, and deciding what of a draft may be stored."""

from dataclasses import dataclass, field
from decimal import Decimal

from django import forms
from django.forms.formsets import BaseFormSet
from django.forms.utils import ErrorDict, ErrorList
from django.utils.datastructures import MultiValueDict

from clinic.text_input import without_control_characters

from . import units
from .questionnaire import (
    ConsentForm,
    MedicationFormSet,
    MedicationsForm,
    Step,
)
from .selectors import patient_latest_measurements

# A value longer than this is never stored, even in a draft (the form refuses it anyway).
_DRAFT_VALUE_LIMIT = 2000


@dataclass
class BoundStep:
    step: Step
    form: forms.Form
    formset: BaseFormSet | None = None
    _valid: bool | None = field(default=None, repr=False)

    def is_valid(self) -> bool:
        if self._valid is None:
            valid = self.form.is_valid()
            if self.formset is not None:
                valid = self.formset.is_valid() and valid
                valid = _check_medication_list(self) and valid
            self._valid = valid
        return self._valid

    def medication_rows(self) -> list[dict]:
        if self.formset is None or not self.is_valid():
            return []
        return [row for row in self.formset.cleaned_data if row.get("name")]


def _check_medication_list(bound: BoundStep) -> bool:
    if not bound.form.is_valid() or not bound.formset.is_valid():
        return False
    named = [row for row in bound.formset.cleaned_data if row.get("name")]
    none_taken = bound.form.cleaned_data.get("no_medications")
    if none_taken and named:
        bound.form.add_error(
            "no_medications", "You ticked that you take no medications but listed some below."
        )
        return False
    if not none_taken and not named:
        bound.form.add_error(
            "no_medications",
            "List the medications you take, or tick that you don't take any.",
        )
        return False
    return True


def _as_data(data) -> MultiValueDict | None:
    if data is None:
        return None
    if isinstance(data, MultiValueDict):
        return data
    return MultiValueDict({k: v if isinstance(v, list) else [v] for k, v in data.items()})


def bind_step(step: Step, data, *, intake, extra_rows: int = 0) -> BoundStep:
    """The step's form, bound to ``data`` (a POST or the stored draft), or unbound if None."""
    data = _as_data(data)
    kwargs = {}
    if step.form_class is ConsentForm:
        kwargs["legal_name"] = intake.patient.full_name
    form = (
        step.form_class(data, **kwargs)
        if data is not None
        else step.form_class(initial=initial_for(step, intake), **kwargs)
    )
    formset = None
    if step.form_class is MedicationsForm:
        if data is not None and extra_rows:
            data = data.copy()
            total = int(data.get("meds-TOTAL_FORMS", "0") or 0)
            data["meds-TOTAL_FORMS"] = str(min(total + extra_rows, 30))
        formset = (
            MedicationFormSet(data, prefix="meds")
            if data is not None
            else MedicationFormSet(prefix="meds")
        )
    return BoundStep(step=step, form=form, formset=formset)


# The "About you" answers that, once submitted, update the patient's record.
ABOUT_RECORD_FIELDS = (
    "preferred_name",
    "email",
    "mobile",
    "address_line1",
    "city",
    "state",
    "postal_code",
    "emergency_contact_name",
    "emergency_contact_relationship",
    "emergency_contact_phone",
)


def initial_for(step: Step, intake) -> dict:
    """What the patient sees first on a step they have not saved: their record's details, with
    the height and weight last recorded (once saved, the step's own answers are shown instead)."""
    if step.slug != "about":
        return {}
    details = {name: getattr(intake.patient, name) for name in ABOUT_RECORD_FIELDS}
    return {**details, **recorded_height_and_weight(intake.patient)}


def recorded_height_and_weight(patient) -> dict:
    """The patient's latest recorded height and weight in the "About you" step's units (feet
    and inches, whole pounds); a value never recorded is left out."""
    latest = patient_latest_measurements(patient=patient)
    initial = {}
    if latest["height"] is not None:
        inches = int(units.in_from_cm(latest["height"]["height_cm"]).quantize(Decimal("1")))
        initial["height_feet"], initial["height_inches"] = divmod(inches, 12)
    if latest["weight"] is not None:
        pounds = units.lb_from_kg(latest["weight"]["weight_kg"])
        initial["weight_lb"] = pounds.quantize(Decimal("1"))
    return initial


def _field_keys(bound: BoundStep):
    for name, form_field in bound.form.fields.items():
        yield bound.form.add_prefix(name), form_field
    if bound.formset is not None:
        management = bound.formset.management_form
        for name, form_field in management.fields.items():
            yield management.add_prefix(name), form_field
        for row in bound.formset.forms:
            for name, form_field in row.fields.items():
                yield row.add_prefix(name), form_field


def storable_answers(bound: BoundStep, *, valid: bool) -> dict:
    """The step's own fields as typed (nothing else the request carried), without any value
    longer than its field allows (oversized input is refused, never stored) and without
    control characters (a draft is saved whatever was typed: clinic.text_input)."""
    data = bound.form.data
    stored = {}
    for key, form_field in _field_keys(bound):
        if key not in data:
            continue
        values = without_control_characters(data.getlist(key))
        limit = getattr(form_field, "max_length", None) or _DRAFT_VALUE_LIMIT
        if any(len(value) > limit for value in values):
            continue
        multiple = isinstance(form_field, forms.MultipleChoiceField)
        stored[key] = values if multiple else (values[-1] if values else "")
    return stored


def medication_names(bound: BoundStep) -> list[str]:
    return [row["name"] for row in bound.medication_rows()]


def quiet(bound: BoundStep) -> BoundStep:
    """Show a saved draft's values without the errors the patient has not asked to see yet
    (they appear when they press Next)."""
    bound.form.full_clean()
    bound.form._errors = ErrorDict()
    if bound.formset is not None:
        bound.formset.full_clean()
        for row in bound.formset.forms:
            row._errors = ErrorDict()
        bound.formset._errors = [ErrorDict() for _ in bound.formset.forms]
        bound.formset._non_form_errors = ErrorList()
    return bound

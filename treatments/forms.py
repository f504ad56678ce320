"""Forms of the screening pages. They check types and ranges; the clinical rules (what a
decline or an override needs) live in the services, whose errors the views show beside the
fields."""

from django import forms

from clinic.forms import ClinicForm
from intake.forms import MeasurementFieldsMixin

from .models import AssessmentFinding, ScreeningDetermination

USE_THE_RECORD = "Optional: leave weight and height empty to use the latest on the record."


class FindingForm(MeasurementFieldsMixin):
    """What the clinician measured at the assessment visit: the weight and height in pounds and
    inches, as at registration and in the intake (stored in kg and cm)."""

    systolic = forms.IntegerField(
        label="Blood pressure, systolic (mmHg)", required=False, min_value=50, max_value=300
    )
    diastolic = forms.IntegerField(
        label="Blood pressure, diastolic (mmHg)", required=False, min_value=20, max_value=200
    )
    pulse = forms.IntegerField(
        label="Pulse (beats per minute)", required=False, min_value=20, max_value=250
    )
    pregnancy_test = forms.ChoiceField(
        label="Pregnancy test",
        required=False,
        choices=AssessmentFinding.PregnancyTest.choices,
        widget=forms.RadioSelect,
    )
    notes = forms.CharField(
        label="Notes", required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["weight_lb"].help_text = USE_THE_RECORD

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        systolic, diastolic = cleaned.get("systolic"), cleaned.get("diastolic")
        if (systolic is None) != (diastolic is None):
            missing = "diastolic" if diastolic is None else "systolic"
            self.add_error(missing, "Enter both numbers of the blood pressure.")
        elif systolic is not None and systolic <= diastolic:
            self.add_error("diastolic", "The diastolic number must be lower than the systolic.")
        if not any(cleaned.get(name) not in (None, "") for name in self.fields):
            raise forms.ValidationError("Enter at least one finding.")
        return cleaned

    def finding_kwargs(self) -> dict:
        measured = ("weight_lb", "height_in")
        return {
            **{name: self.cleaned_data[name] for name in self.fields if name not in measured},
            **self.measurement_kwargs(),
        }


Decision = ScreeningDetermination.Decision


class DeterminationForm(ClinicForm):
    """The clinician's decision. Which fields a decision needs is checked by
    ``screening_determine``: this form only reads what was typed."""

    decision = forms.ChoiceField(
        label="Decision",
        required=False,
        choices=[
            (Decision.APPROVE, "Approve for treatment"),
            (Decision.DECLINE, "Decline"),
            (Decision.MORE_INFO, "Request more information"),
        ],
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        label="Clinical reason",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=(
            "Required to decline. Internal: kept in the patient's record and never sent to the "
            "patient, who is only asked to call the clinic."
        ),
    )
    info_request = forms.CharField(
        label="Information needed",
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=(
            "Required to request more information. The patient (on their new intake step) or the "
            "front desk (on their task) reads these words: write them for the patient."
        ),
    )
    info_route = forms.ChoiceField(
        label="Who should get the request",
        required=False,
        choices=[
            (ScreeningDetermination.InfoRoute.PATIENT, "The patient: a new intake step"),
            (ScreeningDetermination.InfoRoute.FRONT_DESK, "The front desk: a task to contact them"),
        ],
        widget=forms.RadioSelect,
    )
    override_justification = forms.CharField(
        label="Justification for overriding “Not a candidate”",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=(
            "Required to approve this patient. It is kept with your signature and the override "
            "is marked in the audit trail."
        ),
    )

    def __init__(self, *args, can_override: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if not can_override:
            del self.fields["override_justification"]

    def determination_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            "decision": data["decision"],
            "reason": data["reason"],
            "info_request": data["info_request"],
            "info_route": data["info_route"],
            "override_justification": data.get("override_justification", ""),
        }


class TaskCompleteForm(ClinicForm):
    outcome = forms.CharField(
        label="What was done",
        max_length=500,
        help_text='For example "Called the patient; their letter comes by fax".',
        error_messages={"required": "Write a short note of what was done."},
    )

    def clean_outcome(self):
        outcome = " ".join(self.cleaned_data["outcome"].split())
        if not outcome:
            raise forms.ValidationError("Write a short note of what was done.")
        return outcome

"""Forms of the esketamine REMS pages. They check types; the rules (no date in the future,
the enrollment after both signatures, once only) are the services', shown beside the fields."""

from django import forms
from django.contrib.auth import get_user_model

from clinic.forms import ClinicForm
from clinic.roles import CLINICIAN

from .forms_plans import PrescriberChoiceField

DATE_INPUT = forms.DateInput(attrs={"type": "date"})


def _clinicians():
    return (
        get_user_model()
        .objects.filter(is_active=True, groups__name=CLINICIAN)
        .order_by("last_name", "first_name", "username")
    )


class RemsEnrollmentForm(ClinicForm):
    patient_signed_on = forms.DateField(
        label="Date the patient signed the enrollment form", widget=DATE_INPUT
    )
    prescriber = PrescriberChoiceField(label="Prescriber", queryset=None)
    prescriber_signed_on = forms.DateField(
        label="Date the prescriber signed the enrollment form", widget=DATE_INPUT
    )
    enrolled_on = forms.DateField(
        label="Date enrolled in the REMS",
        widget=DATE_INPUT,
        help_text="On or after both signatures.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["prescriber"].queryset = _clinicians()


class RemsFormSubmitForm(ClinicForm):
    submitted_on = forms.DateField(label="Date submitted to the REMS", widget=DATE_INPUT)

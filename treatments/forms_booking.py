"""Forms of the booking pages: a date, a time and a chair; the clash checks are the service's."""

from datetime import datetime

from django import forms
from django.utils import timezone

from clinic.forms import ClinicForm

from .models import TreatmentChair


class SlotForm(ClinicForm):
    """One session's date, start time (clinic time) and chair. The chairs are passed in, so a
    series of these forms costs one query for the chairs."""

    starts_on = forms.DateField(label="Date", widget=forms.DateInput(attrs={"type": "date"}))
    starts_at_time = forms.TimeField(
        label="Start time", widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )
    chair = forms.TypedChoiceField(label="Chair", coerce=int)

    def __init__(self, *args, chairs: list[TreatmentChair], **kwargs):
        super().__init__(*args, **kwargs)
        self.chairs = {chair.pk: chair for chair in chairs}
        self.fields["chair"].choices = [(chair.pk, chair.name) for chair in chairs]

    def starts_at(self) -> datetime:
        return datetime.combine(
            self.cleaned_data["starts_on"],
            self.cleaned_data["starts_at_time"],
            tzinfo=timezone.get_current_timezone(),
        )

    def chosen_chair(self) -> TreatmentChair:
        return self.chairs[self.cleaned_data["chair"]]


class CancelForm(ClinicForm):
    reason = forms.CharField(
        label="Reason for cancelling",
        max_length=500,
        help_text="For example: the patient called to cancel, or the clinic closed.",
    )

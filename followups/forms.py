"""Forms of the staff follow-up pages. They parse and check what was typed; the services in
``followups.services.worklist`` validate again and write."""

from django import forms

from clinic.forms import ClinicForm

from .models import FollowUpCall
from .services.worklist import NOTE_NEEDED_WHEN_ESCALATED, NOTE_NEEDED_WHEN_REACHED


def _clean_text(text: str | None) -> str:
    return " ".join((text or "").split())


class FollowUpCallForm(ClinicForm):
    outcome = forms.ChoiceField(
        label="What came of the call",
        choices=FollowUpCall.Outcome.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose what came of the call."},
    )
    note = forms.CharField(
        label="Note",
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=(
            "Required when you spoke with the patient: how they are and anything to follow up. "
            "Speaking with the patient closes the task; otherwise it stays open for another try."
        ),
    )

    def clean_note(self) -> str:
        return _clean_text(self.cleaned_data.get("note"))

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("outcome") == FollowUpCall.Outcome.REACHED and not cleaned.get("note"):
            self.add_error("note", NOTE_NEEDED_WHEN_REACHED)
        return cleaned


class SurveyReviewForm(ClinicForm):
    note = forms.CharField(
        label="Review note",
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, escalated: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.escalated = escalated
        note = self.fields["note"]
        note.required = escalated
        note.error_messages["required"] = NOTE_NEEDED_WHEN_ESCALATED
        note.help_text = (
            'Required: what you did, for example "Called the patient, safety plan reviewed".'
            if escalated
            else "Optional."
        )

    def clean_note(self) -> str:
        note = _clean_text(self.cleaned_data.get("note"))
        if self.escalated and not note:
            raise forms.ValidationError(NOTE_NEEDED_WHEN_ESCALATED)
        return note


class TaskDoneForm(ClinicForm):
    outcome = forms.CharField(
        label="What was done",
        max_length=500,
        help_text='For example "Booked the integration appointment for Tuesday".',
        error_messages={"required": "Write a short note of what was done."},
    )

    def clean_outcome(self) -> str:
        outcome = _clean_text(self.cleaned_data["outcome"])
        if not outcome:
            raise forms.ValidationError("Write a short note of what was done.")
        return outcome

"""Forms of the treatment plan pages. They check types and ranges; the clinical rules (dose
guardrails, the weight a mg/kg dose needs, what each phase needs) live in
``services.plans``, whose errors the views show beside the fields."""

from django import forms
from django.contrib.auth import get_user_model

from clinic.forms import ClinicForm
from clinic.roles import CLINICIAN

from .models import PlanVersion
from .models.plans import ROUTE_CHOICES
from .services.plans import CONTENT_FIELDS, ESKETAMINE_LABEL, OUTSIDE_USUAL, off_label


def _prescribers():
    return (
        get_user_model()
        .objects.filter(is_active=True, groups__name=CLINICIAN)
        .order_by("last_name", "first_name", "username")
    )


class PrescriberChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, user) -> str:
        return user.get_full_name() or user.username


class PlanForm(ClinicForm):
    indication = forms.ChoiceField(
        label="Indication",
        required=False,
        choices=[("", "Choose…"), *PlanVersion.Indication.choices],
    )
    indication_other = forms.CharField(
        label="Other indication", required=False, max_length=200,
        help_text="Only when the indication is Other.",
    )  # fmt: skip
    route = forms.ChoiceField(
        label="Route", required=False, choices=ROUTE_CHOICES, widget=forms.RadioSelect
    )
    dose_amount = forms.DecimalField(
        label="Dose",
        required=False,
        min_value=0,
        max_digits=6,
        decimal_places=2,
        help_text=(
            "mg/kg for IV infusion and intramuscular (the mg is computed from the latest "
            "recorded weight); mg for the other routes."
        ),
    )
    infusion_minutes = forms.IntegerField(
        label="Infusion duration (minutes)", required=False, min_value=10, max_value=180,
        help_text="IV only: 40 minutes when left empty.",
    )  # fmt: skip
    phase = forms.ChoiceField(
        label="Phase", required=False, choices=PlanVersion.Phase.choices, widget=forms.RadioSelect
    )
    sessions_planned = forms.IntegerField(
        label="Number of sessions", required=False, min_value=1, max_value=52
    )
    span_weeks = forms.IntegerField(
        label="Induction: over how many weeks", required=False, min_value=1, max_value=12,
        help_text="For example 6 sessions over 3 weeks.",
    )  # fmt: skip
    every_weeks = forms.IntegerField(
        label="Maintenance: one session every how many weeks", required=False, min_value=1,
        max_value=12,
    )  # fmt: skip
    per_month = forms.IntegerField(
        label="Or maintenance: sessions a month", required=False, min_value=1, max_value=8,
        help_text="For example 2 (twice a month).",
    )  # fmt: skip
    start_date = forms.DateField(
        label="Start date", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    goals = forms.CharField(
        label="Goals", required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )
    prescriber = PrescriberChoiceField(label="Prescriber", required=False, queryset=None)
    confirm_outside_usual = forms.BooleanField(
        label="I confirm this dose outside the usual range", required=False
    )
    outside_usual_reason = forms.CharField(
        label="Reason for a dose outside the usual range", required=False, max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
    )  # fmt: skip
    off_label_reason = forms.CharField(
        label="Reason for prescribing esketamine off-label", required=False, max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=f"{ESKETAMINE_LABEL}. The reason is kept with the plan and shown on its page.",
    )  # fmt: skip

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["prescriber"].queryset = _prescribers()

    @property
    def asks_off_label_reason(self) -> bool:
        """Show the off-label reason for esketamine planned for anything but depression (as
        typed, or as stored), or when a reason was given or asked for."""
        if not self.is_bound:
            values = self.initial
        else:
            values = {name: self.data.get(self.add_prefix(name)) for name in self.fields}
            if self.errors.get("off_label_reason"):
                return True
        return bool(values.get("off_label_reason")) or off_label(
            values.get("route") or "", values.get("indication") or None
        )

    @property
    def asks_outside_usual_confirmation(self) -> bool:
        """Show the confirmation when the server said the dose is outside the usual range, or
        when the clinician already ticked it."""
        if not self.is_bound:
            return bool(self.initial.get("confirm_outside_usual"))
        if self.data.get(self.add_prefix("confirm_outside_usual")):
            return True
        return any(
            error.code == OUTSIDE_USUAL for error in self.errors.as_data().get("dose_amount", [])
        )

    def plan_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            **{name: data[name] for name in CONTENT_FIELDS},
            "confirm_outside_usual": data["confirm_outside_usual"],
            "outside_usual_reason": data["outside_usual_reason"],
        }


class AmendForm(PlanForm):
    reason = forms.CharField(
        label="Reason for the amendment", required=False, max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )  # fmt: skip

    field_order = ["reason"]

    def plan_kwargs(self) -> dict:
        return {**super().plan_kwargs(), "reason": self.cleaned_data["reason"]}


class StopForm(ClinicForm):
    reason = forms.CharField(
        label="Reason for stopping", required=False, max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
    )  # fmt: skip


class AsOfForm(ClinicForm):
    as_of = forms.DateField(
        label="Plan as of", required=True, widget=forms.DateInput(attrs={"type": "date"})
    )

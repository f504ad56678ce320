"""Forms of the session page, one short form per stage. They check types and ranges; the
clinical rules (the BP gate, the dose difference, discharge readiness, signing) live in the
session services, whose errors the views show beside the fields.

Times are entered as a time of day on the session's date, in the clinic's zone.
"""

from datetime import date, datetime, time
from decimal import Decimal

from django import forms
from django.utils import timezone

from clinic.forms import ClinicForm
from intake.scoring import GAD7_ITEMS

from . import session_rules as rules
from .dosing import ROUTE_LABELS
from .models import LedgerEntry, SessionEvent
from .services.ledger import Draw
from .services.sessions import OUTSIDE_USUAL


def container_choice_label(container) -> str:
    """A container as the clinician picks it, what tells it apart first (a phone shows the
    start): label, strength, what is left, lot, expiry."""
    product = container.product
    strength = (
        f"{product.strength_mg_per_ml.normalize():f} mg/mL"
        if product.unit == product.Unit.MG
        else f"{product.mg_per_device.normalize():f} mg devices"
    )
    return (
        f"{container.label} · {strength} · {container.balance.normalize():f} "
        f"{product.get_unit_display()} left · lot {container.lot} · "
        f"expires {container.expires_on:%d %b %Y}"
    )


TIME_WIDGET = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
GAD7_CHOICES = [
    ("", "Not asked"),
    ("0", "Not at all"),
    ("1", "Several days"),
    ("2", "More than half the days"),
    ("3", "Nearly every day"),
]


def at_on(day: date, value: time | None) -> datetime | None:
    """A time of day on ``day`` in the clinic's zone, as an aware datetime."""
    if value is None:
        return None
    return datetime.combine(day, value, tzinfo=timezone.get_current_timezone())


def now_hhmm() -> time:
    return timezone.localtime().time().replace(second=0, microsecond=0)


def _time(label: str, *, required: bool = True) -> forms.TimeField:
    return forms.TimeField(label=label, required=required, widget=TIME_WIDGET)


def _vital(label: str, low: int, high: int, *, required: bool) -> forms.IntegerField:
    return forms.IntegerField(label=label, required=required, min_value=low, max_value=high)


class StageForm(ClinicForm):
    """A stage's form: its times become aware datetimes on the session's day."""

    time_fields: tuple[str, ...] = ()

    def __init__(self, *args, day: date, **kwargs):
        self.day = day
        super().__init__(*args, **kwargs)
        for name in self.time_fields:
            if self.fields[name].required:
                self.fields[name].initial = now_hhmm
        # Required fields carry the required attribute (read out by screen readers; the forms
        # are novalidate, so the server's messages, not the browser's, say what is missing).
        self.use_required_attribute = True

    def service_kwargs(self) -> dict:
        values = dict(self.cleaned_data)
        for name in self.time_fields:
            values[name] = at_on(self.day, values[name])
        return values


class CheckInForm(StageForm):
    # Required here so the labels say so; the service words the same refusals.
    time_fields = ("arrived_at",)
    arrived_at = _time("Arrival time")
    escort_name = forms.CharField(
        label="Escort or ride home (name)",
        max_length=200,
        error_messages={"required": "Name the escort or ride home."},
    )
    escort_phone = forms.CharField(
        label="Escort's phone",
        max_length=30,
        error_messages={"required": "Give the escort's phone number."},
    )
    fasting_confirmed = forms.BooleanField(
        label="The patient confirms they have fasted as instructed",
        error_messages={"required": "Confirm that the patient has fasted."},
    )


class PreDoseForm(StageForm):
    consent_current = forms.BooleanField(label="Consent is current", required=False)
    fasting_hours = forms.DecimalField(
        label="Hours since food", required=False, min_value=0, max_value=72, decimal_places=1
    )
    clear_liquids_hours = forms.DecimalField(
        label="Hours since clear liquids",
        required=False,
        min_value=0,
        max_value=72,
        decimal_places=1,
    )
    pregnancy_test = forms.ChoiceField(
        label="Pregnancy test",
        required=False,
        choices=[
            ("", "Not recorded"),
            ("negative", "Negative"),
            ("positive", "Positive"),
            ("not_applicable", "Not applicable"),
        ],
        widget=forms.RadioSelect,
    )
    # Asked at every session; the esketamine REMS form reports it.
    sedatives_today = forms.TypedChoiceField(
        label="Benzodiazepine or other sedative taken today",
        required=False,
        choices=[("yes", "Yes"), ("no", "No")],
        coerce=lambda answer: answer == "yes",
        empty_value=None,
        widget=forms.RadioSelect,
    )
    sedatives_today_detail = forms.CharField(
        label="What was taken, how much and when", max_length=200, required=False
    )
    systolic = _vital("Blood pressure, systolic (mmHg)", 50, 300, required=True)
    diastolic = _vital("Blood pressure, diastolic (mmHg)", 20, 200, required=True)
    heart_rate = _vital("Heart rate (per minute)", 20, 250, required=True)
    spo2 = _vital("SpO2 (%)", 50, 100, required=True)
    respiratory_rate = _vital("Respiratory rate (per minute)", 4, 60, required=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for number, item in enumerate(GAD7_ITEMS, start=1):
            self.fields[f"gad7_{number}"] = forms.ChoiceField(
                label=item, required=False, choices=GAD7_CHOICES
            )

    def gad7_fields(self):
        return [self[f"gad7_{number}"] for number in range(1, len(GAD7_ITEMS) + 1)]

    def service_kwargs(self) -> dict:
        values = super().service_kwargs()
        answers = [values.pop(f"gad7_{n}") for n in range(1, len(GAD7_ITEMS) + 1)]
        if all(answer == "" for answer in answers):
            values["gad7_answers"] = None
        else:
            # A partly answered GAD-7 is refused by the service (a -1 is never a valid answer).
            values["gad7_answers"] = [int(a) if a != "" else -1 for a in answers]
        values["pregnancy_test"] = values["pregnancy_test"] or ""
        return values


class BpDecisionForm(StageForm):
    decision = forms.ChoiceField(
        label="Decision",
        choices=[
            ("proceed", "Proceed with the dose"),
            ("postpone", "Postpone the session"),
        ],
        widget=forms.RadioSelect,
    )
    note = forms.CharField(label="Reason", max_length=500, widget=forms.Textarea(attrs={"rows": 2}))


class FastingDecisionForm(BpDecisionForm):
    # Its own prefix: it can be on the page beside the blood-pressure decision's form.
    prefix = "fasting"


class AdministrationForm(StageForm):
    time_fields = ("started_at", "stopped_at")
    drug = forms.ChoiceField(
        label="Drug",
        choices=[("ketamine", "Ketamine"), ("esketamine", "Esketamine (Spravato)")],
        widget=forms.RadioSelect,
    )
    route = forms.ChoiceField(label="Route", choices=list(ROUTE_LABELS.items()))
    dose_given_mg = forms.DecimalField(
        label="Dose given (mg)", min_value=0, max_value=1000, decimal_places=1
    )
    dose_difference_reason = forms.CharField(
        label="Reason the dose differs from the plan",
        max_length=500,
        required=False,
        help_text="Needed only when the dose given is not the plan's dose.",
    )
    confirm_outside_usual = forms.BooleanField(
        label="I confirm this dose outside the usual range", required=False
    )
    outside_usual_reason = forms.CharField(
        label="Reason for a dose outside the usual range", max_length=500, required=False
    )
    container_1 = forms.TypedChoiceField(
        label="Container drawn from",
        coerce=int,
        error_messages={"required": "Choose the container the dose was drawn from."},
    )
    drawn_1 = forms.DecimalField(
        label="Amount drawn from it",
        min_value=0,
        max_value=5000,
        decimal_places=1,
        error_messages={"required": "Enter the amount drawn."},
        help_text="mg for a ketamine vial, devices for esketamine.",
    )
    container_2 = forms.TypedChoiceField(
        label="Second container (if the first ran out)",
        coerce=int,
        required=False,
        empty_value=None,
    )
    drawn_2 = forms.DecimalField(
        label="Amount drawn from the second container",
        min_value=0,
        max_value=5000,
        decimal_places=1,
        required=False,
    )
    waste_method = forms.ChoiceField(
        label="Waste disposed of by",
        required=False,
        choices=[("", "—"), *LedgerEntry.Method.choices],
        help_text="Needed when more was drawn than given: the difference is the waste.",
    )
    witness_username = forms.CharField(
        label="Witness's user name",
        max_length=150,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "none"}),
        help_text="A second clinician witnesses the waste, here on this screen.",
    )
    witness_password = forms.CharField(
        label="Witness's password",
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "off"}, render_value=False),
    )
    witness_token = forms.CharField(
        label="Witness's authenticator code",
        max_length=10,
        required=False,
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "inputmode": "numeric", "pattern": "[0-9]*"}
        ),
    )
    started_at = _time("Start time")
    stopped_at = _time("Stop time", required=False)

    def __init__(self, *args, containers=(), **kwargs):
        super().__init__(*args, **kwargs)
        choices = [(c.pk, container_choice_label(c)) for c in containers]
        self.fields["container_1"].choices = [("", "Choose the container"), *choices]
        self.fields["container_2"].choices = [("", "None"), *choices]

    # The ledger's refusals of the draws are shown beside the first container.
    error_aliases = {"draws": "container_1"}

    def service_kwargs(self) -> dict:
        values = super().service_kwargs()
        draws = [Draw(values.pop("container_1"), values.pop("drawn_1"))]
        second, drawn_2 = values.pop("container_2"), values.pop("drawn_2")
        if second is not None:
            draws.append(Draw(second, drawn_2 or Decimal(0)))
        values["draws"] = draws
        # The witness's credentials are checked by the view, not handed to the service.
        for name in ("witness_username", "witness_password", "witness_token"):
            values.pop(name)
        return values

    def witness_credentials(self) -> dict:
        return {
            "username": self.cleaned_data["witness_username"],
            "password": self.cleaned_data["witness_password"],
            "token": self.cleaned_data["witness_token"],
        }

    @property
    def asks_outside_usual_confirmation(self) -> bool:
        """Show the confirmation when the service said the dose is outside the usual range, or
        when the clinician already ticked it."""
        if not self.is_bound:
            return False
        if self.data.get(self.add_prefix("confirm_outside_usual")):
            return True
        return any(
            error.code == OUTSIDE_USUAL for error in self.errors.as_data().get("dose_given_mg", [])
        )


class VitalsForm(StageForm):
    time_fields = ("taken_at",)
    taken_at = _time("Time")
    systolic = _vital("Systolic (mmHg)", 50, 300, required=False)
    diastolic = _vital("Diastolic (mmHg)", 20, 200, required=False)
    heart_rate = _vital("Heart rate", 20, 250, required=False)
    spo2 = _vital("SpO2 (%)", 50, 100, required=False)
    respiratory_rate = _vital("Resp. rate", 4, 60, required=False)
    sedation_moaa_s = forms.TypedChoiceField(
        label="Sedation (MOAA/S)",
        required=False,
        coerce=int,
        empty_value=None,
        choices=[
            ("", "Not assessed"),
            *(
                (str(score), f"{score}: {response} ({depth})")
                for score, (response, depth) in rules.MOAA_S_SCALE.items()
            ),
        ],
    )
    dissociation = _vital("Dissociation (CADSS-6, 0-24)", 0, 24, required=False)


class EventForm(StageForm):
    time_fields = ("occurred_at",)
    kind = forms.ChoiceField(label="What happened", choices=SessionEvent.Kind.choices)
    effect = forms.ChoiceField(
        label="Side effect", required=False, choices=[("", "—"), *SessionEvent.Effect.choices]
    )
    severity = forms.ChoiceField(
        label="Severity", required=False, choices=[("", "—"), *SessionEvent.Severity.choices]
    )
    description = forms.CharField(label="Description", max_length=1000, required=False)
    occurred_at = _time("Time")
    escalated = forms.BooleanField(label="Escalated", required=False)


class StopTimeForm(StageForm):
    """The infusion's stop time, recorded during monitoring when it was not with the dose."""

    time_fields = ("stopped_at",)
    stopped_at = _time("Infusion stop time")


class DischargeForm(StageForm):
    time_fields = ("discharged_at", "ready_to_leave_at")
    escort_present = forms.BooleanField(label="The escort is present", required=False)
    vitals_accepted_note = forms.CharField(
        label="Accept these vitals (note)",
        max_length=500,
        required=False,
        help_text=(
            "Only when the last vitals are outside the normal ranges: why discharge is safe."
        ),
    )
    discharged_at = _time("Discharge time")
    ready_to_leave_at = _time(
        "Would have been ready to leave at (without the 2-hour rule)", required=False
    )
    instructions_given = forms.BooleanField(
        label="Discharge instructions given: no driving until the next day", required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, label in rules.ALDRETE_CRITERIA:
            self.fields[f"aldrete_{name}"] = forms.TypedChoiceField(
                label=label,
                coerce=int,
                choices=[
                    (str(score), f"{score}: {text}")
                    for score, text in enumerate(rules.ALDRETE_OPTIONS[name])
                ],
                # Drawn by hand in a fieldset per criterion (the legend names it).
                widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
            )

    def aldrete_fields(self):
        return [self[f"aldrete_{name}"] for name, _ in rules.ALDRETE_CRITERIA]

    def service_kwargs(self) -> dict:
        values = super().service_kwargs()
        values["aldrete"] = {
            name: values.pop(f"aldrete_{name}") for name, _ in rules.ALDRETE_CRITERIA
        }
        return values


class AddendumForm(ClinicForm):
    text = forms.CharField(
        label="Addendum", max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )

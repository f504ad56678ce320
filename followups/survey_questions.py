"""The questions of a check-in survey: its steps and the form behind each.

A "checkin" survey (the day after a session) asks how the patient feels, which side effects they
have had, the GAD-7's seven items since the treatment and the safety question (PHQ-9 item 9).
Asked "since your treatment", not "over the last 2 weeks", those seven are not the GAD-7: they
are stored as their own instrument (the 24-hour anxiety check-in), a total with no severity
band, never compared with a GAD-7. A "scores" survey asks the GAD-7 and the PHQ-9 over the last
two weeks, each with its published stem.

Each step's answers are stored as the patient typed them (only the form's own fields) and are
validated by the same form on "Next" and again when the survey is sent, so the server is the
only judge of what is complete and what the scores are.
"""

from dataclasses import dataclass

from django import forms
from django.utils.datastructures import MultiValueDict

from clinic.forms import ClinicForm
from clinic.text_input import without_control_characters
from intake import scoring
from intake.questionnaire import CHOOSE_HOW_DIFFICULT, CHOOSE_HOW_OFTEN, _radio

SINCE_TREATMENT_STEM = (
    "Since your treatment, how often have you been bothered by the following problems?"
)
SAFETY_STEM = "Since your treatment, how often have you been bothered by this?"

FEELING_CHOICES: tuple[tuple[str, str], ...] = (
    ("0", "0 (very bad)"),
    *((str(value), str(value)) for value in range(1, 10)),
    ("10", "10 (very good)"),
)
SIDE_EFFECTS: tuple[tuple[str, str], ...] = (
    ("nausea", "Nausea or vomiting"),
    ("dizziness", "Dizziness or unsteadiness"),
    ("headache", "Headache"),
    ("dissociation", "Feeling disconnected or unreal (lasting)"),
    ("drowsiness", "Drowsiness or tiredness"),
    ("anxiety", "Anxiety or agitation"),
    ("urinary", "Pain or burning when passing urine"),
    ("vision", "Blurred or double vision"),
    ("other", "Other"),
)
SEVERITIES: tuple[tuple[str, str], ...] = (
    ("none", "None"),
    ("mild", "Mild"),
    ("moderate", "Moderate"),
    ("severe", "Severe"),
)
OTHER_DETAIL_LIMIT = 300
# A value longer than this is never stored, even in a draft (the form refuses it anyway).
_DRAFT_VALUE_LIMIT = 300

_ANSWER_CHOICES = [(str(value), label) for value, label in scoring.ANSWER_CHOICES]


def _how_often(label: str) -> forms.Field:
    """A GAD-7 or PHQ-9 item: "Not at all" to "Nearly every day"."""
    return _radio(label, _ANSWER_CHOICES, required_message=CHOOSE_HOW_OFTEN)


class FeelingForm(ClinicForm):
    """How the patient feels overall, and each side effect with how bad it has been."""

    feeling = _radio(
        "Overall, how are you feeling today?",
        FEELING_CHOICES,
        help_text="0 is the worst you could feel, 10 the best.",
        required_message="Choose a number from 0 (very bad) to 10 (very good).",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for code, label in SIDE_EFFECTS:
            self.fields[f"side_{code}"] = _radio(
                label, SEVERITIES, required_message="Choose how bad it has been, or “None”."
            )
        self.fields["side_other_detail"] = forms.CharField(
            label="What was the other side effect?",
            required=False,
            max_length=OTHER_DETAIL_LIMIT,
        )

    def side_effect_fields(self):
        return [self[f"side_{code}"] for code, _label in SIDE_EFFECTS]

    def clean(self):
        cleaned = super().clean()
        other = cleaned.get("side_other")
        if other and other != "none" and not cleaned.get("side_other_detail"):
            self.add_error("side_other_detail", "Tell us what the other side effect was.")
        return cleaned

    def results(self) -> dict:
        side_effects = []
        for code, _label in SIDE_EFFECTS:
            severity = self.cleaned_data[f"side_{code}"]
            if severity == "none":
                continue
            reported = {"effect": code, "severity": severity}
            if code == "other":
                reported["detail"] = self.cleaned_data["side_other_detail"]
            side_effects.append(reported)
        return {"feeling": int(self.cleaned_data["feeling"]), "side_effects": side_effects}


class Gad7Form(ClinicForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for number, text in enumerate(scoring.GAD7_ITEMS, start=1):
            self.fields[f"gad7_{number}"] = _how_often(f"{number}. {text}")

    def results(self) -> dict:
        count = len(scoring.GAD7_ITEMS)
        return {"gad7": [int(self.cleaned_data[f"gad7_{n}"]) for n in range(1, count + 1)]}


class CheckinAnxietyForm(ClinicForm):
    """The GAD-7's items "since your treatment": the 24-hour anxiety check-in."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for number, text in enumerate(scoring.GAD7_ITEMS, start=1):
            self.fields[f"anxiety_{number}"] = _how_often(f"{number}. {text}")

    def results(self) -> dict:
        count = len(scoring.GAD7_ITEMS)
        return {
            "checkin_anxiety": [int(self.cleaned_data[f"anxiety_{n}"]) for n in range(1, count + 1)]
        }


def checkin_anxiety_total(answers: list[int] | tuple[int, ...]) -> int:
    """The 24-hour anxiety check-in's total, 0-21. No severity band: the GAD-7's bands belong to
    its own two-week recall."""
    if len(answers) != len(scoring.GAD7_ITEMS):
        raise ValueError(f"expected {len(scoring.GAD7_ITEMS)} answers, got {len(answers)}")
    if any(isinstance(value, bool) or value not in (0, 1, 2, 3) for value in answers):
        raise ValueError(f"answers {answers!r} are not each one of 0, 1, 2, 3")
    return sum(answers)


class SafetyForm(ClinicForm):
    """PHQ-9 item 9 on its own. Named as in the PHQ-9 so the crisis resources appear as soon
    as it is answered above "Not at all" (static/intake/crisis.js)."""

    phq9_9 = _how_often(scoring.PHQ9_ITEMS[8])

    def results(self) -> dict:
        return {"safety_answer": int(self.cleaned_data["phq9_9"])}


class Phq9Form(ClinicForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for number, text in enumerate(scoring.PHQ9_ITEMS, start=1):
            self.fields[f"phq9_{number}"] = _how_often(f"{number}. {text}")
        self.fields["phq9_difficulty"] = _radio(
            scoring.DIFFICULTY_QUESTION, scoring.DIFFICULTY_CHOICES, required=False
        )

    def clean(self):
        cleaned = super().clean()
        answered = [cleaned.get(f"phq9_{n}") for n in range(1, len(scoring.PHQ9_ITEMS) + 1)]
        if any(a not in (None, "0") for a in answered) and not cleaned.get("phq9_difficulty"):
            self.add_error("phq9_difficulty", CHOOSE_HOW_DIFFICULT)
        return cleaned

    def results(self) -> dict:
        count = len(scoring.PHQ9_ITEMS)
        return {
            "phq9": [int(self.cleaned_data[f"phq9_{n}"]) for n in range(1, count + 1)],
            "phq9_difficulty": self.cleaned_data.get("phq9_difficulty") or "",
        }


@dataclass(frozen=True)
class Step:
    slug: str
    title: str
    form_class: type[forms.Form]
    # The question the items answer ("Over the last 2 weeks, how often...").
    stem: str = ""


CHECKIN_STEPS: tuple[Step, ...] = (
    Step("feeling", "How you are feeling", FeelingForm),
    Step("anxiety", "Anxiety since your treatment", CheckinAnxietyForm, SINCE_TREATMENT_STEM),
    Step("safety", "One more question", SafetyForm, SAFETY_STEM),
)
SCORES_STEPS: tuple[Step, ...] = (
    Step("gad7", "Anxiety", Gad7Form, scoring.GAD7_STEM),
    Step("phq9", "Mood", Phq9Form, scoring.PHQ9_STEM),
)
STEPS_BY_CONTENT: dict[str, tuple[Step, ...]] = {
    "checkin": CHECKIN_STEPS,
    "scores": SCORES_STEPS,
}
# What a survey's results hold before its steps fill them in (see ``survey_results_record``).
EMPTY_RESULTS: dict = {
    "gad7": None,
    "phq9": None,
    "checkin_anxiety": None,
    "phq9_difficulty": "",
    "safety_answer": None,
    "feeling": None,
    "side_effects": [],
}


def steps_for(content: str) -> tuple[Step, ...]:
    return STEPS_BY_CONTENT[content]


def bind_step(step: Step, data) -> forms.Form:
    """The step's form bound to ``data`` (a POST or a stored draft)."""
    if not isinstance(data, MultiValueDict):
        data = MultiValueDict({key: [value] for key, value in (data or {}).items()})
    return step.form_class(data)


def draft_form(step: Step, stored: dict | None) -> forms.Form:
    """The step's form showing a saved draft without errors the patient has not asked to see
    yet (they appear when they press the button to continue)."""
    return step.form_class(initial=stored or {})


def storable_answers(form: forms.Form) -> dict[str, str]:
    """The step's own fields as typed (nothing else the request carried), without any value
    longer than its field allows (oversized input is refused, never stored) and without
    control characters (a draft is saved whatever was typed: clinic.text_input)."""
    stored = {}
    for name, field in form.fields.items():
        key = form.add_prefix(name)
        if key not in form.data:
            continue
        values = form.data.getlist(key)
        value = without_control_characters(values[-1]) if values else ""
        limit = getattr(field, "max_length", None) or _DRAFT_VALUE_LIMIT
        if len(value) <= limit:
            stored[key] = value
    return stored

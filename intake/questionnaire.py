"""The patient's intake questionnaire: its steps and the form behind each.

Each step's answers are stored as the patient typed them (only the form's own fields) and are
validated by the same form on Next and again at submission, so the server is the only judge of
what is complete and what the scores are.
"""

from dataclasses import dataclass
from decimal import Decimal

from django import forms
from django.core.validators import RegexValidator
from django.utils import timezone
from phonenumber_field.formfields import PhoneNumberField

from clinic.forms import ClinicForm

from . import scoring, units
from .consent import CONSENT_TO_TREATMENT, PRIVACY_NOTICE
from .form_fields import US_STATES, PhoneInput

REQUIRED = "Please answer this question."
# What a missing answer asks for, said the way the question is answered (not "This field is
# required."). The error summary puts the question's label before it.
CHOOSE_HOW_OFTEN = (
    "Choose how often you were bothered by this, from “Not at all” to “Nearly every day”."
)
CHOOSE_HOW_DIFFICULT = (
    "Choose how difficult these problems have made your work, home life or time with others."
)
CHOOSE_YES_NO_UNSURE = "Choose Yes, No or Not sure."
YES_NO_UNSURE = [("no", "No"), ("yes", "Yes"), ("unsure", "Not sure")]
TEXT_LIMIT = 2000


def _radio(
    label: str,
    choices,
    *,
    required: bool = True,
    help_text: str = "",
    required_message: str = REQUIRED,
) -> forms.Field:
    return forms.ChoiceField(
        label=label,
        choices=choices,
        widget=forms.RadioSelect,
        required=required,
        help_text=help_text,
        error_messages={
            "required": required_message,
            "invalid_choice": "Choose one of the options.",
        },
    )


def _text(
    label: str,
    *,
    required: bool = False,
    limit: int = TEXT_LIMIT,
    rows: int = 3,
    required_message: str = REQUIRED,
    **kw,
):
    return forms.CharField(
        label=label,
        required=required,
        max_length=limit,
        widget=forms.Textarea(attrs={"rows": rows}),
        error_messages={"required": required_message},
        **kw,
    )


def _feet_and_inches(inches) -> str:
    feet, rest = divmod(int(inches), 12)
    return f"{feet} ft {rest} in"


# The "About you" step refuses a height or weight no adult patient measures, by the clinic's
# one rule for every form (intake/units.py), said in the feet and inches the step asks for.
HEIGHT_RANGE = (
    f"Enter a height between {_feet_and_inches(units.HEIGHT_IN_MIN)} and "
    f"{_feet_and_inches(units.HEIGHT_IN_MAX)}."
)
PHONE_EXAMPLE = "Enter a valid phone number, e.g. (512) 555-0143."


class AboutYouForm(ClinicForm):
    preferred_name = forms.CharField(
        label="Preferred name (optional)", required=False, max_length=100
    )
    email = forms.EmailField(
        label="Email",
        max_length=254,
        error_messages={
            "required": "Enter your email address, e.g. name@example.com.",
            "invalid": "Enter an email like name@example.com.",
        },
    )
    mobile = PhoneNumberField(
        label="Mobile phone",
        region="US",
        widget=PhoneInput(region="US"),
        error_messages={
            "required": "Enter your mobile phone number, e.g. (512) 555-0143.",
            "invalid": PHONE_EXAMPLE,
        },
    )
    address_line1 = forms.CharField(
        label="Street address",
        max_length=200,
        error_messages={"required": "Enter your street address, e.g. 12 Oak Street."},
    )
    city = forms.CharField(
        label="City", max_length=100, error_messages={"required": "Enter your city or town."}
    )
    state = forms.ChoiceField(
        label="State", choices=US_STATES, error_messages={"required": "Choose your state."}
    )
    postal_code = forms.CharField(
        label="ZIP code",
        max_length=10,
        validators=[RegexValidator(r"^\d{5}(-\d{4})?$", "Enter a 5-digit ZIP code, e.g. 78701.")],
        error_messages={"required": "Enter your 5-digit ZIP code, e.g. 78701."},
    )
    emergency_contact_name = forms.CharField(
        label="Emergency contact's name",
        max_length=200,
        error_messages={"required": "Enter the name of someone we can call in an emergency."},
    )
    emergency_contact_relationship = forms.CharField(
        label="Their relationship to you",
        max_length=60,
        error_messages={"required": "Enter how they are related to you, e.g. spouse or friend."},
    )
    emergency_contact_phone = PhoneNumberField(
        label="Their phone number",
        region="US",
        widget=PhoneInput(region="US"),
        error_messages={
            "required": "Enter your emergency contact's phone number, e.g. (512) 555-0144.",
            "invalid": PHONE_EXAMPLE,
        },
    )
    height_feet = forms.IntegerField(
        label="Height: feet",
        min_value=int(units.HEIGHT_IN_MIN) // 12,
        max_value=int(units.HEIGHT_IN_MAX) // 12,
        error_messages={
            "required": "Enter your height in feet, e.g. 5 for 5 ft 6 in.",
            "invalid": "Enter your height in whole feet, e.g. 5 for 5 ft 6 in.",
            "min_value": HEIGHT_RANGE,
            "max_value": (
                f"Enter your height in feet, from {int(units.HEIGHT_IN_MIN) // 12} to "
                f"{int(units.HEIGHT_IN_MAX) // 12} (for 5 ft 6 in, enter 5 here and 6 in inches)."
            ),
        },
    )
    height_inches = forms.IntegerField(
        label="Height: inches",
        min_value=0,
        max_value=11,
        error_messages={
            "required": "Enter the inches of your height, from 0 to 11 (0 if none).",
            "invalid": "Enter the inches of your height as a whole number, from 0 to 11.",
            "min_value": "Enter the inches of your height, from 0 to 11.",
            "max_value": "Enter the inches of your height, from 0 to 11.",
        },
    )
    weight_lb = forms.DecimalField(
        label="Weight (pounds)",
        min_value=units.WEIGHT_LB_MIN,
        max_value=units.WEIGHT_LB_MAX,
        max_digits=5,
        decimal_places=1,
        error_messages={
            "required": "Enter your weight in pounds, e.g. 154.",
            "invalid": "Enter your weight in pounds as a number, e.g. 154.",
            "min_value": units.WEIGHT_RANGE_MESSAGE,
            "max_value": units.WEIGHT_RANGE_MESSAGE,
            "max_digits": units.WEIGHT_RANGE_MESSAGE,
            "max_whole_digits": units.WEIGHT_RANGE_MESSAGE,
            "max_decimal_places": "Enter your weight to one decimal place at most, e.g. 154.5.",
        },
    )

    def clean(self):
        cleaned = super().clean()
        feet, inches = cleaned.get("height_feet"), cleaned.get("height_inches")
        height_in = Decimal(feet * 12 + inches) if None not in (feet, inches) else None
        problems = units.implausible_measurement(
            weight_lb=cleaned.get("weight_lb"), height_in=height_in
        )
        if "height" in problems:
            self.add_error("height_feet", HEIGHT_RANGE)
        if "weight" in problems and "weight_lb" not in self.errors:
            self.add_error("weight_lb", problems["weight"])
        return cleaned


DIAGNOSES = [
    ("gad", "Generalized anxiety disorder"),
    ("social_anxiety", "Social anxiety disorder"),
    ("panic", "Panic disorder"),
    ("depression", "Depression"),
    ("ptsd", "Post-traumatic stress disorder (PTSD)"),
    ("ocd", "Obsessive-compulsive disorder (OCD)"),
    ("bipolar", "Bipolar disorder"),
    ("other", "Another mental-health diagnosis"),
]
TREATMENTS = [
    ("ssri", "SSRIs (for example sertraline, escitalopram, fluoxetine)"),
    ("snri", "SNRIs (for example venlafaxine, duloxetine)"),
    ("bupropion", "Bupropion (Wellbutrin)"),
    ("benzodiazepine", "Benzodiazepines (for example alprazolam, clonazepam)"),
    ("other_medication", "Other medications for mood or anxiety"),
    ("psychotherapy", "Psychotherapy or CBT"),
    ("ect_tms", "ECT or TMS"),
    ("ketamine", "Ketamine or esketamine (Spravato) before"),
]
TREATMENT_OUTCOMES = [
    ("not_tried", "Not tried"),
    ("helped", "Tried: it helped"),
    ("partly", "Tried: it helped a little"),
    ("no_help", "Tried: it did not help"),
]


class MentalHealthHistoryForm(ClinicForm):
    diagnoses = forms.MultipleChoiceField(
        label="Which of these have you been diagnosed with?",
        choices=DIAGNOSES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Tick all that apply, then tell us the year of each diagnosis.",
    )
    other_diagnosis = forms.CharField(label="Other diagnosis", required=False, max_length=200)

    hospitalised = _radio(
        "Have you ever stayed in hospital for your mental health?",
        YES_NO_UNSURE,
        required_message=CHOOSE_YES_NO_UNSURE,
    )
    hospitalisation_details = _text("When, and for how long? (optional)", limit=1000)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        this_year = timezone.localdate().year
        for code, label in DIAGNOSES:
            self.fields[f"since_{code}"] = forms.IntegerField(
                label=f"{label}: year diagnosed",
                required=False,
                min_value=1920,
                max_value=this_year,
                error_messages={
                    "invalid": "Enter the year as four digits, e.g. 2015.",
                    "min_value": "Enter a year like 2015.",
                    "max_value": "That year hasn't happened yet.",
                },
            )
        for code, label in TREATMENTS:
            self.fields[f"treatment_{code}"] = _radio(
                label,
                TREATMENT_OUTCOMES,
                required_message="Choose “Not tried”, or whether it helped when you tried it.",
            )

    def clean(self):
        cleaned = super().clean()
        chosen = set(cleaned.get("diagnoses") or [])
        for code, _label in DIAGNOSES:
            if (
                code in chosen
                and not cleaned.get(f"since_{code}")
                and f"since_{code}" not in self.errors
            ):
                self.add_error(f"since_{code}", "Enter the year (your best guess is fine).")
        if "other" in chosen and not cleaned.get("other_diagnosis"):
            self.add_error("other_diagnosis", "Tell us the other diagnosis.")
        return cleaned

    def failed_treatments(self) -> list[str]:
        return [
            code
            for code, _ in TREATMENTS
            if self.cleaned_data.get(f"treatment_{code}") == "no_help"
        ]


SYMPTOMS = [
    ("worry", "Constant or hard-to-control worry"),
    ("panic", "Panic attacks"),
    ("avoidance", "Avoiding places, people or situations"),
    ("sleep", "Trouble sleeping"),
    ("low_mood", "Low mood or hopelessness"),
    ("no_interest", "Loss of interest or pleasure"),
    ("irritability", "Irritability"),
    ("concentration", "Trouble concentrating"),
    ("tension", "Muscle tension, racing heart or other physical symptoms"),
    ("intrusive", "Intrusive memories, flashbacks or nightmares"),
]
GOALS = [
    ("less_worry", "Worry less"),
    ("fewer_panic", "Fewer panic attacks"),
    ("sleep", "Sleep better"),
    ("mood", "Feel better in my mood"),
    ("work", "Get back to work or study"),
    ("relationships", "Better relationships"),
    ("fewer_medications", "Need fewer medications"),
]


class SymptomsGoalsForm(ClinicForm):
    symptoms = forms.MultipleChoiceField(
        label="Which of these are you experiencing now?",
        choices=SYMPTOMS,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    symptoms_details = _text(
        "In your own words, what is hardest for you right now?",
        required=True,
        required_message="Tell us in a few words what is hardest for you right now.",
    )
    goals = forms.MultipleChoiceField(
        label="What would you like treatment to help with?",
        choices=GOALS,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    goals_details = _text("Anything else you hope to get from treatment? (optional)")


SCREENING_QUESTIONS = [
    ("psychosis", "Have you ever been diagnosed with psychosis or schizophrenia, or had hallucinations or delusions?"),
    ("mania", "Have you ever had mania, or been diagnosed with bipolar disorder?"),
    ("substance_use", "In the past year, have you had problems with alcohol or drugs, including ketamine, PCP or other dissociatives?"),
    ("ketamine_reaction", "Have you ever had a bad reaction to ketamine or esketamine?"),
    ("high_blood_pressure", "Do you have high blood pressure?"),
    ("heart_disease", "Do you have heart disease (for example heart failure, angina or an irregular heartbeat)?"),
    ("heart_attack_stroke", "Have you ever had a heart attack or a stroke?"),
    ("brain_vascular", "Have you ever had an aneurysm, an arteriovenous malformation (AVM) or bleeding in the brain?"),
    ("seizures", "Do you have seizures or epilepsy?"),
    ("liver_disease", "Do you have liver disease (for example cirrhosis or hepatitis)?"),
    ("glaucoma", "Do you have glaucoma, or have you been told you have raised pressure inside your head?"),
    ("pregnancy", "Are you pregnant, trying to become pregnant, or breastfeeding?"),
    ("bladder", "Do you have bladder problems (for example pain or needing to pass urine often)?"),
]  # fmt: skip
PREGNANCY_CHOICES = [
    ("no", "No"),
    ("yes", "Yes"),
    ("unsure", "Not sure"),
    ("not_applicable", "Not applicable"),
]


class MedicalHistoryForm(ClinicForm):
    medical_details = _text(
        "If you answered Yes or Not sure to any question, tell us more (optional)"
    )
    allergies = _radio(
        "Are you allergic to any medicines?", YES_NO_UNSURE, required_message=CHOOSE_YES_NO_UNSURE
    )
    allergy_details = _text("Which medicines, and what happened?", limit=1000)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        fields = {}
        for code, question in SCREENING_QUESTIONS:
            if code == "pregnancy":
                choices, message = PREGNANCY_CHOICES, "Choose Yes, No, Not sure or Not applicable."
            else:
                choices, message = YES_NO_UNSURE, CHOOSE_YES_NO_UNSURE
            fields[f"screen_{code}"] = _radio(question, choices, required_message=message)
        # Questions first, then the free text, in the order the patient reads them.
        self.fields = {**fields, **self.fields}

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("allergies") == "yes" and not cleaned.get("allergy_details"):
            self.add_error("allergy_details", "Tell us which medicines you are allergic to.")
        return cleaned


class MedicationRowForm(ClinicForm):
    name = forms.CharField(label="Medication", max_length=120, required=False)
    dose = forms.CharField(label="Dose", max_length=60, required=False, help_text="e.g. 20 mg")
    frequency = forms.CharField(
        label="How often", max_length=60, required=False, help_text="e.g. once a day"
    )

    def clean(self):
        cleaned = super().clean()
        if (cleaned.get("dose") or cleaned.get("frequency")) and not cleaned.get("name"):
            self.add_error("name", "Enter the medication's name.")
        return cleaned


MEDICATION_ROWS_MIN = 3
MEDICATION_ROWS_MAX = 30
MedicationFormSet = forms.formset_factory(
    MedicationRowForm,
    extra=0,
    min_num=MEDICATION_ROWS_MIN,
    max_num=MEDICATION_ROWS_MAX,
    validate_max=True,
    absolute_max=MEDICATION_ROWS_MAX,
)


class MedicationsForm(ClinicForm):
    no_medications = forms.BooleanField(label="I don't take any medications", required=False)


class QuestionnairesForm(ClinicForm):
    gad7_stem = scoring.GAD7_STEM
    phq9_stem = scoring.PHQ9_STEM

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [(str(value), label) for value, label in scoring.ANSWER_CHOICES]
        for number, text in enumerate(scoring.GAD7_ITEMS, start=1):
            self.fields[f"gad7_{number}"] = _radio(
                f"{number}. {text}", choices, required_message=CHOOSE_HOW_OFTEN
            )
        for number, text in enumerate(scoring.PHQ9_ITEMS, start=1):
            self.fields[f"phq9_{number}"] = _radio(
                f"{number}. {text}", choices, required_message=CHOOSE_HOW_OFTEN
            )
        self.fields["phq9_difficulty"] = _radio(
            scoring.DIFFICULTY_QUESTION, scoring.DIFFICULTY_CHOICES, required=False
        )

    def gad7_answers(self) -> list[int]:
        return [int(self.cleaned_data[f"gad7_{n}"]) for n in range(1, len(scoring.GAD7_ITEMS) + 1)]

    def phq9_answers(self) -> list[int]:
        return [int(self.cleaned_data[f"phq9_{n}"]) for n in range(1, len(scoring.PHQ9_ITEMS) + 1)]

    def clean(self):
        cleaned = super().clean()
        answered = [cleaned.get(f"phq9_{n}") for n in range(1, 10)]
        if any(a not in (None, "0") for a in answered) and not cleaned.get("phq9_difficulty"):
            self.add_error("phq9_difficulty", CHOOSE_HOW_DIFFICULT)
        return cleaned


def _normalise_name(name: str) -> str:
    return " ".join(name.split()).casefold()


class ConsentForm(ClinicForm):
    agree_treatment = forms.BooleanField(
        label="I have read the consent to treatment above and I agree to it.",
        error_messages={"required": "You need to agree to the consent to treatment to continue."},
    )
    agree_privacy = forms.BooleanField(
        label="I have read the privacy notice.",
        error_messages={"required": "Please confirm you have read the privacy notice."},
    )
    signature = forms.CharField(
        label="Type your full legal name to sign",
        max_length=200,
        error_messages={"required": "Type your full legal name to sign."},
    )

    consent_text = CONSENT_TO_TREATMENT
    privacy_text = PRIVACY_NOTICE

    def __init__(self, *args, legal_name: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.legal_name = legal_name
        if legal_name:
            self.fields["signature"].help_text = f"Exactly as on your record: {legal_name}"

    def clean_signature(self):
        signature = " ".join(self.cleaned_data["signature"].split())
        if self.legal_name and _normalise_name(signature) != _normalise_name(self.legal_name):
            raise forms.ValidationError(
                "The name you typed doesn't match the legal name on your record. "
                "Type your first and last name as they appear above."
            )
        return signature


class ReviewForm(ClinicForm):
    confirm = forms.BooleanField(
        label="The answers above are true and complete to the best of my knowledge.",
        error_messages={"required": "Please confirm your answers before you submit."},
    )


@dataclass(frozen=True)
class Step:
    slug: str
    title: str
    form_class: type[forms.Form]


STEPS: tuple[Step, ...] = (
    Step("about", "About you", AboutYouForm),
    Step("history", "Mental-health history", MentalHealthHistoryForm),
    Step("symptoms", "Symptoms and goals", SymptomsGoalsForm),
    Step("medical", "Medical history", MedicalHistoryForm),
    Step("medications", "Current medications", MedicationsForm),
    Step("questionnaires", "How you have been feeling", QuestionnairesForm),
    Step("consent", "Consent", ConsentForm),
    Step("review", "Review and submit", ReviewForm),
)
STEP_SLUGS = tuple(step.slug for step in STEPS)
STEP_BY_SLUG = {step.slug: step for step in STEPS}

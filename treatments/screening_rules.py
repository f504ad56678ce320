"""Who is not a good candidate for ketamine treatment: the screening rules, as data.

Each rule reads like a line of the clinical list it implements: an id, what it checks, how
serious it is, and a condition that returns the evidence (which answer or finding it came
from) when it applies. No Django here: the rules are tested exhaustively on plain facts.

Results:
- NOT_A_CANDIDATE: an absolute contraindication is present;
- NEEDS_REVIEW: a relative contraindication, a flagged medication, PHQ-9 item 9 above 0, or
  missing or contradictory information;
- ELIGIBLE: none of the above. Missing information never yields ELIGIBLE.

The thresholds (minimum age, blood pressure, pulse, BMI) are the clinic's settings: they come
in on ``Facts.limits`` (built by ``treatments.limits.screening_limits``), and a rule's
description quotes them, so the words shown match the figures applied.

Change a rule: change RULESET_VERSION too. Every stored screening records the version used.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum

RULESET_VERSION = "2026.12-1"

# Ages at which a pregnancy test is expected for anyone not recorded as male at birth.
PREGNANCY_TEST_AGES = range(12, 56)


class Result(StrEnum):
    NOT_A_CANDIDATE = "not_a_candidate"
    NEEDS_REVIEW = "needs_review"
    ELIGIBLE = "eligible"


RESULT_LABELS = {
    Result.NOT_A_CANDIDATE: "Not a candidate",
    Result.NEEDS_REVIEW: "Needs clinician review",
    Result.ELIGIBLE: "Eligible",
}


class Severity(StrEnum):
    ABSOLUTE = "absolute"  # not a candidate
    RELATIVE = "relative"  # needs a clinician's review
    MISSING = "missing"  # information missing or contradictory: needs review


SEVERITY_LABELS = {
    Severity.ABSOLUTE: "Absolute contraindication",
    Severity.RELATIVE: "Relative contraindication",
    Severity.MISSING: "Missing or contradictory information",
}


@dataclass(frozen=True)
class ScreeningLimits:
    """The clinic's thresholds the rules apply (settings; see treatments.limits)."""

    min_age: int  # younger: not a candidate
    # Blood pressure at the assessment (mmHg). Above "review": a clinician must look (the same
    # figures gate a dose at the session); at or above "severe": uncontrolled hypertension, not a
    # candidate until it is treated.
    bp_review_systolic: int
    bp_review_diastolic: int
    bp_severe_systolic: int
    bp_severe_diastolic: int
    pulse_low: int  # outside low-high: review
    pulse_high: int
    bmi_review: float  # at or above: review

    @property
    def bp_review(self) -> str:
        return f"{self.bp_review_systolic}/{self.bp_review_diastolic}"

    @property
    def bp_severe(self) -> str:
        return f"{self.bp_severe_systolic}/{self.bp_severe_diastolic}"


@dataclass(frozen=True)
class Facts:
    """What the rules look at, from the submitted intake and the clinician's assessment.

    ``screening`` holds the intake's screening answers by question code ("yes", "no",
    "unsure", "not_applicable", or None when not answered); the rest are None when unknown.
    ``limits`` are the clinic's thresholds, always given (no figure is assumed here).
    """

    limits: ScreeningLimits = field(kw_only=True)

    intake_submitted: bool = False
    screening: dict[str, str | None] = field(default_factory=dict)
    questions: dict[str, str] = field(default_factory=dict)  # code -> the question's words
    diagnoses: tuple[str, ...] = ()
    medication_classes: tuple[tuple[str, str], ...] = ()  # (class, medication as written)
    phq9_item9: int | None = None
    sex_at_birth: str | None = None
    age: int | None = None
    # The clinician's assessment
    assessment_recorded: bool = False
    systolic: int | None = None
    diastolic: int | None = None
    pulse: int | None = None
    bmi: float | None = None
    pregnancy_test: str | None = None  # "positive", "negative", "not_applicable", "not_done"


@dataclass(frozen=True)
class Reason:
    rule_id: str
    description: str
    severity: Severity
    evidence: str


@dataclass(frozen=True)
class Rule:
    id: str
    # May quote the thresholds: "{limits.bp_review}" (str.format with limits=ScreeningLimits).
    description: str
    severity: Severity
    condition: Callable[[Facts], list[str]]  # the evidence for each time the rule applies

    def describe(self, limits: ScreeningLimits) -> str:
        """The description with the clinic's figures in it."""
        return self.description.format(limits=limits)


@dataclass(frozen=True)
class Outcome:
    result: Result
    reasons: tuple[Reason, ...]
    ruleset_version: str = RULESET_VERSION

    @property
    def label(self) -> str:
        return RESULT_LABELS[self.result]


# --- Conditions ---------------------------------------------------------------------------


def _answered(code: str, *answers: str) -> Callable[[Facts], list[str]]:
    def condition(facts: Facts) -> list[str]:
        answer = facts.screening.get(code)
        if answer in answers:
            question = facts.questions.get(code, code)
            return [f"Intake: “{question}” answered {_ANSWER_WORDS.get(answer, answer)}"]
        return []

    return condition


_ANSWER_WORDS = {"yes": "Yes", "no": "No", "unsure": "Not sure", "not_applicable": "Not applicable"}


def _any_unsure(facts: Facts) -> list[str]:
    return [
        f"Intake: “{facts.questions.get(code, code)}” answered Not sure"
        for code, answer in facts.screening.items()
        if answer == "unsure" and code != "pregnancy"
    ]


def _unanswered(facts: Facts) -> list[str]:
    if not facts.intake_submitted:
        return ["No submitted intake questionnaire"]
    if not facts.screening:
        return ["Intake: no screening answers"]
    # A question that was asked but has no entry in the answers is as unanswered as a None.
    asked = dict.fromkeys([*facts.questions, *facts.screening])
    missing = [
        f"Intake: “{facts.questions.get(code, code)}” not answered"
        for code in asked
        if facts.screening.get(code) is None
    ]
    if facts.phq9_item9 is None:
        missing.append("Intake: PHQ-9 item 9 (thoughts of self-harm) not answered")
    return missing


def _bp(facts: Facts) -> str:
    return f"Assessment: blood pressure {facts.systolic}/{facts.diastolic} mmHg"


def _bp_severe(facts: Facts) -> list[str]:
    if facts.systolic is None or facts.diastolic is None:
        return []
    limits = facts.limits
    if facts.systolic >= limits.bp_severe_systolic or facts.diastolic >= limits.bp_severe_diastolic:
        return [_bp(facts)]
    return []


def _bp_raised(facts: Facts) -> list[str]:
    if facts.systolic is None or facts.diastolic is None or _bp_severe(facts):
        return []
    limits = facts.limits
    if facts.systolic > limits.bp_review_systolic or facts.diastolic > limits.bp_review_diastolic:
        return [_bp(facts)]
    return []


def _pulse(facts: Facts) -> list[str]:
    if facts.pulse is None or facts.limits.pulse_low <= facts.pulse <= facts.limits.pulse_high:
        return []
    return [f"Assessment: pulse {facts.pulse} per minute"]


def _bmi(facts: Facts) -> list[str]:
    if facts.bmi is None or facts.bmi < facts.limits.bmi_review:
        return []
    return [f"Assessment: BMI {facts.bmi:.1f}"]


def _under_age(facts: Facts) -> list[str]:
    if facts.age is None or facts.age >= facts.limits.min_age:
        return []
    return [f"Patient: aged {facts.age}"]


def _patient_details_missing(facts: Facts) -> list[str]:
    """Age and sex at birth decide the age rule and whether a pregnancy test is expected:
    without them the screening cannot say Eligible."""
    missing = []
    if facts.age is None:
        missing.append("Patient: age unknown (no date of birth)")
    if not facts.sex_at_birth:
        missing.append("Patient: sex assigned at birth not recorded")
    return missing


def _pregnancy_test_positive(facts: Facts) -> list[str]:
    return ["Assessment: pregnancy test positive"] if facts.pregnancy_test == "positive" else []


def pregnancy_possible(sex_at_birth: str | None, age: int | None) -> bool:
    """Whether a pregnancy test applies: anyone not recorded as male at birth (female,
    intersex, not disclosed) aged 12-55. Used by screening and by the session's checks."""
    return sex_at_birth not in (None, "male") and age is not None and age in PREGNANCY_TEST_AGES


def _pregnancy_test_needed(facts: Facts) -> bool:
    return pregnancy_possible(facts.sex_at_birth, facts.age)


def _missing_assessment(facts: Facts) -> list[str]:
    if not facts.assessment_recorded:
        return ["No assessment findings recorded (blood pressure, pulse, BMI)"]
    missing = []
    if facts.systolic is None or facts.diastolic is None:
        missing.append("Assessment: blood pressure not recorded")
    if facts.pulse is None:
        missing.append("Assessment: pulse not recorded")
    if facts.bmi is None:
        missing.append("Assessment: BMI unknown (height or weight missing)")
    if _pregnancy_test_needed(facts) and facts.pregnancy_test in (
        None,
        "not_done",
        "not_applicable",
    ):
        missing.append("Assessment: no pregnancy test result for a patient who may be pregnant")
    return missing


def _medications(facts: Facts) -> list[str]:
    return [
        f"Intake medication: {medication} ({cls})" for cls, medication in facts.medication_classes
    ]


def _item9(facts: Facts) -> list[str]:
    if facts.phq9_item9 is not None and facts.phq9_item9 > 0:
        return [f"Intake: PHQ-9 item 9 (thoughts of self-harm) answered {facts.phq9_item9} of 3"]
    return []


def _contradictions(facts: Facts) -> list[str]:
    found = []
    if "bipolar" in facts.diagnoses and facts.screening.get("mania") == "no":
        found.append(
            "Intake: bipolar disorder listed as a diagnosis, but the mania question answered No"
        )
    if (
        facts.sex_at_birth == "female"
        and _pregnancy_test_needed(facts)
        and facts.screening.get("pregnancy") == "not_applicable"
    ):
        found.append(
            "Intake: pregnancy answered Not applicable by a patient assigned female at birth "
            f"aged {facts.age}"
        )
    if facts.screening.get("pregnancy") == "no" and facts.pregnancy_test == "positive":
        found.append("Intake says not pregnant, but the assessment's pregnancy test is positive")
    return found


# --- The rules ----------------------------------------------------------------------------

A, R, M = Severity.ABSOLUTE, Severity.RELATIVE, Severity.MISSING

RULES: tuple[Rule, ...] = (
    Rule("under-age", "Younger than {limits.min_age}, the clinic's minimum age (a minor cannot "
         "consent alone; esketamine is not approved under 18)", A, _under_age),
    Rule("psychosis", "History of psychosis or schizophrenia", A, _answered("psychosis", "yes")),
    Rule("ketamine-reaction", "Prior bad reaction to ketamine or esketamine", A,
         _answered("ketamine_reaction", "yes")),
    Rule("brain-vascular", "Aneurysmal vascular disease, arteriovenous malformation or "
         "intracerebral haemorrhage (esketamine label contraindications)", A,
         _answered("brain_vascular", "yes")),
    Rule("pregnancy", "Pregnant or breastfeeding", A, _answered("pregnancy", "yes")),
    Rule("pregnancy-test", "Positive pregnancy test", A, _pregnancy_test_positive),
    Rule("bp-severe", "Uncontrolled hypertension: blood pressure at or above "
         "{limits.bp_severe} at assessment", A, _bp_severe),
    Rule("mania", "Mania or bipolar disorder (needs a mood stabiliser; current mania excludes)", R,
         _answered("mania", "yes")),
    Rule("substance-use", "Substance use problems, especially ketamine, PCP or other "
         "dissociatives", R, _answered("substance_use", "yes")),
    Rule("hypertension-history", "High blood pressure", R, _answered("high_blood_pressure", "yes")),
    Rule("bp-raised", "Blood pressure above {limits.bp_review} at assessment", R, _bp_raised),
    Rule("heart-disease", "Significant heart disease", R, _answered("heart_disease", "yes")),
    Rule("heart-attack-stroke", "Heart attack or stroke (how recent?)", R,
         _answered("heart_attack_stroke", "yes")),
    Rule("seizures", "Seizures (are they controlled?)", R, _answered("seizures", "yes")),
    Rule("liver", "Significant liver disease", R, _answered("liver_disease", "yes")),
    Rule("raised-pressure", "Glaucoma or raised intracranial pressure", R,
         _answered("glaucoma", "yes")),
    Rule("bladder", "Bladder problems (ketamine can harm the bladder)", R, _answered("bladder", "yes")),
    Rule("pulse", "Pulse outside {limits.pulse_low}-{limits.pulse_high} at assessment", R,
         _pulse),
    Rule("bmi", "BMI {limits.bmi_review:g} or more (airway risk under sedation)", R, _bmi),
    Rule("medication", "Medication that blunts ketamine (benzodiazepines, lamotrigine) or "
         "raises risk (MAOIs, stimulants, opioids, other sedatives)", R, _medications),
    Rule("phq9-item9", "Thoughts of self-harm (PHQ-9 item 9 above 0)", R, _item9),
    Rule("pregnancy-unsure", "Not sure whether pregnant", M, _answered("pregnancy", "unsure")),
    Rule("unsure", "A screening question answered Not sure", M, _any_unsure),
    Rule("unanswered", "Screening information missing", M, _unanswered),
    Rule("patient-details-missing", "Age or sex assigned at birth missing", M,
         _patient_details_missing),
    Rule("assessment-missing", "Assessment findings missing", M, _missing_assessment),
    Rule("contradiction", "Contradictory information", M, _contradictions),
)  # fmt: skip


def screen(facts: Facts, rules: tuple[Rule, ...] = RULES) -> Outcome:
    reasons = tuple(
        Reason(rule.id, rule.describe(facts.limits), rule.severity, evidence)
        for rule in rules
        for evidence in rule.condition(facts)
    )
    severities = {reason.severity for reason in reasons}
    if Severity.ABSOLUTE in severities:
        result = Result.NOT_A_CANDIDATE
    elif severities:
        result = Result.NEEDS_REVIEW
    else:
        result = Result.ELIGIBLE
    return Outcome(result, reasons)


def failed_treatments(outcomes: dict[str, str]) -> list[str]:
    """Treatments tried that did not help: supporting evidence of treatment resistance."""
    return [code for code, outcome in outcomes.items() if outcome == "no_help"]

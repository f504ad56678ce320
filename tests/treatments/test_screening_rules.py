"""The candidacy screening rules on plain facts: each rule alone, at its boundaries, in
combination, and with information missing. No database: the rules are plain Python, given the
clinic's thresholds (here the domain's defaults, written out)."""

from dataclasses import dataclass, replace
from itertools import combinations

import pytest

from intake.questionnaire import SCREENING_QUESTIONS, TREATMENTS
from treatments.screening_rules import (
    RULES,
    RULESET_VERSION,
    Facts,
    Outcome,
    Result,
    ScreeningLimits,
    Severity,
    failed_treatments,
    screen,
)

QUESTION_WORDS = dict(SCREENING_QUESTIONS)
RULE_BY_ID = {rule.id: rule for rule in RULES}
RULE_ORDER = [rule.id for rule in RULES]
RESULT_FOR_SEVERITY = {
    Severity.ABSOLUTE: Result.NOT_A_CANDIDATE,
    Severity.RELATIVE: Result.NEEDS_REVIEW,
    Severity.MISSING: Result.NEEDS_REVIEW,
}

# The domain's defaults (the settings' defaults): adults from 18; blood pressure above 140/90
# reviewed, at or above 180/110 not a candidate; pulse 50-110; BMI 40.
LIMITS = ScreeningLimits(
    min_age=18,
    bp_review_systolic=140,
    bp_review_diastolic=90,
    bp_severe_systolic=180,
    bp_severe_diastolic=110,
    pulse_low=50,
    pulse_high=110,
    bmi_review=40.0,
)

# A 40-year-old man who answered every screening question No, with normal findings: nothing to
# flag, and no pregnancy test expected.
CLEAN = Facts(
    intake_submitted=True,
    screening={code: "no" for code, _ in SCREENING_QUESTIONS},
    questions=QUESTION_WORDS,
    diagnoses=("gad",),
    medication_classes=(),
    phq9_item9=0,
    sex_at_birth="male",
    age=40,
    assessment_recorded=True,
    systolic=120,
    diastolic=80,
    pulse=72,
    bmi=24.0,
    pregnancy_test=None,
    limits=LIMITS,
)
# No minimum age: the pregnancy rule's own age range (12-55) alone, without the minimum age's
# reason beside it.
ANY_AGE = replace(LIMITS, min_age=0)
# The same facts for a woman who may be pregnant, with the negative test the clinic expects.
OF_CHILDBEARING_AGE = {"sex_at_birth": "female", "age": 30, "pregnancy_test": "negative"}


def facts(answers: dict[str, str | None] | None = None, **changes) -> Facts:
    """The clean facts with some screening answers and findings changed."""
    return replace(CLEAN, screening={**CLEAN.screening, **(answers or {})}, **changes)


def rule_ids(outcome: Outcome) -> list[str]:
    return [reason.rule_id for reason in outcome.reasons]


def evidence_of(outcome: Outcome, rule_id: str) -> list[str]:
    return [reason.evidence for reason in outcome.reasons if reason.rule_id == rule_id]


def answered(code: str, answer: str) -> list[str]:
    return [QUESTION_WORDS[code], f"answered {answer}"]


def test_clean_facts_are_eligible_with_no_reasons():
    outcome = screen(CLEAN)

    assert outcome.result == Result.ELIGIBLE
    assert outcome.label == "Eligible"
    assert outcome.reasons == ()


def test_clean_facts_for_a_woman_with_a_negative_pregnancy_test_are_eligible():
    outcome = screen(facts(**OF_CHILDBEARING_AGE))

    assert outcome.result == Result.ELIGIBLE
    assert outcome.reasons == ()


# --- Every rule alone -----------------------------------------------------------------------


@dataclass(frozen=True)
class Alone:
    rule_id: str
    facts: Facts
    result: Result  # pinned here too, so a rule's severity cannot drift from the clinical list
    evidence: tuple[str, ...]  # words the reason's evidence must contain


def _yes(rule_id: str, code: str, result: Result, **changes) -> Alone:
    return Alone(rule_id, facts({code: "yes"}, **changes), result, tuple(answered(code, "Yes")))


NOT_A_CANDIDATE, NEEDS_REVIEW = Result.NOT_A_CANDIDATE, Result.NEEDS_REVIEW

ALONE = [
    Alone("under-age", facts(age=17), NOT_A_CANDIDATE, ("aged 17",)),
    _yes("psychosis", "psychosis", NOT_A_CANDIDATE),
    _yes("ketamine-reaction", "ketamine_reaction", NOT_A_CANDIDATE),
    _yes("brain-vascular", "brain_vascular", NOT_A_CANDIDATE),
    _yes("pregnancy", "pregnancy", NOT_A_CANDIDATE, **OF_CHILDBEARING_AGE),
    # Any "pregnancy" answer from a woman who may be pregnant would add a reason of its own
    # (contradiction, unsure, pregnant); a positive test is the only finding here.
    Alone(
        "pregnancy-test",
        facts({"pregnancy": "not_applicable"}, pregnancy_test="positive"),
        NOT_A_CANDIDATE,
        ("pregnancy test positive",),
    ),
    Alone(
        "bp-severe",
        facts(systolic=185, diastolic=95),
        NOT_A_CANDIDATE,
        ("blood pressure 185/95 mmHg",),
    ),
    _yes("mania", "mania", NEEDS_REVIEW),
    _yes("substance-use", "substance_use", NEEDS_REVIEW),
    _yes("hypertension-history", "high_blood_pressure", NEEDS_REVIEW),
    Alone("bp-raised", facts(systolic=150, diastolic=95), NEEDS_REVIEW, ("150/95 mmHg",)),
    _yes("heart-disease", "heart_disease", NEEDS_REVIEW),
    _yes("heart-attack-stroke", "heart_attack_stroke", NEEDS_REVIEW),
    _yes("seizures", "seizures", NEEDS_REVIEW),
    _yes("liver", "liver_disease", NEEDS_REVIEW),
    _yes("raised-pressure", "glaucoma", NEEDS_REVIEW),
    _yes("bladder", "bladder", NEEDS_REVIEW),
    Alone("pulse", facts(pulse=120), NEEDS_REVIEW, ("pulse 120 per minute",)),
    Alone("bmi", facts(bmi=41.5), NEEDS_REVIEW, ("BMI 41.5",)),
    Alone(
        "medication",
        facts(medication_classes=(("Benzodiazepine", "Xanax 0.5 mg"),)),
        NEEDS_REVIEW,
        ("Xanax 0.5 mg", "Benzodiazepine"),
    ),
    Alone("phq9-item9", facts(phq9_item9=2), NEEDS_REVIEW, ("PHQ-9 item 9", "2 of 3")),
    Alone(
        "pregnancy-unsure",
        facts({"pregnancy": "unsure"}, **OF_CHILDBEARING_AGE),
        NEEDS_REVIEW,
        tuple(answered("pregnancy", "Not sure")),
    ),
    Alone(
        "unsure",
        facts({"seizures": "unsure"}),
        NEEDS_REVIEW,
        tuple(answered("seizures", "Not sure")),
    ),
    Alone(
        "unanswered",
        facts({"bladder": None}),
        NEEDS_REVIEW,
        (QUESTION_WORDS["bladder"], "not answered"),
    ),
    Alone(
        "patient-details-missing",
        facts(sex_at_birth=None),
        NEEDS_REVIEW,
        ("sex assigned at birth not recorded",),
    ),
    Alone("assessment-missing", facts(pulse=None), NEEDS_REVIEW, ("pulse not recorded",)),
    Alone(
        "contradiction",
        facts(diagnoses=("gad", "bipolar")),
        NEEDS_REVIEW,
        ("bipolar", "mania question answered No"),
    ),
]


@pytest.mark.parametrize("case", ALONE, ids=[case.rule_id for case in ALONE])
def test_each_rule_alone(case: Alone):
    outcome = screen(case.facts)

    assert rule_ids(outcome) == [case.rule_id]
    assert outcome.result == case.result
    assert outcome.result == RESULT_FOR_SEVERITY[RULE_BY_ID[case.rule_id].severity]
    [reason] = outcome.reasons
    assert reason.description == RULE_BY_ID[case.rule_id].describe(LIMITS)
    for words in case.evidence:
        assert words in reason.evidence


def test_every_rule_has_a_test_of_its_own():
    tested = [case.rule_id for case in ALONE]

    assert len(tested) == len(set(tested))
    assert set(tested) == {rule.id for rule in RULES}
    assert len(RULE_ORDER) == len(set(RULE_ORDER)), "rule ids must be unique"


@pytest.mark.parametrize("code", [code for code, _ in SCREENING_QUESTIONS])
def test_every_screening_question_answered_yes_is_flagged_in_its_own_words(code):
    outcome = screen(facts({code: "yes"}, **OF_CHILDBEARING_AGE))

    assert outcome.result != Result.ELIGIBLE
    assert any(
        QUESTION_WORDS[code] in reason.evidence and "answered Yes" in reason.evidence
        for reason in outcome.reasons
    )


@pytest.mark.parametrize("code", [code for code, _ in SCREENING_QUESTIONS])
def test_every_screening_question_answered_not_sure_needs_review(code):
    outcome = screen(facts({code: "unsure"}, **OF_CHILDBEARING_AGE))

    expected = "pregnancy-unsure" if code == "pregnancy" else "unsure"
    assert outcome.result == Result.NEEDS_REVIEW
    assert rule_ids(outcome) == [expected]
    assert evidence_of(outcome, expected) == [f"Intake: “{QUESTION_WORDS[code]}” answered Not sure"]


# --- Boundaries -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("systolic", "diastolic", "result", "ids"),
    [
        (140, 90, Result.ELIGIBLE, []),
        (141, 90, Result.NEEDS_REVIEW, ["bp-raised"]),
        (140, 91, Result.NEEDS_REVIEW, ["bp-raised"]),
        (179, 109, Result.NEEDS_REVIEW, ["bp-raised"]),
        (180, 80, Result.NOT_A_CANDIDATE, ["bp-severe"]),
        (120, 110, Result.NOT_A_CANDIDATE, ["bp-severe"]),
        (180, 110, Result.NOT_A_CANDIDATE, ["bp-severe"]),
        (210, 125, Result.NOT_A_CANDIDATE, ["bp-severe"]),
    ],
)
def test_blood_pressure_boundaries(systolic, diastolic, result, ids):
    outcome = screen(facts(systolic=systolic, diastolic=diastolic))

    assert outcome.result == result
    assert rule_ids(outcome) == ids
    for reason in outcome.reasons:
        assert reason.evidence == f"Assessment: blood pressure {systolic}/{diastolic} mmHg"


@pytest.mark.parametrize(
    ("pulse", "ids"), [(50, []), (72, []), (110, []), (49, ["pulse"]), (111, ["pulse"])]
)
def test_pulse_boundaries(pulse, ids):
    outcome = screen(facts(pulse=pulse))

    assert rule_ids(outcome) == ids
    assert outcome.result == (Result.NEEDS_REVIEW if ids else Result.ELIGIBLE)
    assert evidence_of(outcome, "pulse") == [f"Assessment: pulse {pulse} per minute" for _ in ids]


@pytest.mark.parametrize(("bmi", "ids"), [(39.9, []), (40.0, ["bmi"]), (52.3, ["bmi"])])
def test_bmi_boundaries(bmi, ids):
    outcome = screen(facts(bmi=bmi))

    assert rule_ids(outcome) == ids
    assert outcome.result == (Result.NEEDS_REVIEW if ids else Result.ELIGIBLE)
    assert evidence_of(outcome, "bmi") == [f"Assessment: BMI {bmi:.1f}" for _ in ids]


@pytest.mark.parametrize(
    ("sex_at_birth", "age", "test_expected"),
    [
        ("female", 11, False),
        ("female", 12, True),
        ("female", 30, True),
        ("female", 55, True),
        ("female", 56, False),
        ("male", 30, False),
    ],
)
@pytest.mark.parametrize("pregnancy_test", [None, "not_done"])
def test_pregnancy_test_is_expected_for_women_aged_12_to_55(
    sex_at_birth, age, test_expected, pregnancy_test
):
    outcome = screen(
        facts(
            sex_at_birth=sex_at_birth,
            age=age,
            pregnancy_test=pregnancy_test,
            limits=ANY_AGE,
        )
    )

    if test_expected:
        assert outcome.result == Result.NEEDS_REVIEW
        assert rule_ids(outcome) == ["assessment-missing"]
        assert "no pregnancy test result" in outcome.reasons[0].evidence
    else:
        assert outcome.result == Result.ELIGIBLE
        assert outcome.reasons == ()


@pytest.mark.parametrize("age", [12, 55])
def test_a_negative_pregnancy_test_at_the_age_boundaries_is_eligible(age):
    outcome = screen(
        facts(sex_at_birth="female", age=age, pregnancy_test="negative", limits=ANY_AGE)
    )

    assert outcome.result == Result.ELIGIBLE


# --- Combinations ---------------------------------------------------------------------------


def test_absolute_and_relative_together_are_not_a_candidate_listing_both():
    outcome = screen(facts({"psychosis": "yes", "mania": "yes"}))

    assert outcome.result == Result.NOT_A_CANDIDATE
    assert outcome.label == "Not a candidate"
    assert rule_ids(outcome) == ["psychosis", "mania"]


def test_absolute_finding_with_missing_information_is_still_not_a_candidate():
    outcome = screen(facts({"bladder": None}, systolic=190, diastolic=100, pulse=None))

    assert outcome.result == Result.NOT_A_CANDIDATE
    assert rule_ids(outcome) == ["bp-severe", "unanswered", "assessment-missing"]


def test_several_relative_contraindications_need_review_listing_all():
    outcome = screen(
        facts({"seizures": "yes", "liver_disease": "yes"}, systolic=150, pulse=120, bmi=42.0)
    )

    assert outcome.result == Result.NEEDS_REVIEW
    assert outcome.label == "Needs clinician review"
    assert rule_ids(outcome) == ["bp-raised", "seizures", "liver", "pulse", "bmi"]


def test_a_flagged_medication_and_item_9_need_review_listing_both():
    outcome = screen(facts(medication_classes=(("Lamotrigine", "Lamictal 100 mg"),), phq9_item9=1))

    assert outcome.result == Result.NEEDS_REVIEW
    assert rule_ids(outcome) == ["medication", "phq9-item9"]


def test_two_flagged_medications_give_two_reasons_each_naming_its_medication():
    outcome = screen(
        facts(
            medication_classes=(
                ("Benzodiazepine", "clonazepam 0.5 mg at night"),
                ("MAOI", "Nardil"),
            )
        )
    )

    assert outcome.result == Result.NEEDS_REVIEW
    assert rule_ids(outcome) == ["medication", "medication"]
    assert evidence_of(outcome, "medication") == [
        "Intake medication: clonazepam 0.5 mg at night (Benzodiazepine)",
        "Intake medication: Nardil (MAOI)",
    ]


def test_several_unsure_and_unanswered_questions_are_each_listed():
    outcome = screen(facts({"psychosis": "unsure", "liver_disease": "unsure", "bladder": None}))

    assert outcome.result == Result.NEEDS_REVIEW
    assert rule_ids(outcome) == ["unsure", "unsure", "unanswered"]
    assert QUESTION_WORDS["psychosis"] in outcome.reasons[0].evidence
    assert QUESTION_WORDS["liver_disease"] in outcome.reasons[1].evidence


def test_bipolar_diagnosis_with_mania_answered_no_is_a_contradiction():
    outcome = screen(facts({"mania": "no"}, diagnoses=("bipolar",)))

    assert outcome.result == Result.NEEDS_REVIEW
    assert rule_ids(outcome) == ["contradiction"]


def test_bipolar_diagnosis_with_mania_answered_yes_is_no_contradiction():
    outcome = screen(facts({"mania": "yes"}, diagnoses=("bipolar",)))

    assert rule_ids(outcome) == ["mania"]


def test_woman_of_30_answering_pregnancy_not_applicable_is_a_contradiction():
    outcome = screen(facts({"pregnancy": "not_applicable"}, **OF_CHILDBEARING_AGE))

    assert outcome.result == Result.NEEDS_REVIEW
    assert rule_ids(outcome) == ["contradiction"]
    [evidence] = evidence_of(outcome, "contradiction")
    assert "Not applicable" in evidence
    assert "aged 30" in evidence


@pytest.mark.parametrize(("sex_at_birth", "age"), [("male", 30), ("female", 60), ("female", 11)])
def test_pregnancy_not_applicable_is_no_contradiction_when_no_test_is_expected(sex_at_birth, age):
    outcome = screen(
        facts(
            {"pregnancy": "not_applicable"},
            sex_at_birth=sex_at_birth,
            age=age,
            limits=ANY_AGE,
        )
    )

    assert outcome.result == Result.ELIGIBLE


def test_pregnancy_answered_no_with_a_positive_test_is_not_a_candidate_and_a_contradiction():
    changes = {**OF_CHILDBEARING_AGE, "pregnancy_test": "positive"}
    outcome = screen(facts({"pregnancy": "no"}, **changes))

    assert outcome.result == Result.NOT_A_CANDIDATE
    assert rule_ids(outcome) == ["pregnancy-test", "contradiction"]
    assert "pregnancy test is positive" in evidence_of(outcome, "contradiction")[0]


def test_pregnant_with_a_positive_test_lists_both_and_no_contradiction():
    changes = {**OF_CHILDBEARING_AGE, "pregnancy_test": "positive"}
    outcome = screen(facts({"pregnancy": "yes"}, **changes))

    assert outcome.result == Result.NOT_A_CANDIDATE
    assert rule_ids(outcome) == ["pregnancy", "pregnancy-test"]


def test_two_contradictions_are_both_listed():
    outcome = screen(
        facts(
            {"mania": "no", "pregnancy": "not_applicable"},
            diagnoses=("bipolar",),
            **OF_CHILDBEARING_AGE,
        )
    )

    assert outcome.result == Result.NEEDS_REVIEW
    assert rule_ids(outcome) == ["contradiction", "contradiction"]


# --- Missing information --------------------------------------------------------------------

NOT_SUBMITTED = {
    "intake_submitted": False,
    "screening": {code: None for code, _ in SCREENING_QUESTIONS},
    "diagnoses": (),
    "phq9_item9": None,
}
NO_ASSESSMENT = {
    "assessment_recorded": False,
    "systolic": None,
    "diastolic": None,
    "pulse": None,
    "bmi": None,
    "pregnancy_test": None,
}
WITHOUT_BLADDER_ANSWER = {code: a for code, a in CLEAN.screening.items() if code != "bladder"}

MISSING_ALONE = {
    "no submitted intake": (
        replace(CLEAN, **NOT_SUBMITTED),
        ["unanswered"],
        "No submitted intake",
    ),
    "one answer None": (facts({"psychosis": None}), ["unanswered"], QUESTION_WORDS["psychosis"]),
    "one answer absent": (
        replace(CLEAN, screening=WITHOUT_BLADDER_ANSWER),
        ["unanswered"],
        QUESTION_WORDS["bladder"],
    ),
    "no screening answers": (replace(CLEAN, screening={}), ["unanswered"], "no screening answers"),
    "PHQ-9 item 9 unknown": (facts(phq9_item9=None), ["unanswered"], "PHQ-9 item 9"),
    "no assessment": (
        replace(CLEAN, **NO_ASSESSMENT),
        ["assessment-missing"],
        "No assessment findings recorded",
    ),
    "systolic missing": (
        facts(systolic=None),
        ["assessment-missing"],
        "blood pressure not recorded",
    ),
    "diastolic missing": (
        facts(diastolic=None),
        ["assessment-missing"],
        "blood pressure not recorded",
    ),
    "pulse missing": (facts(pulse=None), ["assessment-missing"], "pulse not recorded"),
    "BMI unknown": (facts(bmi=None), ["assessment-missing"], "BMI unknown"),
    "pregnancy test None": (
        facts(**{**OF_CHILDBEARING_AGE, "pregnancy_test": None}),
        ["assessment-missing"],
        "no pregnancy test result",
    ),
    "pregnancy test not done": (
        facts(**{**OF_CHILDBEARING_AGE, "pregnancy_test": "not_done"}),
        ["assessment-missing"],
        "no pregnancy test result",
    ),
    "pregnancy test not applicable": (
        facts(**{**OF_CHILDBEARING_AGE, "pregnancy_test": "not_applicable"}),
        ["assessment-missing"],
        "no pregnancy test result",
    ),
    "age unknown": (facts(age=None), ["patient-details-missing"], "age unknown"),
    "sex at birth unknown": (
        facts(sex_at_birth=None),
        ["patient-details-missing"],
        "sex assigned at birth not recorded",
    ),
}


@pytest.mark.parametrize(("case", "expected"), MISSING_ALONE.items(), ids=list(MISSING_ALONE))
def test_each_missing_piece_alone_needs_review(case, expected):
    missing_facts, ids, evidence = expected
    outcome = screen(missing_facts)

    assert outcome.result == Result.NEEDS_REVIEW, case
    assert rule_ids(outcome) == ids
    assert len(outcome.reasons) == 1
    assert evidence in outcome.reasons[0].evidence


def test_an_empty_facts_is_never_eligible():
    assert screen(Facts(limits=LIMITS)).result == Result.NEEDS_REVIEW


MISSING_PIECES = {
    "no submitted intake": lambda f: replace(f, **NOT_SUBMITTED),
    "one answer None": lambda f: replace(f, screening={**f.screening, "seizures": None}),
    "item 9 unknown": lambda f: replace(f, phq9_item9=None),
    "no assessment": lambda f: replace(f, **NO_ASSESSMENT),
    "blood pressure missing": lambda f: replace(f, systolic=None, diastolic=None),
    "pulse missing": lambda f: replace(f, pulse=None),
    "BMI unknown": lambda f: replace(f, bmi=None),
    "pregnancy test not done": lambda f: replace(f, pregnancy_test="not_done"),
    "age unknown": lambda f: replace(f, age=None),
    "sex at birth unknown": lambda f: replace(f, sex_at_birth=None),
}


def test_no_combination_of_missing_pieces_is_ever_eligible():
    base = facts(**OF_CHILDBEARING_AGE)
    assert screen(base).result == Result.ELIGIBLE
    tried = 0
    for size in range(1, len(MISSING_PIECES) + 1):
        for names in combinations(MISSING_PIECES, size):
            missing_facts = base
            for name in names:
                missing_facts = MISSING_PIECES[name](missing_facts)
            outcome = screen(missing_facts)
            tried += 1

            assert outcome.result == Result.NEEDS_REVIEW, names
            assert outcome.reasons, names
            assert {reason.severity for reason in outcome.reasons} == {Severity.MISSING}, names
    assert tried == 2 ** len(MISSING_PIECES) - 1


# --- The outcome ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "screened",
    [CLEAN, facts({"mania": "yes"}), facts({"psychosis": "yes"}), Facts(limits=LIMITS)],
    ids=["eligible", "review", "not a candidate", "empty"],
)
def test_outcome_records_the_ruleset_version(screened):
    assert screen(screened).ruleset_version == RULESET_VERSION


def test_reasons_follow_the_order_of_the_rules_and_are_deterministic():
    many = facts(
        {"bladder": None, "seizures": "unsure", "mania": "yes", "psychosis": "yes"},
        systolic=185,
        diastolic=95,
        pulse=120,
        phq9_item9=1,
        medication_classes=(("Stimulant", "Adderall XR 20 mg"),),
    )

    outcome = screen(many)

    assert rule_ids(outcome) == [
        "psychosis",
        "bp-severe",
        "mania",
        "pulse",
        "medication",
        "phq9-item9",
        "unsure",
        "unanswered",
    ]
    assert rule_ids(outcome) == sorted(rule_ids(outcome), key=RULE_ORDER.index)
    assert screen(many) == outcome


def test_failed_treatments_counts_only_those_that_did_not_help():
    codes = [code for code, _ in TREATMENTS]
    outcomes = {
        codes[0]: "no_help",
        codes[1]: "helped",
        codes[2]: "partly",
        codes[3]: "not_tried",
        codes[5]: "no_help",
    }

    assert failed_treatments(outcomes) == [codes[0], codes[5]]
    assert failed_treatments({}) == []
    assert failed_treatments({codes[1]: "helped", codes[2]: "partly"}) == []


@pytest.mark.parametrize("sex", ["intersex", "undisclosed"])
def test_a_pregnancy_test_is_expected_for_anyone_not_recorded_male(sex):
    missing = facts(sex_at_birth=sex, age=30, pregnancy_test=None)
    outcome = screen(missing)
    assert outcome.result == Result.NEEDS_REVIEW
    assert rule_ids(outcome) == ["assessment-missing"]
    assert screen(replace(missing, pregnancy_test="negative")).result == Result.ELIGIBLE


# --- Age, and thresholds given by the clinic ------------------------------------------------


@pytest.mark.parametrize(
    ("age", "result"),
    [(0, NOT_A_CANDIDATE), (17, NOT_A_CANDIDATE), (18, Result.ELIGIBLE), (19, Result.ELIGIBLE)],
)
def test_under_the_minimum_age_is_not_a_candidate(age, result):
    outcome = screen(facts(age=age))

    assert outcome.result == result
    assert rule_ids(outcome) == (["under-age"] if result == NOT_A_CANDIDATE else [])
    if result == NOT_A_CANDIDATE:
        assert outcome.reasons[0].description.startswith("Younger than 18")
        assert outcome.reasons[0].severity == Severity.ABSOLUTE


def test_missing_age_and_sex_are_each_listed_and_never_eligible():
    outcome = screen(facts(age=None, sex_at_birth=None))

    assert outcome.result == Result.NEEDS_REVIEW
    assert evidence_of(outcome, "patient-details-missing") == [
        "Patient: age unknown (no date of birth)",
        "Patient: sex assigned at birth not recorded",
    ]


def test_an_empty_sex_at_birth_counts_as_missing():
    outcome = screen(facts(sex_at_birth=""))

    assert outcome.result == Result.NEEDS_REVIEW
    assert "Patient: sex assigned at birth not recorded" in evidence_of(
        outcome, "patient-details-missing"
    )


def test_a_clinic_minimum_age_of_21_moves_the_boundary_and_the_words():
    over_21 = replace(LIMITS, min_age=21)

    outcome = screen(facts(age=20, limits=over_21))

    assert outcome.result == NOT_A_CANDIDATE
    assert outcome.reasons[0].description.startswith("Younger than 21")
    assert screen(facts(age=21, limits=over_21)).result == Result.ELIGIBLE


def test_every_threshold_comes_from_the_limits_given():
    stricter = replace(
        LIMITS,
        bp_review_systolic=130,
        bp_review_diastolic=85,
        bp_severe_systolic=160,
        bp_severe_diastolic=100,
        pulse_low=55,
        pulse_high=100,
        bmi_review=35.0,
    )

    assert rule_ids(screen(facts(systolic=135, diastolic=80, limits=stricter))) == ["bp-raised"]
    assert rule_ids(screen(facts(systolic=160, diastolic=80, limits=stricter))) == ["bp-severe"]
    assert rule_ids(screen(facts(pulse=54, limits=stricter))) == ["pulse"]
    assert rule_ids(screen(facts(pulse=101, limits=stricter))) == ["pulse"]
    assert rule_ids(screen(facts(bmi=35.0, limits=stricter))) == ["bmi"]
    described = {rule.id: rule.describe(stricter) for rule in RULES}
    assert "above 130/85" in described["bp-raised"]
    assert "at or above 160/100" in described["bp-severe"]
    assert "outside 55-100" in described["pulse"]
    assert described["bmi"].startswith("BMI 35 or more")


def test_the_default_descriptions_quote_the_domain_figures():
    described = {rule.id: rule.describe(LIMITS) for rule in RULES}

    assert described["bp-raised"] == "Blood pressure above 140/90 at assessment"
    assert described["bp-severe"] == (
        "Uncontrolled hypertension: blood pressure at or above 180/110 at assessment"
    )
    assert described["pulse"] == "Pulse outside 50-110 at assessment"
    assert described["bmi"] == "BMI 40 or more (airway risk under sedation)"

import pytest

from intake import scoring
from intake.medications import classify_medication, flag_medications

# The published cut-offs, written out rather than derived, so the table is checked by hand.
GAD7_EXPECTED = {
    **dict.fromkeys(range(0, 5), "Minimal"),
    **dict.fromkeys(range(5, 10), "Mild"),
    **dict.fromkeys(range(10, 15), "Moderate"),
    **dict.fromkeys(range(15, 22), "Severe"),
}
PHQ9_EXPECTED = {
    **dict.fromkeys(range(0, 5), "Minimal"),
    **dict.fromkeys(range(5, 10), "Mild"),
    **dict.fromkeys(range(10, 15), "Moderate"),
    **dict.fromkeys(range(15, 20), "Moderately severe"),
    **dict.fromkeys(range(20, 28), "Severe"),
}


@pytest.mark.parametrize("total", range(0, 22))
def test_every_gad7_total_maps_to_its_band(total):
    assert scoring.gad7_band(total) == GAD7_EXPECTED[total]


@pytest.mark.parametrize("total", range(0, 28))
def test_every_phq9_total_maps_to_its_band(total):
    assert scoring.phq9_band(total) == PHQ9_EXPECTED[total]


@pytest.mark.parametrize("total", [-1, 22])
def test_gad7_totals_outside_the_scale_are_refused(total):
    with pytest.raises(ValueError):
        scoring.gad7_band(total)


@pytest.mark.parametrize("total", [-1, 28])
def test_phq9_totals_outside_the_scale_are_refused(total):
    with pytest.raises(ValueError):
        scoring.phq9_band(total)


def test_scores_are_the_sum_of_the_answers():
    assert scoring.score_gad7([3, 3, 3, 3, 3, 3, 3]) == scoring.Score(21, "Severe")
    assert scoring.score_phq9([0, 1, 2, 3, 0, 1, 2, 3, 0]) == scoring.Score(12, "Moderate")


@pytest.mark.parametrize(
    "answers", [[0] * 6, [0] * 8, [0, 0, 0, 0, 0, 0, 4], [0, 0, 0, 0, 0, 0, -1], [0] * 6 + ["3"]]
)
def test_wrong_number_or_out_of_range_answers_are_refused(answers):
    with pytest.raises(ValueError):
        scoring.score_gad7(answers)


def test_item9_above_not_at_all_is_a_safety_event_whatever_the_total():
    assert scoring.phq9_item9_positive([0] * 8 + [1])
    assert not scoring.phq9_item9_positive([3] * 8 + [0])


def test_the_official_wording_is_used():
    # The two stems differ by two words, as published.
    assert scoring.GAD7_STEM == (
        "Over the last 2 weeks, how often have you been bothered by the following problems?"
    )
    assert scoring.PHQ9_STEM == (
        "Over the last 2 weeks, how often have you been bothered by any of the following problems?"
    )
    assert len(scoring.GAD7_ITEMS) == 7 and len(scoring.PHQ9_ITEMS) == 9
    assert scoring.PHQ9_ITEMS[8] == (
        "Thoughts that you would be better off dead or of hurting yourself in some way"
    )
    assert [label for _, label in scoring.ANSWER_CHOICES] == [
        "Not at all", "Several days", "More than half the days", "Nearly every day",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("name", "classes"),
    [
        ("Xanax 0.5mg", ["Benzodiazepine"]),
        ("clonazepam", ["Benzodiazepine"]),
        ("Lamictal", ["Lamotrigine"]),
        ("phenelzine", ["MAOI"]),
        ("Adderall XR", ["Stimulant"]),
        ("oxycodone", ["Opioid"]),
        ("zolpidem", ["Other sedative"]),
        ("Sertraline", []),
        ("vitamin D", []),
        ("Valiumish", []),  # whole words only
    ],
)
def test_medication_classes_are_recognised(name, classes):
    assert classify_medication(name) == classes


def test_flags_name_the_medication_and_class():
    flags = flag_medications(["Sertraline", "Ativan"])
    assert [(f.medication, f.drug_class) for f in flags] == [("Ativan", "Benzodiazepine")]

"""GAD-7 and PHQ-9: wording, answer options, totals and severity bands.

Both instruments are free to reproduce ("No permission required to reproduce, translate,
display or distribute"). Totals are always computed here, on the server, from item answers.
"""

from dataclasses import dataclass

# The stems differ by two words, as published: the PHQ-9 asks about "any of" the problems.
GAD7_STEM = "Over the last 2 weeks, how often have you been bothered by the following problems?"
PHQ9_STEM = (
    "Over the last 2 weeks, how often have you been bothered by any of the following problems?"
)

ANSWER_CHOICES: tuple[tuple[int, str], ...] = (
    (0, "Not at all"),
    (1, "Several days"),
    (2, "More than half the days"),
    (3, "Nearly every day"),
)
ANSWER_LOINC = {0: "LA6568-5", 1: "LA6569-3", 2: "LA6570-1", 3: "LA6571-9"}

GAD7_ITEMS: tuple[str, ...] = (
    "Feeling nervous, anxious, or on edge",
    "Not being able to stop or control worrying",
    "Worrying too much about different things",
    "Trouble relaxing",
    "Being so restless that it is hard to sit still",
    "Becoming easily annoyed or irritable",
    "Feeling afraid as if something awful might happen",
)
GAD7_LOINC = {"panel": "69737-5", "total": "70274-6"}
GAD7_ITEM_LOINC = ("69725-0", "68509-9", "69733-4", "69734-2", "69735-9", "69689-8", "69736-7")

PHQ9_ITEMS: tuple[str, ...] = (
    "Little interest or pleasure in doing things",
    "Feeling down, depressed, or hopeless",
    "Trouble falling or staying asleep, or sleeping too much",
    "Feeling tired or having little energy",
    "Poor appetite or overeating",
    "Feeling bad about yourself — or that you are a failure or have let yourself or your "
    "family down",
    "Trouble concentrating on things, such as reading the newspaper or watching television",
    "Moving or speaking so slowly that other people could have noticed? Or the opposite — "
    "being so fidgety or restless that you have been moving around a lot more than usual",
    "Thoughts that you would be better off dead or of hurting yourself in some way",
)
PHQ9_LOINC = {"panel": "44249-1", "total": "44261-6", "difficulty": "69722-7"}
PHQ9_ITEM_LOINC = (
    "44250-9", "44255-8", "44259-0", "44254-1", "44251-7", "44258-2", "44252-5", "44253-3",
    "44260-8",
)  # fmt: skip

DIFFICULTY_QUESTION = (
    "If you checked off any problems, how difficult have these problems made it for you to do "
    "your work, take care of things at home, or get along with other people?"
)
DIFFICULTY_CHOICES: tuple[tuple[str, str], ...] = (
    ("not_difficult", "Not difficult at all"),
    ("somewhat", "Somewhat difficult"),
    ("very", "Very difficult"),
    ("extremely", "Extremely difficult"),
)

# (lowest total, band) in ascending order.
GAD7_BANDS = ((0, "Minimal"), (5, "Mild"), (10, "Moderate"), (15, "Severe"))
PHQ9_BANDS = (
    (0, "Minimal"),
    (5, "Mild"),
    (10, "Moderate"),
    (15, "Moderately severe"),
    (20, "Severe"),
)
GAD7_MAX = 21
PHQ9_MAX = 27


@dataclass(frozen=True)
class Score:
    total: int
    band: str


def _band(total: int, bands: tuple[tuple[int, str], ...], maximum: int) -> str:
    if not 0 <= total <= maximum:
        raise ValueError(f"total {total} is outside 0-{maximum}")
    label = bands[0][1]
    for lowest, name in bands:
        if total >= lowest:
            label = name
    return label


def gad7_band(total: int) -> str:
    return _band(total, GAD7_BANDS, GAD7_MAX)


def phq9_band(total: int) -> str:
    return _band(total, PHQ9_BANDS, PHQ9_MAX)


def _total(answers: list[int] | tuple[int, ...], count: int) -> int:
    if len(answers) != count:
        raise ValueError(f"expected {count} answers, got {len(answers)}")
    for value in answers:
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 3:
            raise ValueError(f"answer {value!r} is not one of 0, 1, 2, 3")
    return sum(answers)


def score_gad7(answers: list[int] | tuple[int, ...]) -> Score:
    total = _total(answers, len(GAD7_ITEMS))
    return Score(total, gad7_band(total))


def score_phq9(answers: list[int] | tuple[int, ...]) -> Score:
    total = _total(answers, len(PHQ9_ITEMS))
    return Score(total, phq9_band(total))


def phq9_item9_positive(answers: list[int] | tuple[int, ...]) -> bool:
    """Item 9 above "Not at all" is a safety event whatever the total."""
    return len(answers) >= 9 and answers[8] > 0

"""Reads of a patient's scores for the chart: the GAD-7/PHQ-9 course with its baseline, response
and remission, the 24-hour check-in's own line, and the latest score of each scale (the card).

Response and remission are the outcomes report's rules (``followups.outcomes.score_outcome``):
the baseline is the last score before the first completed session, a response a total at least
50% below it, a remission a total below 5, both counted from the first completed session on, and
only from a symptomatic baseline (``CLINIC_OUTCOME_BASELINE_MIN`` or more). The 24-hour
check-in's anxiety questions ("since your treatment") have their own line, with no bands,
baseline, response or remission: they are not the GAD-7.
"""

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.utils import timezone
from django.utils.functional import cached_property  # no lock, unlike functools (3.11)

from clinic.dates import day, day_text
from intake.models import Assessment, Patient
from intake.scoring import GAD7_BANDS, GAD7_MAX, PHQ9_BANDS, PHQ9_MAX

from ..outcomes import ScoreOutcome, score_outcome

SCORES_LIMIT = 500  # latest scores drawn and listed
SOURCE_LABELS = {"intake": "Intake", "survey": "Check-in survey", "session": "Session"}
# What ``score_rows`` reads of each score, in this order.
SCORE_COLUMNS = ("instrument", "taken_at", "total", "band", "source_kind", "source_id")


@dataclass(frozen=True)
class Instrument:
    code: str
    label: str
    maximum: int
    bands: tuple[tuple[int, str], ...]
    # Baseline, response and remission: only for the validated instruments.
    has_outcomes: bool = True


INSTRUMENTS = (
    Instrument(Assessment.Instrument.GAD7, "GAD-7", GAD7_MAX, GAD7_BANDS),
    Instrument(Assessment.Instrument.PHQ9, "PHQ-9", PHQ9_MAX, PHQ9_BANDS),
    Instrument(
        Assessment.Instrument.ANXIETY_CHECKIN,
        "24-hour anxiety check-in",
        GAD7_MAX,
        (),
        has_outcomes=False,
    ),
)
VALIDATED_INSTRUMENTS = tuple(instrument for instrument in INSTRUMENTS if instrument.has_outcomes)


@dataclass(frozen=True)
class ScorePoint:
    instrument: str
    instrument_label: str
    at: datetime  # in the clinic's zone
    total: int
    band: str
    source_kind: str
    is_baseline: bool = False
    is_response: bool = False
    is_remission: bool = False

    @property
    def source_label(self) -> str:
        return SOURCE_LABELS.get(self.source_kind, self.source_kind.capitalize())

    # Cached: the table, the chart's point notes and its summary each ask for them.
    @cached_property
    def date_text(self) -> str:
        return day_text(self.at)

    @cached_property
    def iso(self) -> str:
        return self.at.isoformat()

    @property
    def total_text(self) -> str:
        """ "16 (Severe)"; the total alone for an instrument without bands."""
        return f"{self.total} ({self.band})" if self.band else str(self.total)

    @cached_property  # the table and the chart's point notes both ask
    def outcome_label(self) -> str:
        """What this score is: "Baseline", "Response", "Remission", "Response, remission"."""
        words = [
            word
            for word, applies in (
                ("Baseline", self.is_baseline),
                ("Response", self.is_response),
                ("Remission", self.is_remission),
            )
            if applies
        ]
        return ", ".join(words)

    @property
    def outcome_text(self) -> str:
        """The table's cell: the outcome, or a dash for none."""
        return self.outcome_label or "—"


@dataclass
class Course:
    """One instrument's scores in time order, and what they add up to."""

    instrument: Instrument
    points: list[ScorePoint]
    baseline: ScorePoint | None
    response_at: datetime | None
    remission_at: datetime | None
    status: str
    symptomatic: bool = True  # a baseline at or above the cut-off (or none yet)
    baseline_min: int = 0

    @property
    def latest(self) -> ScorePoint | None:
        return self.points[-1] if self.points else None

    @property
    def statements(self) -> list[str]:
        """ "Response at 03/02/2026", "Remission at ..." (the first time), or that none yet."""
        if not self.points or not self.instrument.has_outcomes:
            return []
        if not self.symptomatic:
            return [
                f"No response or remission shown: the baseline {self.baseline.total} is below "
                f"{self.baseline_min}, the clinic's cut-off for a symptomatic start"
            ]
        return [
            f"{word} at {day(moment)}" if moment else f"No {word.lower()} yet"
            for word, moment in (("Response", self.response_at), ("Remission", self.remission_at))
        ]


def score_rows(*, patient: Patient) -> list[tuple]:
    """``SCORE_COLUMNS`` of the patient's latest ``SCORES_LIMIT`` scores, in time order. One
    query."""
    rows = list(
        Assessment.objects.filter(patient=patient)
        .order_by("-taken_at", "-id")
        .values_list(*SCORE_COLUMNS)[:SCORES_LIMIT]
    )
    rows.reverse()
    return rows


def _status(
    points: list[ScorePoint],
    outcome: ScoreOutcome,
    *,
    treatment_start: datetime | None,
) -> str:
    if not points:
        return "No scores recorded."
    if treatment_start is None:
        return "No completed session yet: response and remission count from the first one."
    if not outcome.after_start:
        return "No score since treatment started."
    latest = points[max(outcome.after_start)]
    baseline = points[outcome.baseline] if outcome.baseline is not None else None
    if baseline is None:
        comparison = "no score before the first session to compare with"
    elif baseline.total == 0:
        comparison = "baseline 0"
    else:
        change = round((baseline.total - latest.total) / baseline.total * 100)
        direction = "below" if change >= 0 else "above"
        comparison = f"{abs(change)}% {direction} baseline {baseline.total}"
    if not outcome.symptomatic:
        state = "Response and remission not counted (baseline below the cut-off)"
    elif latest.is_remission:
        state = "In remission"
    elif latest.is_response:
        state = "Responding"
    elif baseline is None:
        state = "Response unknown"
    else:
        state = "Not responding"
    return f"Current status: {state} (latest {latest.total} on {day(latest.at)}, {comparison})."


def _checkin_status(points: list[ScorePoint]) -> str:
    if not points:
        return "No 24-hour check-in answered."
    latest = points[-1]
    return (
        f"Latest {latest.total} of {GAD7_MAX} on {day(latest.at)}: the GAD-7's items asked "
        "since the treatment, not the GAD-7 (no severity band, response or remission)."
    )


def courses(rows: list[tuple], *, treatment_start: datetime | None) -> list[Course]:
    """Each instrument's course from ``score_rows``: its points in the clinic's zone, marked
    with ``score_outcome``, and what they add up to."""
    zone = timezone.get_current_timezone()  # once: a few hundred points may need it
    baseline_min = settings.CLINIC_OUTCOME_BASELINE_MIN
    made = []
    for instrument in INSTRUMENTS:
        mine = [row[1:5] for row in rows if row[0] == instrument.code]
        outcome = score_outcome(
            [(taken_at, total) for taken_at, total, *_ in mine],
            treatment_start=treatment_start if instrument.has_outcomes else None,
            baseline_min=baseline_min,
        )
        points = [
            ScorePoint(
                instrument=instrument.code,
                instrument_label=instrument.label,
                at=taken_at.astimezone(zone),
                total=total,
                band=band,
                source_kind=source_kind,
                is_baseline=index == outcome.baseline,
                is_response=index in outcome.responses,
                is_remission=index in outcome.remissions,
            )
            for index, (taken_at, total, band, source_kind) in enumerate(mine)
        ]
        first_response = min(outcome.responses, default=None)
        first_remission = min(outcome.remissions, default=None)
        made.append(
            Course(
                instrument=instrument,
                points=points,
                baseline=points[outcome.baseline] if outcome.baseline is not None else None,
                response_at=points[first_response].at if first_response is not None else None,
                remission_at=points[first_remission].at if first_remission is not None else None,
                status=(
                    _status(points, outcome, treatment_start=treatment_start)
                    if instrument.has_outcomes
                    else _checkin_status(points)
                ),
                symptomatic=outcome.symptomatic,
                baseline_min=baseline_min,
            )
        )
    return made


LATEST_SCORES_READ = 10  # the latest scores latest_scores reads at first


def latest_scores(*, patient: Patient) -> dict[str, Assessment]:
    """The latest GAD-7 and PHQ-9 of a patient, by instrument code.

    One query for the patient's latest ``LATEST_SCORES_READ`` scores, which nearly always hold
    both scales (an intake asks both, a survey the GAD-7 and often the PHQ-9); a second one
    only for a scale none of them is. Cheaper to compile and plan than picking each scale's
    latest with a subquery."""
    columns = ("id", "instrument", "total", "band", "taken_at")
    rows = (
        Assessment.objects.filter(
            patient=patient,
            instrument__in=[instrument.code for instrument in VALIDATED_INSTRUMENTS],
        )
        .order_by("-taken_at", "-id")
        .only(*columns)
    )
    latest: dict[str, Assessment] = {}
    read = list(rows[:LATEST_SCORES_READ])
    for row in read:
        latest.setdefault(row.instrument, row)
    if len(read) == LATEST_SCORES_READ:
        for instrument in VALIDATED_INSTRUMENTS:
            if instrument.code not in latest:
                row = rows.filter(instrument=instrument.code).first()
                if row is not None:
                    latest[row.instrument] = row
    return latest

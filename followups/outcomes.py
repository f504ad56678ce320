"""The clinic's outcomes, computed from plain data: no Django here, so every rule can be tested
exhaustively (``tests/followups/test_outcomes_rules.py``).

A patient belongs to the period when their FIRST completed session falls in it, and to the route
of that session's plan version. Outcomes are measured twice: from that first session's start, and
from the start of the last infusion of the first plan's induction series (``INDUCTION_END``), so
that a series of six infusions is one course, not six chances to respond:

- baseline: the last score of the instrument taken before the first session started;
- only a symptomatic baseline counts (``baseline_min``, the clinic's
  ``CLINIC_OUTCOME_BASELINE_MIN``, 10 by default: the instruments' cut-off for further
  evaluation): a patient who starts at 3 and stays at 3 is not a remission;
- the score at a time point: the first one taken in that point's window (``TIME_POINTS``) after
  the anchor (``ANCHORS``);
- response: the score fell by at least 50% from the baseline (``2 * score <= baseline``);
- remission: the score is below ``REMISSION_BELOW`` (5 on GAD-7 and PHQ-9).

Only the GAD-7 and the PHQ-9 (2-week recall) are measured: the 24-hour check-in's "since your
treatment" questions are another instrument and are not in these figures.

Sessions (and their side effects) belong to the period and route of the session itself.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from statistics import median
from typing import NamedTuple

GAD7 = "gad7"
PHQ9 = "phq9"
INSTRUMENTS = ((GAD7, "GAD-7"), (PHQ9, "PHQ-9"))
RESPONSE = "response"
REMISSION = "remission"
REMISSION_BELOW = 5
# How long after the first session a first response still counts (time to response, durability).
RESPONSE_SEARCH = timedelta(days=90)
ALL_ROUTES = "all"
ALL_ROUTES_LABEL = "All routes"
SIDE_EFFECT_EVENT_KINDS = (("side_effect", "Side effect"), ("adverse_event", "Adverse event"))
SEVERE = "severe"


@dataclass(frozen=True)
class TimePoint:
    code: str
    label: str
    # The window after the first session's start in which the first score is taken: [opens, closes).
    opens: timedelta
    closes: timedelta


TIME_POINTS = (
    TimePoint("24h", "24 hours", timedelta(hours=12), timedelta(hours=72)),
    TimePoint("7d", "7 days", timedelta(days=5), timedelta(days=10)),
    TimePoint("14d", "14 days", timedelta(days=11), timedelta(days=21)),
)
# What the time points are measured from: the first session, and the end of the induction
# series (the start of its last infusion).
FIRST_SESSION = "first_session"
INDUCTION_END = "induction_end"
ANCHORS = ((FIRST_SESSION, "the first session"), (INDUCTION_END, "the end of the induction series"))


def point_code(point: TimePoint, anchor: str) -> str:
    """ "24h" from the first session (as the figures always were), "end_of_induction_24h" from
    the end of the induction series."""
    return point.code if anchor == FIRST_SESSION else f"end_of_induction_{point.code}"


# --- Input: plain per-patient and per-session data ----------------------------------------------


class Score(NamedTuple):
    # A named tuple, not a frozen dataclass: the outcomes page builds ~600,000 of these at
    # 100,000 patients, and a frozen dataclass sets each field through object.__setattr__.
    taken_at: datetime
    total: int


@dataclass
class PatientCourse:
    """One patient treated in the period: their first completed session and their scores."""

    route: str
    first_session_at: datetime
    # instrument code -> scores in the order they were taken (any order is sorted on use)
    scores: dict[str, list[Score]] = field(default_factory=dict)
    # When the last infusion of the first plan's induction series started; None while the
    # series goes on (or without one).
    induction_end_at: datetime | None = None

    def anchor_at(self, anchor: str) -> datetime | None:
        return self.first_session_at if anchor == FIRST_SESSION else self.induction_end_at

    def series(self, instrument: str) -> list[Score]:
        return sorted(self.scores.get(instrument, []), key=lambda score: score.taken_at)


@dataclass(frozen=True)
class SessionRecord:
    """One completed session in the period."""

    route: str
    # (effect, severity) pairs the 24-hour check-in reported; None when it was not answered.
    side_effects: tuple[tuple[str, str], ...] | None = None
    # SessionEvent kinds recorded in the session log ("side_effect", "adverse_event", ...)
    event_kinds: frozenset[str] = frozenset()


# --- Output -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rate:
    numerator: int
    denominator: int

    @property
    def percent(self) -> int | None:
        """Rounded half up; None when nobody could be counted."""
        if not self.denominator:
            return None
        return (200 * self.numerator + self.denominator) // (2 * self.denominator)

    @property
    def fraction(self) -> float | None:
        return self.numerator / self.denominator if self.denominator else None

    def __str__(self) -> str:
        if not self.denominator:
            return "—"
        return f"{self.percent}% ({self.numerator} of {self.denominator})"


@dataclass(frozen=True)
class MedianDays:
    days: float | None  # None when n is 0
    n: int

    def __str__(self) -> str:
        return "—" if self.days is None else f"{self.days:.1f} days (n = {self.n})"


@dataclass(frozen=True)
class Durability:
    """Among responders: how long the response lasted until the score rose back."""

    responders: int
    rose_back: int  # patients whose score rose back: the median is over these
    median_days: float | None
    still_responding: int  # no rise back yet: not in the median


@dataclass
class SideEffectRates:
    sessions: int  # completed sessions in the period
    answered: int  # ... whose 24-hour check-in was answered (the denominator of the survey rates)
    any_severity: dict[str, Rate]
    severe: dict[str, Rate]
    logged: dict[str, Rate]  # SessionEvent kind -> share of completed sessions with one


@dataclass
class RouteOutcomes:
    route: str  # a route code, or ALL_ROUTES
    label: str
    patients: int
    sessions: int
    # (instrument, RESPONSE | REMISSION, time point code) -> Rate
    rates: dict[tuple[str, str, str], Rate]
    time_to_response: MedianDays
    durability: Durability
    side_effects: SideEffectRates

    def rate(self, instrument: str, kind: str, time_point: str) -> Rate:
        return self.rates[(instrument, kind, time_point)]


# --- The rules ----------------------------------------------------------------------------------


def is_response(*, baseline: int, score: int) -> bool:
    """At least 50% below a baseline above 0 (in integers: exactly half counts)."""
    return baseline > 0 and 2 * score <= baseline


def is_symptomatic(baseline: int, *, baseline_min: int) -> bool:
    """Response and remission mean something only for a patient who started symptomatic."""
    return baseline >= baseline_min


def is_remission(score: int) -> bool:
    return score < REMISSION_BELOW


def baseline_score(series: Sequence[Score], first_session_at: datetime) -> int | None:
    """The last score taken before the first session started."""
    before = [score for score in series if score.taken_at < first_session_at]
    return before[-1].total if before else None


# --- One instrument's scores marked for the chart ----------------------------------------------


@dataclass(frozen=True)
class ScoreOutcome:
    """Where each score of one instrument stands against the baseline (indexes in time order)."""

    baseline: int | None  # index of the baseline score, None without one
    responses: frozenset[int]
    remissions: frozenset[int]
    after_start: frozenset[int]  # scores taken from the first completed session on
    # False when the baseline is below the clinic's cut-off: no response or remission counted.
    symptomatic: bool = True


def score_outcome(
    totals: Sequence[tuple[datetime, int]], *, treatment_start: datetime | None, baseline_min: int
) -> ScoreOutcome:
    """``totals`` in time order, marked with the rules above (the patient chart shows them).
    Before treatment starts nothing is a response or a remission, nor after it without a
    baseline or from one below ``baseline_min`` (a patient who starts at 3 and stays at 3 is not
    a remission)."""
    if treatment_start is None:
        return ScoreOutcome(None, frozenset(), frozenset(), frozenset())
    before = [index for index, (at, _) in enumerate(totals) if at < treatment_start]
    baseline = before[-1] if before else None
    after = frozenset(index for index, (at, _) in enumerate(totals) if at >= treatment_start)
    if baseline is None:
        # Without a score before treatment nobody knows the patient started symptomatic.
        return ScoreOutcome(None, frozenset(), frozenset(), after)
    baseline_total = totals[baseline][1]
    if not is_symptomatic(baseline_total, baseline_min=baseline_min):
        return ScoreOutcome(baseline, frozenset(), frozenset(), after, symptomatic=False)
    responses = frozenset(
        index for index in after if is_response(baseline=baseline_total, score=totals[index][1])
    )
    remissions = frozenset(index for index in after if is_remission(totals[index][1]))
    return ScoreOutcome(baseline, responses, remissions, after)


def score_at(series: Sequence[Score], anchor_at: datetime, point: TimePoint) -> int | None:
    """The first score taken in the time point's window after the anchor (the first session's
    start, or the start of the induction series' last infusion)."""
    opens, closes = anchor_at + point.opens, anchor_at + point.closes
    for score in series:
        if opens <= score.taken_at < closes:
            return score.total
    return None


def _days(delta: timedelta) -> float:
    return delta.total_seconds() / 86400


def _first_response(
    series: Sequence[Score], first_session_at: datetime, *, baseline_min: int
) -> Score | None:
    baseline = baseline_score(series, first_session_at)
    if baseline is None or not is_symptomatic(baseline, baseline_min=baseline_min):
        return None
    until = first_session_at + RESPONSE_SEARCH
    for score in series:
        if first_session_at <= score.taken_at <= until and is_response(
            baseline=baseline, score=score.total
        ):
            return score
    return None


def first_response(course: PatientCourse, *, baseline_min: int) -> Score | None:
    """The first GAD-7 at least 50% below a symptomatic baseline, within ``RESPONSE_SEARCH`` of
    the first session (a score taken at or after the session's start)."""
    return _first_response(course.series(GAD7), course.first_session_at, baseline_min=baseline_min)


def _lost_after(series: Sequence[Score], response: Score, *, rise_points: int) -> float | None:
    best = response.total
    for score in series:
        if score.taken_at <= response.taken_at:
            continue
        if score.total - best >= rise_points:
            return _days(score.taken_at - response.taken_at)
        best = min(best, score.total)
    return None


def response_lost_after(
    course: PatientCourse, *, rise_points: int, baseline_min: int
) -> float | None:
    """Days from the first response until the GAD-7 first rose ``rise_points`` or more above the
    best (lowest) score reached since that response; None when it has not (or never responded)."""
    series = course.series(GAD7)
    response = _first_response(series, course.first_session_at, baseline_min=baseline_min)
    if response is None:
        return None
    return _lost_after(series, response, rise_points=rise_points)


def _median(values: list[float]) -> float | None:
    return median(values) if values else None


@dataclass(frozen=True)
class CourseSummary:
    """What the rates need of one patient's course, worked out once per patient."""

    route: str
    # instrument -> (baseline, {time point code (``point_code``) -> the score there}); no entry
    # without a symptomatic baseline
    measured: dict[str, tuple[int, dict[str, int]]]
    response_days: float | None  # days from the first session to the first GAD-7 response
    lost_days: float | None  # days that response lasted until the score rose back


def summarise(course: PatientCourse, *, rise_points: int, baseline_min: int) -> CourseSummary:
    measured = {}
    response_days = lost_days = None
    for instrument, _label in INSTRUMENTS:
        series = course.series(instrument)
        baseline = baseline_score(series, course.first_session_at)
        if baseline is None or not is_symptomatic(baseline, baseline_min=baseline_min):
            continue
        at_points = {}
        for anchor, _anchor_label in ANCHORS:
            anchor_at = course.anchor_at(anchor)
            if anchor_at is None:
                continue
            for point in TIME_POINTS:
                score = score_at(series, anchor_at, point)
                if score is not None:
                    at_points[point_code(point, anchor)] = score
        measured[instrument] = (baseline, at_points)
        if instrument == GAD7:
            response = _first_response(series, course.first_session_at, baseline_min=baseline_min)
            if response is not None:
                response_days = _days(response.taken_at - course.first_session_at)
                lost_days = _lost_after(series, response, rise_points=rise_points)
    return CourseSummary(course.route, measured, response_days, lost_days)


def _score_rates(summaries: Iterable[CourseSummary]) -> dict[tuple[str, str, str], Rate]:
    counts = {
        (instrument, kind, point_code(point, anchor)): [0, 0]
        for instrument, _label in INSTRUMENTS
        for kind in (RESPONSE, REMISSION)
        for anchor, _anchor_label in ANCHORS
        for point in TIME_POINTS
    }
    for summary in summaries:
        for instrument, (baseline, at_points) in summary.measured.items():
            for code, score in at_points.items():
                remission = counts[(instrument, REMISSION, code)]
                remission[1] += 1
                remission[0] += is_remission(score)
                if baseline > 0:
                    response = counts[(instrument, RESPONSE, code)]
                    response[1] += 1
                    response[0] += is_response(baseline=baseline, score=score)
    return {key: Rate(numerator, denominator) for key, (numerator, denominator) in counts.items()}


def _time_to_response(summaries: Iterable[CourseSummary]) -> MedianDays:
    days = [summary.response_days for summary in summaries if summary.response_days is not None]
    return MedianDays(_median(days), len(days))


def _durability(summaries: Iterable[CourseSummary]) -> Durability:
    responders = [summary for summary in summaries if summary.response_days is not None]
    lasted = [summary.lost_days for summary in responders if summary.lost_days is not None]
    return Durability(
        responders=len(responders),
        rose_back=len(lasted),
        median_days=_median(lasted),
        still_responding=len(responders) - len(lasted),
    )


def score_rates(
    courses: Iterable[PatientCourse], *, baseline_min: int
) -> dict[tuple[str, str, str], Rate]:
    """Response and remission at each time point from each anchor, for each instrument: among
    patients with a symptomatic baseline (``baseline_min`` or more) and a score at the point.
    """
    # The rise does not change the rates: any value will do.
    return _score_rates(
        summarise(course, rise_points=0, baseline_min=baseline_min) for course in courses
    )


def time_to_response(courses: Iterable[PatientCourse], *, baseline_min: int) -> MedianDays:
    return _time_to_response(
        summarise(course, rise_points=0, baseline_min=baseline_min) for course in courses
    )


def durability(
    courses: Iterable[PatientCourse], *, rise_points: int, baseline_min: int
) -> Durability:
    return _durability(
        summarise(course, rise_points=rise_points, baseline_min=baseline_min) for course in courses
    )


@dataclass
class SideEffectTally:
    """The counts the side-effect rates are made of, for one route (or several, added up).

    ``followups.selectors.outcomes`` counts them in SQL; ``tally_sessions`` counts the same from
    ``SessionRecord`` rows, the reference the SQL is tested against.
    """

    sessions: int = 0  # completed sessions
    answered: int = 0  # ... whose 24-hour check-in was answered
    any_severity: dict[str, int] = field(default_factory=dict)  # effect -> answered reporting it
    severe: dict[str, int] = field(default_factory=dict)  # effect -> ... reporting it severe
    logged: dict[str, int] = field(default_factory=dict)  # event kind -> sessions with one

    def __add__(self, other: "SideEffectTally") -> "SideEffectTally":
        def added(mine: dict[str, int], theirs: dict[str, int]) -> dict[str, int]:
            return {key: mine.get(key, 0) + theirs.get(key, 0) for key in mine.keys() | theirs}

        return SideEffectTally(
            sessions=self.sessions + other.sessions,
            answered=self.answered + other.answered,
            any_severity=added(self.any_severity, other.any_severity),
            severe=added(self.severe, other.severe),
            logged=added(self.logged, other.logged),
        )

    def rates(self, *, effects: Sequence[str]) -> SideEffectRates:
        """Share of the answered check-ins reporting each effect (any severity, and severe), and
        share of all the sessions with a side effect or adverse event logged."""
        return SideEffectRates(
            sessions=self.sessions,
            answered=self.answered,
            any_severity={
                effect: Rate(self.any_severity.get(effect, 0), self.answered) for effect in effects
            },
            severe={effect: Rate(self.severe.get(effect, 0), self.answered) for effect in effects},
            logged={
                kind: Rate(self.logged.get(kind, 0), self.sessions)
                for kind, _label in SIDE_EFFECT_EVENT_KINDS
            },
        )


def tally_sessions(sessions: Iterable[SessionRecord]) -> dict[str, SideEffectTally]:
    """Route -> the side-effect counts of its sessions; an effect reported twice in one check-in
    counts once (each session is read once, whatever the number of effects)."""
    tallies: dict[str, SideEffectTally] = {}
    for session in sessions:
        tally = tallies.setdefault(session.route, SideEffectTally())
        tally.sessions += 1
        for kind in session.event_kinds:
            tally.logged[kind] = tally.logged.get(kind, 0) + 1
        if session.side_effects is None:
            continue
        tally.answered += 1
        reported = {code for code, _severity in session.side_effects}
        severe = {code for code, severity in session.side_effects if severity == SEVERE}
        for code in reported:
            tally.any_severity[code] = tally.any_severity.get(code, 0) + 1
        for code in severe:
            tally.severe[code] = tally.severe.get(code, 0) + 1
    return tallies


def side_effect_rates(
    sessions: Sequence[SessionRecord], *, effects: Sequence[str]
) -> SideEffectRates:
    """Share of sessions whose answered 24-hour check-in reported each effect (any severity, and
    severe), and share of all the sessions with a side effect or adverse event logged."""
    return sum(tally_sessions(sessions).values(), SideEffectTally()).rates(effects=effects)


def _route_outcomes(
    *,
    route: str,
    label: str,
    summaries: Sequence[CourseSummary],
    tally: SideEffectTally,
    effects: Sequence[str],
) -> RouteOutcomes:
    return RouteOutcomes(
        route=route,
        label=label,
        patients=len(summaries),
        sessions=tally.sessions,
        rates=_score_rates(summaries),
        time_to_response=_time_to_response(summaries),
        durability=_durability(summaries),
        side_effects=tally.rates(effects=effects),
    )


def clinic_outcomes(
    *,
    courses: Sequence[PatientCourse],
    session_tallies: Mapping[str, SideEffectTally],
    routes: Sequence[tuple[str, str]],
    rise_points: int,
    baseline_min: int,
    effects: Sequence[str],
) -> list[RouteOutcomes]:
    """ "All routes" first (over every course and every route's sessions given), then one row
    per route in ``routes`` (code, label) order. ``session_tallies``: route -> the counts of its
    completed sessions (``tally_sessions``)."""
    summaries = [
        summarise(course, rise_points=rise_points, baseline_min=baseline_min) for course in courses
    ]
    rows = [
        _route_outcomes(
            route=ALL_ROUTES,
            label=ALL_ROUTES_LABEL,
            summaries=summaries,
            tally=sum(session_tallies.values(), SideEffectTally()),
            effects=effects,
        )
    ]
    for code, label in routes:
        rows.append(
            _route_outcomes(
                route=code,
                label=label,
                summaries=[summary for summary in summaries if summary.route == code],
                tally=session_tallies.get(code, SideEffectTally()),
                effects=effects,
            )
        )
    return rows


# --- The CSV export -----------------------------------------------------------------------------

CSV_HEADER = ("route", "measure", "time_point", "numerator", "denominator", "rate")


def _rate_cell(rate: Rate) -> str:
    return "" if rate.fraction is None else f"{rate.fraction:.4f}"


def _days_cell(days: float | None) -> str:
    return "" if days is None else f"{days:.2f}"


def csv_rows(rows: Sequence[RouteOutcomes], *, effects: Sequence[str]) -> list[tuple]:
    """One row per route x measure x time point, aggregate figures only.

    Rates: numerator, denominator and the rate as a fraction (blank when the denominator is 0).
    Time points ``24h``, ``7d``, ``14d`` after the first session, ``end_of_induction_24h`` and
    so on after the end of the induction series.
    Counts (patients_treated, sessions, still_responding): the count in ``numerator``.
    Medians (``*_median_days``): the patients counted in ``denominator``, the median in ``rate``.
    """
    out: list[tuple] = []
    for row in rows:

        def rate_row(measure: str, time_point: str, rate: Rate, route: str = row.label) -> tuple:
            return (route, measure, time_point, rate.numerator, rate.denominator, _rate_cell(rate))

        out.append((row.label, "patients_treated", "", row.patients, "", ""))
        out.append((row.label, "sessions", "", row.sessions, "", ""))
        for instrument, _label in INSTRUMENTS:
            for kind in (RESPONSE, REMISSION):
                for anchor, _anchor_label in ANCHORS:
                    for point in TIME_POINTS:
                        code = point_code(point, anchor)
                        rate = row.rate(instrument, kind, code)
                        out.append(rate_row(f"{instrument}_{kind}", code, rate))
        ttr = row.time_to_response
        out.append(
            (row.label, "gad7_time_to_response_median_days", "", "", ttr.n, _days_cell(ttr.days))
        )
        lasting = row.durability
        out.append(
            (
                row.label,
                "gad7_response_duration_median_days",
                "",
                "",
                lasting.rose_back,
                _days_cell(lasting.median_days),
            )
        )
        still = Rate(lasting.still_responding, lasting.responders)
        out.append(rate_row("gad7_still_responding", "", still))
        effects_row = row.side_effects
        for effect in effects:
            out.append(rate_row(f"side_effect_{effect}", "24h", effects_row.any_severity[effect]))
            out.append(rate_row(f"side_effect_{effect}_severe", "24h", effects_row.severe[effect]))
        for kind, _label in SIDE_EFFECT_EVENT_KINDS:
            out.append(rate_row(f"session_log_{kind}", "session", effects_row.logged[kind]))
    return out

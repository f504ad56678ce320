"""The clinic's outcomes, computed from plain data: no Django here, so every rule can be tested
exhaustively (``tests/followups/test_outcomes_rules.py``).

A patient belongs to the period when their FIRST completed session falls in it, and to the route
of that session's plan version. Outcomes are measured from that first session's start:

- baseline: the last score of the instrument taken before the first session started;
- the score at a time point: the first one taken in that point's window (``TIME_POINTS``);
- response: the score fell by at least 50% from a baseline above 0 (``2 * score <= baseline``);
- remission: the score is below ``REMISSION_BELOW`` (5 on GAD-7 and PHQ-9).

Sessions (and their side effects) belong to the period and route of the session itself.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from statistics import median

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


# --- Input: plain per-patient and per-session data ----------------------------------------------


@dataclass(frozen=True)
class Score:
    taken_at: datetime
    total: int


@dataclass
class PatientCourse:
    """One patient treated in the period: their first completed session and their scores."""

    route: str
    first_session_at: datetime
    # instrument code -> scores in the order they were taken (any order is sorted on use)
    scores: dict[str, list[Score]] = field(default_factory=dict)

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


def is_remission(score: int) -> bool:
    return score < REMISSION_BELOW


def baseline_score(series: Sequence[Score], first_session_at: datetime) -> int | None:
    """The last score taken before the first session started."""
    before = [score for score in series if score.taken_at < first_session_at]
    return before[-1].total if before else None


def score_at(series: Sequence[Score], first_session_at: datetime, point: TimePoint) -> int | None:
    """The first score taken in the time point's window after the first session's start."""
    opens, closes = first_session_at + point.opens, first_session_at + point.closes
    for score in series:
        if opens <= score.taken_at < closes:
            return score.total
    return None


def _days(delta: timedelta) -> float:
    return delta.total_seconds() / 86400


def first_response(course: PatientCourse) -> Score | None:
    """The first GAD-7 at least 50% below baseline, within ``RESPONSE_SEARCH`` of the first
    session (a score taken at or after the session's start)."""
    series = course.series(GAD7)
    baseline = baseline_score(series, course.first_session_at)
    if baseline is None:
        return None
    until = course.first_session_at + RESPONSE_SEARCH
    for score in series:
        if course.first_session_at <= score.taken_at <= until and is_response(
            baseline=baseline, score=score.total
        ):
            return score
    return None


def response_lost_after(course: PatientCourse, *, rise_points: int) -> float | None:
    """Days from the first response until the GAD-7 first rose ``rise_points`` or more above the
    best (lowest) score reached since that response; None when it has not (or never responded)."""
    response = first_response(course)
    if response is None:
        return None
    best = response.total
    for score in course.series(GAD7):
        if score.taken_at <= response.taken_at:
            continue
        if score.total - best >= rise_points:
            return _days(score.taken_at - response.taken_at)
        best = min(best, score.total)
    return None


def _median(values: list[float]) -> float | None:
    return median(values) if values else None


def score_rates(courses: Iterable[PatientCourse]) -> dict[tuple[str, str, str], Rate]:
    """Response and remission at each time point, for each instrument.

    Remission: among patients with a baseline and a score at the point. Response: the same but
    with a baseline above 0 (a score cannot fall by half from 0).
    """
    counts = {
        (instrument, kind, point.code): [0, 0]
        for instrument, _label in INSTRUMENTS
        for kind in (RESPONSE, REMISSION)
        for point in TIME_POINTS
    }
    for course in courses:
        for instrument, _label in INSTRUMENTS:
            series = course.series(instrument)
            baseline = baseline_score(series, course.first_session_at)
            if baseline is None:
                continue
            for point in TIME_POINTS:
                score = score_at(series, course.first_session_at, point)
                if score is None:
                    continue
                remission = counts[(instrument, REMISSION, point.code)]
                remission[1] += 1
                remission[0] += is_remission(score)
                if baseline > 0:
                    response = counts[(instrument, RESPONSE, point.code)]
                    response[1] += 1
                    response[0] += is_response(baseline=baseline, score=score)
    return {key: Rate(numerator, denominator) for key, (numerator, denominator) in counts.items()}


def time_to_response(courses: Iterable[PatientCourse]) -> MedianDays:
    days = []
    for course in courses:
        response = first_response(course)
        if response is not None:
            days.append(_days(response.taken_at - course.first_session_at))
    return MedianDays(_median(days), len(days))


def durability(courses: Iterable[PatientCourse], *, rise_points: int) -> Durability:
    responders = [course for course in courses if first_response(course) is not None]
    lasted = [
        days
        for course in responders
        if (days := response_lost_after(course, rise_points=rise_points)) is not None
    ]
    return Durability(
        responders=len(responders),
        rose_back=len(lasted),
        median_days=_median(lasted),
        still_responding=len(responders) - len(lasted),
    )


def side_effect_rates(
    sessions: Sequence[SessionRecord], *, effects: Sequence[str]
) -> SideEffectRates:
    """Share of sessions whose answered 24-hour check-in reported each effect (any severity, and
    severe), and share of all the sessions with a side effect or adverse event logged."""
    answered = [session for session in sessions if session.side_effects is not None]
    any_severity, severe = {}, {}
    for effect in effects:
        reported = [
            {severity for code, severity in session.side_effects if code == effect}
            for session in answered
        ]
        any_severity[effect] = Rate(sum(1 for found in reported if found), len(answered))
        severe[effect] = Rate(sum(1 for found in reported if SEVERE in found), len(answered))
    logged = {
        kind: Rate(sum(1 for session in sessions if kind in session.event_kinds), len(sessions))
        for kind, _label in SIDE_EFFECT_EVENT_KINDS
    }
    return SideEffectRates(
        sessions=len(sessions),
        answered=len(answered),
        any_severity=any_severity,
        severe=severe,
        logged=logged,
    )


def route_outcomes(
    *,
    route: str,
    label: str,
    courses: Sequence[PatientCourse],
    sessions: Sequence[SessionRecord],
    rise_points: int,
    effects: Sequence[str],
) -> RouteOutcomes:
    return RouteOutcomes(
        route=route,
        label=label,
        patients=len(courses),
        sessions=len(sessions),
        rates=score_rates(courses),
        time_to_response=time_to_response(courses),
        durability=durability(courses, rise_points=rise_points),
        side_effects=side_effect_rates(sessions, effects=effects),
    )


def clinic_outcomes(
    *,
    courses: Sequence[PatientCourse],
    sessions: Sequence[SessionRecord],
    routes: Sequence[tuple[str, str]],
    rise_points: int,
    effects: Sequence[str],
) -> list[RouteOutcomes]:
    """ "All routes" first (over every course and session given), then one row per route in
    ``routes`` (code, label) order."""
    rows = [
        route_outcomes(
            route=ALL_ROUTES,
            label=ALL_ROUTES_LABEL,
            courses=courses,
            sessions=sessions,
            rise_points=rise_points,
            effects=effects,
        )
    ]
    for code, label in routes:
        rows.append(
            route_outcomes(
                route=code,
                label=label,
                courses=[course for course in courses if course.route == code],
                sessions=[session for session in sessions if session.route == code],
                rise_points=rise_points,
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
                for point in TIME_POINTS:
                    rate = row.rate(instrument, kind, point.code)
                    out.append(rate_row(f"{instrument}_{kind}", point.code, rate))
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

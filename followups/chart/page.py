"""The chart page's content: the scores and the timeline read together (``patient_chart``), and
each course drawn (``course_drawings``).

``patient_chart`` costs the same queries whatever the size of the record: the scores, the
sessions, and one per other timeline source (``timeline.READERS``), each reading only the rows
it may show; one more for when treatment started only for a record of more than
``timeline.SOURCE_LIMIT`` sessions.
"""

from dataclasses import dataclass, field
from datetime import datetime

from django.utils import timezone
from django.utils.functional import cached_property  # no lock, unlike functools (3.11)
from django.utils.safestring import SafeString, mark_safe

from clinic.dates import day
from intake.models import Patient
from treatments.models import TreatmentSession

from . import scores, svg, timeline
from .scores import Course, ScorePoint
from .timeline import TimelineEntry

COLOURS = {"gad7": "#0b5394", "phq9": "#6a1b9a", "anx_24h": "#5b6770"}


@dataclass
class PatientChart:
    patient: Patient
    treatment_start: datetime | None
    courses: list[Course]
    completed_sessions: list[datetime]
    timeline: list[TimelineEntry]  # newest first
    full_timeline: bool = False  # every source up to SOURCE_LIMIT, not the latest events
    timeline_more: bool = False  # older events than those shown (the latest TIMELINE_LIMIT)
    truncated: list[str] = field(default_factory=list)  # full timeline: kinds past SOURCE_LIMIT

    @cached_property
    def scores(self) -> list[ScorePoint]:
        """Every score, newest first (the table under the charts)."""
        return sorted(
            (point for course in self.courses for point in course.points),
            key=lambda point: (point.at, point.instrument),
            reverse=True,
        )


def patient_chart(*, patient: Patient, full_timeline: bool = False) -> PatientChart:
    """The chart of a patient.

    The timeline holds the latest ``timeline.TIMELINE_LIMIT`` events across every source, or
    with ``full_timeline`` up to ``timeline.SOURCE_LIMIT`` rows of each."""
    score_rows = scores.score_rows(patient=patient)
    sessions, every_session = timeline.patient_sessions(patient=patient)
    started = timeline.treatment_start(
        patient=patient, sessions=sessions, every_session=every_session
    )
    shown = timeline.TIMELINE_LIMIT
    events, truncated = timeline.timeline_events(
        patient=patient,
        sessions=sessions,
        every_session=every_session,
        limit=timeline.SOURCE_LIMIT if full_timeline else shown,
    )
    # A source with more rows than it read has older events, as do more events than shown.
    more = not full_timeline and bool(truncated or len(events) > shown)
    if not full_timeline:
        del events[shown:]
    completed = TreatmentSession.Status.COMPLETED
    return PatientChart(
        patient=patient,
        treatment_start=started,
        courses=scores.courses(score_rows, treatment_start=started),
        completed_sessions=sorted(
            starts_at for _, starts_at, status, *_ in sessions if status == completed
        ),
        timeline=timeline.entries(
            events, patient=patient, survey_scores=timeline.survey_scores(score_rows)
        ),
        full_timeline=full_timeline,
        timeline_more=more,
        truncated=truncated if full_timeline else [],
    )


# --- The drawings --------------------------------------------------------------------------------


def _summary(course: Course) -> str:
    """The chart's accessible name: what it shows and what it amounts to."""
    label = course.instrument.label
    if not course.points:
        return f"{label} totals over time: no scores recorded"
    first, latest = course.points[0], course.points[-1]
    count = len(course.points)
    parts = [
        f"{label} totals over time: {count} score{'s' if count != 1 else ''} from "
        f"{day(first.at)} to {day(latest.at)}",
        f"latest {latest.total_text}",
    ]
    if course.baseline is not None:
        parts.append(f"baseline {course.baseline.total}")
    parts += [statement.lower() for statement in course.statements]
    return "; ".join(parts)


def _point(point: ScorePoint) -> svg.Point:
    note = f"{point.date_text}: {point.total_text}"
    if outcome := point.outcome_label:
        note += f", {outcome.lower()}"
    marker = svg.REMISSION if point.is_remission else svg.RESPONSE if point.is_response else ""
    # ``point.at`` is in the clinic's zone already: the dates on the axis read as there.
    return svg.Point(at=point.at, total=point.total, note=note, marker=marker)


def _drawing(course: Course, completed_sessions: list[datetime]) -> str:
    """``completed_sessions`` in the clinic's zone."""
    return svg.score_chart(
        label=_summary(course),
        points=[_point(point) for point in course.points],
        bands=svg.bands_from(course.instrument.bands, course.instrument.maximum),
        maximum=course.instrument.maximum,
        sessions=completed_sessions,
        baseline=course.baseline.total if course.baseline else None,
        colour=COLOURS.get(course.instrument.code, "#0b5394"),
    )


def course_drawings(chart: PatientChart) -> list[dict[str, Course | SafeString]]:
    """[{"course": course, "svg": its drawing}] for each course of the chart."""
    zone = timezone.get_current_timezone()
    sessions = [moment.astimezone(zone) for moment in chart.completed_sessions]
    return [
        # Every text in the drawing is escaped by svg.score_chart.
        {"course": course, "svg": mark_safe(_drawing(course, sessions))}  # noqa: S308
        for course in chart.courses
    ]

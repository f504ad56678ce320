"""The patient chart for clinicians: GAD-7 and PHQ-9 over time (inline SVG with a table
alternative) and a timeline of everything that happened to the patient.

Opening it is a view of the patient's record: an ACCESS audit entry is written, as the patient
page does.
"""

from datetime import datetime

from django.conf import settings
from django.http import Http404
from django.shortcuts import render
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET

from clinic.audit import record_access
from clinic.dates import day
from clinic.roles import CLINICIAN, role_required
from intake.selectors import patient_heading

from .. import charts
from ..selectors import chart as chart_selectors

COLOURS = {"gad7": "#0b5394", "phq9": "#6a1b9a", "anx_24h": "#5b6770"}


def _summary(course: chart_selectors.Course) -> str:
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


def _point(point: chart_selectors.ScorePoint) -> charts.Point:
    note = f"{point.date_text}: {point.total_text}"
    if outcome := point.outcome_label:
        note += f", {outcome.lower()}"
    marker = (
        charts.REMISSION if point.is_remission else charts.RESPONSE if point.is_response else ""
    )
    # ``point.at`` is in the clinic's zone already: the dates on the axis read as there.
    return charts.Point(at=point.at, total=point.total, note=note, marker=marker)


def _svg(course: chart_selectors.Course, completed_sessions: list[datetime]) -> str:
    """``completed_sessions`` in the clinic's zone."""
    points = [_point(point) for point in course.points]
    return charts.score_chart(
        label=_summary(course),
        points=points,
        bands=charts.bands_from(course.instrument.bands, course.instrument.maximum),
        maximum=course.instrument.maximum,
        sessions=completed_sessions,
        baseline=course.baseline.total if course.baseline else None,
        colour=COLOURS.get(course.instrument.code, "#0b5394"),
    )


@role_required(CLINICIAN)
@require_GET
def patient_chart(request, pk: int):
    # One query: when treatment started comes from the sessions the chart reads anyway.
    patient = patient_heading(pk=pk)
    if patient is None:
        raise Http404
    record_access(request, patient)
    chart = chart_selectors.patient_chart(
        patient=patient, full_timeline=request.GET.get("timeline") == "all"
    )
    zone = timezone.get_current_timezone()
    sessions = [moment.astimezone(zone) for moment in chart.completed_sessions]
    return render(
        request,
        "followups/chart/patient_chart.html",
        {
            "patient": patient,
            "chart": chart,
            "courses": [
                {
                    "course": course,
                    # Every text in the drawing is escaped by charts.score_chart.
                    "svg": mark_safe(_svg(course, sessions)),  # noqa: S308
                }
                for course in chart.courses
            ],
            "limit": chart_selectors.SOURCE_LIMIT,
            "baseline_min": settings.CLINIC_OUTCOME_BASELINE_MIN,
            "timeline_limit": chart_selectors.TIMELINE_LIMIT,
        },
    )

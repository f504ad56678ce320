"""Reads for the clinic's outcomes: the plain data ``followups.outcomes`` computes from.

Four queries whatever the number of patients or sessions: the patients whose first completed
session falls in the period (with its start and route, as correlated subqueries), their GAD-7 and
PHQ-9 scores, the completed sessions in the period, and those sessions' answered 24-hour
check-ins and logged side effects / adverse events (two queries). The patient and session sets
are passed on as subqueries, never as lists of ids.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from django.db.models import OuterRef, QuerySet, Subquery

from intake.models import Assessment, Patient
from treatments.models import SessionEvent, TreatmentSession

from .. import outcomes
from ..models import Survey

CHECKIN_24H = "24h"  # Survey.offset_label of the check-in whose side effects are counted


@dataclass
class OutcomeData:
    courses: list[outcomes.PatientCourse]
    sessions: list[outcomes.SessionRecord]


def _treated_patients(*, start: datetime, end: datetime, route: str | None) -> QuerySet[Patient]:
    first = TreatmentSession.objects.filter(
        patient=OuterRef("pk"), status=TreatmentSession.Status.COMPLETED
    ).order_by("starts_at", "id")
    patients = Patient.objects.annotate(
        first_session_at=Subquery(first.values("starts_at")[:1]),
        first_route=Subquery(first.values("plan_version__route")[:1]),
    ).filter(first_session_at__gte=start, first_session_at__lt=end)
    if route:
        patients = patients.filter(first_route=route)
    return patients


def _completed_sessions(
    *, start: datetime, end: datetime, route: str | None
) -> QuerySet[TreatmentSession]:
    sessions = TreatmentSession.objects.filter(
        status=TreatmentSession.Status.COMPLETED, starts_at__gte=start, starts_at__lt=end
    )
    if route:
        sessions = sessions.filter(plan_version__route=route)
    return sessions


def outcome_data(*, start: datetime, end: datetime, route: str | None = None) -> OutcomeData:
    """Patients whose first completed session started in [start, end) with their scores, and the
    completed sessions that started in [start, end); of one route when ``route`` is given."""
    patients = _treated_patients(start=start, end=end, route=route)
    courses = {
        row["pk"]: outcomes.PatientCourse(
            route=row["first_route"], first_session_at=row["first_session_at"]
        )
        for row in patients.values("pk", "first_session_at", "first_route")
    }
    scores = Assessment.objects.filter(
        patient__in=patients.values("pk"),
        instrument__in=[Assessment.Instrument.GAD7, Assessment.Instrument.PHQ9],
    ).order_by("patient_id", "taken_at", "id")
    for patient_id, instrument, taken_at, total in scores.values_list(
        "patient_id", "instrument", "taken_at", "total"
    ):
        course = courses.get(patient_id)
        if course is not None:
            course.scores.setdefault(instrument, []).append(outcomes.Score(taken_at, total))

    sessions = _completed_sessions(start=start, end=end, route=route)
    routes = dict(sessions.values_list("pk", "plan_version__route"))
    side_effects: dict[int, tuple[tuple[str, str], ...]] = {}
    for session_id, reported in Survey.objects.filter(
        session__in=sessions.values("pk"),
        offset_label=CHECKIN_24H,
        status=Survey.Status.COMPLETED,
    ).values_list("session_id", "side_effects"):
        side_effects[session_id] = tuple(
            (str(item.get("effect", "")), str(item.get("severity", "")))
            for item in reported or []
            if isinstance(item, dict)
        )
    event_kinds: dict[int, set[str]] = defaultdict(set)
    for session_id, kind in (
        SessionEvent.objects.filter(
            session__in=sessions.values("pk"),
            kind__in=[kind for kind, _label in outcomes.SIDE_EFFECT_EVENT_KINDS],
        )
        .order_by()  # the model's ordering would defeat DISTINCT
        .values_list("session_id", "kind")
        .distinct()
    ):
        event_kinds[session_id].add(kind)
    return OutcomeData(
        courses=list(courses.values()),
        sessions=[
            outcomes.SessionRecord(
                route=session_route,
                side_effects=side_effects.get(session_id),
                event_kinds=frozenset(event_kinds.get(session_id, ())),
            )
            for session_id, session_route in routes.items()
        ],
    )

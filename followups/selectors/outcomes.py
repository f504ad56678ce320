"""Reads for the clinic's outcomes: the plain data ``followups.outcomes`` computes from.

Four queries whatever the number of patients or sessions: the patients whose first completed
session falls in the period (with its start and route, and the end of that plan's induction
series), their GAD-7 and PHQ-9 scores (not the 24-hour check-in's own questions), and the
completed sessions of the period counted in SQL by route (sessions, answered 24-hour check-ins and
the side effects they report; then the sessions with a side effect or adverse event logged). The
patient and session sets are passed on as subqueries, never as lists of ids, and no check-in's
side effects are carried to Python: at 100,000 patients a period holds ~200,000 sessions.

In a chain of clinics the figures can be cut to the patients of some locations
(``location_ids``): those the patient access rule sees there (``intake.access.seen_at``: home
location, or a session at one of its chairs), their first sessions and scores, and the completed
sessions of those patients. The cut is a subquery like the rest: no query more.
"""

import json
from dataclasses import dataclass
from datetime import datetime

from django.db.models import (
    BooleanField,
    Count,
    Expression,
    F,
    FilteredRelation,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)

from intake.access import LocationIds, seen_at
from intake.models import Assessment, Patient
from treatments.models import PlanVersion, SessionEvent, TreatmentPlan, TreatmentSession

from .. import outcomes
from ..models import Survey

CHECKIN_24H = "24h"  # Survey.offset_label of the check-in whose side effects are counted


@dataclass
class OutcomeData:
    courses: list[outcomes.PatientCourse]
    # route -> the counts of its completed sessions in the period
    session_tallies: dict[str, outcomes.SideEffectTally]


class ReportsSideEffect(Expression):
    """True when a check-in's ``side_effects`` (a JSON list of {"effect", "severity"} objects)
    holds the effect (with that severity, when given): what ``SessionRecord.side_effects`` reads
    in Python, where items that are not objects are skipped."""

    output_field = BooleanField()
    conditional = True

    def __init__(self, side_effects, *, effect: str, severity: str | None = None):
        super().__init__()
        self.side_effects = side_effects
        self.item = {"effect": effect} | ({"severity": severity} if severity else {})

    def get_source_expressions(self):
        return [self.side_effects]

    def set_source_expressions(self, exprs):
        (self.side_effects,) = exprs

    def as_sql(self, compiler, connection):
        # Dispatched here, not by the compiler: an aggregate's FILTER emulated as CASE WHEN
        # (SQLite) calls as_sql() itself.
        if connection.vendor == "postgresql":
            return self._postgresql(compiler)
        if connection.vendor == "sqlite":
            return self._sqlite(compiler)
        raise NotImplementedError(f"ReportsSideEffect does not support {connection.vendor}")

    def _postgresql(self, compiler):
        sql, params = compiler.compile(self.side_effects)
        # jsonb containment: an element of the list is an object holding these keys and values.
        return f"({sql} @> %s::jsonb)", (*params, json.dumps([self.item]))

    def _sqlite(self, compiler):
        sql, params = compiler.compile(self.side_effects)
        # The keys are this class's own ("effect", "severity"); the values are parameters.
        matches = " AND ".join(f"json_extract(item.value, '$.{key}') = %s" for key in self.item)
        return (
            f"(json_type({sql}) = 'array' AND EXISTS (SELECT 1 FROM json_each({sql}) AS item "  # noqa: S608 - compiled column and own keys
            f"WHERE item.type = 'object' AND {matches}))",
            (*params, *params, *self.item.values()),
        )


def _patients_of(location_ids: list[int]) -> QuerySet[Patient]:
    return Patient.objects.filter(seen_at(location_ids)).order_by().values("pk")


def _treated_patients(
    *, start: datetime, end: datetime, route: str | None, location_ids: LocationIds = None
) -> QuerySet[Patient]:
    # The patients whose first completed session is in the period: one pass over the sessions
    # grouped by patient, instead of a first-session subquery for every patient of the clinic.
    first_in_period = (
        TreatmentSession.objects.filter(status=TreatmentSession.Status.COMPLETED)
        .order_by()
        .values("patient_id")
        .annotate(first_session_at=Min("starts_at"))
        .filter(first_session_at__gte=start, first_session_at__lt=end)
        .values("patient_id")
    )
    first = TreatmentSession.objects.filter(
        patient=OuterRef("pk"), status=TreatmentSession.Status.COMPLETED
    ).order_by("starts_at", "id")
    # The first plan's completed induction infusions, latest first: the end of the series is
    # the last of them once as many as planned are done, or once the plan ended early.
    induction = TreatmentSession.objects.filter(
        plan_id=OuterRef("first_plan"),
        status=TreatmentSession.Status.COMPLETED,
        plan_version__phase=PlanVersion.Phase.INDUCTION,
    ).order_by("-starts_at", "-id")
    patients = Patient.objects.filter(pk__in=first_in_period).annotate(
        first_session_at=Subquery(first.values("starts_at")[:1]),
        first_route=Subquery(first.values("plan_version__route")[:1]),
        first_plan=Subquery(first.values("plan_id")[:1]),
        first_plan_status=Subquery(first.values("plan__status")[:1]),
        induction_last_at=Subquery(induction.values("starts_at")[:1]),
        induction_planned=Subquery(induction.values("plan_version__sessions_planned")[:1]),
        induction_done=Subquery(
            induction.order_by().values("plan_id").annotate(done=Count("pk")).values("done")
        ),
    )
    if route:
        patients = patients.filter(first_route=route)
    if location_ids is not None:
        patients = patients.filter(pk__in=_patients_of(location_ids))
    return patients


def _completed_sessions(
    *, start: datetime, end: datetime, route: str | None, location_ids: LocationIds = None
) -> QuerySet[TreatmentSession]:
    sessions = TreatmentSession.objects.filter(
        status=TreatmentSession.Status.COMPLETED, starts_at__gte=start, starts_at__lt=end
    ).order_by()  # the model's ordering (by chair name) is not needed to count
    if route:
        sessions = sessions.filter(plan_version__route=route)
    if location_ids is not None:
        sessions = sessions.filter(patient__in=_patients_of(location_ids))
    return sessions


def _session_tallies(
    sessions: QuerySet[TreatmentSession], *, effects: list[str]
) -> dict[str, outcomes.SideEffectTally]:
    checkin = F("checkin__side_effects")
    counts = {"sessions": Count("pk"), "answered": Count("checkin__pk")}
    for effect in effects:
        counts[f"any_{effect}"] = Count("pk", filter=ReportsSideEffect(checkin, effect=effect))
        counts[f"severe_{effect}"] = Count(
            "pk", filter=ReportsSideEffect(checkin, effect=effect, severity=outcomes.SEVERE)
        )
    rows = (
        sessions.annotate(
            # One answered 24-hour check-in at most per session (Survey's "survey_once").
            checkin=FilteredRelation(
                "surveys",
                condition=Q(
                    surveys__offset_label=CHECKIN_24H, surveys__status=Survey.Status.COMPLETED
                ),
            )
        )
        .values("plan_version__route")
        .annotate(**counts)
    )
    tallies = {
        row["plan_version__route"]: outcomes.SideEffectTally(
            sessions=row["sessions"],
            answered=row["answered"],
            any_severity={effect: row[f"any_{effect}"] for effect in effects},
            severe={effect: row[f"severe_{effect}"] for effect in effects},
        )
        for row in rows
    }
    logged = (
        SessionEvent.objects.filter(
            session__in=sessions.values("pk"),
            kind__in=[kind for kind, _label in outcomes.SIDE_EFFECT_EVENT_KINDS],
        )
        .order_by()
        .values("session__plan_version__route", "kind")
        .annotate(sessions=Count("session_id", distinct=True))
    )
    for row in logged:
        tally = tallies[row["session__plan_version__route"]]
        tally.logged[row["kind"]] = row["sessions"]
    return tallies


def outcome_data(
    *,
    start: datetime,
    end: datetime,
    effects: list[str],
    route: str | None = None,
    location_ids: LocationIds = None,
) -> OutcomeData:
    """Patients whose first completed session started in [start, end) with their scores, and the
    completed sessions that started in [start, end) counted by route (the side effects in
    ``effects``); of one route when ``route`` is given; of the patients seen at
    ``location_ids`` when given (None: every patient)."""
    patients = _treated_patients(start=start, end=end, route=route, location_ids=location_ids)
    ended = (TreatmentPlan.Status.COMPLETED, TreatmentPlan.Status.STOPPED)
    courses = {
        row["pk"]: outcomes.PatientCourse(
            route=row["first_route"],
            first_session_at=row["first_session_at"],
            induction_end_at=(
                row["induction_last_at"]
                if row["induction_last_at"] is not None
                and (
                    row["induction_done"] >= row["induction_planned"]
                    or row["first_plan_status"] in ended
                )
                else None
            ),
        )
        for row in patients.order_by().values(
            "pk",
            "first_session_at",
            "first_route",
            "first_plan_status",
            "induction_last_at",
            "induction_planned",
            "induction_done",
        )
    }
    # No ORDER BY: sorting ~250,000 scores would spill to disk at 100,000 patients; each
    # patient's few scores are put in order here instead, by (taken_at, id) as before.
    scores = Assessment.objects.filter(
        patient__in=patients.order_by().values("pk"),
        instrument__in=[Assessment.Instrument.GAD7, Assessment.Instrument.PHQ9],
    ).order_by()
    series: dict[tuple[int, str], list[tuple[datetime, int, int]]] = {}
    for patient_id, instrument, taken_at, score_id, total in scores.values_list(
        "patient_id", "instrument", "taken_at", "id", "total"
    ):
        series.setdefault((patient_id, instrument), []).append((taken_at, score_id, total))
    for (patient_id, instrument), taken in series.items():
        course = courses.get(patient_id)
        if course is not None:
            taken.sort()
            course.scores[instrument] = [outcomes.Score(at, total) for at, _id, total in taken]

    sessions = _completed_sessions(start=start, end=end, route=route, location_ids=location_ids)
    return OutcomeData(
        courses=list(courses.values()),
        session_tallies=_session_tallies(sessions, effects=effects),
    )

"""Chairs, active plans and booked sessions for tests that need a session on the schedule.

``book_session`` goes through the booking service (locks, clash checks, length by route), so a
session made with it is one the front desk could have booked."""

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.utils import timezone

from tests.factories import PatientFactory
from treatments.dosing import Route
from treatments.models import PlanVersion, TreatmentChair, TreatmentPlan, TreatmentSession
from treatments.services.booking import session_book

CHICAGO = ZoneInfo("America/Chicago")


def clinic_time(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=CHICAGO)


def chair(name: str = "Chair 1", **fields) -> TreatmentChair:
    made, _ = TreatmentChair.objects.get_or_create(name=name, defaults=fields)
    return made


def active_plan(
    *,
    by,
    patient=None,
    route: Route = Route.IV,
    infusion_minutes: int | None = None,
    phase: str = PlanVersion.Phase.INDUCTION,
    sessions_planned: int = 6,
    span_weeks: int | None = 3,
    every_weeks: int | None = None,
    start_date: date | None = None,
) -> TreatmentPlan:
    """An active plan with one version, written as rows (the plan services are tested apart)."""
    patient = patient or PatientFactory()
    plan = TreatmentPlan.objects.create(
        patient=patient,
        status=TreatmentPlan.Status.ACTIVE,
        created_by=by,
        activated_at=timezone.now(),
    )
    weight_based = route in (Route.IV, Route.IM)
    if infusion_minutes is None and route == Route.IV:
        infusion_minutes = 40
    PlanVersion.objects.create(
        plan=plan,
        number=1,
        effective_at=timezone.now() - timedelta(days=1),
        indication=PlanVersion.Indication.DEPRESSION,
        route=route,
        dose_amount=Decimal("0.5") if weight_based else Decimal("56"),
        dose_unit="mg/kg" if weight_based else "mg",
        dose_mg=Decimal("35.0") if weight_based else Decimal("56"),
        weight_kg_used=Decimal("70.0") if weight_based else None,
        infusion_minutes=infusion_minutes,
        phase=phase,
        sessions_planned=sessions_planned,
        span_weeks=span_weeks,
        every_weeks=every_weeks,
        start_date=start_date or timezone.localdate() + timedelta(days=7),
        prescriber=by,
        created_by=by,
    )
    return plan


def book_session(
    *,
    booked_by,
    starts_at: datetime,
    plan: TreatmentPlan | None = None,
    chair_name: str = "Chair 1",
    on_chair: TreatmentChair | None = None,
    route: Route = Route.IV,
) -> TreatmentSession:
    """A session booked through the service (an active IV plan for a new patient, starting on
    the session's day, unless given). The booking rules hold: book in the future (a test that
    names dates runs on the frozen clinic day, tests.conftest.CLINIC_DAY), inside the opening
    hours."""
    plan = plan or active_plan(by=booked_by, route=route, start_date=timezone.localdate(starts_at))
    return session_book(
        plan=plan,
        chair=on_chair or chair(chair_name),
        starts_at=starts_at,
        booked_by=booked_by,
    )

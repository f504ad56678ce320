"""Sessions for the tests of the session log: rows written directly (the plan and booking
services are another issue's work), then each stage through the session services."""

from datetime import date, timedelta
from decimal import Decimal

from django.utils import timezone

from tests.factories import PatientFactory
from treatments.dosing import Route
from treatments.models import PlanVersion, TreatmentChair, TreatmentPlan, TreatmentSession
from treatments.services import sessions as services

NORMAL_VITALS = {
    "systolic": 122,
    "diastolic": 78,
    "heart_rate": 72,
    "spo2": 98,
    "respiratory_rate": 14,
}
FULL_ALDRETE = {"activity": 2, "respiration": 2, "circulation": 2, "consciousness": 2, "oxygen": 2}


def booked_session(
    *, by, route: Route = Route.IV, dose_mg: str = "35.0", starts_at=None, patient=None
) -> TreatmentSession:
    patient = patient or PatientFactory(sex_at_birth="male")
    plan = TreatmentPlan.objects.create(
        patient=patient, status=TreatmentPlan.Status.ACTIVE, created_by=by
    )
    weight_based = route in (Route.IV, Route.IM)
    version = PlanVersion.objects.create(
        plan=plan,
        number=1,
        effective_at=timezone.now() - timedelta(days=7),
        indication=PlanVersion.Indication.DEPRESSION,
        route=route,
        dose_amount=Decimal("0.5") if weight_based else Decimal(dose_mg),
        dose_unit="mg/kg" if weight_based else "mg",
        dose_mg=Decimal(dose_mg),
        weight_kg_used=Decimal("70.0") if weight_based else None,
        infusion_minutes=40 if route == Route.IV else None,
        phase=PlanVersion.Phase.INDUCTION,
        sessions_planned=6,
        span_weeks=3,
        start_date=date(2026, 1, 1),
        prescriber=by,
        created_by=by,
    )
    chair, _ = TreatmentChair.objects.get_or_create(name="Chair 1")
    starts_at = starts_at or timezone.now() - timedelta(minutes=5)
    return TreatmentSession.objects.create(
        patient=patient,
        plan=plan,
        plan_version=version,
        chair=chair,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=2),
        booked_by=by,
    )


def checked_in(session: TreatmentSession, *, by) -> TreatmentSession:
    return services.session_check_in(
        session=session,
        by=by,
        arrived_at=timezone.now(),
        escort_name="Sam Rivera",
        escort_phone="512-555-0199",
        fasting_confirmed=True,
    )


def pre_dose(session: TreatmentSession, *, by, **vitals):
    return services.session_record_pre_dose(
        session=session,
        by=by,
        consent_current=True,
        fasting_hours=Decimal("6"),
        pregnancy_test="",
        gad7_answers=None,
        **{**NORMAL_VITALS, **vitals},
    )


def administered(session: TreatmentSession, *, by, started_at=None) -> TreatmentSession:
    esketamine = session.plan_version.route == Route.ESKETAMINE_NASAL
    return services.session_administer(
        session=session,
        by=by,
        drug="esketamine" if esketamine else "ketamine",
        dose_given_mg=session.plan_version.dose_mg,
        dose_difference_reason="",
        lot_number="LOT-123",
        route=session.plan_version.route,
        started_at=started_at or timezone.now(),
        stopped_at=None,
    )


def monitored(session: TreatmentSession, *, by, **vitals):
    return services.vitals_record(
        session=session, by=by, taken_at=timezone.now(), **{**NORMAL_VITALS, **vitals}
    )


def discharged(session: TreatmentSession, *, by) -> TreatmentSession:
    return services.session_discharge(
        session=session,
        by=by,
        aldrete=FULL_ALDRETE,
        escort_present=True,
        discharged_at=timezone.now(),
        instructions_given=True,
    )


def completed_session(*, by, vitals_rows: int = 1, **kwargs) -> TreatmentSession:
    """A session through every stage up to discharge (not signed)."""
    session = booked_session(by=by, **kwargs)
    checked_in(session, by=by)
    pre_dose(session, by=by)
    administered(session, by=by)
    for _ in range(vitals_rows):
        monitored(session, by=by)
    return discharged(session, by=by)

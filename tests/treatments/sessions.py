"""Sessions for the tests of the session log: rows written directly (the plan and booking
services are another issue's work), then each stage through the session services."""

from datetime import date, datetime, timedelta
from decimal import Decimal

from django.utils import timezone

from clinic.locations import chain_enabled
from tests.factories import PatientFactory
from tests.treatments.ledger import exact_draw
from treatments import limits
from treatments.dosing import DEFAULT_INFUSION_MINUTES, Route
from treatments.models import (
    PlanVersion,
    RemsEnrollment,
    TreatmentChair,
    TreatmentPlan,
    TreatmentSession,
)
from treatments.services import ledger
from treatments.services import sessions as services

NORMAL_VITALS = {
    "systolic": 122,
    "diastolic": 78,
    "heart_rate": 72,
    "spo2": 98,
    "respiratory_rate": 14,
}
# After the dose: NORMAL_VITALS with sedation and dissociation resolved (ready for discharge).
RESOLVED_VITALS = {**NORMAL_VITALS, "sedation_moaa_s": 5, "dissociation": 0}
FULL_ALDRETE = {"activity": 2, "respiration": 2, "circulation": 2, "consciousness": 2, "oxygen": 2}


def booked_session(
    *,
    by,
    route: Route = Route.IV,
    dose_mg: str = "35.0",
    starts_at=None,
    patient=None,
    rems_enrolled: bool = True,
) -> TreatmentSession:
    """A booked session of a new plan; for esketamine the patient is enrolled in the REMS
    unless ``rems_enrolled`` is False."""
    patient = patient or PatientFactory(sex_at_birth="male")
    if route == Route.ESKETAMINE_NASAL and rems_enrolled:
        enrolled(patient, by=by)
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
    starts_at = starts_at or timezone.now() - timedelta(minutes=5)
    return TreatmentSession.objects.create(
        patient=patient,
        plan=plan,
        plan_version=version,
        chair=free_chair(starts_at, starts_at + timedelta(hours=2)),
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=2),
        booked_by=by,
    )


def enrolled(patient, *, by) -> RemsEnrollment:
    """The patient's REMS enrollment, signed a month ago (the REMS pages record it in use)."""
    signed = date(2026, 1, 1)
    enrollment, _ = RemsEnrollment.objects.get_or_create(
        patient=patient,
        defaults={
            "patient_signed_on": signed, "prescriber": by, "prescriber_signed_on": signed,
            "enrolled_on": signed, "recorded_by": by,
        },
    )  # fmt: skip
    return enrollment


def free_chair(starts_at, ends_at) -> TreatmentChair:
    """Chair 1, or the first chair free at that time (PostgreSQL refuses two sessions at once on
    a chair, as the booking service does)."""
    number = 1
    while True:
        chair, _ = TreatmentChair.objects.get_or_create(name=f"Chair {number}")
        if not chair.sessions.filter(starts_at__lt=ends_at, ends_at__gt=starts_at).exists():
            return chair
        number += 1


def next_session(session: TreatmentSession, *, by, starts_at=None) -> TreatmentSession:
    """Another session of the same plan (a patient has one active plan), booked for now: call it
    once the clock is past the first session's end (a patient is in one chair at a time)."""
    starts_at = starts_at or timezone.now() - timedelta(minutes=1)
    return TreatmentSession.objects.create(
        patient=session.patient,
        plan=session.plan,
        plan_version=session.plan_version,
        chair=free_chair(starts_at, starts_at + timedelta(hours=2)),
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


# The checks before the dose that let it go ahead: fasted exactly the clinic's hours, no
# sedative today.
PRE_DOSE_CHECKS = {
    "consent_current": True,
    "fasting_hours": Decimal("6"),
    "clear_liquids_hours": Decimal("2"),
    "pregnancy_test": "",
    "sedatives_today": False,
    "sedatives_today_detail": "",
    "gad7_answers": None,
}


def pre_dose(session: TreatmentSession, *, by, **overrides):
    """The checks and baseline vitals; ``overrides`` change a check or a vital."""
    return services.session_record_pre_dose(
        session=session, by=by, **{**PRE_DOSE_CHECKS, **NORMAL_VITALS, **overrides}
    )


def observed_long_enough(session: TreatmentSession) -> tuple[datetime, datetime | None]:
    """Start and stop times of a dose given so long ago that the route's minimum observation
    after it has just passed: a discharge now is not held back by the clock."""
    version = session.plan_version
    route = Route(version.route)
    given_over = version.infusion_minutes or (DEFAULT_INFUSION_MINUTES if route == Route.IV else 0)
    stopped = timezone.now() - timedelta(minutes=limits.observation_minutes(route) + 1)
    if route == Route.ESKETAMINE_NASAL or not given_over:
        return stopped, None
    return stopped - timedelta(minutes=given_over), stopped


def administered(
    session: TreatmentSession, *, by, started_at=None, stopped_at=None
) -> TreatmentSession:
    """The plan's dose. Without a start time it was given long enough ago for a discharge now
    (observed_long_enough); a test of the observation rule passes its own times."""
    if started_at is None:
        started_at, stopped_at = observed_long_enough(session)
    esketamine = session.plan_version.route == Route.ESKETAMINE_NASAL
    drug = "esketamine" if esketamine else "ketamine"
    return services.session_administer(
        session=session,
        by=by,
        drug=drug,
        dose_given_mg=session.plan_version.dose_mg,
        dose_difference_reason="",
        draws=exact_draw(
            drug=drug,
            dose_mg=session.plan_version.dose_mg,
            by=by,
            # In a chain, the stock of the session's location.
            location=ledger.session_location(session) if chain_enabled() else None,
        ),
        route=session.plan_version.route,
        started_at=started_at,
        stopped_at=stopped_at,
    )


def monitored(session: TreatmentSession, *, by, **vitals):
    """A full set of vitals now, in range, with sedation and dissociation resolved."""
    return services.vitals_record(
        session=session, by=by, taken_at=timezone.now(), **{**RESOLVED_VITALS, **vitals}
    )


def discharged(session: TreatmentSession, *, by) -> TreatmentSession:
    now = timezone.now()
    esketamine = session.plan_version.route == Route.ESKETAMINE_NASAL
    return services.session_discharge(
        session=session,
        by=by,
        aldrete=FULL_ALDRETE,
        escort_present=True,
        discharged_at=now,
        instructions_given=True,
        ready_to_leave_at=now if esketamine else None,
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

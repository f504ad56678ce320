"""Treatment plans for tests: an approved patient with a recorded weight, and a plan made and
activated through the services (as a clinician would).

    plan = active_plan(clinician_user)                      # IV 0.5 mg/kg, 6 over 3 weeks
    plan = active_plan(clinician_user, route="esketamine_in", dose_amount=Decimal("56"))
"""

from datetime import date, datetime
from decimal import Decimal

from django.utils import timezone

from intake.models import Patient, PatientMeasurement
from tests.treatments.screenings import screening_row
from treatments.models import Screening, TreatmentPlan
from treatments.screening_rules import Result
from treatments.services.plans import plan_activate, plan_create

IV_INDUCTION = {
    "indication": "depression",
    "indication_other": "",
    "route": "iv",
    "dose_amount": Decimal("0.5"),
    "infusion_minutes": None,
    "phase": "induction",
    "sessions_planned": 6,
    "span_weeks": 3,
    "every_weeks": None,
    "start_date": date(2026, 3, 2),  # a Monday
    "goals": "GAD-7 below 10",
    "confirm_outside_usual": False,
    "outside_usual_reason": "",
}


def record_weight(patient: Patient, kg: str, *, when: datetime | None = None) -> None:
    PatientMeasurement.objects.create(
        patient=patient, weight_kg=Decimal(kg), recorded_at=when or timezone.now()
    )


def approved_patient(*, weight_kg: str | None = "80.0", last_name: str = "") -> Patient:
    """A patient whose current screening is approved, with a recorded weight (unless None)."""
    screening = screening_row(
        result=Result.ELIGIBLE, status=Screening.Status.APPROVED, last_name=last_name
    )
    if weight_kg is not None:
        record_weight(screening.patient, weight_kg)
    return screening.patient


def draft_plan(clinician, *, patient: Patient | None = None, **changes) -> TreatmentPlan:
    return plan_create(
        patient=patient or approved_patient(),
        created_by=clinician,
        prescriber=clinician,
        **(IV_INDUCTION | changes),
    )


def active_plan(clinician, *, patient: Patient | None = None, **changes) -> TreatmentPlan:
    """An active plan (IV 0.5 mg/kg, 6 sessions over 3 weeks unless ``changes``) for an approved
    patient (a new one unless given)."""
    plan = draft_plan(clinician, patient=patient, **changes)
    return plan_activate(plan=plan, user=clinician)

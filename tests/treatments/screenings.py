"""Screenings for the tests of the screening pages and services.

``screened`` goes the real way (the patient submits an intake through their pages, which runs
the screening); ``screening_row`` writes rows directly, for the worklist's order and cost where
dozens of patients are needed."""

from datetime import date

from django.utils import timezone

from intake.models import Intake
from tests.factories import PatientFactory
from tests.intake.intakes import submitted_intake
from treatments.models import Screening
from treatments.screening_rules import RULESET_VERSION, Result


def born_years_ago(years: int) -> date:
    today = timezone.localdate()
    return date(today.year - years, today.month, 1)


def screened(by, *, changes: dict | None = None, **patient_fields) -> Screening:
    """A patient who submitted an intake (standard answers unless ``changes``): their screening."""
    patient = PatientFactory(**{"date_of_birth": born_years_ago(40), **patient_fields})
    intake = submitted_intake(patient, by, changes=changes)
    return Screening.objects.select_related("patient").get(intake=intake, is_current=True)


def reason(rule_id: str, description: str, severity: str, evidence: str) -> dict:
    return {
        "rule_id": rule_id,
        "description": description,
        "severity": severity,
        "evidence": evidence,
    }


PSYCHOSIS = "History of psychosis or schizophrenia"
BMI = "BMI 40 or more (airway risk under sedation)"
BLADDER = "Bladder problems (ketamine can harm the bladder)"
REASONS = {
    Result.NOT_A_CANDIDATE: [
        reason("psychosis", PSYCHOSIS, "absolute", "Intake: psychosis Yes"),
        reason("bmi", BMI, "relative", "Assessment: BMI 41.0"),
    ],
    Result.NEEDS_REVIEW: [reason("bladder", BLADDER, "relative", "Intake: bladder Yes")],
    Result.ELIGIBLE: [],
}


def screening_row(
    *,
    result: Result,
    created_at=None,
    last_name: str = "",
    phq9_item9: int | None = None,
    **fields,
) -> Screening:
    patient = PatientFactory(**({"legal_last_name": last_name} if last_name else {}))
    now = created_at or timezone.now()
    intake = Intake.objects.create(
        patient=patient, status=Intake.Status.SUBMITTED, submitted_at=now, phq9_item9=phq9_item9
    )
    return Screening.objects.create(
        patient=patient,
        intake=intake,
        result=result.value,
        reasons=REASONS[result],
        ruleset_version=RULESET_VERSION,
        failed_treatments=["SSRIs", "SNRIs"],
        created_at=now,
        **fields,
    )

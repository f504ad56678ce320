"""Screening reads the clinic's thresholds from settings: the minimum age on the patient's
birthday, and a blood-pressure pair that is also the session's gate before a dose, so the two
can never disagree."""

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import override_settings
from django.utils import timezone

from tests.treatments.screenings import screened
from treatments.dosing import Route
from treatments.models import (
    PlanVersion,
    TreatmentChair,
    TreatmentPlan,
    TreatmentSession,
    VitalsReading,
)
from treatments.screening_rules import Result
from treatments.services.screening import finding_record
from treatments.services.sessions import administration_blockers, bp_gated

CLINIC_TZ = ZoneInfo("America/Chicago")
# A Monday; the patients below were born on this day (or the next) in 2008.
TODAY = datetime(2026, 11, 23, 10, tzinfo=CLINIC_TZ)
NORMAL = {"systolic": 122, "diastolic": 78, "pulse": 70}


def reasons_of(screening, rule_id: str) -> list[dict]:
    return [reason for reason in screening.reasons if reason["rule_id"] == rule_id]


# --- Minimum age ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("born", "age", "result"),
    [
        (date(2008, 11, 23), 18, Result.ELIGIBLE),  # 18 today
        (date(2008, 11, 24), 17, Result.NOT_A_CANDIDATE),  # 18 tomorrow
    ],
)
def test_a_patient_is_a_candidate_from_their_18th_birthday(
    front_desk_user, clinician_user, born, age, result
):
    with time_machine.travel(TODAY, tick=False):
        first = screened(front_desk_user, sex_at_birth="male", date_of_birth=born)
        screening = finding_record(patient=first.patient, recorded_by=clinician_user, **NORMAL)

    assert screening.result == result, screening.reasons
    under_age = reasons_of(screening, "under-age")
    if result == Result.NOT_A_CANDIDATE:
        [reason] = under_age
        assert reason["severity"] == "absolute"
        assert reason["evidence"] == f"Patient: aged {age}"
    else:
        assert under_age == []


@override_settings(CLINIC_MIN_AGE=21)
def test_the_minimum_age_is_a_setting(front_desk_user, clinician_user):
    with time_machine.travel(TODAY, tick=False):
        first = screened(front_desk_user, sex_at_birth="male", date_of_birth=date(2006, 1, 5))
        screening = finding_record(patient=first.patient, recorded_by=clinician_user, **NORMAL)

    assert screening.result == Result.NOT_A_CANDIDATE
    [reason] = reasons_of(screening, "under-age")
    assert reason["description"].startswith("Younger than 21")
    assert reason["evidence"] == "Patient: aged 20"


def test_a_patient_without_a_recorded_sex_at_birth_is_never_eligible(
    front_desk_user, clinician_user
):
    first = screened(front_desk_user, sex_at_birth="male")
    type(first.patient).objects.filter(pk=first.patient.pk).update(sex_at_birth="")

    screening = finding_record(patient=first.patient, recorded_by=clinician_user, **NORMAL)

    assert screening.result == Result.NEEDS_REVIEW
    [reason] = reasons_of(screening, "patient-details-missing")
    assert reason["evidence"] == "Patient: sex assigned at birth not recorded"


# --- Blood pressure: one pair of settings for screening and the session's gate ----------------


def checked_in_with_baseline(by, *, systolic: int, diastolic: int) -> VitalsReading:
    """A session checked in now, with a baseline reading (rows written directly: the session
    services are tested elsewhere)."""
    patient = screened(by, sex_at_birth="male").patient
    plan = TreatmentPlan.objects.create(
        patient=patient, status=TreatmentPlan.Status.ACTIVE, created_by=by
    )
    version = PlanVersion.objects.create(
        plan=plan,
        number=1,
        effective_at=timezone.now() - timedelta(days=7),
        indication=PlanVersion.Indication.DEPRESSION,
        route=Route.IV,
        dose_amount=Decimal("0.5"),
        dose_unit="mg/kg",
        dose_mg=Decimal("35.0"),
        weight_kg_used=Decimal("70.0"),
        infusion_minutes=40,
        phase=PlanVersion.Phase.INDUCTION,
        sessions_planned=6,
        span_weeks=3,
        start_date=timezone.localdate(),
        prescriber=by,
        created_by=by,
    )
    chair, _ = TreatmentChair.objects.get_or_create(name="Chair 1")
    starts_at = timezone.now() - timedelta(minutes=5)
    session = TreatmentSession.objects.create(
        patient=patient,
        plan=plan,
        plan_version=version,
        chair=chair,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=2),
        booked_by=by,
        status=TreatmentSession.Status.CHECKED_IN,
        consent_current=True,
    )
    return VitalsReading.objects.create(
        session=session,
        kind=VitalsReading.Kind.BASELINE,
        taken_at=timezone.now(),
        systolic=systolic,
        diastolic=diastolic,
        heart_rate=72,
        spo2=98,
        recorded_by=by,
    )


def screening_of(by, clinician, *, systolic: int, diastolic: int):
    first = screened(by, sex_at_birth="male")
    return finding_record(
        patient=first.patient,
        recorded_by=clinician,
        systolic=systolic,
        diastolic=diastolic,
        pulse=70,
    )


def both_rules(by, clinician, *, systolic: int, diastolic: int) -> tuple[bool, bool, bool]:
    """(screening asks for review, the session's gate holds the dose, the dose is blocked)."""
    screening = screening_of(by, clinician, systolic=systolic, diastolic=diastolic)
    baseline = checked_in_with_baseline(by, systolic=systolic, diastolic=diastolic)
    blockers = administration_blockers(baseline.session, baseline)
    return (
        bool(reasons_of(screening, "bp-raised")),
        bp_gated(baseline.session, baseline),
        any("blood pressure" in blocker.lower() for blocker in blockers),
    )


@pytest.mark.parametrize(
    ("systolic", "diastolic", "flagged"),
    [(140, 90, False), (141, 90, True), (140, 91, True), (150, 95, True)],
)
def test_by_default_screening_and_the_gate_both_act_above_140_90(
    front_desk_user, clinician_user, systolic, diastolic, flagged
):
    assert both_rules(front_desk_user, clinician_user, systolic=systolic, diastolic=diastolic) == (
        flagged,
        flagged,
        flagged,
    )


@pytest.mark.parametrize(
    ("systolic", "diastolic", "flagged"),
    [(145, 88, False), (150, 95, False), (151, 95, True), (150, 96, True)],
)
@override_settings(CLINIC_BP_GATE_SYSTOLIC=150, CLINIC_BP_GATE_DIASTOLIC=95)
def test_a_clinic_that_moves_the_gate_moves_screening_and_the_session_together(
    front_desk_user, clinician_user, systolic, diastolic, flagged
):
    assert both_rules(front_desk_user, clinician_user, systolic=systolic, diastolic=diastolic) == (
        flagged,
        flagged,
        flagged,
    )


@override_settings(CLINIC_BP_GATE_SYSTOLIC=130, CLINIC_BP_GATE_DIASTOLIC=85)
def test_the_session_says_the_gate_it_applies(front_desk_user):
    baseline = checked_in_with_baseline(front_desk_user, systolic=135, diastolic=80)

    blockers = administration_blockers(baseline.session, baseline)

    assert any("135/80 is above 130/85" in blocker for blocker in blockers), blockers


@override_settings(CLINIC_BP_SEVERE_SYSTOLIC=170, CLINIC_BP_SEVERE_DIASTOLIC=105)
def test_the_severe_limit_is_a_setting(front_desk_user, clinician_user):
    screening = screening_of(front_desk_user, clinician_user, systolic=170, diastolic=80)

    assert screening.result == Result.NOT_A_CANDIDATE
    [reason] = reasons_of(screening, "bp-severe")
    assert "at or above 170/105" in reason["description"]


@override_settings(
    CLINIC_SCREENING_PULSE_LOW=60, CLINIC_SCREENING_PULSE_HIGH=100, CLINIC_SCREENING_BMI_REVIEW=24.0
)
def test_pulse_and_bmi_limits_are_settings(front_desk_user, clinician_user):
    first = screened(front_desk_user, sex_at_birth="male")

    # The intake's height and weight (5 ft 6 in, 154 lb) make a BMI of about 24.9.
    screening = finding_record(
        patient=first.patient, recorded_by=clinician_user, systolic=120, diastolic=80, pulse=101
    )

    assert [reason["rule_id"] for reason in screening.reasons] == ["pulse", "bmi"]
    assert screening.reasons[0]["description"] == "Pulse outside 60-100 at assessment"
    assert screening.reasons[1]["description"].startswith("BMI 24 or more")

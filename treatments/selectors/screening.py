"""Reads for screening: the facts the rules look at, and the clinician's worklist."""

from decimal import Decimal

from django.db.models import Case, Count, IntegerField, Q, QuerySet, Value, When
from django.utils import timezone

from clinic.prepared import Prepared, loaded
from intake.medications import flag_medications
from intake.models import Intake
from intake.questionnaire import SCREENING_QUESTIONS, STEP_BY_SLUG, TREATMENTS
from intake.questionnaire_state import bind_step, medication_names
from intake.selectors import patient_latest_measurements
from intake.services.patients import age_on

from ..models import AssessmentFinding, Screening, StaffTask
from ..screening_rules import Facts, Result, failed_treatments

QUESTION_WORDS = dict(SCREENING_QUESTIONS)
TREATMENT_WORDS = dict(TREATMENTS)


def _step_data(intake: Intake, slug: str) -> dict:
    bound = bind_step(STEP_BY_SLUG[slug], intake.answers.get(slug), intake=intake)
    if intake.answers.get(slug) is None or not bound.is_valid():
        return {}
    return bound.form.cleaned_data


def _bmi(patient, finding: AssessmentFinding | None) -> float | None:
    weight = finding.weight_kg if finding else None
    height = finding.height_cm if finding else None
    if weight is None or height is None:
        latest = patient_latest_measurements(patient=patient)
        weight = weight or (latest["weight"] or {}).get("weight_kg")
        height = height or (latest["height"] or {}).get("height_cm")
    if not weight or not height:
        return None
    metres = Decimal(height) / 100
    return round(float(Decimal(weight) / (metres * metres)), 1)


def screening_facts(*, intake: Intake, finding: AssessmentFinding | None) -> Facts:
    patient = intake.patient
    submitted = intake.is_submitted
    medical = _step_data(intake, "medical") if submitted else {}
    history = _step_data(intake, "history") if submitted else {}
    medications_step = STEP_BY_SLUG["medications"]
    meds_bound = bind_step(medications_step, intake.answers.get("medications"), intake=intake)
    medications = medication_names(meds_bound) if submitted else []
    return Facts(
        intake_submitted=submitted,
        screening={code: medical.get(f"screen_{code}") or None for code, _ in SCREENING_QUESTIONS},
        questions=QUESTION_WORDS,
        diagnoses=tuple(history.get("diagnoses") or ()),
        medication_classes=tuple(
            (f.drug_class, f.medication) for f in flag_medications(medications)
        ),
        phq9_item9=intake.phq9_item9,
        sex_at_birth=patient.sex_at_birth,
        age=age_on(patient.date_of_birth, timezone.localdate()),
        assessment_recorded=finding is not None,
        systolic=finding.systolic if finding else None,
        diastolic=finding.diastolic if finding else None,
        pulse=finding.pulse if finding else None,
        bmi=_bmi(patient, finding),
        pregnancy_test=(finding.pregnancy_test or None) if finding else None,
    )


def treatment_history(intake: Intake) -> tuple[list[str], dict[str, str]]:
    """(treatments that did not help, in the intake's words; every outcome by code)."""
    history = _step_data(intake, "history") if intake.is_submitted else {}
    outcomes = {
        code: history.get(f"treatment_{code}")
        for code, _ in TREATMENTS
        if history.get(f"treatment_{code}")
    }
    return [TREATMENT_WORDS[code] for code in failed_treatments(outcomes)], outcomes


_FLAG_ORDER = Case(
    When(result=Result.NOT_A_CANDIDATE, then=Value(0)),
    When(result=Result.NEEDS_REVIEW, then=Value(1)),
    default=Value(2),
    output_field=IntegerField(),
)


def screening_worklist() -> QuerySet[Screening]:
    """Current screenings awaiting a decision: flagged ones first, then the longest waiting."""
    return (
        Screening.objects.filter(is_current=True, status=Screening.Status.PENDING)
        .select_related("patient", "intake", "finding")
        .annotate(flag_order=_FLAG_ORDER)
        # Within each group, whoever has waited longest since submitting their intake.
        .order_by("flag_order", "intake__submitted_at", "created_at", "id")
    )


_CURRENT_STATUS = Prepared(
    lambda patient: (
        Screening.objects.filter(patient_id=patient, is_current=True)
        .order_by("-created_at", "-id")
        .values_list("status", flat=True)[:1]
    ),
    patient=int,
)


def current_screening_status(*, patient) -> str | None:
    """What the front desk may see: the status label, never the reasons."""
    status = _CURRENT_STATUS.first(patient=patient.pk)
    return Screening.Status(status).label if status else None


# --- The screening pages, the patient summary, staff tasks --------------------------------


def screening_bmi(*, patient, finding: AssessmentFinding | None) -> float | None:
    """The BMI the rules saw: from the findings, or the patient's latest height and weight."""
    return _bmi(patient, finding)


def screening_for_review(*, pk: int) -> Screening | None:
    """One screening with what its page shows: patient, intake, findings, determination."""
    return (
        Screening.objects.select_related(
            "patient",
            "intake",
            "finding__recorded_by",
            "determination__signed_by",
        )
        .filter(pk=pk)
        .first()
    )


SCREENING_HISTORY_SHOWN = 50


def screening_history(*, patient_id: int, exclude_pk: int) -> list[Screening]:
    """The patient's other screenings, newest first, each with its determination."""
    return list(
        Screening.objects.filter(patient_id=patient_id)
        .exclude(pk=exclude_pk)
        .select_related("determination__signed_by")
        .order_by("-created_at", "-id")[:SCREENING_HISTORY_SHOWN]
    )


def screening_worklist_counts() -> dict[str, int]:
    """How many screenings await a decision, by result (one aggregate query, answered from the
    worklist's partial index alone: hence counting ``result``, never null, not ``id``)."""
    return Screening.objects.filter(is_current=True, status=Screening.Status.PENDING).aggregate(
        **{result.value: Count("result", filter=Q(result=result)) for result in Result}
    )


_CURRENT_SCREENING = Prepared(
    lambda patient: (
        Screening.objects.filter(patient_id=patient, is_current=True)
        .order_by("-created_at", "-id")
        .values("id", "patient_id", "result", "status", "created_at")[:1]
    ),
    patient=int,
)


def patient_current_screening(*, patient) -> Screening | None:
    """The current screening, with what the patient summary shows of it (the rest loads on
    access)."""
    row = _CURRENT_SCREENING.first(patient=patient.pk)
    return None if row is None else loaded(Screening, row)


def screening_task(*, screening: Screening) -> StaffTask | None:
    """The front desk's task made by this screening's request for more information."""
    return (
        StaffTask.objects.filter(source_kind="screening", source_id=screening.pk)
        .select_related("completed_by")
        .order_by("-created_at")
        .first()
    )


TASKS_DONE_SHOWN = 20


def tasks_open(*, roles: list[str]) -> QuerySet[StaffTask]:
    return (
        StaffTask.objects.filter(role__in=roles, status=StaffTask.Status.OPEN)
        .select_related("patient", "created_by")
        .order_by("due_at", "created_at", "id")
    )


def tasks_recently_done(*, roles: list[str]) -> list[StaffTask]:
    return list(
        StaffTask.objects.filter(role__in=roles, status=StaffTask.Status.DONE)
        .select_related("patient", "completed_by")
        .order_by("-completed_at", "-id")[:TASKS_DONE_SHOWN]
    )


def task_open_count(*, roles: list[str]) -> int:
    return StaffTask.objects.filter(role__in=roles, status=StaffTask.Status.OPEN).count()

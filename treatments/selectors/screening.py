"""Reads for screening: the facts the rules look at, and the clinician's worklist."""

from datetime import UTC, datetime
from decimal import Decimal

from django.db.models import Case, Count, F, IntegerField, Q, QuerySet, Value, When
from django.utils import timezone

from intake.access import at_location
from intake.medications import flag_medications
from intake.models import Intake
from intake.questionnaire import SCREENING_QUESTIONS, STEP_BY_SLUG, TREATMENTS
from intake.questionnaire_state import bind_step, medication_names
from intake.selectors import patient_latest_measurements
from intake.services.patients import age_on

from .. import limits
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
        sex_at_birth=patient.sex_at_birth or None,
        age=age_on(patient.date_of_birth, timezone.localdate()) if patient.date_of_birth else None,
        assessment_recorded=finding is not None,
        systolic=finding.systolic if finding else None,
        diastolic=finding.diastolic if finding else None,
        pulse=finding.pulse if finding else None,
        bmi=_bmi(patient, finding),
        pregnancy_test=(finding.pregnancy_test or None) if finding else None,
        limits=limits.screening_limits(),
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
    # Thoughts of self-harm come before everything else, whatever the rest of the screening says.
    When(intake__phq9_item9__gt=0, then=Value(0)),
    When(result=Result.NOT_A_CANDIDATE, then=Value(1)),
    When(result=Result.NEEDS_REVIEW, then=Value(2)),
    default=Value(3),
    output_field=IntegerField(),
)


_WORKLIST_COLUMNS = (
    *("patient", "result", "reasons", "failed_treatments", "status", "is_current", "created_at"),
    *("patient__mrn", "patient__legal_first_name", "patient__legal_last_name"),
)
_WORKLIST_ORDER = ("flag_order", "intake__submitted_at", "created_at", "id")


def _pending(location_id: int | None) -> QuerySet[Screening]:
    """The current screenings awaiting a decision (of one location's patients, given
    ``location_id``)."""
    pending = Screening.objects.filter(is_current=True, status=Screening.Status.PENDING)
    return at_location(pending, location_id)


def screening_worklist(
    *, limit: int | None = None, location_id: int | None = None
) -> QuerySet[Screening]:
    """Current screenings awaiting a decision: a PHQ-9 item 9 answer above "Not at all" first,
    then the other flagged ones, then the longest waiting; the first ``limit`` of them.

    Each with what a worklist row shows (the result, reasons, failed treatments, the patient's
    name and MRN, the item 9 answer) and nothing more. The order rests on the intake (its item 9
    answer and submission time), so every waiting screening is joined to its intake to sort
    them: that sort reads only narrow columns (the screening's from the screening_worklist
    index, the intake's by key) and picks the ids of the ``limit`` first, and only those rows
    are read whole. ``location_id`` (a chain): the screenings of that location's patients."""
    pending = _pending(location_id)
    rows = pending
    if limit is not None:
        first = pending.alias(flag_order=_FLAG_ORDER).order_by(*_WORKLIST_ORDER)
        rows = Screening.objects.filter(id__in=first.values("id")[:limit])
    return (
        rows.select_related("patient")
        .only(*_WORKLIST_COLUMNS)
        .annotate(flag_order=_FLAG_ORDER, phq9_item9=F("intake__phq9_item9"))
        # Within each group, whoever has waited longest since submitting their intake.
        .order_by(*_WORKLIST_ORDER)
    )


def _current_of(patient) -> QuerySet[Screening]:
    return Screening.objects.filter(patient_id=patient.pk, is_current=True).order_by(
        "-created_at", "-id"
    )


def current_screening_status(*, patient) -> str | None:
    """What the front desk may see: the status label, never the reasons."""
    status = _current_of(patient).values_list("status", flat=True).first()
    return Screening.Status(status).label if status else None


# --- The screening pages, the patient summary, staff tasks --------------------------------


def screening_bmi(*, patient, finding: AssessmentFinding | None) -> float | None:
    """The BMI the rules saw: from the findings, or the patient's latest height and weight."""
    return _bmi(patient, finding)


def screening_for_review(*, pk: int) -> Screening | None:
    """One screening with what its page shows: patient, findings, determination. Not the
    intake: the page links to it, and its answers are the widest row a patient has."""
    return (
        Screening.objects.select_related(
            "patient",
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


def screening_worklist_counts(*, location_id: int | None = None) -> dict[str, int]:
    """How many screenings await a decision, by result (one aggregate query, answered from the
    worklist's partial index alone: hence counting ``result``, never null, not ``id``)."""
    return _pending(location_id).aggregate(
        **{result.value: Count("result", filter=Q(result=result)) for result in Result}
    )


# What the patient summary and the intake page show of a screening (the rest loads on access).
_SUMMARY_FIELDS = ("id", "patient", "result", "status", "is_current", "created_at")


def intake_latest_screening(*, intake_id: int) -> Screening | None:
    """The newest screening made from this intake (the current one while the intake is the
    patient's latest), with what the intake page shows of it."""
    return (
        Screening.objects.filter(intake_id=intake_id)
        .only(*_SUMMARY_FIELDS)
        .order_by("-created_at", "-id")
        .first()
    )


def patient_current_screening(*, patient) -> Screening | None:
    """The current screening, with what the patient summary shows of it."""
    return _current_of(patient).only(*_SUMMARY_FIELDS).first()


def screening_task(*, screening: Screening) -> StaffTask | None:
    """The front desk's task made by this screening's request for more information."""
    return (
        StaffTask.objects.filter(source_kind="screening", source_id=screening.pk)
        .select_related("completed_by")
        .order_by("-created_at")
        .first()
    )


TASKS_DONE_SHOWN = 20
_NEVER = datetime.min.replace(tzinfo=UTC)

# What a task list's row shows of its patient and of the staff named (not whole records).
_TASK_PATIENT = ("patient__mrn", "patient__legal_first_name", "patient__legal_last_name")


def _staff_columns(relation: str) -> tuple[str, ...]:
    return tuple(f"{relation}__{name}" for name in ("username", "first_name", "last_name"))


def _first_of_each_role(
    tasks: QuerySet[StaffTask], *, roles: list[str], limit: int, key, reverse: bool = False
) -> list[StaffTask]:
    """The first ``limit`` tasks of ``roles`` in the queryset's order (``key`` in Python):
    one query per role, so each is one index range scan in that order (``role IN (...)``
    would sort every matching row), merged."""
    rows = [task for role in roles for task in tasks.filter(role=role)[:limit]]
    if len(roles) > 1:
        rows.sort(key=key, reverse=reverse)
    return rows[:limit]


def tasks_open(*, roles: list[str], limit: int, location_id: int | None = None) -> list[StaffTask]:
    """The first ``limit`` open tasks of ``roles`` (of one location's patients, given
    ``location_id``), soonest due first (undated last), each with its patient and author. One
    query per role, read from the task_worklist index in order however many tasks are open."""
    tasks = (
        at_location(StaffTask.objects.filter(status=StaffTask.Status.OPEN), location_id)
        .select_related("patient", "created_by")
        .only(
            *("patient", "role", "title", "details", "status", "due_at", "created_at"),
            *("source_kind", "source_id"),
            *("created_by", *_TASK_PATIENT, "patient__mobile", *_staff_columns("created_by")),
        )
        .order_by(F("due_at").asc(nulls_last=True), "created_at", "id")
    )
    return _first_of_each_role(
        tasks,
        roles=roles,
        limit=limit,
        key=lambda task: (
            task.due_at is None,
            task.due_at or _NEVER,
            task.created_at,
            task.pk,
        ),
    )


def tasks_recently_done(*, roles: list[str], location_id: int | None = None) -> list[StaffTask]:
    """The TASKS_DONE_SHOWN tasks of ``roles`` done last (of one location's patients, given
    ``location_id``), with who did them. One query per role, read from the task_done_latest
    index in order however many tasks were ever done."""
    tasks = (
        at_location(StaffTask.objects.filter(status=StaffTask.Status.DONE), location_id)
        .select_related("patient", "completed_by")
        .only(
            *("patient", "role", "title", "status", "completed_at", "outcome", "completed_by"),
            *_TASK_PATIENT,
            *_staff_columns("completed_by"),
        )
        .order_by("-completed_at", "-id")
    )
    return _first_of_each_role(
        tasks,
        roles=roles,
        limit=TASKS_DONE_SHOWN,
        key=lambda task: (task.completed_at is None, task.completed_at or _NEVER, task.pk),
        reverse=True,
    )


def task_open_count(*, roles: list[str], location_id: int | None = None) -> int:
    tasks = StaffTask.objects.filter(role__in=roles, status=StaffTask.Status.OPEN)
    return at_location(tasks, location_id).count()

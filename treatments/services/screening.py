"""Writes for screening: findings, computed screenings, signed determinations, staff tasks."""

from dataclasses import asdict
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from intake.models import Intake, Patient
from intake.patient_messages import CALL_US, patient_message_request
from intake.selectors import patient_open_item9_alerts
from intake.services.questionnaires import intake_request_more_information

from ..models import AssessmentFinding, Screening, ScreeningDetermination, StaffTask
from ..screening_rules import Result, screen
from ..selectors.screening import screening_facts, treatment_history


def screening_run(*, intake: Intake, finding: AssessmentFinding | None = None) -> Screening:
    """Screen a patient on their submitted intake and latest findings. The new screening
    becomes the current one; earlier ones (and their determinations) stay as history."""
    if finding is None:
        finding = (
            AssessmentFinding.objects.filter(patient_id=intake.patient_id)
            .order_by("-recorded_at")
            .first()
        )
    outcome = screen(screening_facts(intake=intake, finding=finding))
    failed, _ = treatment_history(intake)
    with transaction.atomic():
        Screening.objects.select_for_update().filter(
            patient_id=intake.patient_id, is_current=True
        ).update(is_current=False)
        return Screening.objects.create(
            patient_id=intake.patient_id,
            intake=intake,
            finding=finding,
            result=outcome.result.value,
            reasons=[
                {**asdict(reason), "severity": reason.severity.value} for reason in outcome.reasons
            ],
            ruleset_version=outcome.ruleset_version,
            failed_treatments=failed,
            created_at=timezone.now(),
        )


def screening_on_intake_changed(*, intake: Intake) -> None:
    """Registered with intake: every submitted or amended intake gets a fresh screening."""
    if intake.is_submitted:
        screening_run(intake=intake)


def finding_record(
    *,
    patient: Patient,
    recorded_by,
    systolic: int | None,
    diastolic: int | None,
    pulse: int | None,
    weight_kg: Decimal | None = None,
    height_cm: Decimal | None = None,
    pregnancy_test: str = "",
    notes: str = "",
) -> Screening:
    """Record the assessment's findings and screen again with them."""
    intake = (
        Intake.objects.filter(patient=patient, status=Intake.Status.SUBMITTED)
        .order_by("-submitted_at")
        .first()
    )
    if intake is None:
        raise ValidationError("The patient has no submitted intake to screen yet.")
    with transaction.atomic():
        finding = AssessmentFinding(
            patient=patient,
            intake=intake,
            systolic=systolic,
            diastolic=diastolic,
            pulse=pulse,
            weight_kg=weight_kg,
            height_cm=height_cm,
            pregnancy_test=pregnancy_test,
            notes=notes,
            recorded_by=recorded_by,
            recorded_at=timezone.now(),
        )
        finding.full_clean()
        finding.save()
        return screening_run(intake=intake, finding=finding)


STATUS_FOR_DECISION = {
    ScreeningDetermination.Decision.APPROVE: Screening.Status.APPROVED,
    ScreeningDetermination.Decision.DECLINE: Screening.Status.DECLINED,
    ScreeningDetermination.Decision.MORE_INFO: Screening.Status.MORE_INFO,
}


ITEM9_NOT_ACKNOWLEDGED = (
    "Acknowledge the PHQ-9 item 9 alert (thoughts of self-harm) before approving: "
    "say what was done about it."
)


def screening_determine(
    *,
    screening: Screening,
    decision: str,
    signed_by,
    reason: str = "",
    info_request: str = "",
    info_route: str = "",
    override_justification: str = "",
) -> ScreeningDetermination:
    """Sign a decision on the current screening. Signed determinations are locked."""
    Decision = ScreeningDetermination.Decision
    errors: dict[str, str] = {}
    if decision not in Decision.values:
        errors["decision"] = "Choose a decision."
    if decision == Decision.DECLINE and not reason.strip():
        errors["reason"] = "Give the clinical reason for declining."
    if decision == Decision.MORE_INFO:
        if not info_request.strip():
            errors["info_request"] = "Say what information is needed."
        if info_route not in ScreeningDetermination.InfoRoute.values:
            errors["info_route"] = "Choose who should get the information."
    is_override = decision == Decision.APPROVE and screening.result == Result.NOT_A_CANDIDATE
    if is_override and not override_justification.strip():
        errors["override_justification"] = (
            "Approving a patient screened “Not a candidate” needs a written justification."
        )
    if decision == Decision.APPROVE and patient_open_item9_alerts(patient_id=screening.patient_id):
        errors["decision"] = ITEM9_NOT_ACKNOWLEDGED
    if errors:
        raise ValidationError(errors)

    with transaction.atomic():
        locked = (
            Screening.objects.select_for_update().select_related("patient").get(pk=screening.pk)
        )
        if not locked.is_current:
            raise ValidationError("A newer screening exists for this patient: review that one.")
        if ScreeningDetermination.objects.filter(screening=locked).exists():
            raise ValidationError("This screening is already signed; it cannot be changed.")
        determination = ScreeningDetermination.objects.create(
            screening=locked,
            decision=decision,
            reason=reason.strip(),
            info_request=info_request.strip() if decision == Decision.MORE_INFO else "",
            info_route=info_route if decision == Decision.MORE_INFO else "",
            is_override=is_override,
            override_justification=override_justification.strip() if is_override else "",
            signed_by=signed_by,
            signed_at=timezone.now(),
        )
        locked.status = STATUS_FOR_DECISION[decision]
        locked.save(update_fields=["status"])
        if decision == Decision.MORE_INFO:
            _ask_for_more_information(locked, determination, signed_by)
        if decision == Decision.DECLINE:
            # A decline is explained in person: the message only asks the patient to call.
            patient_message_request(
                purpose=CALL_US, patient_id=locked.patient_id, key=f"screening:{locked.pk}:call_us"
            )
    return determination


def _ask_for_more_information(screening: Screening, determination, user) -> None:
    if determination.info_route == ScreeningDetermination.InfoRoute.PATIENT:
        sent = intake_request_more_information(
            previous=screening.intake, request=determination.info_request, requested_by=user
        )
        if sent:
            return
        # The link could not go out (no contact details or consent): the front desk takes over.
    task_create(
        patient=screening.patient,
        role=StaffTask.Role.FRONT_DESK,
        title="Contact the patient: the clinician needs more information",
        details=determination.info_request,
        source_kind="screening",
        source_id=screening.pk,
        created_by=user,
    )


def task_create(
    *,
    patient: Patient,
    role: str,
    title: str,
    details: str = "",
    due_at=None,
    source_kind: str = "",
    source_id: int | None = None,
    created_by=None,
) -> StaffTask:
    return StaffTask.objects.create(
        patient=patient,
        role=role,
        title=title,
        details=details,
        due_at=due_at or timezone.now(),
        source_kind=source_kind,
        source_id=source_id,
        created_by=created_by,
    )


def task_complete(*, task: StaffTask, user, outcome: str) -> StaffTask:
    with transaction.atomic():
        locked = StaffTask.objects.select_for_update().get(pk=task.pk)
        if locked.status != StaffTask.Status.OPEN:
            raise ValidationError("This task is already closed.")
        locked.status = StaffTask.Status.DONE
        locked.completed_at = timezone.now()
        locked.completed_by = user
        locked.outcome = outcome.strip()[:500]
        locked.save(update_fields=["status", "completed_at", "completed_by", "outcome"])
        if locked.source_kind == "screening":
            # The information the clinician asked for is in: back to their worklist.
            screening = Screening.objects.select_related("intake").get(pk=locked.source_id)
            if screening.is_current:
                screening_run(intake=screening.intake, finding=screening.finding)
    return locked

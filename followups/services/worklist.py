"""What staff do from the follow-up worklist: log a phone call, close a task, review an
answered check-in survey."""

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from intake.models import ClinicalAlert
from intake.services.questionnaires import alert_acknowledge
from treatments.models import StaffTask
from treatments.services import screening as task_services

from ..models import FollowUpCall, Survey

Outcome = FollowUpCall.Outcome
NOTE_NEEDED_WHEN_REACHED = "Write what the patient said."
NOTE_NEEDED_WHEN_ESCALATED = "Write what you did about the escalation."
ALREADY_CLOSED = "This task is already closed."
ALREADY_REVIEWED = "This survey has been reviewed already."


def _clean(text: str | None) -> str:
    return " ".join((text or "").split())


def followup_call_record(
    *,
    task: StaffTask,
    outcome: str,
    note: str,
    by,
    called_at: datetime | None = None,
) -> FollowUpCall:
    """Log a phone call made for a task. Speaking with the patient closes the task (with what
    they said, which is required); a voicemail, no answer or a wrong number keeps it open for
    another try, with the call listed."""
    note = _clean(note)
    now = timezone.now()
    called_at = called_at or now
    errors = {}
    if outcome not in Outcome.values:
        errors["outcome"] = "Choose what came of the call."
    elif outcome == Outcome.REACHED and not note:
        errors["note"] = NOTE_NEEDED_WHEN_REACHED
    if called_at > now:
        errors["called_at"] = "The call cannot be in the future."
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        locked = StaffTask.objects.select_for_update().get(pk=task.pk)
        if locked.status != StaffTask.Status.OPEN:
            raise ValidationError(ALREADY_CLOSED)
        call = FollowUpCall.objects.create(
            patient_id=locked.patient_id,
            task=locked,
            outcome=outcome,
            note=note[:1000],
            called_at=called_at,
            called_by=by,
        )
        if outcome == Outcome.REACHED:
            task_complete(task=locked, by=by, outcome=f"{Outcome.REACHED.label}: {note}")
    return call


def task_complete(*, task: StaffTask, by, outcome: str) -> StaffTask:
    """Close a follow-up task with what was done (required). Refused if already closed."""
    outcome = _clean(outcome)
    if not outcome:
        raise ValidationError({"outcome": "Write a short note of what was done."})
    # The one place tasks are closed (it also reopens the screening of a screening task).
    return task_services.task_complete(task=task, user=by, outcome=outcome)


def survey_review(*, survey: Survey, by, note: str) -> Survey:
    """A clinician has read an answered survey. An escalated one needs a note of what was done;
    its open alerts are acknowledged with the same note. Reviewing twice is refused, and the
    first review stays as it was."""
    note = _clean(note)
    if survey.status != Survey.Status.COMPLETED:
        raise ValidationError("Only an answered survey can be reviewed.")
    with transaction.atomic():
        locked = Survey.objects.select_for_update().get(pk=survey.pk)
        if locked.reviewed_at is not None:
            raise ValidationError(ALREADY_REVIEWED, code="already_reviewed")
        if locked.escalated and not note:
            raise ValidationError({"note": NOTE_NEEDED_WHEN_ESCALATED})
        locked.reviewed_at = timezone.now()
        locked.reviewed_by = by
        locked.review_note = note[:1000]
        locked.save(update_fields=["reviewed_at", "reviewed_by", "review_note"])
        if note:
            for alert in ClinicalAlert.objects.filter(
                source_kind="survey", source_id=locked.pk, acknowledged_at__isnull=True
            ):
                alert_acknowledge(alert=alert, user=by, note=note[:500])
    return locked

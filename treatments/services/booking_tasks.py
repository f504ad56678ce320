"""The front desk's task to book an active plan's sessions: opened when the clinician activates
the plan, done once the plan holds as many sessions as it plans, cancelled if the plan ends
first. A StaffTask on the front desk's task list (``source_kind="plan-booking"``, the plan's id),
written in the transaction of the change that causes it."""

from django.db.models import Count, Q
from django.utils import timezone

from ..models import HOLDING_STATUSES, PlanVersion, StaffTask, TreatmentPlan
from ..selectors.plans import PLAN_BOOKING_TASK
from .screening import task_create

SOURCE = PLAN_BOOKING_TASK
TITLE = "Book the treatment plan's sessions"


def _open_tasks(plan_id: int):
    return StaffTask.objects.filter(
        source_kind=SOURCE, source_id=plan_id, status=StaffTask.Status.OPEN
    )


def plan_booking_task_open(*, plan: TreatmentPlan, version: PlanVersion, user) -> StaffTask:
    """The task, once per activation (an open one is kept, not doubled)."""
    task = _open_tasks(plan.pk).first()
    if task is not None:
        return task
    sessions = version.sessions_planned or 0
    details = (
        f"{version.get_route_display()}: {sessions} session{'s' if sessions != 1 else ''} "
        f"from {version.start_date:%m/%d/%Y}."
    )
    return task_create(
        patient=plan.patient,
        role=StaffTask.Role.FRONT_DESK,
        title=TITLE,
        details=details,
        source_kind=SOURCE,
        source_id=plan.pk,
        created_by=user,
    )


def _close(plan_id: int, *, user, status: str, outcome: str) -> None:
    # Row by row (there is one), so each closing is in the audit trail as a change.
    for task in _open_tasks(plan_id).select_for_update():
        task.status = status
        task.completed_at = timezone.now()
        task.completed_by = user
        task.outcome = outcome
        task.save(update_fields=["status", "completed_at", "completed_by", "outcome"])


def plan_booking_task_close_if_booked(*, plan_id: int, sessions_planned: int | None, user) -> None:
    """Called as a session is booked: the task is done once the plan holds every session it
    plans (at least one). Two queries."""
    held = TreatmentPlan.objects.filter(pk=plan_id).aggregate(
        held=Count("sessions", filter=Q(sessions__status__in=HOLDING_STATUSES))
    )["held"]
    if held < max(sessions_planned or 0, 1):
        return
    _close(
        plan_id,
        user=user,
        status=StaffTask.Status.DONE,
        outcome=f"All {held} session{'s' if held != 1 else ''} booked.",
    )


def plan_booking_task_cancel(*, plan: TreatmentPlan, user) -> None:
    """The plan ended (completed or stopped) before its sessions were all booked."""
    _close(
        plan.pk,
        user=user,
        status=StaffTask.Status.CANCELLED,
        outcome=f"The plan was {plan.get_status_display().lower()}.",
    )

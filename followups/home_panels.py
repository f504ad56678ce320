"""This app's panels on the staff home page (registered in ``FollowupsConfig.ready``).

The front desk's: the follow-ups to book (the outbox's tasks) and what is overdue (tasks past
their day, intake links that expired unanswered, messages that failed to send). The clinicians':
their follow-up worklist and the maintenance reviews due.
"""

from datetime import datetime, timedelta
from functools import cache, partial

from django.db.models import Count, Q, Window
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone

from clinic.home import once, register_panel
from clinic.locations import current_location_id
from clinic.roles import CLINICIAN, FRONT_DESK, has_role
from intake import selectors as intake_selectors
from intake.access import at_location
from treatments.models import StaffTask

from . import selectors
from .models import OutboxEntry
from .models.outbox import with_channel
from .selectors.worklists import TASK_SOURCE, day_bounds

TaskKind = OutboxEntry.TaskKind
# The front desk's tasks from the outbox, in the order the panel lists them. A task's title is
# its kind's label (services.outbox makes it so), which is what the counts match on.
BOOKING_TASKS = (
    TaskKind.INTEGRATION_BOOKING,
    TaskKind.FOLLOWUP_BOOKING,
    TaskKind.PHONE_FOLLOWUP,
)
# A reminder that failed longer ago than this is past the point of a call (its appointment or
# survey has gone by); the patient's communication log keeps it.
FAILED_RECENT_DAYS = 7
FAILED_SHOWN = 5
FAILED_LIST_ID = "failed-messages"


def _worklist_url(role: str) -> str:
    url = reverse("followups:worklist")
    # A clinician who is also front desk sees their own list unless they ask for this one.
    return f"{url}?tasks={role}" if role == StaffTask.Role.FRONT_DESK else url


def _open_outbox_tasks(role: str, before: datetime, location_id: int | None):
    tasks = StaffTask.objects.filter(
        role=role, source_kind=TASK_SOURCE, status=StaffTask.Status.OPEN, due_at__lt=before
    )
    return at_location(tasks, location_id)


# --- Reads only the home page makes -------------------------------------------------------------


def front_desk_task_counts(*, location_id: int | None = None) -> dict[str, int]:
    """The front desk's open outbox tasks on its worklist (due today or before), by kind, and
    how many are overdue (due before today); of one location's patients, given
    ``location_id``. One aggregate, shared by two panels, answered from the task worklist's
    covering index alone (so it counts indexed columns, not ``id``)."""
    _, start, end = day_bounds(timezone.now())
    return _open_outbox_tasks(StaffTask.Role.FRONT_DESK, end, location_id).aggregate(
        **{kind.value: Count("title", filter=Q(title=kind.label)) for kind in BOOKING_TASKS},
        overdue=Count("due_at", filter=Q(due_at__lt=start)),
    )


@cache
def front_desk_task_counts_at(location_id: int | None):
    """``front_desk_task_counts`` of one location as a read of no arguments, the same object
    for the same location, so the two panels showing it read it once (``clinic.home.once``)."""
    return partial(front_desk_task_counts, location_id=location_id)


def maintenance_reviews_due_count(*, now: datetime, location_id: int | None = None) -> int:
    _, _, end = day_bounds(now)
    return (
        _open_outbox_tasks(StaffTask.Role.CLINICIAN, end, location_id)
        .filter(title=TaskKind.MAINTENANCE_REVIEW.label)
        .count()
    )


def recent_failed_messages(
    *, now: datetime, location_id: int | None = None
) -> tuple[int, list[OutboxEntry]]:
    """Messages to patients (not task rows) that failed in the last ``FAILED_RECENT_DAYS``
    days (to one location's patients, given ``location_id``): how many, and the newest few
    with their patient. One query (the total is a window over the whole match)."""
    failed = OutboxEntry.objects.filter(
        status=OutboxEntry.Status.FAILED,
        due_at__gte=now - timedelta(days=FAILED_RECENT_DAYS),
    )
    entries = list(
        at_location(failed, location_id)
        .exclude(purpose=OutboxEntry.Purpose.TASK)
        .select_related("patient")
        # What the list shows: not the whole records (each phone number is parsed as it loads).
        .only(
            *("purpose", "channel", "due_at", "patient"),
            *("patient__legal_first_name", "patient__legal_last_name", "patient__mobile"),
        )
        .annotate(total=Window(Count("id")))
        .order_by("-due_at", "-id")[:FAILED_SHOWN]
    )
    return (entries[0].total if entries else 0), entries


# --- The front desk -----------------------------------------------------------------------------


def followups_to_book_panel(request: HttpRequest) -> dict | None:
    """Front desk: the appointments to book and calls to make that the outbox asked for."""
    if not has_role(request.user, [FRONT_DESK]):
        return None
    # A chain: the working location's patients' tasks (as the worklist shows them).
    counts = once(request, front_desk_task_counts_at(current_location_id(request)))
    url = _worklist_url(StaffTask.Role.FRONT_DESK)
    return {
        "title": "Follow-ups to book",
        "audience": FRONT_DESK,
        "counts": [
            {"label": kind.label, "count": counts[kind.value], "url": url} for kind in BOOKING_TASKS
        ],
        "link": {"label": "Open the follow-up worklist", "url": url},
    }


def overdue_panel(request: HttpRequest) -> dict | None:
    """Front desk: what is late. Every count here needs someone to act (call, resend, book)."""
    if not has_role(request.user, [FRONT_DESK]):
        return None
    now = timezone.now()
    location_id = current_location_id(request)  # a chain: the working location's patients'
    tasks = once(request, front_desk_task_counts_at(location_id))
    intakes = once(request, intake_selectors.intake_queue_counts_at(location_id))
    failed_total, failed = recent_failed_messages(now=now, location_id=location_id)
    items = []
    for entry in failed:
        patient = entry.patient
        item = {
            "text": patient.full_name,
            "url": reverse("followups:communication_log", args=[patient.pk]),
            "detail": (
                f"{with_channel(entry.get_purpose_display(), entry.channel)}, "
                f"due {timezone.localtime(entry.due_at):%m/%d %H:%M}"
            ),
        }
        if patient.mobile:
            item["action"] = {
                "label": f"Call {patient.mobile}",
                "url": f"tel:{patient.mobile.as_e164}",
                "context": patient.full_name,
            }
        items.append(item)
    expired = intakes["expired"]
    return {
        "title": "Overdue",
        "audience": FRONT_DESK,
        "counts": [
            {
                "label": "Follow-up tasks overdue",
                "count": tasks["overdue"],
                "url": f"{_worklist_url(StaffTask.Role.FRONT_DESK)}#overdue",
                "urgent": True,
            },
            {
                "label": "Intake links expired unanswered",
                "count": expired,
                "url": f"{reverse('intake:intake_queue')}?status=expired",
                "urgent": True,
            },
            {
                "label": "Messages that failed to send",
                "count": failed_total,
                "url": f"#{FAILED_LIST_ID}",
                "urgent": True,
            },
        ],
        "items_title": "Failed to send: call the patient",
        "items_id": FAILED_LIST_ID,
        "items_empty": f"None in the last {FAILED_RECENT_DAYS} days.",
        "items": items,
        "items_more": max(failed_total - len(items), 0),
        "urgent": bool(tasks["overdue"] or expired or failed_total),
    }


# --- Clinicians ---------------------------------------------------------------------------------


def followups_panel(request: HttpRequest) -> dict | None:
    """Clinicians: escalated surveys, and what is due today and overdue on their follow-up
    worklist. Urgent when anything is escalated or overdue."""
    if not has_role(request.user, [CLINICIAN]):
        return None
    counts = selectors.worklist_counts(
        role=StaffTask.Role.CLINICIAN, now=timezone.now(), location_id=current_location_id(request)
    )
    url = reverse("followups:worklist")
    return {
        "title": "Follow-ups",
        "audience": CLINICIAN,
        "counts": [
            {
                "label": "Escalations",
                "count": counts["escalations"],
                "url": f"{url}#escalations",
                "urgent": True,
            },
            {"label": "Due today", "count": counts["due_today"], "url": f"{url}#due-today"},
            {
                "label": "Overdue",
                "count": counts["overdue"],
                "url": f"{url}#overdue",
                "urgent": True,
            },
        ],
        "link": {"label": "Open the follow-up worklist", "url": url},
        "urgent": bool(counts["escalations"] or counts["overdue"]),
    }


def maintenance_reviews_panel(request: HttpRequest) -> dict | None:
    """Clinicians: patients whose maintenance plan is due a review (today or before)."""
    if not has_role(request.user, [CLINICIAN]):
        return None
    count = maintenance_reviews_due_count(
        now=timezone.now(), location_id=current_location_id(request)
    )
    url = reverse("followups:worklist")
    return {
        "title": "Maintenance reviews",
        "audience": CLINICIAN,
        "counts": [{"label": "Maintenance reviews due", "count": count, "url": url}],
        "link": {"label": "Open the follow-up worklist", "url": url},
    }


def register() -> None:
    # Orders place a panel within its role's part of the page (clinic.home).
    register_panel("followups-overdue", overdue_panel, order=12)
    register_panel("followups-to-book", followups_to_book_panel, order=14)
    register_panel("followups-worklist", followups_panel, order=26)
    register_panel("followups-maintenance", maintenance_reviews_panel, order=28)

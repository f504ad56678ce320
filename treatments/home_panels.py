"""This app's panels on the staff home page (registered in ``TreatmentsConfig.ready``)."""

from django.http import HttpRequest
from django.urls import reverse

from clinic.home import register_panel
from clinic.roles import CLINICIAN, FRONT_DESK, has_role

from .models import StaffTask
from .screening_rules import RESULT_LABELS, Result
from .selectors import booking as booking_selectors
from .selectors import screening as selectors
from .selectors import sessions as session_selectors


def screenings_to_review_panel(request: HttpRequest) -> dict | None:
    """Clinicians: the worklist's size, by result, flagged first."""
    if not has_role(request.user, [CLINICIAN]):
        return None
    counts = selectors.screening_worklist_counts()
    worklist = reverse("treatments:screening_worklist")
    return {
        "title": "Screenings to review",
        "counts": [
            {"label": RESULT_LABELS[result], "count": counts[result.value], "url": worklist}
            for result in (Result.NOT_A_CANDIDATE, Result.NEEDS_REVIEW, Result.ELIGIBLE)
        ],
        "link": {"label": "Open the screening worklist", "url": worklist},
    }


def front_desk_tasks_panel(request: HttpRequest) -> dict | None:
    if not has_role(request.user, [FRONT_DESK]):
        return None
    tasks = reverse("treatments:task_list")
    count = selectors.task_open_count(roles=[StaffTask.Role.FRONT_DESK])
    return {
        "title": "Tasks",
        "counts": [{"label": "Open tasks", "count": count, "url": tasks}],
        "link": {"label": "Open the task list", "url": tasks},
    }


def sessions_today_panel(request: HttpRequest) -> dict | None:
    """Front desk: how many sessions hold a chair today, and the day's chair board."""
    if not has_role(request.user, [FRONT_DESK]):
        return None
    board = reverse("treatments:chair_board")
    return {
        "title": "Today's sessions",
        "counts": [
            {
                "label": "Booked today",
                "count": booking_selectors.sessions_today_count(),
                "url": board,
            }
        ],
        "link": {"label": "Open the chair board", "url": board},
    }


def sessions_to_sign_panel(request: HttpRequest) -> dict | None:
    """Clinicians: session notes waiting for a signature (the list they open)."""
    if not has_role(request.user, [CLINICIAN]):
        return None
    count = session_selectors.sessions_to_sign_count()
    worklist = reverse("treatments:sessions_to_sign")
    return {
        "title": "Sessions to sign",
        "counts": [{"label": "Waiting for a signature", "count": count, "url": worklist}],
        "link": {"label": "Open the sessions to sign", "url": worklist},
        "urgent": bool(count),
    }


def register() -> None:
    register_panel("treatments-screening", screenings_to_review_panel, order=25)
    register_panel("treatments-tasks", front_desk_tasks_panel, order=15)
    register_panel("treatments-sessions-today", sessions_today_panel, order=10)
    register_panel("treatments-sessions-to-sign", sessions_to_sign_panel, order=26)

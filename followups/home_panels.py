"""This app's panel on the staff home page (registered in ``FollowupsConfig.ready``)."""

from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone

from clinic.home import register_panel
from clinic.roles import CLINICIAN, FRONT_DESK, has_role
from treatments.models import StaffTask

from . import selectors


def followups_panel(request: HttpRequest) -> dict | None:
    """Escalated surveys (clinicians), and what is due today and overdue on the user's own
    follow-up worklist. Urgent when anything is escalated or overdue."""
    if has_role(request.user, [CLINICIAN]):
        role = StaffTask.Role.CLINICIAN
    elif has_role(request.user, [FRONT_DESK]):
        role = StaffTask.Role.FRONT_DESK
    else:
        return None
    counts = selectors.worklist_counts(role=role, now=timezone.now())
    url = reverse("followups:worklist")
    rows = []
    if role == StaffTask.Role.CLINICIAN:
        rows.append(
            {"label": "Escalations", "count": counts["escalations"], "url": f"{url}#escalations"}
        )
    rows += [
        {"label": "Due today", "count": counts["due_today"], "url": f"{url}#due-today"},
        {"label": "Overdue", "count": counts["overdue"], "url": f"{url}#overdue"},
    ]
    return {
        "title": "Follow-ups",
        "counts": rows,
        "link": {"label": "Open the follow-up worklist", "url": url},
        "urgent": bool(counts["escalations"] or counts["overdue"]),
    }


def register() -> None:
    register_panel("followups-worklist", followups_panel, order=12)

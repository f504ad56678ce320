"""This app's panels on the staff home page (registered in ``IntakeConfig.ready``)."""

from django.http import HttpRequest
from django.urls import reverse

from clinic.home import register_panel
from clinic.roles import CLINICIAN, FRONT_DESK, has_role

from . import selectors


def intake_queue_panel(request: HttpRequest) -> dict | None:
    """Front desk: how many intakes are in each state, each linked to its tab of the queue."""
    if not has_role(request.user, [FRONT_DESK]):
        return None
    counts = selectors.intake_queue_counts()
    queue = reverse("intake:intake_queue")
    return {
        "title": "Intake",
        "counts": [
            {"label": tab.label, "count": counts[tab.slug], "url": f"{queue}?status={tab.slug}"}
            for tab in selectors.QUEUE_TABS
        ],
        "link": {"label": "Open the intake queue", "url": queue},
    }


def urgent_alerts_panel(request: HttpRequest) -> dict | None:
    if not has_role(request.user, [CLINICIAN]):
        return None
    count = selectors.alert_open_count()
    alerts = reverse("intake:alert_list")
    return {
        "title": "Urgent alerts",
        "counts": [{"label": "Waiting for a clinician", "count": count, "url": alerts}],
        "link": {"label": "Open alerts", "url": alerts},
        "urgent": count > 0,
    }


def intakes_to_review_panel(request: HttpRequest) -> dict | None:
    if not has_role(request.user, [CLINICIAN]):
        return None
    submitted = f"{reverse('intake:intake_queue')}?status=submitted"
    return {
        "title": "Intakes to review",
        "counts": [
            {
                "label": f"Submitted in the last {selectors.QUEUE_RECENT_DAYS} days",
                "count": selectors.intakes_to_review_count(),
                "url": submitted,
            }
        ],
        "link": {"label": "Review submitted intakes", "url": submitted},
    }


def register() -> None:
    register_panel("intake-alerts", urgent_alerts_panel, order=10)
    register_panel("intake-review", intakes_to_review_panel, order=20)
    register_panel("intake-queue", intake_queue_panel, order=30)

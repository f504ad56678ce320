"""This app's panels on the staff home page (registered in ``IntakeConfig.ready``)."""

from django.db.models import Count, Q
from django.http import HttpRequest
from django.urls import reverse

from clinic.home import once, register_panel
from clinic.locations import current_location_id
from clinic.roles import CLINICIAN, FRONT_DESK, has_role

from . import selectors
from .access import at_location
from .models import ClinicalAlert, ConsultationRequest

AlertKind = ClinicalAlert.Kind
# The alerts panel's rows: item 9 needs a clinician now; the others wait on the worklist.
ALERT_ROWS = (
    (AlertKind.PHQ9_ITEM9, "Thoughts of self-harm (PHQ-9 item 9)", True),
    (AlertKind.SCORE_WORSE, "Scores worse than before treatment", False),
    (AlertKind.SEVERE_SIDE_EFFECT, "Severe side effects reported", False),
)


def open_alert_counts(*, location_id: int | None = None) -> dict[str, int]:
    """Unacknowledged alerts by kind (of one location's patients, given ``location_id``), in
    one aggregate query."""
    alerts = ClinicalAlert.objects.filter(acknowledged_at__isnull=True)
    return at_location(alerts, location_id).aggregate(
        **{kind.value: Count("id", filter=Q(kind=kind)) for kind, _, _ in ALERT_ROWS}
    )


def intake_queue_panel(request: HttpRequest) -> dict | None:
    """Front desk: how many intakes are in each state, each linked to its tab of the queue."""
    if not has_role(request.user, [FRONT_DESK]):
        return None
    # Shared with the front desk's overdue items (expired links), read once; a chain: the
    # working location's.
    counts = once(request, selectors.intake_queue_counts_at(current_location_id(request)))
    queue = reverse("intake:intake_queue")
    return {
        "title": "Intake",
        "audience": FRONT_DESK,
        "counts": [
            {"label": tab.label, "count": counts[tab.slug], "url": f"{queue}?status={tab.slug}"}
            for tab in selectors.QUEUE_TABS
        ],
        "link": {"label": "Open the intake queue", "url": queue},
    }


def new_inquiries_panel(request: HttpRequest) -> dict | None:
    """Front desk: consultation requests from the public page that nobody has handled yet."""
    if not has_role(request.user, [FRONT_DESK]):
        return None
    new, held = ConsultationRequest.Status.NEW, ConsultationRequest.Status.HELD
    requests = ConsultationRequest.objects.filter(status__in=[new, held])
    location_id = current_location_id(request)
    if location_id is not None:  # a chain: the location worked in, as its queue shows
        requests = requests.filter(location_id=location_id)
    counts = requests.aggregate(
        new=Count("id", filter=Q(status=new)), held=Count("id", filter=Q(status=held))
    )  # from the queue's index
    url = f"{reverse('intake:inquiry_list')}?status={new}"
    return {
        "title": "New inquiries",
        "audience": FRONT_DESK,
        "counts": [
            {"label": "Waiting for a reply", "count": counts["new"], "url": url},
            # Requests that may be a robot's, until someone looks: a person's may be among them.
            {"label": "Held for a check", "count": counts["held"], "url": f"{url}#held-heading"},
        ],
        "link": {"label": "Open the inquiries", "url": url},
    }


def alerts_panel(request: HttpRequest) -> dict | None:
    """Clinicians: open alerts by kind; thoughts of self-harm are urgent."""
    if not has_role(request.user, [CLINICIAN]):
        return None
    counts = open_alert_counts(location_id=current_location_id(request))
    alerts = reverse("intake:alert_list")
    return {
        "title": "Alerts",
        "audience": CLINICIAN,
        "counts": [
            {"label": label, "count": counts[kind.value], "url": alerts, "urgent": urgent}
            for kind, label, urgent in ALERT_ROWS
        ],
        "link": {"label": "Open alerts", "url": alerts},
        "urgent": bool(counts[AlertKind.PHQ9_ITEM9.value]),
    }


def intakes_to_review_panel(request: HttpRequest) -> dict | None:
    if not has_role(request.user, [CLINICIAN]):
        return None
    submitted = f"{reverse('intake:intake_queue')}?status=submitted"
    return {
        "title": "Intakes to review",
        "audience": CLINICIAN,
        "counts": [
            {
                "label": f"Submitted in the last {selectors.QUEUE_RECENT_DAYS} days",
                "count": selectors.intakes_to_review_count(
                    location_id=current_location_id(request)
                ),
                "url": submitted,
            }
        ],
        "link": {"label": "Review submitted intakes", "url": submitted},
    }


def register() -> None:
    # Orders place a panel within its role's part of the page (clinic.home).
    register_panel("intake-alerts", alerts_panel, order=10)
    register_panel("intake-review", intakes_to_review_panel, order=24)
    register_panel("intake-inquiries", new_inquiries_panel, order=16)
    register_panel("intake-queue", intake_queue_panel, order=18)

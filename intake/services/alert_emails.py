"""The email telling clinicians an urgent alert is waiting: the work of the task that
``alert_raise`` queues (intake.tasks imports this module, so it imports no task)."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from clinic.notifications import NotificationError, send_email_message
from clinic.roles import CLINICIAN

from ..models import ClinicalAlert


def alert_notify(*, alert_id: int) -> bool:
    """Email every active clinician that an urgent alert is waiting (no patient details)."""
    claimed = ClinicalAlert.objects.filter(pk=alert_id, notified_at__isnull=True).update(
        notified_at=timezone.now()
    )
    if not claimed:
        return False
    if ClinicalAlert.objects.filter(pk=alert_id, acknowledged_at__isnull=False).exists():
        # A clinician already handled it in the app (the email was held up, e.g. by the broker
        # being down): an "urgent" email now would only mislead. Claimed, so the sweep stops.
        return False
    recipients = list(
        get_user_model()
        .objects.filter(is_active=True, groups__name=CLINICIAN)
        .exclude(email="")
        .values_list("email", flat=True)
    )
    url = settings.CLINIC_BASE_URL.rstrip("/") + reverse("intake:alert_list")
    try:
        for email in recipients:
            send_email_message(
                to=email,
                subject=f"Urgent: a patient alert needs review ({settings.CLINIC_NAME})",
                body=(
                    f"An urgent alert is waiting for a clinician. Sign in to review it:\n\n{url}\n"
                ),
            )
    except NotificationError:
        ClinicalAlert.objects.filter(pk=alert_id).update(notified_at=None)
        raise
    return True

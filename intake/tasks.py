"""Thin Celery tasks: fetch by id, call the service."""

from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from .models import ClinicalAlert
from .services.alert_emails import alert_notify


@shared_task(acks_late=True, autoretry_for=(Exception,), retry_backoff=30, max_retries=5)
def notify_clinicians_of_alert(alert_id: int) -> bool:
    return alert_notify(alert_id=alert_id)


@shared_task(acks_late=True)
def notify_pending_alerts() -> int:
    """Catch alerts whose notification was never queued (broker down at the time)."""
    stale = timezone.now() - timedelta(minutes=1)
    ids = list(
        ClinicalAlert.objects.filter(urgent=True, notified_at__isnull=True, created_at__lt=stale)
        .order_by("created_at")
        .values_list("pk", flat=True)[:100]
    )
    for alert_id in ids:
        alert_notify(alert_id=alert_id)
    return len(ids)

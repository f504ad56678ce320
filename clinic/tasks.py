from celery import shared_task
from django.contrib.sessions.models import Session
from django.utils import timezone


@shared_task(acks_late=True)
def clear_expired_sessions() -> int:
    """Delete expired sessions so a stolen, stale session cookie is worth nothing."""
    deleted, _ = Session.objects.filter(expire_date__lt=timezone.now()).delete()
    return deleted

"""A small notification layer: email through Django's email backend, SMS through a pluggable
backend (``CLINIC_SMS_BACKEND``). Later issues put an outbox in front of it.

Messages carry the minimum: who the clinic is and a link; never a diagnosis, drug, dose or
score.
"""

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.mail import send_mail
from django.utils.module_loading import import_string

from .sms import SMSBackend, SMSMessage


class NotificationError(Exception):
    """The message could not be handed to the email or SMS provider."""


def get_sms_backend() -> SMSBackend:
    return import_string(settings.CLINIC_SMS_BACKEND)()


def send_email_message(*, to: str, subject: str, body: str) -> None:
    try:
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [to], fail_silently=False)
    except SoftTimeLimitExceeded:
        raise  # the task's time is up: not the provider's failure
    except Exception as error:  # SMTP and network errors of any kind
        raise NotificationError(f"email not sent: {type(error).__name__}") from error


def send_sms_message(*, to: str, body: str) -> None:
    try:
        get_sms_backend().send(SMSMessage(to=to, body=body))
    except SoftTimeLimitExceeded:
        raise
    except Exception as error:
        raise NotificationError(f"SMS not sent: {type(error).__name__}") from error

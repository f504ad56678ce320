"""What patients receive, every message in one place (the outbox sends them all). The minimum:
the clinic's neutral sender name, the time of an appointment and practical instructions, a
private link, or a request to call. Never a diagnosis, drug, dose, score or decision: the link
does the rest, behind a date-of-birth check, and a decline is explained in person."""

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone


@dataclass(frozen=True)
class PatientMessage:
    subject: str  # email only
    body: str
    sms: str


def _when(moment: datetime) -> str:
    local = timezone.localtime(moment)
    hour = local.strftime("%I:%M %p").lstrip("0")
    return f"{local:%A, %B} {local.day} at {hour}"


def appointment_reminder(starts_at: datetime) -> PatientMessage:
    clinic, phone = settings.CLINIC_MESSAGE_NAME, settings.CLINIC_PHONE
    when = _when(starts_at)
    food = settings.CLINIC_FASTING_FOOD_HOURS
    liquids = settings.CLINIC_FASTING_CLEAR_LIQUID_HOURS
    instructions = (
        f"Please don't eat for {food} hours before, and have only clear liquids until "
        f"{liquids} hours before. Bring an adult who can drive you home: you can't drive "
        "until the next day."
    )
    return PatientMessage(
        subject=f"Your appointment on {when}",
        body=(
            f"Hello,\n\nThis is a reminder of your appointment with {clinic} on {when}.\n\n"
            f"{instructions}\n\nTo change or cancel it, please call us on {phone}.\n"
        ),
        sms=(
            f"{clinic}: reminder of your appointment on {when}. {instructions} "
            f"To change it call {phone}."
        ),
    )


def survey_invitation(url: str, *, resend: bool) -> PatientMessage:
    clinic = settings.CLINIC_MESSAGE_NAME
    opening = "A reminder: we'd like to hear" if resend else "We'd like to hear"
    return PatientMessage(
        subject=f"{'Reminder: ' if resend else ''}How are you doing? ({clinic})",
        body=(
            f"Hello,\n\n{opening} how you are doing. Please answer a few short questions "
            f"on this private link (it takes about 3 minutes):\n\n{url}\n\n"
            "You will be asked to confirm your date of birth.\n\n"
            f"If you need help now, call us on {settings.CLINIC_PHONE}, or call or text 988.\n"
        ),
        sms=f"{clinic}: {opening.lower()} how you are doing. A few short questions: {url}",
    )


def intake_link(url: str, *, expires_at: datetime, now: datetime) -> PatientMessage:
    """The link to the patient's forms (an intake, or more questions from a clinician)."""
    clinic = settings.CLINIC_MESSAGE_NAME
    # Whole days left, rounded up: a link sent when it is made works for CLINIC_INTAKE_LINK_DAYS.
    days = max(math.ceil((expires_at - now) / timedelta(days=1)), 1)
    return PatientMessage(
        subject=f"Your forms from {clinic}",
        body=(
            f"Hello,\n\n{clinic} has sent you forms to fill in before your visit. "
            f"Open this private link (it works for {days} day{'' if days == 1 else 's'}):"
            f"\n\n{url}\n\n"
            "You will be asked to confirm your date of birth.\n\n"
            "If you weren't expecting this message, please call the clinic."
        ),
        sms=f"{clinic}: please fill in your forms before your visit: {url}",
    )


def please_call_us() -> PatientMessage:
    """After a decline: only a request to call, the same words by email and by text."""
    clinic = settings.CLINIC_MESSAGE_NAME
    body = (
        f"{clinic}: thank you for your forms. Please call us at {settings.CLINIC_PHONE} "
        "so we can talk about your next steps."
    )
    return PatientMessage(subject=f"A message from {clinic}", body=body, sms=body)

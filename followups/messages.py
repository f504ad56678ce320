"""What patients receive, every message in one place (the outbox sends them all). The minimum:
the clinic's neutral sender name, the time of an appointment and practical instructions, a
private link, or a request to call. Never a diagnosis, drug, dose, score or decision: the link
does the rest, behind a date-of-birth check, and a decline is explained in person."""

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from clinic.models import Location


@dataclass(frozen=True)
class PatientMessage:
    subject: str  # email only
    body: str
    sms: str


# What patients call the US zones; any other zone is named by its abbreviation ("MST").
ZONE_NAMES = {
    "America/New_York": "Eastern",
    "America/Detroit": "Eastern",
    "America/Chicago": "Central",
    "America/Denver": "Mountain",
    "America/Boise": "Mountain",
    "America/Phoenix": "Mountain",
    "America/Los_Angeles": "Pacific",
    "America/Anchorage": "Alaska",
    "Pacific/Honolulu": "Hawaii",
}


def _sender(location: Location | None) -> tuple[str, str]:
    """The name and phone number a message goes out under: the location's in a chain (its
    sender name, else the neutral CLINIC_MESSAGE_NAME), the clinic's otherwise."""
    if location is None:
        return settings.CLINIC_MESSAGE_NAME, settings.CLINIC_PHONE
    return (
        location.sender_name or settings.CLINIC_MESSAGE_NAME,
        location.phone or settings.CLINIC_PHONE,
    )


def _when(moment: datetime, location: Location | None = None) -> str:
    """The time on the clinic's clock; in a chain on the location's, saying which (a patient
    of a chain may live in another zone than the clinic they go to)."""
    local = timezone.localtime(moment, location.zone if location else None)
    hour = local.strftime("%I:%M %p").lstrip("0")
    if location is not None:
        hour = f"{hour} {ZONE_NAMES.get(location.time_zone, local.strftime('%Z'))} time"
    return f"{local:%A, %B} {local.day} at {hour}"


def appointment_reminder(
    starts_at: datetime, *, location: Location | None = None
) -> PatientMessage:
    """``location``: the session's, in a chain (its name, phone and clock); None with one
    clinic."""
    clinic, phone = _sender(location)
    when = _when(starts_at, location)
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


def survey_invitation(
    url: str, *, resend: bool, location: Location | None = None
) -> PatientMessage:
    clinic, phone = _sender(location)
    opening = "A reminder: we'd like to hear" if resend else "We'd like to hear"
    return PatientMessage(
        subject=f"{'Reminder: ' if resend else ''}How are you doing? ({clinic})",
        body=(
            f"Hello,\n\n{opening} how you are doing. Please answer a few short questions "
            f"on this private link (it takes about 3 minutes):\n\n{url}\n\n"
            "You will be asked to confirm your date of birth.\n\n"
            f"If you need help now, call us on {phone}, or call or text 988.\n"
        ),
        sms=f"{clinic}: {opening.lower()} how you are doing. A few short questions: {url}",
    )


def intake_link(
    url: str, *, expires_at: datetime, now: datetime, location: Location | None = None
) -> PatientMessage:
    """The link to the patient's forms (an intake, or more questions from a clinician)."""
    clinic, _ = _sender(location)
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


def please_call_us(*, location: Location | None = None) -> PatientMessage:
    """After a decline: only a request to call, the same words by email and by text."""
    clinic, phone = _sender(location)
    body = (
        f"{clinic}: thank you for your forms. Please call us at {phone} "
        "so we can talk about your next steps."
    )
    return PatientMessage(subject=f"A message from {clinic}", body=body, sms=body)

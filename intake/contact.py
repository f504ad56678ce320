"""How the clinic reaches a patient by message: one rule for every message the outbox sends
by the patient's own choice (reminders, surveys, the screening's "please call us"; an intake
link goes the way staff chose). Plain attributes in, no Django, so every case can be tested
exhaustively (tests/intake/test_contact.py)."""

from typing import Protocol

SMS = "sms"
EMAIL = "email"
NO_CHANNEL = "No text-message or email consent with a number or address on file"


class Reachable(Protocol):
    mobile: object  # a phone number, or empty
    email: str
    consent_sms: bool
    consent_email: bool
    preferred_contact: str  # "sms", "email" or "phone"


def patient_channel(patient: Reachable) -> tuple[str | None, str]:
    """The way to message this patient: their preferred channel when they consented to it and
    we hold the number or address, otherwise the other one on the same terms (a patient who
    prefers texts but only agreed to email gets an email). None, with the reason for staff,
    when neither is possible: a person then calls. A preference for phone calls is read as
    texts first, as messages cannot be calls."""
    sms_ok = bool(patient.mobile) and patient.consent_sms
    email_ok = bool(patient.email) and patient.consent_email
    order = (EMAIL, SMS) if patient.preferred_contact == EMAIL else (SMS, EMAIL)
    for channel in order:
        if (channel == SMS and sms_ok) or (channel == EMAIL and email_ok):
            return channel, ""
    return None, NO_CHANNEL

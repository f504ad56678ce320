"""Consultation requests from the public page, and the front desk's handling of them.

A request is accepted only from what looks like a person: the honeypot field is empty and the
signed form stamp shows the page was opened at least a few seconds (and at most a day) before
it was sent. Spam is dropped silently, so a bot learns nothing from the answer. People are
limited per network address and hour, counted from a keyed hash of the address: the address
itself is never stored, not on the request and not in the audit trail.
"""

import ipaddress
import logging
import time
from contextlib import contextmanager
from datetime import timedelta
from decimal import Decimal

from auditlog.context import auditlog_value, set_extra_data
from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.crypto import salted_hmac

from ..models import ConsultationRequest, InquiryConcern, Patient
from .patients import patient_register

logger = logging.getLogger(__name__)

FORM_STAMP_SALT = "intake.inquiry.form-stamp"
FINGERPRINT_SALT = "intake.inquiry.client-fingerprint"
# A person needs longer than this to fill in the form; a script posts at once.
MIN_FILL_SECONDS = 3
# A page left open longer than this is sent again with a fresh stamp (a replayed stamp dies).
MAX_FORM_AGE_SECONDS = 24 * 60 * 60
RATE_WINDOW = timedelta(hours=1)

INQUIRY_FIELDS = (
    "first_name",
    "last_name",
    "date_of_birth",
    "email",
    "mobile",
    "preferred_contact",
    "concerns",
    "concern_details",
    "heard_about",
    "consent_to_contact",
)
# Sent with the form but not part of the request: the honeypot and the signed form stamp.
HONEYPOT_FIELD = "website"
FORM_STAMP_FIELD = "form_stamp"

NO_CONCERN = "Tick at least one thing you would like help with."
NO_CONSENT = "Please agree to be contacted, so we can reply to you."

Status = ConsultationRequest.Status


class InquiryRateLimited(Exception):
    """Too many requests from this network address in the last hour."""


class InquiryFormExpired(Exception):
    """The form was opened too long ago: send it again from a fresh page."""


class InquiryNotNew(Exception):
    """The inquiry was handled already (converted or closed): refuse to act on it again."""

    def __init__(self, inquiry: ConsultationRequest):
        self.inquiry = inquiry
        outcome = "became a patient" if inquiry.status == Status.CONVERTED else "was closed"
        super().__init__(f"This inquiry has already been handled: it {outcome}.")


# --- The public form --------------------------------------------------------------------------


def inquiry_form_stamp() -> str:
    """A signed note of when the form was shown, rendered as a hidden field."""
    return signing.dumps({"shown": int(time.time())}, salt=FORM_STAMP_SALT)


def _looks_automated(*, honeypot: str, form_stamp: str) -> bool:
    """True for a submission a person would not make. Raises InquiryFormExpired for a genuine
    stamp that is too old (a person who left the page open: they are asked to send again)."""
    if honeypot.strip():
        return True
    try:
        shown = signing.loads(form_stamp, salt=FORM_STAMP_SALT, max_age=MAX_FORM_AGE_SECONDS)[
            "shown"
        ]
    except signing.SignatureExpired as expired:
        raise InquiryFormExpired from expired
    except (signing.BadSignature, TypeError, KeyError):
        return True
    return time.time() - shown < MIN_FILL_SECONDS


def client_fingerprint(client_ip: str) -> str:
    """HMAC-SHA256 of the address, keyed from SECRET_KEY: equal for equal addresses, and useless
    to anyone without the key. An IPv6 client usually holds a whole /64, so that is the unit."""
    try:
        address = ipaddress.ip_address(client_ip.strip())
    except ValueError:
        unit = client_ip.strip()
    else:
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is None:
            unit = str(ipaddress.IPv6Network(f"{address}/64", strict=False))
        else:
            unit = str(getattr(address, "ipv4_mapped", None) or address)
    return salted_hmac(FINGERPRINT_SALT, unit, algorithm="sha256").hexdigest()


def inquiry_errors(*, concerns: list[str], concern_details: str, consent: bool) -> dict[str, str]:
    """The request's rules beyond single fields, shared by the form (messages beside the
    fields) and inquiry_submit (which refuses anything else that breaks them)."""
    errors = {}
    if not concerns:
        errors["concerns"] = NO_CONCERN
    elif not set(concerns) <= set(InquiryConcern.values):
        errors["concerns"] = "Choose from the listed options."
    elif InquiryConcern.OTHER in concerns and not concern_details.strip():
        errors["concern_details"] = "Tell us briefly what else you would like help with."
    if not consent:
        errors["consent_to_contact"] = NO_CONSENT
    return errors


@contextmanager
def _audited_without_client_address():
    """The audit trail records the request's IP address with each change; for a member of the
    public that address is exactly what we promise not to keep."""
    outer = auditlog_value.get(None)
    try:
        with set_extra_data({"actor": None, "remote_addr": None, "remote_port": None}):
            yield
    finally:
        if outer is not None:
            # auditlog does not restore the enclosing request's context on exit: put it back,
            # so the middleware's own clean-up finds (and disconnects) the hook it made.
            auditlog_value.set(outer)


def inquiry_submit(*, details: dict, client_ip: str) -> ConsultationRequest | None:
    """Store a consultation request sent from the public page.

    ``details`` is what the form sent: the INQUIRY_FIELDS plus the honeypot ("website") and the
    signed form stamp. Returns None, storing nothing, when the submission looks automated.
    Raises InquiryFormExpired for a page opened more than a day ago, InquiryRateLimited when
    this address has sent CLINIC_INQUIRY_RATE_PER_HOUR requests in the last hour, and
    ValidationError for details that break the rules.
    """
    details = dict(details)
    honeypot = details.pop(HONEYPOT_FIELD, "") or ""
    form_stamp = details.pop(FORM_STAMP_FIELD, "") or ""
    unknown = set(details) - set(INQUIRY_FIELDS)
    if unknown:
        raise ValueError(f"Unknown inquiry fields: {sorted(unknown)}")
    if _looks_automated(honeypot=honeypot, form_stamp=form_stamp):
        logger.info("consultation request dropped as automated")
        return None
    errors = inquiry_errors(
        concerns=details.get("concerns") or [],
        concern_details=details.get("concern_details", ""),
        consent=bool(details.get("consent_to_contact")),
    )
    if errors:
        raise ValidationError(errors)

    fingerprint = client_fingerprint(client_ip)
    # Not locked: a burst of parallel requests from one address may slip a few past the count.
    # The limit is against floods (the honeypot and the form stamp still apply), and a lock
    # here would queue every public submission behind each other.
    recent = ConsultationRequest.objects.filter(
        client_fingerprint=fingerprint, created_at__gte=timezone.now() - RATE_WINDOW
    ).count()
    if recent >= settings.CLINIC_INQUIRY_RATE_PER_HOUR:
        logger.info("consultation request refused: rate limit")
        raise InquiryRateLimited
    inquiry = ConsultationRequest(
        **details, status=Status.NEW, client_fingerprint=fingerprint, patient=None
    )
    inquiry.full_clean()
    with _audited_without_client_address():
        inquiry.save()
    logger.info("consultation request %s received", inquiry.pk)
    return inquiry


# --- The front desk's queue -------------------------------------------------------------------


def inquiry_queue(*, status: str) -> QuerySet[ConsultationRequest]:
    """New requests oldest first (the person who has waited longest is next); handled ones
    most recently handled first."""
    queryset = ConsultationRequest.objects.filter(status=status).select_related(
        "patient", "handled_by"
    )
    if status == Status.NEW:
        return queryset.order_by("created_at", "id")
    return queryset.order_by("-handled_at", "-id")


def inquiry_status_counts() -> dict[str, int]:
    """How many inquiries are in each status, in one query."""
    return ConsultationRequest.objects.aggregate(
        **{value: Count("id", filter=Q(status=value)) for value in Status.values}
    )


def inquiry_patient_details(inquiry: ConsultationRequest) -> dict:
    """What the inquiry tells us for a new patient record (the registration form's start)."""
    return {
        "legal_first_name": inquiry.first_name,
        "legal_last_name": inquiry.last_name,
        "date_of_birth": inquiry.date_of_birth,
        "email": inquiry.email,
        "mobile": inquiry.mobile,
        "preferred_contact": inquiry.preferred_contact,
        "consent_sms": inquiry.consent_to_contact,
        "consent_email": inquiry.consent_to_contact,
    }


# --- Handling an inquiry ----------------------------------------------------------------------


def _lock_new(inquiry: ConsultationRequest) -> ConsultationRequest:
    """The inquiry's row, locked until the transaction ends; refused unless still NEW (another
    member of staff may have handled it since the page was opened)."""
    locked = ConsultationRequest.objects.select_for_update().get(pk=inquiry.pk)
    if locked.status != Status.NEW:
        raise InquiryNotNew(locked)
    return locked


def inquiry_convert(*, inquiry: ConsultationRequest, patient: Patient, user) -> ConsultationRequest:
    """Mark the inquiry as having become ``patient`` (new, or an existing record it matches)."""
    with transaction.atomic():
        locked = _lock_new(inquiry)
        locked.status = Status.CONVERTED
        locked.patient = patient
        locked.handled_by = user
        locked.handled_at = timezone.now()
        locked.save(update_fields=["status", "patient", "handled_by", "handled_at"])
    return locked


def inquiry_register_patient(
    *,
    inquiry: ConsultationRequest,
    user,
    details: dict,
    allow_duplicate: bool = False,
    weight_kg: Decimal | None = None,
    height_cm: Decimal | None = None,
) -> Patient:
    """Register a patient from the inquiry (through patient_register's duplicate check, which
    raises PossibleDuplicate) and mark the inquiry converted, both or neither."""
    with transaction.atomic():
        _lock_new(inquiry)
        patient = patient_register(
            created_by=user,
            details=details,
            allow_duplicate=allow_duplicate,
            weight_kg=weight_kg,
            height_cm=height_cm,
        )
        inquiry_convert(inquiry=inquiry, patient=patient, user=user)
    return patient


def inquiry_close(
    *, inquiry: ConsultationRequest, reason: str, note: str = "", user
) -> ConsultationRequest:
    """Close the inquiry without a patient, for one of the CloseReason choices."""
    if reason not in ConsultationRequest.CloseReason.values:
        raise ValidationError({"close_reason": "Choose why the inquiry is being closed."})
    with transaction.atomic():
        locked = _lock_new(inquiry)
        locked.status = Status.CLOSED
        locked.close_reason = reason
        locked.close_note = note.strip()
        locked.handled_by = user
        locked.handled_at = timezone.now()
        locked.full_clean()
        locked.save(
            update_fields=["status", "close_reason", "close_note", "handled_by", "handled_at"]
        )
    return locked

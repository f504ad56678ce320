"""Consultation requests from the public page, and the front desk's handling of them.

A request needs the signed form stamp of a page shown by us less than a day before; without one
(a script posting straight to the address) it is dropped silently, so a bot learns nothing from
the answer. A request that may still be a robot's, sent within seconds of the page being shown
(as browser autofill or a password manager does for a person too) or with the field hidden
from people filled in, is never dropped: it is held apart for the front desk, who release it
to the new inquiries or discard it as spam. Senders are limited per network address and hour,
counted from a keyed hash of the address: the address itself is never stored, not on the
request and not in the audit trail.
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
from django.db.models import CharField, Count, ExpressionWrapper, F, QuerySet
from django.utils import timezone
from django.utils.crypto import salted_hmac

from clinic.locations import chain_enabled, default_location
from clinic.models import Location

from ..models import ConsultationRequest, InquiryConcern, Patient
from .patients import ConsentGiven, patient_register

logger = logging.getLogger(__name__)

FORM_STAMP_SALT = "intake.inquiry.form-stamp"
FINGERPRINT_SALT = "intake.inquiry.client-fingerprint"
# A person typing needs longer than this to fill in the form; a script posts at once, and so
# may a person whose browser fills the form in for them: a faster request is held, not dropped.
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
NO_LOCATION = "Choose the location you would like to go to."

Status = ConsultationRequest.Status


class InquiryRateLimited(Exception):
    """Too many requests from this network address in the last hour."""


class InquiryFormExpired(Exception):
    """The form was opened too long ago: send it again from a fresh page."""


class InquiryNotNew(Exception):
    """The inquiry is not in the new inquiries (converted, closed, or held for a check): refuse
    to handle it as a new one."""

    def __init__(self, inquiry: ConsultationRequest):
        self.inquiry = inquiry
        if inquiry.status == Status.HELD:
            message = "This inquiry is held for a check: release it to new inquiries first."
        else:
            outcome = "became a patient" if inquiry.status == Status.CONVERTED else "was closed"
            message = f"This inquiry has already been handled: it {outcome}."
        super().__init__(message)


class InquiryNotHeld(Exception):
    """The inquiry is no longer held (someone released or discarded it already)."""

    def __init__(self, inquiry: ConsultationRequest):
        self.inquiry = inquiry
        super().__init__(
            "This inquiry is no longer held for a check: "
            f"it is {inquiry.get_status_display().lower()}."
        )


# --- The public form --------------------------------------------------------------------------


def inquiry_locations() -> list[Location]:
    """The locations the public form offers, in display order: the active ones of a chain of
    several. None to choose from (no question asked) with one clinic, or a chain of one."""
    if not chain_enabled():
        return []
    locations = list(Location.objects.filter(active=True))
    return locations if len(locations) > 1 else []


def _inquiry_location(location: Location | None) -> Location:
    """The location a request is for: the one the visitor chose; with nothing to choose from,
    the installation's one. Raises ValidationError when there was a choice and none (or a
    closed location) was made."""
    if location is not None and location.active:
        return location
    if location is None and not inquiry_locations():
        return default_location()
    raise ValidationError({"location": NO_LOCATION})


def inquiry_form_stamp() -> str:
    """A signed note of when the form was shown, rendered as a hidden field."""
    return signing.dumps({"shown": round(time.time(), 3)}, salt=FORM_STAMP_SALT)


class _Dropped(Exception):
    """No page of ours was shown for this submission: a script posted it."""


def _held_reason(*, honeypot: str, form_stamp: str) -> str:
    """Why a submission is held for the front desk to look at ("" when it is not).

    Raises _Dropped for a missing or forged stamp: every page we show carries a genuine one
    (and SECRET_KEY_FALLBACKS keep old pages valid across a key rotation). Raises
    InquiryFormExpired for a genuine stamp that is too old (a person who left the page open:
    they are asked to send again)."""
    try:
        shown = signing.loads(form_stamp, salt=FORM_STAMP_SALT, max_age=MAX_FORM_AGE_SECONDS)[
            "shown"
        ]
    except signing.SignatureExpired as expired:
        raise InquiryFormExpired from expired
    except (signing.BadSignature, TypeError, KeyError) as forged:
        raise _Dropped from forged
    # The hidden field is kept from people by a stylesheet, aria-hidden and tabindex, but a
    # password manager may still fill it in: held like a fast request, not dropped.
    if honeypot.strip():
        return ConsultationRequest.HeldReason.HIDDEN_FIELD
    if time.time() - shown < MIN_FILL_SECONDS:
        return ConsultationRequest.HeldReason.TOO_FAST
    return ""


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


def inquiry_submit(
    *, details: dict, client_ip: str, location: Location | None = None
) -> ConsultationRequest | None:
    """Store a consultation request sent from the public page.

    ``details`` is what the form sent: the INQUIRY_FIELDS plus the honeypot ("website") and the
    signed form stamp; ``location`` the location chosen (a chain of several asks; otherwise
    the request is the installation's location's). Returns None, storing nothing, when no
    form of ours was shown for it (no genuine stamp); a request that may be a robot's is
    stored HELD with its reason.
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
    try:
        held_reason = _held_reason(honeypot=honeypot, form_stamp=form_stamp)
    except _Dropped:
        logger.info("consultation request dropped: no genuine form stamp")
        return None
    errors = inquiry_errors(
        concerns=details.get("concerns") or [],
        concern_details=details.get("concern_details", ""),
        consent=bool(details.get("consent_to_contact")),
    )
    try:
        location = _inquiry_location(location)
    except ValidationError as error:
        errors.update({field: messages[0] for field, messages in error.message_dict.items()})
    if errors:
        raise ValidationError(errors)

    fingerprint = client_fingerprint(client_ip)
    # Not locked: a burst of parallel requests from one address may slip a few past the count.
    # The limit is against floods (held requests count too), and a lock here would queue
    # every public submission behind each other.
    recent = ConsultationRequest.objects.filter(
        client_fingerprint=fingerprint, created_at__gte=timezone.now() - RATE_WINDOW
    ).count()
    if recent >= settings.CLINIC_INQUIRY_RATE_PER_HOUR:
        logger.info("consultation request refused: rate limit")
        raise InquiryRateLimited
    inquiry = ConsultationRequest(
        **details,
        status=Status.HELD if held_reason else Status.NEW,
        held_reason=held_reason,
        client_fingerprint=fingerprint,
        patient=None,
        location=location,
    )
    # The location was just read (or chosen from those read): no query to check it exists.
    inquiry.full_clean(exclude=["location"])
    with _audited_without_client_address():
        inquiry.save()
    if held_reason:
        logger.info("consultation request %s held: %s", inquiry.pk, held_reason)
    else:
        logger.info("consultation request %s received", inquiry.pk)
    return inquiry


# --- The front desk's queue -------------------------------------------------------------------


def _for_location(location_id: int | None) -> QuerySet[ConsultationRequest]:
    """Every request (one clinic), or, in a chain, those for the location worked in."""
    requests = ConsultationRequest.objects.all()
    return requests if location_id is None else requests.filter(location_id=location_id)


def inquiry_queue(*, status: str, location_id: int | None = None) -> QuerySet[ConsultationRequest]:
    """New and held requests oldest first (the person who has waited longest is next);
    handled ones most recently handled first. ``location_id``: in a chain, the location
    worked in (its requests only); None, every request."""
    queryset = _for_location(location_id).filter(status=status)
    if status in (Status.NEW, Status.HELD):
        # Nobody has handled them: no patient or member of staff to show beside them. The
        # mobile comes as stored (E.164, ``stored_mobile``): parsing each row's number into a
        # PhoneNumber cost more than the rest of the row.
        return (
            queryset.defer("mobile")
            .annotate(stored_mobile=ExpressionWrapper(F("mobile"), output_field=CharField()))
            .order_by("created_at", "id")
        )
    return queryset.select_related("patient", "handled_by").order_by("-handled_at", "-id")


def inquiry_status_counts(*, location_id: int | None = None) -> dict[str, int]:
    """How many inquiries are in each status, in one query (grouped by status, from the
    ``inquiry_queue`` index alone with one clinic)."""
    counts = dict.fromkeys(Status.values, 0)
    counts.update(
        _for_location(location_id).values_list("status").annotate(Count("status")).order_by()
    )
    return counts


def inquiry_consent_source(inquiry: ConsultationRequest) -> str:
    return f"consultation request #{inquiry.pk}"


def inquiry_consents_given(inquiry: ConsultationRequest) -> dict[str, ConsentGiven]:
    """The consents the request itself gave: agreeing to be contacted about it, by the channel
    chosen. Choosing email consents to email only; choosing a phone call, to neither."""
    if not inquiry.consent_to_contact:
        return {}
    field = {"sms": "consent_sms", "email": "consent_email"}.get(inquiry.preferred_contact)
    if field is None:
        return {}
    return {field: ConsentGiven(source=inquiry_consent_source(inquiry), at=inquiry.created_at)}


def inquiry_patient_details(inquiry: ConsultationRequest) -> dict:
    """What the inquiry tells us for a new patient record (the registration form's start).
    A consent box starts ticked only for a consent the person gave in the request."""
    given = inquiry_consents_given(inquiry)
    return {
        "legal_first_name": inquiry.first_name,
        "legal_last_name": inquiry.last_name,
        "date_of_birth": inquiry.date_of_birth,
        "email": inquiry.email,
        "mobile": inquiry.mobile,
        "preferred_contact": inquiry.preferred_contact,
        "consent_sms": "consent_sms" in given,
        "consent_email": "consent_email" in given,
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
        # A consent the request gave keeps its source and time; one the front desk ticks
        # besides (the person agreed on the phone) is the registration's.
        patient = patient_register(
            created_by=user,
            details=details,
            allow_duplicate=allow_duplicate,
            weight_kg=weight_kg,
            height_cm=height_cm,
            consents_given_before=inquiry_consents_given(inquiry),
            # The location the person asked at is their home location.
            home_location=inquiry.location,
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


# --- The held queue ---------------------------------------------------------------------------


def _lock_held(inquiry: ConsultationRequest) -> ConsultationRequest:
    locked = ConsultationRequest.objects.select_for_update().get(pk=inquiry.pk)
    if locked.status != Status.HELD:
        raise InquiryNotHeld(locked)
    return locked


def inquiry_release(*, inquiry: ConsultationRequest, user) -> ConsultationRequest:
    """A person sent the held request: it joins the new inquiries, in the place its time
    of arrival gives it. Who released it, and when, stays on the request (and in the audit)."""
    with transaction.atomic():
        locked = _lock_held(inquiry)
        locked.status = Status.NEW
        locked.released_by = user
        locked.released_at = timezone.now()
        locked.save(update_fields=["status", "released_by", "released_at"])
    logger.info("held consultation request %s released", locked.pk)
    return locked


def inquiry_discard_as_spam(*, inquiry: ConsultationRequest, user) -> ConsultationRequest:
    """The held request is a robot's: closed as spam, kept (and audited) like any closed one."""
    with transaction.atomic():
        locked = _lock_held(inquiry)
        locked.status = Status.CLOSED
        locked.close_reason = ConsultationRequest.CloseReason.SPAM
        reason = locked.get_held_reason_display().lower()
        locked.close_note = f"Discarded from the held requests: {reason}."
        locked.handled_by = user
        locked.handled_at = timezone.now()
        locked.save(
            update_fields=["status", "close_reason", "close_note", "handled_by", "handled_at"]
        )
    logger.info("held consultation request %s discarded as spam", locked.pk)
    return locked

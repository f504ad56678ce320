"""Writes to the patient record. Views call these; nothing else writes patients."""

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone

from clinic.locations import default_location
from clinic.models import Location

from ..models import Patient, PatientMeasurement
from ..selectors import patient_likely_duplicates

PATIENT_FIELDS = (
    "legal_first_name",
    "legal_last_name",
    "preferred_name",
    "date_of_birth",
    "sex_at_birth",
    "gender",
    "pronouns",
    "email",
    "mobile",
    "preferred_contact",
    "consent_sms",
    "consent_email",
    "address_line1",
    "address_line2",
    "city",
    "state",
    "postal_code",
    "emergency_contact_name",
    "emergency_contact_relationship",
    "emergency_contact_phone",
)


# Where a consent was given, as the patient page shows it. A consultation request gives its
# own source, "consultation request #N" (inquiry_consent_source).
CONSENT_AT_REGISTRATION = "registration by front desk"
CONSENT_ON_RECORD_EDIT = "patient record edited by staff"
# Each consent field and its provenance fields: when given, through what, when withdrawn.
CONSENT_PROVENANCE = {
    "consent_sms": ("sms_consent_at", "sms_consent_source", "sms_consent_withdrawn_at"),
    "consent_email": ("email_consent_at", "email_consent_source", "email_consent_withdrawn_at"),
}


@dataclass(frozen=True)
class ConsentGiven:
    """Where and when a person gave a consent before their record existed."""

    source: str
    at: datetime


@dataclass
class PossibleDuplicate(Exception):
    """Raised instead of creating a patient who probably exists already."""

    candidates: list[Patient]


def _record_consent_changes(
    patient: Patient,
    changed: list[str],
    *,
    source: str,
    given_before: dict[str, ConsentGiven] | None = None,
) -> list[str]:
    """Stamp each consent in ``changed`` (already set on ``patient``): a consent given records
    where and when, one withdrawn clears those and records when. Returns the fields written."""
    now = timezone.now()
    written = []
    for name in changed:
        if name not in CONSENT_PROVENANCE:
            continue
        at_field, source_field, withdrawn_field = CONSENT_PROVENANCE[name]
        if getattr(patient, name):
            given = (given_before or {}).get(name) or ConsentGiven(source=source, at=now)
            setattr(patient, at_field, given.at)
            setattr(patient, source_field, given.source)
            setattr(patient, withdrawn_field, None)
        else:
            setattr(patient, at_field, None)
            setattr(patient, source_field, "")
            setattr(patient, withdrawn_field, now)
        written += [at_field, source_field, withdrawn_field]
    return written


def patient_register(
    *,
    created_by,
    details: dict,
    home_location: Location | None = None,
    weight_kg: Decimal | None = None,
    height_cm: Decimal | None = None,
    allow_duplicate: bool = False,
    consent_source: str = CONSENT_AT_REGISTRATION,
    consents_given_before: dict[str, ConsentGiven] | None = None,
) -> Patient:
    """Create a patient. Unless ``allow_duplicate``, refuse when a likely duplicate exists.

    The patient's home location is ``home_location`` (where they registered: the location the
    registering member of staff works in, or the one a consultation request came from), else
    the installation's first.

    Each consent ticked is recorded as given now through ``consent_source``, unless
    ``consents_given_before`` says the person gave it earlier (a consultation request)."""
    unknown = set(details) - set(PATIENT_FIELDS)
    if unknown:
        raise ValueError(f"Unknown patient fields: {sorted(unknown)}")
    if not allow_duplicate:
        candidates = patient_likely_duplicates(
            first_name=details.get("legal_first_name", ""),
            last_name=details.get("legal_last_name", ""),
            date_of_birth=details.get("date_of_birth"),
            email=details.get("email", ""),
            mobile=details.get("mobile"),
        )
        if candidates:
            raise PossibleDuplicate(candidates)
    if home_location is None:
        home_location = default_location()
    for attempt in range(5):
        try:
            with transaction.atomic():
                patient = Patient(created_by=created_by, home_location=home_location, **details)
                ticked = [name for name in CONSENT_PROVENANCE if getattr(patient, name)]
                _record_consent_changes(
                    patient, ticked, source=consent_source, given_before=consents_given_before
                )
                # The MRN's uniqueness is left to the database, so that a collision raises
                # IntegrityError below and a new MRN is drawn (full_clean would refuse it).
                patient.full_clean(exclude=["mrn"])
                patient.save()
                if weight_kg is not None or height_cm is not None:
                    patient_record_measurement(
                        patient=patient,
                        recorded_by=created_by,
                        weight_kg=weight_kg,
                        height_cm=height_cm,
                    )
                return patient
        except IntegrityError:
            # A generated MRN collided with an existing one (rare): draw another.
            if attempt == 4:
                raise
    raise AssertionError("unreachable")


def patient_update(
    *, patient: Patient, details: dict, consent_source: str = CONSENT_ON_RECORD_EDIT
) -> Patient:
    """Change demographic details; only the fields that changed are written (and audited).
    A consent given is recorded as given now through ``consent_source``; one withdrawn is
    cleared, with the time it was withdrawn."""
    unknown = set(details) - set(PATIENT_FIELDS)
    if unknown:
        raise ValueError(f"Unknown patient fields: {sorted(unknown)}")
    changed = [name for name, value in details.items() if getattr(patient, name) != value]
    if not changed:
        return patient
    for name in changed:
        setattr(patient, name, details[name])
    provenance = _record_consent_changes(patient, changed, source=consent_source)
    patient.full_clean()
    patient.save(update_fields=[*changed, *provenance, "updated_at"])
    return patient


def patient_record_measurement(
    *,
    patient: Patient,
    recorded_by,
    weight_kg: Decimal | None = None,
    height_cm: Decimal | None = None,
    recorded_at=None,
    source: str = "staff",
) -> PatientMeasurement:
    if weight_kg is None and height_cm is None:
        raise ValueError("A measurement needs a weight or a height.")
    measurement = PatientMeasurement(
        patient=patient,
        recorded_by=recorded_by,
        weight_kg=weight_kg,
        height_cm=height_cm,
        recorded_at=recorded_at or timezone.now(),
        source=source,
    )
    measurement.full_clean()
    measurement.save()
    return measurement


def age_on(date_of_birth: date, today: date) -> int:
    return (
        today.year
        - date_of_birth.year
        - ((today.month, today.day) < (date_of_birth.month, date_of_birth.day))
    )

"""Monitoring: vitals readings and events (side effects, interventions, adverse events)."""

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction

from ... import session_rules as rules
from ...models import SessionEvent, TreatmentSession, VitalsReading
from .common import Status, locked, not_in_future


def monitoring_open(fresh: TreatmentSession) -> None:
    if fresh.status != Status.IN_PROGRESS:
        raise ValidationError("Monitoring is recorded after the dose and before discharge.")


def vitals_record(
    *,
    session: TreatmentSession,
    by,
    taken_at: datetime,
    systolic: int | None = None,
    diastolic: int | None = None,
    heart_rate: int | None = None,
    spo2: int | None = None,
    respiratory_rate: int | None = None,
    sedation_moaa_s: int | None = None,
    dissociation: int | None = None,
    kind: str = VitalsReading.Kind.MONITORING,
) -> VitalsReading:
    """One row of the vitals series, flagged for out-of-range values as it is entered."""
    errors: dict[str, str] = {}
    values = {
        "systolic": systolic,
        "diastolic": diastolic,
        "heart_rate": heart_rate,
        "spo2": spo2,
        "respiratory_rate": respiratory_rate,
        "sedation_moaa_s": sedation_moaa_s,
    }
    if all(v is None for v in values.values()) and dissociation is None:
        errors["__all__"] = "Enter at least one reading."
    if sedation_moaa_s is not None and not 0 <= sedation_moaa_s <= 5:
        errors["sedation_moaa_s"] = "MOAA/S is scored 0 to 5."
    if (systolic is None) != (diastolic is None):
        errors["diastolic"] = "Enter both systolic and diastolic, or neither."
    not_in_future(taken_at, "taken_at", errors)
    with transaction.atomic():
        fresh = locked(session)
        monitoring_open(fresh)
        if errors:
            raise ValidationError(errors)
        return VitalsReading.objects.create(
            session=fresh,
            kind=kind,
            taken_at=taken_at,
            dissociation=dissociation,
            recorded_by=by,
            flags=rules.vitals_flags(**values),
            **values,
        )


def session_event_record(
    *,
    session: TreatmentSession,
    by,
    kind: str,
    effect: str,
    severity: str,
    description: str,
    occurred_at: datetime,
    escalated: bool,
) -> SessionEvent:
    """A side effect (with its severity), an intervention, or an adverse event (escalated)."""
    errors: dict[str, str] = {}
    Kind = SessionEvent.Kind
    if kind not in Kind.values:
        errors["kind"] = "Choose what happened."
    if kind == Kind.SIDE_EFFECT:
        if effect not in SessionEvent.Effect.values:
            errors["effect"] = "Choose the side effect."
        if severity not in SessionEvent.Severity.values:
            errors["severity"] = "Choose the severity."
    if kind != Kind.SIDE_EFFECT and not description.strip():
        errors["description"] = "Describe it."
    if effect == SessionEvent.Effect.OTHER and not description.strip():
        errors["description"] = "Describe the side effect."
    not_in_future(occurred_at, "occurred_at", errors)
    with transaction.atomic():
        fresh = locked(session)
        monitoring_open(fresh)
        if errors:
            raise ValidationError(errors)
        return SessionEvent.objects.create(
            session=fresh,
            kind=kind,
            effect=effect if kind == Kind.SIDE_EFFECT else "",
            severity=severity,
            description=description.strip(),
            occurred_at=occurred_at,
            # An adverse event is always escalated: it is shown at the top of the note.
            escalated=escalated or kind == Kind.ADVERSE_EVENT,
            recorded_by=by,
        )

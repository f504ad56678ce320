"""Signing the note (which locks it) and addenda after signing."""

from collections.abc import Sequence

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from ... import session_rules as rules
from ...models import SessionAddendum, TreatmentSession, VitalsReading
from .before_dose import bp_gated, fasting_shortfalls
from .common import copy_fields, locked


def signing_parts(session: TreatmentSession, vitals: Sequence[VitalsReading]) -> dict[str, bool]:
    baseline = next((v for v in vitals if v.kind == VitalsReading.Kind.BASELINE), None)
    return {
        "check_in": session.arrived_at is not None and session.fasting_confirmed,
        "consent": session.consent_current is True,
        "baseline_vitals": baseline is not None,
        "bp_decision": not bp_gated(session, baseline) or session.bp_gate_decision == "proceed",
        "fasting_decision": not fasting_shortfalls(session)
        or session.fasting_decision == "proceed",
        "administration": session.administration_started_at is not None,
        "monitoring_vitals": any(v.kind == VitalsReading.Kind.MONITORING for v in vitals),
        "discharge": session.discharged_at is not None,
    }


def signing_parts_from_row(session: TreatmentSession) -> dict[str, bool]:
    """``signing_parts`` for a row of ``sessions_awaiting_signature``: the vitals it needs are
    rebuilt, unsaved, from the row's annotations, so a list of rows costs no further query."""
    vitals = []
    if session.has_baseline:
        vitals.append(
            VitalsReading(
                kind=VitalsReading.Kind.BASELINE,
                systolic=session.baseline_systolic,
                diastolic=session.baseline_diastolic,
            )
        )
    if session.has_monitoring:
        vitals.append(VitalsReading(kind=VitalsReading.Kind.MONITORING))
    return signing_parts(session, vitals)


def session_sign(*, session: TreatmentSession, by) -> TreatmentSession:
    """Sign the note: refused with the list of what is missing; signing locks it."""
    with transaction.atomic():
        fresh = locked(session)
        missing = rules.signing_missing(signing_parts(fresh, list(fresh.vitals.all())))
        if missing:
            raise ValidationError([f"Missing: {label}." for label in missing], code="incomplete")
        fresh.signed_by = by
        fresh.signed_at = timezone.now()
        fresh.save(update_fields=["signed_by", "signed_at"])
    copy_fields(session, fresh, ["signed_by", "signed_at"])
    return session


def session_addendum_add(*, session: TreatmentSession, author, text: str) -> SessionAddendum:
    """A change to a signed note: the note stays as signed, the addendum follows it."""
    if not text.strip():
        raise ValidationError({"text": "Write the addendum."})
    if session.signed_at is None:
        raise ValidationError("The note is not signed yet: change it directly.")
    return SessionAddendum.objects.create(session=session, author=author, text=text.strip())

"""Before the dose: check-in, consent, fasting, pregnancy test, sedatives taken today, the baseline
vitals, and the clinician's decisions at the blood-pressure and fasting gates."""

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from intake.scoring import score_gad7
from intake.services.patients import age_on

from ... import limits
from ... import session_rules as rules
from ...models import TreatmentSession, VitalsReading
from ...screening_rules import pregnancy_possible
from .common import Status, copy_fields, locked, not_in_future

PREGNANCY_RESULTS = ("negative", "positive", "not_applicable")


BP_DECISIONS = ("proceed", "postpone")


def bp_gated(session: TreatmentSession, baseline: VitalsReading | None) -> bool:
    """Whether the baseline is above the clinic's gate: the pair screening reviews above too."""
    if baseline is None:
        return False
    limit = limits.blood_pressure()
    return rules.bp_above_gate(
        baseline.systolic,
        baseline.diastolic,
        gate_systolic=limit.gate_systolic,
        gate_diastolic=limit.gate_diastolic,
    )


def fasting_shortfalls(session: TreatmentSession) -> list[str]:
    """The recorded fasting shorter than the clinic's hours, in words (empty: none)."""
    minimum = limits.fasting()
    return rules.fasting_shortfalls(
        session.fasting_hours,
        session.clear_liquids_hours,
        food_minimum=minimum.food_hours,
        clear_liquid_minimum=minimum.clear_liquid_hours,
    )


def pregnancy_test_applies(session: TreatmentSession) -> bool:
    patient = session.patient
    age = age_on(patient.date_of_birth, timezone.localtime(session.starts_at).date())
    return pregnancy_possible(patient.sex_at_birth, age)


def session_check_in(
    *,
    session: TreatmentSession,
    by,
    arrived_at: datetime,
    escort_name: str,
    escort_phone: str,
    fasting_confirmed: bool,
) -> TreatmentSession:
    errors: dict[str, str] = {}
    if not escort_name.strip():
        errors["escort_name"] = "Name the escort or ride home."
    if not escort_phone.strip():
        errors["escort_phone"] = "Give the escort's phone number."
    if not fasting_confirmed:
        errors["fasting_confirmed"] = "Confirm that the patient has fasted."
    not_in_future(arrived_at, "arrived_at", errors)
    with transaction.atomic():
        fresh = locked(session)
        if fresh.status not in (Status.BOOKED, Status.CHECKED_IN):
            raise ValidationError(
                f"A session that is {fresh.get_status_display()} cannot be checked in."
            )
        if errors:
            raise ValidationError(errors)
        fresh.arrived_at = arrived_at
        fresh.escort_name = escort_name.strip()
        fresh.escort_phone = escort_phone.strip()
        fresh.fasting_confirmed = True
        fresh.checked_in_by = by
        fresh.status = Status.CHECKED_IN
        fields = [
            "arrived_at", "escort_name", "escort_phone", "fasting_confirmed", "checked_in_by",
            "status",
        ]  # fmt: skip
        fresh.save(update_fields=fields)
    copy_fields(session, fresh, fields)
    return session


def session_record_pre_dose(
    *,
    session: TreatmentSession,
    by,
    consent_current: bool,
    fasting_hours: Decimal | None,
    clear_liquids_hours: Decimal | None,
    pregnancy_test: str,
    sedatives_today: bool | None,
    sedatives_today_detail: str,
    gad7_answers: list[int] | None,
    systolic: int,
    diastolic: int,
    heart_rate: int,
    spo2: int,
    respiratory_rate: int,
    taken_at: datetime | None = None,
) -> VitalsReading:
    """Consent, fasting, pregnancy test, sedatives taken today, optional GAD-7 and the baseline
    vitals. Recording them again (before the dose) replaces the baseline and asks for new BP
    and fasting decisions if needed."""
    errors: dict[str, str] = {}
    if consent_current is not True:
        errors["consent_current"] = "Consent must be current before the dose."
    if fasting_hours is None:
        errors["fasting_hours"] = "Enter the hours since the patient last ate."
    if clear_liquids_hours is None:
        errors["clear_liquids_hours"] = "Enter the hours since the patient last drank."
    test_applies = pregnancy_test_applies(session)
    if pregnancy_test and pregnancy_test not in PREGNANCY_RESULTS:
        errors["pregnancy_test"] = "Choose a pregnancy test result."
    elif test_applies and pregnancy_test == "not_applicable":
        errors["pregnancy_test"] = (
            "Screening expects a pregnancy test for this patient (sex at birth and age): "
            "record the result. Not applicable is accepted only where no test is expected."
        )
    elif test_applies and not pregnancy_test:
        errors["pregnancy_test"] = "Record the pregnancy test for this patient."
    if sedatives_today is None:
        errors["sedatives_today"] = (
            "Ask whether the patient has taken a benzodiazepine or another sedative today."
        )
    elif sedatives_today and not sedatives_today_detail.strip():
        errors["sedatives_today_detail"] = "Say what was taken, how much and when."
    gad7 = None
    if gad7_answers is not None:
        try:
            score = score_gad7(gad7_answers)
        except ValueError:
            errors["gad7"] = "Answer all seven GAD-7 questions, or none."
        else:
            gad7 = {"answers": list(gad7_answers), "total": score.total, "band": score.band}
    taken_at = taken_at or timezone.now()
    with transaction.atomic():
        fresh = locked(session)
        if fresh.status != Status.CHECKED_IN:
            raise ValidationError("Check the patient in first; after the dose this is closed.")
        if errors:
            raise ValidationError(errors)
        fresh.consent_current = True
        fresh.fasting_hours = fasting_hours
        fresh.clear_liquids_hours = clear_liquids_hours
        fresh.pregnancy_test = pregnancy_test
        fresh.sedatives_today = sedatives_today
        fresh.sedatives_today_detail = sedatives_today_detail.strip() if sedatives_today else ""
        fresh.pre_dose_gad7 = gad7
        # New figures need new decisions.
        fresh.bp_gate_decision = fresh.fasting_decision = ""
        fresh.bp_gate_note = fresh.fasting_decision_note = ""
        fresh.bp_gate_by = fresh.fasting_decision_by = None
        fields = [
            "consent_current", "fasting_hours", "clear_liquids_hours", "pregnancy_test",
            "sedatives_today", "sedatives_today_detail", "pre_dose_gad7",
            "bp_gate_decision", "bp_gate_note", "bp_gate_by",
            "fasting_decision", "fasting_decision_note", "fasting_decision_by",
        ]  # fmt: skip
        fresh.save(update_fields=fields)
        values = {
            "systolic": systolic,
            "diastolic": diastolic,
            "heart_rate": heart_rate,
            "spo2": spo2,
            "respiratory_rate": respiratory_rate,
        }
        fresh.vitals.filter(kind=VitalsReading.Kind.BASELINE).delete()
        baseline = VitalsReading.objects.create(
            session=fresh,
            kind=VitalsReading.Kind.BASELINE,
            taken_at=taken_at,
            recorded_by=by,
            flags=rules.vitals_flags(**values),
            **values,
        )
    copy_fields(session, fresh, fields)
    return baseline


def _decide(
    *,
    session: TreatmentSession,
    by,
    decision: str,
    note: str,
    needed: Callable[[TreatmentSession], bool],
    what: str,
    fields: tuple[str, str, str],
) -> TreatmentSession:
    """A clinician's decision at a gate before the dose (``fields``: the decision, its note
    and who made it): proceed with a note, or postpone (the session is cancelled with the note
    as its reason)."""
    errors: dict[str, str] = {}
    if decision not in BP_DECISIONS:
        errors["decision"] = "Choose to proceed or to postpone."
    if not note.strip():
        errors["note"] = "Write the reason for the decision."
    with transaction.atomic():
        fresh = locked(session)
        if fresh.status != Status.CHECKED_IN or not needed(fresh):
            raise ValidationError(f"No {what} decision is needed for this session.")
        if errors:
            raise ValidationError(errors)
        decision_field, note_field, by_field = fields
        setattr(fresh, decision_field, decision)
        setattr(fresh, note_field, note.strip())
        setattr(fresh, by_field, by)
        saved = list(fields)
        if decision == "postpone":
            fresh.status = Status.CANCELLED
            fresh.cancel_reason = f"Postponed: {what}. {note.strip()}"
            fresh.cancelled_at, fresh.cancelled_by = timezone.now(), by
            saved += ["status", "cancel_reason", "cancelled_at", "cancelled_by"]
        fresh.save(update_fields=saved)
    copy_fields(session, fresh, saved)
    return session


def session_decide_bp(
    *, session: TreatmentSession, by, decision: str, note: str
) -> TreatmentSession:
    """The clinician's decision on a baseline BP above the gate: proceed (with a note) or
    postpone (the session is cancelled with the note as its reason)."""
    return _decide(
        session=session, by=by, decision=decision, note=note,
        needed=lambda fresh: bp_gated(
            fresh, fresh.vitals.filter(kind=VitalsReading.Kind.BASELINE).first()
        ),
        what="baseline blood pressure",
        fields=("bp_gate_decision", "bp_gate_note", "bp_gate_by"),
    )  # fmt: skip


def session_decide_fasting(
    *, session: TreatmentSession, by, decision: str, note: str
) -> TreatmentSession:
    """The clinician's decision on fasting shorter than the clinic's hours: proceed (with a
    note) or postpone (the session is cancelled with the note as its reason)."""
    return _decide(
        session=session, by=by, decision=decision, note=note,
        needed=lambda fresh: bool(fasting_shortfalls(fresh)),
        what="fasting",
        fields=("fasting_decision", "fasting_decision_note", "fasting_decision_by"),
    )  # fmt: skip

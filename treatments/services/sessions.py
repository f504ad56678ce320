"""Writes of the session log: check-in, before the dose, the BP and fasting decisions,
administration, monitoring, discharge, signing and addenda.

Each stage refuses changes once the note is signed; later changes are addenda. The session row
is locked (select_for_update) while a stage is validated and saved, so two staff saving the
same session at once cannot overwrite each other's stage.
"""

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from intake.scoring import score_gad7
from intake.selectors import patient_latest_measurements
from intake.services.patients import age_on

from .. import limits
from .. import session_rules as rules
from ..dosing import ROUTE_LABELS, Route, given_dose_check
from ..models import PlanVersion, SessionAddendum, SessionEvent, TreatmentSession, VitalsReading
from ..screening_rules import pregnancy_possible

Status = TreatmentSession.Status
# A time entered by hand may be a few minutes ahead of the server's clock.
FUTURE_SLACK = timedelta(minutes=5)
# Called inside the discharge's transaction with (session=, user=) once a session is completed
# (the follow-ups app schedules its surveys and tasks here).
COMPLETED_HOOKS: list[Callable[..., None]] = []
PREGNANCY_RESULTS = ("negative", "positive", "not_applicable")
BP_DECISIONS = ("proceed", "postpone")
# On a dose outside the route's usual range (the session form then asks for a confirmation).
OUTSIDE_USUAL = "outside_usual"


def _locked(session: TreatmentSession) -> TreatmentSession:
    """The session's row, locked for this transaction; refused once the note is signed."""
    fresh = TreatmentSession.objects.select_for_update().get(pk=session.pk)
    if fresh.signed_at is not None:
        raise ValidationError(
            "The session note is signed and locked: add an addendum to record a change."
        )
    return fresh


def _copy(target: TreatmentSession, source: TreatmentSession, fields: Sequence[str]) -> None:
    for name in fields:
        setattr(target, name, getattr(source, name))


def _not_in_future(value: datetime, field: str, errors: dict) -> None:
    if value > timezone.now() + FUTURE_SLACK:
        errors[field] = "This time is in the future."


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


# --- Check-in --------------------------------------------------------------------------------


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
    _not_in_future(arrived_at, "arrived_at", errors)
    with transaction.atomic():
        fresh = _locked(session)
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
    _copy(session, fresh, fields)
    return session


# --- Before the dose -------------------------------------------------------------------------


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
        fresh = _locked(session)
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
    _copy(session, fresh, fields)
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
        fresh = _locked(session)
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
            saved += ["status", "cancel_reason"]
        fresh.save(update_fields=saved)
    _copy(session, fresh, saved)
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


# --- Administration --------------------------------------------------------------------------

DRUGS = ("ketamine", "esketamine")


def administration_blockers(session: TreatmentSession, baseline: VitalsReading | None) -> list[str]:
    """Why the dose cannot be given yet (empty: it can)."""
    blockers = []
    if session.status != Status.CHECKED_IN:
        blockers.append("The patient must be checked in, and not yet dosed.")
    if session.consent_current is not True or baseline is None:
        blockers.append("Record consent and baseline vitals before the dose.")
    else:
        if bp_gated(session, baseline) and session.bp_gate_decision != "proceed":
            blockers.append(
                f"Baseline blood pressure {baseline.systolic}/{baseline.diastolic} is above "
                f"{limits.blood_pressure().gate_text}: dosing is blocked until a clinician "
                "records a decision to proceed."
            )
        if session.fasting_hours is None or session.clear_liquids_hours is None:
            blockers.append("Record the hours since food and since clear liquids.")
        shortfalls = fasting_shortfalls(session)
        if shortfalls and session.fasting_decision != "proceed":
            blockers.append(
                f"Fasting is short ({'; '.join(shortfalls)}): dosing is blocked until a "
                "clinician records a decision to proceed."
            )
        if session.sedatives_today is None:
            blockers.append("Record whether a benzodiazepine or other sedative was taken today.")
    if session.pregnancy_test == "positive":
        blockers.append("The pregnancy test is positive: ketamine is not given.")
    return blockers


def dosing_version(session: TreatmentSession) -> PlanVersion:
    """The plan version the dose is given under: the plan as it stands now (an amendment made
    after the booking applies to this session), else the version the session was booked on."""
    current = PlanVersion.objects.filter(plan_id=session.plan_id).order_by("-number").first()
    return current or session.plan_version


def _weight_for_dose(session: TreatmentSession, version: PlanVersion) -> Decimal | None:
    """The weight a mg/kg dose is checked with: the plan's, else the latest recorded."""
    if version.weight_kg_used is not None:
        return version.weight_kg_used
    latest = patient_latest_measurements(patient=session.patient)["weight"]
    return latest["weight_kg"] if latest else None


def _first_esketamine_session(session: TreatmentSession, before: datetime) -> bool:
    """No esketamine given to the patient in another session before ``before``."""
    return not (
        TreatmentSession.objects.filter(
            patient_id=session.patient_id,
            route_given=Route.ESKETAMINE_NASAL,
            administration_started_at__lt=before,
        )
        .exclude(pk=session.pk)
        .exists()
    )


def _dose_given_errors(
    fresh: TreatmentSession,
    version: PlanVersion,
    *,
    drug: str,
    route: str,
    dose_given_mg: Decimal,
    dose_difference_reason: str,
    confirm_outside_usual: bool,
    outside_usual_reason: str,
    started_at: datetime,
    errors: dict,
) -> str:
    """Check the route and the dose given against the plan and the route's rules (the same
    guardrails and caps as the plan's dose); errors go into ``errors``. Returns the reason for
    a confirmed dose outside the usual range ("" when none is needed)."""
    if route not in {r.value for r in Route}:
        errors["route"] = "Choose a route."
        return ""
    if route != version.route:
        errors["route"] = (
            f"The plan's route is {ROUTE_LABELS[Route(version.route)]}, not "
            f"{ROUTE_LABELS[Route(route)]}: a different route needs a plan amendment first, "
            "not a note."
        )
        return ""
    if drug == "esketamine" and route != Route.ESKETAMINE_NASAL:
        errors["route"] = "Esketamine is given intranasally."
    elif drug == "ketamine" and route == Route.ESKETAMINE_NASAL:
        errors["drug"] = "Intranasal esketamine (Spravato) is esketamine."
    if dose_given_mg is None or dose_given_mg <= 0:
        errors["dose_given_mg"] = "Enter the dose given in mg."
        return ""
    check = given_dose_check(
        Route(route),
        dose_given_mg,
        guardrail=limits.dose_guardrails()[Route(route)],
        weight_kg=_weight_for_dose(fresh, version),
        cap_mg=limits.dose_cap_mg(route),
        first_esketamine_session=(
            route == Route.ESKETAMINE_NASAL and _first_esketamine_session(fresh, started_at)
        ),
    )
    if check.refusal:
        errors["dose_given_mg"] = check.refusal
        return ""
    if rules.dose_differs(version.dose_mg, dose_given_mg) and not dose_difference_reason.strip():
        errors["dose_difference_reason"] = (
            f"The plan's dose is {version.dose_mg} mg: give the reason for the difference."
        )
    # The plan's own dose, confirmed outside the usual range when it was prescribed, is not
    # asked about again at every session.
    confirmed_by_plan = (
        not rules.dose_differs(version.dose_mg, dose_given_mg) and version.dose_outside_usual_reason
    )
    if not check.outside_usual or confirmed_by_plan:
        return ""
    if not confirm_outside_usual:
        errors["dose_given_mg"] = ValidationError(check.outside_usual, code=OUTSIDE_USUAL)
    elif not outside_usual_reason.strip():
        errors["outside_usual_reason"] = "Give the reason for a dose outside the usual range."
    return outside_usual_reason.strip()


def session_administer(
    *,
    session: TreatmentSession,
    by,
    drug: str,
    dose_given_mg: Decimal,
    dose_difference_reason: str,
    lot_number: str,
    route: str,
    started_at: datetime,
    stopped_at: datetime | None,
    confirm_outside_usual: bool = False,
    outside_usual_reason: str = "",
) -> TreatmentSession:
    """The dose given: by the plan's route only (another route needs a plan amendment),
    within the route's guardrails and absolute cap (outside the usual range: confirmed with
    a reason), and for intranasal esketamine whole devices, 56 mg at the first session."""
    errors: dict[str, str | ValidationError] = {}
    if drug not in DRUGS:
        errors["drug"] = "Choose ketamine or esketamine."
    if not lot_number.strip():
        errors["lot_number"] = "Enter the lot number."
    _not_in_future(started_at, "started_at", errors)
    if stopped_at is not None and stopped_at < started_at:
        errors["stopped_at"] = "The stop time is before the start."
    with transaction.atomic():
        fresh = _locked(session)
        baseline = fresh.vitals.filter(kind=VitalsReading.Kind.BASELINE).first()
        blockers = administration_blockers(fresh, baseline)
        if blockers:
            raise ValidationError(blockers)
        version = dosing_version(fresh)
        reason = _dose_given_errors(
            fresh, version, drug=drug, route=route, dose_given_mg=dose_given_mg,
            dose_difference_reason=dose_difference_reason,
            confirm_outside_usual=confirm_outside_usual,
            outside_usual_reason=outside_usual_reason, started_at=started_at, errors=errors,
        )  # fmt: skip
        if errors:
            raise ValidationError(errors)
        fresh.plan_version = version
        fresh.drug = drug
        fresh.route_given = route
        fresh.dose_given_mg = dose_given_mg
        fresh.dose_difference_reason = dose_difference_reason.strip()
        fresh.dose_outside_usual_reason = reason
        fresh.lot_number = lot_number.strip()
        fresh.administration_started_at = started_at
        fresh.administration_stopped_at = stopped_at
        fresh.status = Status.IN_PROGRESS
        fields = [
            "plan_version", "drug", "route_given", "dose_given_mg", "dose_difference_reason",
            "dose_outside_usual_reason", "lot_number", "administration_started_at",
            "administration_stopped_at", "status",
        ]  # fmt: skip
        fresh.save(update_fields=fields)
    _copy(session, fresh, fields)
    return session


# --- Monitoring ------------------------------------------------------------------------------


def _monitoring_open(fresh: TreatmentSession) -> None:
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
    _not_in_future(taken_at, "taken_at", errors)
    with transaction.atomic():
        fresh = _locked(session)
        _monitoring_open(fresh)
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
    _not_in_future(occurred_at, "occurred_at", errors)
    with transaction.atomic():
        fresh = _locked(session)
        _monitoring_open(fresh)
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


# --- Observation and discharge ---------------------------------------------------------------


def session_route(session: TreatmentSession) -> Route:
    """The route given, or the plan's before the dose."""
    return Route(session.route_given or session.plan_version.route)


def stop_time_needed(session: TreatmentSession) -> bool:
    return rules.stop_time_needed(
        session_route(session), infusion_minutes=session.plan_version.infusion_minutes
    )


def earliest_discharge(session: TreatmentSession) -> datetime | None:
    """The earliest discharge by the route's minimum observation (None before the dose, or
    while an infusion's stop time is not recorded)."""
    if session.administration_started_at is None:
        return None
    route = session_route(session)
    return rules.earliest_discharge(
        route,
        session.administration_started_at,
        session.administration_stopped_at,
        observation_minutes=limits.observation_minutes(route),
        stop_needed=stop_time_needed(session),
    )


def readings_after_administration(
    session: TreatmentSession, vitals: Sequence[VitalsReading]
) -> list[VitalsReading]:
    """The vitals readings taken after administration ended, oldest first."""
    if session.administration_started_at is None:
        return []
    ended = rules.administration_ended_at(
        session.administration_started_at, session.administration_stopped_at
    )
    return sorted(
        (v for v in vitals if v.kind != VitalsReading.Kind.BASELINE and v.taken_at >= ended),
        key=lambda v: (v.taken_at, v.pk or 0),
    )


def discharge_limits(session: TreatmentSession) -> rules.DischargeLimits:
    return rules.DischargeLimits(
        aldrete_minimum=settings.CLINIC_DISCHARGE_ALDRETE_MIN,
        consciousness_minimum=settings.CLINIC_DISCHARGE_CONSCIOUSNESS_MIN,
        oxygen_minimum=settings.CLINIC_DISCHARGE_OXYGEN_MIN,
        observation_minutes=limits.observation_minutes(session_route(session)),
    )


def session_record_stop(
    *, session: TreatmentSession, by, stopped_at: datetime | None
) -> TreatmentSession:
    """The time the infusion (or any administration given over a duration) stopped, recorded
    during monitoring: observation before discharge is counted from it."""
    errors: dict[str, str] = {}
    if stopped_at is None:
        errors["stopped_at"] = "Enter the stop time."
    else:
        _not_in_future(stopped_at, "stopped_at", errors)
    with transaction.atomic():
        fresh = _locked(session)
        _monitoring_open(fresh)
        if fresh.administration_stopped_at is not None:
            raise ValidationError("The stop time is already recorded.")
        if stopped_at is not None and stopped_at < fresh.administration_started_at:
            errors["stopped_at"] = "The stop time is before the start."
        if errors:
            raise ValidationError(errors)
        fresh.administration_stopped_at = stopped_at
        fresh.save(update_fields=["administration_stopped_at"])
    _copy(session, fresh, ["administration_stopped_at"])
    return session


def session_discharge(
    *,
    session: TreatmentSession,
    by,
    aldrete: dict[str, int],
    escort_present: bool,
    discharged_at: datetime,
    instructions_given: bool,
    ready_to_leave_at: datetime | None = None,
    vitals_accepted_note: str = "",
) -> TreatmentSession:
    """Discharge when every criterion is met (session_rules.discharge_readiness): the route's
    minimum observation after administration ended, the last vitals after it in range (or
    accepted with a note), sedation and dissociation resolved, the Aldrete total and its
    consciousness and oxygen criteria, the escort present.

    ``ready_to_leave_at`` is when the patient would have been ready without the esketamine
    REMS 2-hour rule (asked for esketamine, for the REMS form); it is not the discharge time."""
    errors: dict[str, str | list[str]] = {}
    if not instructions_given:
        errors["instructions_given"] = (
            "Confirm the discharge instructions were given (no driving until the next day)."
        )
    _not_in_future(discharged_at, "discharged_at", errors)
    try:
        rules.aldrete_total(aldrete)
    except ValueError:
        raise ValidationError({"__all__": "Each Aldrete criterion scores 0, 1 or 2."}) from None
    note = vitals_accepted_note.strip()
    with transaction.atomic():
        fresh = _locked(session)
        _monitoring_open(fresh)
        route = session_route(fresh)
        if route == Route.ESKETAMINE_NASAL and ready_to_leave_at is None:
            errors["ready_to_leave_at"] = (
                "Record when the patient would have been ready to leave without the 2-hour "
                "rule (the REMS form asks for it)."
            )
        elif ready_to_leave_at is not None and (
            ready_to_leave_at > discharged_at
            or ready_to_leave_at < (fresh.administration_started_at or ready_to_leave_at)
        ):
            errors["ready_to_leave_at"] = "Give a time between the dose and the discharge."
        after = readings_after_administration(fresh, list(fresh.vitals.all()))
        check = rules.discharge_readiness(
            aldrete=aldrete,
            limits=discharge_limits(fresh),
            escort_present=escort_present,
            route=route,
            started_at=fresh.administration_started_at,
            stopped_at=fresh.administration_stopped_at,
            stop_needed=stop_time_needed(fresh),
            last_reading=after[-1] if after else None,
            vitals_accepted=bool(note),
            now=min(discharged_at, timezone.now()),
        )
        if check.reasons:
            errors["__all__"] = list(check.reasons)
        for field, reason in check.field_reasons:
            errors[field] = reason
        if errors:
            raise ValidationError(errors)
        for name, _ in rules.ALDRETE_CRITERIA:
            setattr(fresh, f"aldrete_{name}", aldrete[name])
        fresh.escort_present = True
        fresh.discharge_vitals_accepted_note = note
        fresh.discharge_vitals_accepted_by = by if note else None
        fresh.ready_to_leave_at = ready_to_leave_at
        fresh.discharged_at = discharged_at
        fresh.discharge_instructions_given = True
        fresh.status = Status.COMPLETED
        fields = [f"aldrete_{name}" for name, _ in rules.ALDRETE_CRITERIA] + [
            "escort_present", "discharge_vitals_accepted_note", "discharge_vitals_accepted_by",
            "ready_to_leave_at", "discharged_at", "discharge_instructions_given", "status",
        ]  # fmt: skip
        fresh.save(update_fields=fields)
        for hook in COMPLETED_HOOKS:
            hook(session=fresh, user=by)
    _copy(session, fresh, fields)
    return session


# --- Signing and addenda ---------------------------------------------------------------------


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
        fresh = _locked(session)
        missing = rules.signing_missing(signing_parts(fresh, list(fresh.vitals.all())))
        if missing:
            raise ValidationError([f"Missing: {label}." for label in missing], code="incomplete")
        fresh.signed_by = by
        fresh.signed_at = timezone.now()
        fresh.save(update_fields=["signed_by", "signed_at"])
    _copy(session, fresh, ["signed_by", "signed_at"])
    return session


def session_addendum_add(*, session: TreatmentSession, author, text: str) -> SessionAddendum:
    """A change to a signed note: the note stays as signed, the addendum follows it."""
    if not text.strip():
        raise ValidationError({"text": "Write the addendum."})
    if session.signed_at is None:
        raise ValidationError("The note is not signed yet: change it directly.")
    return SessionAddendum.objects.create(session=session, author=author, text=text.strip())

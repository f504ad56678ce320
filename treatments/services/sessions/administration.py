"""Administration: what blocks dosing, the dose given checked against the plan, its stop time."""

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from intake.selectors import patient_latest_measurements

from ... import limits
from ... import session_rules as rules
from ...dosing import ROUTE_LABELS, Route, given_dose_check
from ...models import LedgerEntry, PlanVersion, RemsEnrollment, TreatmentSession, VitalsReading
from ..ledger import Draw, Witness, draws_check, session_location, session_use_record
from .before_dose import bp_gated, fasting_shortfalls
from .common import Status, copy_fields, locked, not_in_future, session_route
from .monitoring import monitoring_open

# On a dose outside the route's usual range (the session form then asks for a confirmation).
OUTSIDE_USUAL = "outside_usual"


DRUGS = ("ketamine", "esketamine")


def _dosing_gaps(
    session: TreatmentSession, baseline: VitalsReading | None
) -> list[tuple[tuple[str, ...], str]]:
    """What dosing still waits for: each gap as (what is missing, in a few words for the page's
    "Dosing waits for" line; the refusal's sentence)."""
    gaps: list[tuple[tuple[str, ...], str]] = []
    if session.status != Status.CHECKED_IN:
        waiting = ("the check-in",) if session.status == Status.BOOKED else ()
        gaps.append((waiting, "The patient must be checked in, and not yet dosed."))
    if session.consent_current is not True or baseline is None:
        missing = ("consent confirmed as current",) if session.consent_current is not True else ()
        missing += ("the baseline vitals",) if baseline is None else ()
        gaps.append((missing, "Record consent and baseline vitals before the dose."))
    else:
        if bp_gated(session, baseline) and session.bp_gate_decision != "proceed":
            gaps.append(
                (
                    ("a decision on the raised blood pressure",),
                    f"Baseline blood pressure {baseline.systolic}/{baseline.diastolic} is above "
                    f"{limits.blood_pressure().gate_text}: dosing is blocked until a clinician "
                    "records a decision to proceed.",
                )
            )
        if session.fasting_hours is None or session.clear_liquids_hours is None:
            gaps.append(
                (
                    ("the hours since food and clear liquids",),
                    "Record the hours since food and since clear liquids.",
                )
            )
        shortfalls = fasting_shortfalls(session)
        if shortfalls and session.fasting_decision != "proceed":
            gaps.append(
                (
                    ("a decision on the fasting",),
                    f"Fasting is short ({'; '.join(shortfalls)}): dosing is blocked until a "
                    "clinician records a decision to proceed.",
                )
            )
        if session.sedatives_today is None:
            gaps.append(
                (
                    ("whether a sedative was taken today",),
                    "Record whether a benzodiazepine or other sedative was taken today.",
                )
            )
    if session_route(session) == Route.ESKETAMINE_NASAL and not rems_enrolled(
        session.patient_id, on=timezone.localdate(session.starts_at)
    ):
        gaps.append(
            (
                ("the patient's REMS enrollment",),
                "The patient is not enrolled in the esketamine (Spravato) REMS: record the "
                "enrollment, signed by the patient and the prescriber, before the first dose.",
            )
        )
    if session.pregnancy_test == "positive":
        gaps.append(
            (
                ("a negative pregnancy test",),
                "The pregnancy test is positive: ketamine is not given.",
            )
        )
    return gaps


def rems_enrolled(patient_id: int, *, on) -> bool:
    """The patient's REMS enrollment is recorded, enrolled on or before ``on``."""
    return RemsEnrollment.objects.filter(patient_id=patient_id, enrolled_on__lte=on).exists()


def administration_blockers(session: TreatmentSession, baseline: VitalsReading | None) -> list[str]:
    """Why the dose cannot be given yet (empty: it can)."""
    return [sentence for _, sentence in _dosing_gaps(session, baseline)]


def dosing_waits_for(session: TreatmentSession, baseline: VitalsReading | None) -> list[str]:
    """What a booked or checked-in session still needs before the dose, in a few words each
    (the same checks as ``administration_blockers``)."""
    return [words for waiting, _ in _dosing_gaps(session, baseline) for words in waiting]


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
    route: str,
    started_at: datetime,
    stopped_at: datetime | None,
    draws: list[Draw],
    waste_method: str = "",
    witness: Callable[[], Witness] | Witness | None = None,
    confirm_outside_usual: bool = False,
    outside_usual_reason: str = "",
) -> TreatmentSession:
    """The dose given: by the plan's route only (another route needs a plan amendment),
    within the route's guardrails and absolute cap (outside the usual range: confirmed with
    a reason), and for intranasal esketamine whole devices, 56 mg at the first session.

    The dose comes out of the controlled-substance ledger in the same transaction: ``draws``
    are the containers drawn from and how much (mg, or esketamine devices). What was drawn
    and not given is the waste, computed here, never typed: it needs a method of disposal and
    a witness, a second clinician confirming with their own password and authenticator code
    (``witness`` is called for that only once everything else is accepted, so a refused form
    does not use up the witness's code)."""
    errors: dict[str, str | ValidationError] = {}
    if drug not in DRUGS:
        errors["drug"] = "Choose ketamine or esketamine."
    not_in_future(started_at, "started_at", errors)
    if stopped_at is not None and stopped_at < started_at:
        errors["stopped_at"] = "The stop time is before the start."
    with transaction.atomic():
        fresh = locked(session)
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
        containers, split = [], []
        location = session_location(fresh)  # the stock drawn from is the chair's location's
        if drug in DRUGS and "dose_given_mg" not in errors and dose_given_mg:
            containers, split, draw_errors = draws_check(
                drug=drug, draws=draws, given_mg=dose_given_mg, on=started_at, location=location
            )
            errors.update(draw_errors)
        wasted = sum((part.wasted for part in split), Decimal(0))
        if wasted and waste_method not in LedgerEntry.Method.values:
            errors["waste_method"] = "Choose how the waste was disposed of."
        if errors:
            raise ValidationError(errors)
        confirmed = None
        if wasted:
            if witness is None:
                unit = containers[0].product.get_unit_display()
                raise ValidationError(
                    {"witness_username": f"The waste ({wasted} {unit}) needs a witness."}
                )
            confirmed = witness() if callable(witness) else witness
        fresh.plan_version = version
        fresh.drug = drug
        fresh.route_given = route
        fresh.dose_given_mg = dose_given_mg
        fresh.dose_difference_reason = dose_difference_reason.strip()
        fresh.dose_outside_usual_reason = reason
        fresh.lot_number = ", ".join(sorted({c.lot for c in containers}))[:40]
        fresh.administration_started_at = started_at
        fresh.administration_stopped_at = stopped_at
        fresh.status = Status.IN_PROGRESS
        fields = [
            "plan_version", "drug", "route_given", "dose_given_mg", "dose_difference_reason",
            "dose_outside_usual_reason", "lot_number", "administration_started_at",
            "administration_stopped_at", "status",
        ]  # fmt: skip
        fresh.save(update_fields=fields)
        session_use_record(
            session_id=fresh.pk, by=by, containers=containers, split=split,
            occurred_at=started_at, waste_method=waste_method, witness=confirmed,
            location=location,
        )  # fmt: skip
    copy_fields(session, fresh, fields)
    return session


def stop_time_needed(session: TreatmentSession) -> bool:
    return rules.stop_time_needed(
        session_route(session), infusion_minutes=session.plan_version.infusion_minutes
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
        not_in_future(stopped_at, "stopped_at", errors)
    with transaction.atomic():
        fresh = locked(session)
        monitoring_open(fresh)
        if fresh.administration_stopped_at is not None:
            raise ValidationError("The stop time is already recorded.")
        if stopped_at is not None and stopped_at < fresh.administration_started_at:
            errors["stopped_at"] = "The stop time is before the start."
        if errors:
            raise ValidationError(errors)
        fresh.administration_stopped_at = stopped_at
        fresh.save(update_fields=["administration_stopped_at"])
    copy_fields(session, fresh, ["administration_stopped_at"])
    return session

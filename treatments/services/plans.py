"""Writes for treatment plans: a draft with version 1 (edited in place while a draft),
activation for an approved patient, amendments that add a version, completion and stopping.

The plan's content lives in its versions: an amendment never changes an earlier version, so
the plan as it stood on any date can be shown (``selectors.plans.plan_as_of``).
"""

from collections.abc import Callable
from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from clinic.roles import CLINICIAN, has_role
from intake.models import Patient
from intake.selectors import patient_latest_measurements

from .. import limits
from ..dosing import (
    DEFAULT_INFUSION_MINUTES,
    ESKETAMINE_DOSES_MG,
    ROUTE_LABELS,
    WEIGHT_BASED_ROUTES,
    DoseCheck,
    Route,
    dose_cap_refusal,
    dose_mg,
    esketamine_dose_refusal,
)
from ..models import PlanVersion, Screening, TreatmentPlan
from ..selectors.plans import patient_had_esketamine
from .booking_tasks import plan_booking_task_cancel, plan_booking_task_open

# Called inside the transaction with (plan=, user=) when an active plan is completed or stopped:
# the follow-ups app sends the two-week questionnaires after a series cut short here.
ENDED_HOOKS: list[Callable[..., None]] = []

Status = TreatmentPlan.Status
Phase = PlanVersion.Phase
Indication = PlanVersion.Indication

# The fields of a version a clinician writes (plan_create's, plan_update_draft's and
# plan_amend's content).
CONTENT_FIELDS = (
    "indication",
    "indication_other",
    "route",
    "dose_amount",
    "infusion_minutes",
    "phase",
    "sessions_planned",
    "span_weeks",
    "every_weeks",
    "per_month",
    "start_date",
    "goals",
    "prescriber",
    "off_label_reason",
)
# Intranasal esketamine is labelled for treatment-resistant depression and for depressive
# symptoms with suicidal ideation, in adults: planned for any other indication it is off-label.
ESKETAMINE_LABELLED_INDICATIONS = frozenset({Indication.DEPRESSION})
ESKETAMINE_LABEL = (
    "Intranasal esketamine is labelled for treatment-resistant depression and for depressive "
    "symptoms with suicidal ideation, in adults"
)
# The form shows the outside-usual confirmation when a dose error carries this code.
OUTSIDE_USUAL = "outside_usual"


def _number(value: Decimal) -> str:
    return f"{value.normalize():f}"


def _dose_fields(
    *,
    patient: Patient,
    route: Route,
    dose_amount: Decimal | None,
    confirm_outside_usual: bool,
    outside_usual_reason: str,
    errors: dict[str, ValidationError],
) -> dict:
    """The dose's unit, mg and weight; the errors of the guardrails, the absolute cap and the
    esketamine label go into ``errors``."""
    if dose_amount is None or dose_amount <= 0:
        errors["dose_amount"] = ValidationError("Enter the dose.")
        return {}
    if route == Route.ESKETAMINE_NASAL:
        # Whole devices first: 28 or 70 mg is not a dose outside the usual range to confirm.
        first_course = not patient_had_esketamine(patient=patient)
        refusal = esketamine_dose_refusal(dose_amount, first_session=first_course)
        if refusal:
            if first_course and dose_amount in ESKETAMINE_DOSES_MG:
                refusal += (
                    " The patient has not had esketamine yet: start the plan at 56 mg and "
                    "amend it to 84 mg after the first session if needed."
                )
            errors["dose_amount"] = ValidationError(refusal)
            return {}
    guardrail = limits.dose_guardrails()[route]
    unit = guardrail.unit
    label = ROUTE_LABELS[route]
    check = guardrail.check(dose_amount)
    reason = outside_usual_reason.strip()
    if check == DoseCheck.ABOVE_MAXIMUM:
        errors["dose_amount"] = ValidationError(
            f"{_number(dose_amount)} {unit} is above the maximum of "
            f"{_number(guardrail.maximum)} {unit} for {label}: it cannot be prescribed."
        )
        return {}
    usual = f"{_number(guardrail.usual_low)}-{_number(guardrail.usual_high)} {unit}"
    if check == DoseCheck.OUTSIDE_USUAL:
        if not confirm_outside_usual:
            errors["dose_amount"] = ValidationError(
                f"{_number(dose_amount)} {unit} is outside the usual range for {label} "
                f"({usual}). To prescribe it, confirm the dose and give your reason.",
                code=OUTSIDE_USUAL,
            )
        elif not reason:
            errors["outside_usual_reason"] = ValidationError(
                f"Give the reason for a dose outside the usual range ({usual})."
            )
    weight = None
    if route in WEIGHT_BASED_ROUTES:
        latest = patient_latest_measurements(patient=patient)["weight"]
        if latest is None:
            errors["dose_amount"] = ValidationError(
                f"No weight is recorded for this patient: record a weight on the patient's "
                f"page before prescribing a {unit} dose."
            )
            return {}
        weight = latest["weight_kg"]
    mg = dose_mg(route, amount=dose_amount, weight_kg=weight)
    refusal = dose_cap_refusal(route, mg, cap_mg=limits.dose_cap_mg(route))
    if refusal:
        # Refused whatever was confirmed: replaces a request to confirm an outside-usual dose.
        errors.pop("outside_usual_reason", None)
        errors["dose_amount"] = ValidationError(f"{refusal} It cannot be prescribed.")
        return {}
    return {
        "dose_amount": dose_amount,
        "dose_unit": unit,
        "dose_mg": mg,
        "weight_kg_used": weight,
        "dose_outside_usual_reason": reason if check == DoseCheck.OUTSIDE_USUAL else "",
    }


def _version_fields(
    *,
    patient: Patient,
    indication: str,
    indication_other: str,
    route: str,
    dose_amount: Decimal | None,
    infusion_minutes: int | None,
    phase: str,
    sessions_planned: int | None,
    span_weeks: int | None,
    every_weeks: int | None,
    per_month: int | None = None,
    start_date: date | None,
    goals: str,
    prescriber,
    confirm_outside_usual: bool,
    outside_usual_reason: str,
    off_label_reason: str = "",
) -> dict:
    """Validate a version's content; raise one ValidationError with every field's error."""
    errors: dict[str, ValidationError] = {}
    fields: dict = {"goals": goals.strip(), "indication_other": "", "off_label_reason": ""}
    if indication not in Indication.values:
        errors["indication"] = ValidationError("Choose the indication.")
    elif indication == Indication.OTHER and not indication_other.strip():
        errors["indication_other"] = ValidationError("Say what the indication is.")
    else:
        fields["indication"] = indication
        if indication == Indication.OTHER:
            fields["indication_other"] = indication_other.strip()
    if route not in {r.value for r in Route}:
        errors["route"] = ValidationError("Choose the route.")
    else:
        route = Route(route)
        fields["route"] = route.value
        fields |= _dose_fields(
            patient=patient,
            route=route,
            dose_amount=dose_amount,
            confirm_outside_usual=confirm_outside_usual,
            outside_usual_reason=outside_usual_reason,
            errors=errors,
        )
        if route == Route.IV:
            fields["infusion_minutes"] = infusion_minutes or DEFAULT_INFUSION_MINUTES
        else:
            fields["infusion_minutes"] = None
        if off_label(route, fields.get("indication")):
            if off_label_reason.strip():
                fields["off_label_reason"] = off_label_reason.strip()
            else:
                errors["off_label_reason"] = ValidationError(
                    f"{ESKETAMINE_LABEL}: for {_indication_words(fields)} it is off-label. "
                    "Give the reason for prescribing it off-label."
                )
    if not sessions_planned or sessions_planned < 1:
        errors["sessions_planned"] = ValidationError("Enter the number of sessions.")
    fields["sessions_planned"] = sessions_planned
    if phase == Phase.INDUCTION:
        if not span_weeks or span_weeks < 1:
            errors["span_weeks"] = ValidationError(
                "An induction needs the weeks its sessions are spread over (e.g. 6 over 3)."
            )
        fields |= {"phase": phase, "span_weeks": span_weeks, "every_weeks": None, "per_month": None}
    elif phase == Phase.MAINTENANCE:
        if bool(every_weeks) == bool(per_month):
            errors["every_weeks"] = ValidationError(
                "Maintenance needs how often: one session every N weeks, or N sessions a month "
                "(one of the two)."
            )
        fields |= {
            "phase": phase,
            "span_weeks": None,
            "every_weeks": every_weeks or None,
            "per_month": per_month or None,
        }
    else:
        errors["phase"] = ValidationError("Choose the phase.")
    if start_date is None:
        errors["start_date"] = ValidationError("Enter the start date.")
    fields["start_date"] = start_date
    if prescriber is None or not has_role(prescriber, [CLINICIAN]):
        errors["prescriber"] = ValidationError("Choose the prescribing clinician.")
    fields["prescriber"] = prescriber
    if errors:
        raise ValidationError(errors)
    return fields


def _indication_words(fields: dict) -> str:
    words = fields["indication_other"] or Indication(fields["indication"]).label
    return words if words.isupper() else words[0].lower() + words[1:]


def off_label(route: Route | str, indication: str | None) -> bool:
    """Whether a plan is off-label: intranasal esketamine for anything but depression."""
    return (
        route == Route.ESKETAMINE_NASAL
        and indication is not None
        and indication not in ESKETAMINE_LABELLED_INDICATIONS
    )


def plan_create(
    *,
    patient: Patient,
    created_by,
    prescriber,
    indication: str,
    indication_other: str = "",
    route: str,
    dose_amount: Decimal | None,
    infusion_minutes: int | None = None,
    phase: str,
    sessions_planned: int | None,
    span_weeks: int | None = None,
    every_weeks: int | None = None,
    per_month: int | None = None,
    start_date: date | None,
    goals: str = "",
    confirm_outside_usual: bool = False,
    outside_usual_reason: str = "",
    off_label_reason: str = "",
) -> TreatmentPlan:
    """Write a draft plan: version 1 is the plan as written."""
    fields = _version_fields(
        patient=patient,
        indication=indication,
        indication_other=indication_other,
        route=route,
        dose_amount=dose_amount,
        infusion_minutes=infusion_minutes,
        phase=phase,
        sessions_planned=sessions_planned,
        span_weeks=span_weeks,
        every_weeks=every_weeks,
        per_month=per_month,
        start_date=start_date,
        goals=goals,
        prescriber=prescriber,
        confirm_outside_usual=confirm_outside_usual,
        outside_usual_reason=outside_usual_reason,
        off_label_reason=off_label_reason,
    )
    with transaction.atomic():
        plan = TreatmentPlan.objects.create(patient=patient, created_by=created_by)
        PlanVersion.objects.create(
            plan=plan, number=1, effective_at=timezone.now(), created_by=created_by, **fields
        )
    return plan


def plan_update_draft(
    *,
    plan: TreatmentPlan,
    user,
    confirm_outside_usual: bool = False,
    outside_usual_reason: str = "",
    **changes,
) -> PlanVersion:
    """Edit a draft plan: version 1 is rewritten in place (a draft has no history to keep),
    through the same checks as plan_create, with a mg/kg dose computed again from the latest
    weight. ``changes`` are content fields (CONTENT_FIELDS); the rest is carried over from
    version 1. The change is saved with ``update_fields`` so the audit trail records it."""
    unknown = set(changes) - set(CONTENT_FIELDS)
    if unknown:
        raise TypeError(f"Not plan content: {sorted(unknown)}")
    with transaction.atomic():
        fresh = _locked(plan)
        if fresh.status != Status.DRAFT:
            raise ValidationError(
                f"Only a draft plan can be edited; this one is {fresh.get_status_display()}. "
                "An active plan is changed by an amendment."
            )
        version = fresh.versions.select_related("prescriber").get(number=1)
        content = {name: getattr(version, name) for name in CONTENT_FIELDS} | changes
        same_dose = (
            content["route"] == version.route and content["dose_amount"] == version.dose_amount
        )
        if same_dose and version.dose_outside_usual_reason and not confirm_outside_usual:
            # The outside-usual dose was confirmed when it was written: keep its reason.
            confirm_outside_usual = True
            outside_usual_reason = outside_usual_reason or version.dose_outside_usual_reason
        fields = _version_fields(
            patient=fresh.patient,
            confirm_outside_usual=confirm_outside_usual,
            outside_usual_reason=outside_usual_reason,
            **content,
        )
        for name, value in fields.items():
            setattr(version, name, value)
        version.save(update_fields=list(fields))
    return version


def _locked(plan: TreatmentPlan) -> TreatmentPlan:
    """The plan's row, locked for the rest of the transaction and read fresh."""
    return TreatmentPlan.objects.select_for_update().get(pk=plan.pk)


def _refresh(plan: TreatmentPlan, fresh: TreatmentPlan) -> None:
    for name in ("status", "stop_reason", "activated_at", "ended_at"):
        setattr(plan, name, getattr(fresh, name))


def plan_activate(*, plan: TreatmentPlan, user) -> TreatmentPlan:
    """A draft becomes the patient's active plan: only for a patient whose current screening
    is approved, and only when no other plan of theirs is active."""
    approved = Screening.objects.filter(
        patient_id=plan.patient_id, is_current=True, status=Screening.Status.APPROVED
    ).exists()
    if not approved:
        raise ValidationError(
            "The plan cannot be activated: the patient's current screening is not approved. "
            "A clinician must approve the screening first."
        )
    try:
        with transaction.atomic():
            fresh = _locked(plan)
            if fresh.status != Status.DRAFT:
                raise ValidationError(
                    f"Only a draft plan can be activated; this one is {fresh.get_status_display()}."
                )
            other = (
                TreatmentPlan.objects.filter(patient_id=plan.patient_id, status=Status.ACTIVE)
                .exclude(pk=plan.pk)
                .exists()
            )
            if other:
                raise ValidationError(
                    "The patient already has an active plan: complete or stop it first."
                )
            fresh.status = Status.ACTIVE
            fresh.activated_at = timezone.now()
            fresh.save(update_fields=["status", "activated_at"])
            # The front desk books the series next: a task on their list.
            plan_booking_task_open(
                plan=fresh, version=fresh.versions.order_by("-number").first(), user=user
            )
    except IntegrityError as error:
        # Two clinicians activating two plans at once: the database's constraint decides.
        raise ValidationError(
            "The patient already has an active plan: complete or stop it first."
        ) from error
    _refresh(plan, fresh)
    return plan


def plan_amend(
    *,
    plan: TreatmentPlan,
    user,
    reason: str,
    confirm_outside_usual: bool = False,
    outside_usual_reason: str = "",
    **changes,
) -> PlanVersion:
    """Change an active plan: a new version, effective now, with the reason. Earlier versions
    are kept unchanged. ``changes`` are content fields (CONTENT_FIELDS); the rest is carried
    over from the current version, and a mg/kg dose is computed again from the latest weight."""
    unknown = set(changes) - set(CONTENT_FIELDS)
    if unknown:
        raise TypeError(f"Not plan content: {sorted(unknown)}")
    with transaction.atomic():
        fresh = _locked(plan)
        if fresh.status != Status.ACTIVE:
            raise ValidationError(
                f"Only an active plan is amended; this one is {fresh.get_status_display()}."
            )
        current = fresh.versions.select_related("prescriber").order_by("-number").first()
        content = {name: getattr(current, name) for name in CONTENT_FIELDS} | changes
        same_dose = (
            content["route"] == current.route and content["dose_amount"] == current.dose_amount
        )
        if same_dose and current.dose_outside_usual_reason and not confirm_outside_usual:
            # The outside-usual dose was confirmed when it was prescribed: keep its reason.
            confirm_outside_usual = True
            outside_usual_reason = outside_usual_reason or current.dose_outside_usual_reason
        errors: dict[str, ValidationError] = {}
        try:
            fields = _version_fields(
                patient=fresh.patient,
                confirm_outside_usual=confirm_outside_usual,
                outside_usual_reason=outside_usual_reason,
                **content,
            )
        except ValidationError as error:
            errors = error.error_dict
        if not reason.strip():
            errors["reason"] = [ValidationError("Give the reason for the amendment.")]
        if errors:
            raise ValidationError(errors)
        return PlanVersion.objects.create(
            plan=fresh,
            number=current.number + 1,
            effective_at=timezone.now(),
            amendment_reason=reason.strip(),
            created_by=user,
            **fields,
        )


def plan_complete(*, plan: TreatmentPlan, user) -> TreatmentPlan:
    """The active plan's course is done."""
    with transaction.atomic():
        fresh = _locked(plan)
        if fresh.status != Status.ACTIVE:
            raise ValidationError(
                f"Only an active plan can be completed; this one is {fresh.get_status_display()}."
            )
        fresh.status = Status.COMPLETED
        fresh.ended_at = timezone.now()
        fresh.save(update_fields=["status", "ended_at"])
        plan_booking_task_cancel(plan=fresh, user=user)
        for hook in ENDED_HOOKS:
            hook(plan=fresh, user=user)
    _refresh(plan, fresh)
    return plan


def plan_stop(*, plan: TreatmentPlan, user, reason: str) -> TreatmentPlan:
    """Stop a draft or active plan early, with the reason."""
    if not reason.strip():
        raise ValidationError({"reason": "Give the reason for stopping the plan."})
    with transaction.atomic():
        fresh = _locked(plan)
        if fresh.status not in (Status.DRAFT, Status.ACTIVE):
            raise ValidationError(
                f"This plan is {fresh.get_status_display()} already: it cannot be stopped."
            )
        was_active = fresh.status == Status.ACTIVE
        fresh.status = Status.STOPPED
        fresh.stop_reason = reason.strip()
        fresh.ended_at = timezone.now()
        fresh.save(update_fields=["status", "stop_reason", "ended_at"])
        plan_booking_task_cancel(plan=fresh, user=user)
        if was_active:
            for hook in ENDED_HOOKS:
                hook(plan=fresh, user=user)
    _refresh(plan, fresh)
    return plan

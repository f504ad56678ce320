"""Discharge: every route's minimum observation, the last vitals, Aldrete and escort."""

from collections.abc import Sequence
from datetime import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from clinic.dates import time_of_day

from ... import limits
from ... import session_rules as rules
from ...dosing import Route
from ...models import TreatmentSession, VitalsReading
from .administration import stop_time_needed
from .common import COMPLETED_HOOKS, Status, copy_fields, locked, not_in_future, session_route
from .monitoring import monitoring_open


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


def discharge_waits_for(
    session: TreatmentSession, vitals: Sequence[VitalsReading], *, now: datetime
) -> list[str]:
    """What a dosed session still needs before the discharge form can pass, in a few words
    each (the score, the escort and the instructions are on the form itself)."""
    if session.administration_started_at is None:
        return ["the administration"]
    waiting = []
    earliest = earliest_discharge(session)
    if earliest is None:
        waiting.append("the infusion's stop time")
    elif now < earliest:
        waiting.append(f"the end of the observation, at {time_of_day(earliest)}")
    after = readings_after_administration(session, vitals)
    last = after[-1] if after else None
    if last is None:
        waiting.append("a full set of vitals after the dose")
        return waiting
    if any(getattr(last, name) is None for name, _ in rules.DISCHARGE_READING_VALUES):
        waiting.append("a full set of vitals in the last reading")
    if rules.range_flags(last):
        waiting.append("vitals within the normal ranges (or accepted with a note)")
    if last.sedation_moaa_s is not None and last.sedation_moaa_s != rules.SEDATION_RESOLVED:
        waiting.append(f"sedation resolved (MOAA/S {rules.SEDATION_RESOLVED})")
    if last.dissociation is not None and last.dissociation != rules.DISSOCIATION_RESOLVED:
        waiting.append(f"dissociation resolved (CADSS-6 {rules.DISSOCIATION_RESOLVED})")
    return waiting


def discharge_limits(session: TreatmentSession) -> rules.DischargeLimits:
    return rules.DischargeLimits(
        aldrete_minimum=settings.CLINIC_DISCHARGE_ALDRETE_MIN,
        consciousness_minimum=settings.CLINIC_DISCHARGE_CONSCIOUSNESS_MIN,
        oxygen_minimum=settings.CLINIC_DISCHARGE_OXYGEN_MIN,
        observation_minutes=limits.observation_minutes(session_route(session)),
    )


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
    not_in_future(discharged_at, "discharged_at", errors)
    try:
        rules.aldrete_total(aldrete)
    except ValueError:
        raise ValidationError({"__all__": "Each Aldrete criterion scores 0, 1 or 2."}) from None
    note = vitals_accepted_note.strip()
    with transaction.atomic():
        fresh = locked(session)
        monitoring_open(fresh)
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
    copy_fields(session, fresh, fields)
    return session

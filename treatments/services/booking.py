"""Writes for booking: a session on a chair for an active plan, rescheduling, cancelling and
no-shows.

No chair holds two sessions at once and no patient is booked twice at once. On every backend
the service locks the chair row, then the patient row, before it looks for a clash: two staff
booking one slot at the same moment queue on those locks, and the second sees the first's
session. The lock order is always chair then patient, so two bookings cannot deadlock. On
PostgreSQL the exclusion constraints of migration 0004 are the last guard (for writes that do
not come through here): their IntegrityError becomes the same ValidationError.
"""

from collections.abc import Callable
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from clinic.locations import chain_enabled, is_chain_wide
from clinic.models import Location, StaffLocation
from intake.models import Patient

from .. import booking_rules, limits
from ..dosing import Route, booking_minutes
from ..models import (
    HOLDING_STATUSES,
    PlanVersion,
    TreatmentChair,
    TreatmentPlan,
    TreatmentSession,
)
from .booking_tasks import plan_booking_task_close_if_booked

# Called inside the transaction that changes the session (the follow-ups app registers its
# reminders here): BOOK_HOOKS with (session=, user=), RESCHEDULE_HOOKS with (session=, user=,
# previous_starts_at=), CANCEL_HOOKS with (session=, user=).
BOOK_HOOKS: list[Callable[..., None]] = []
RESCHEDULE_HOOKS: list[Callable[..., None]] = []
CANCEL_HOOKS: list[Callable[..., None]] = []

OVERLAP_CONSTRAINTS = {
    "session_chair_no_overlap": "chair",
    "session_patient_no_overlap": "patient",
}


def _time_range(session: TreatmentSession) -> str:
    starts, ends = timezone.localtime(session.starts_at), timezone.localtime(session.ends_at)
    return f"{starts:%H:%M}\N{EN DASH}{ends:%H:%M}"


def _clashes(*, chair_id: int, patient_id: int, starts_at, ends_at, exclude_pk=None):
    overlapping = TreatmentSession.objects.filter(
        status__in=HOLDING_STATUSES, starts_at__lt=ends_at, ends_at__gt=starts_at
    ).select_related("chair")
    if exclude_pk is not None:
        overlapping = overlapping.exclude(pk=exclude_pk)
    chair_clash = overlapping.filter(chair_id=chair_id).first()
    patient_clash = overlapping.filter(patient_id=patient_id).first()
    return chair_clash, patient_clash


def _refuse_clash(*, chair_id: int, patient_id: int, starts_at, ends_at, exclude_pk=None) -> None:
    chair_clash, patient_clash = _clashes(
        chair_id=chair_id,
        patient_id=patient_id,
        starts_at=starts_at,
        ends_at=ends_at,
        exclude_pk=exclude_pk,
    )
    if chair_clash is not None:
        raise ValidationError(
            f"{chair_clash.chair.name} is booked {_time_range(chair_clash)}.", code="chair_clash"
        )
    if patient_clash is not None:
        raise ValidationError(
            f"The patient already has a session {_time_range(patient_clash)} "
            f"({patient_clash.chair.name}).",
            code="patient_clash",
        )


def _overlap_constraint(error: IntegrityError) -> str | None:
    """The exclusion constraint an IntegrityError comes from, if it is one of ours."""
    diag = getattr(error.__cause__, "diag", None)
    name = getattr(diag, "constraint_name", None)
    if name in OVERLAP_CONSTRAINTS:
        return name
    return next((n for n in OVERLAP_CONSTRAINTS if n in str(error)), None)


def _clash_from_constraint(error: IntegrityError, **slot) -> ValidationError:
    """The message for a clash the database caught (the other booking committed first)."""
    try:
        _refuse_clash(**slot)
    except ValidationError as clash:
        return clash
    which = OVERLAP_CONSTRAINTS[_overlap_constraint(error)]
    if which == "chair":
        return ValidationError("The chair was booked for that time meanwhile.", code="chair_clash")
    return ValidationError("The patient was booked for that time meanwhile.", code="patient_clash")


def _lock_chair_and_patient(*, chair_id: int, patient_id: int) -> TreatmentChair:
    # Always chair first, then patient: the same order everywhere, so no deadlock.
    chair = TreatmentChair.objects.select_for_update().get(pk=chair_id)
    list(Patient.objects.select_for_update().filter(pk=patient_id).values_list("pk"))
    return chair


def plan_current_version(plan: TreatmentPlan) -> PlanVersion:
    version = plan.versions.order_by("-number").first()
    if version is None:
        raise ValidationError("The plan has no content yet.")
    return version


def session_minutes(version: PlanVersion) -> int:
    """How long a session of this plan holds its chair: administration plus monitoring."""
    return booking_minutes(
        Route(version.route),
        infusion_minutes=version.infusion_minutes,
        observation_minutes=limits.observation_minutes(version.route),
    )


def _require_aware(starts_at: datetime) -> None:
    if timezone.is_naive(starts_at):
        raise ValueError("starts_at must be timezone-aware")


def _when_text(moment: datetime) -> str:
    return f"{timezone.localtime(moment):%m/%d/%Y at %H:%M}"


def _chair_location(chair: TreatmentChair) -> Location | None:
    """The location whose hours and time zone a session on the chair follows: its own in a
    chain; None (the clinic's settings) with one clinic, or for a chair placed nowhere yet."""
    if not chain_enabled() or chair.location_id is None:
        return None
    return Location.objects.get(pk=chair.location_id)


def _refuse_chair_elsewhere(*, location: Location | None, user) -> None:
    """In a chain, a member of staff books only on the chairs of a location they work in
    (chain-wide staff anywhere)."""
    if location is None or user is None or is_chain_wide(user):
        return
    if not StaffLocation.objects.filter(user=user, location=location).exists():
        raise ValidationError(
            f"That chair is at {location.name}, where you are not assigned to work: choose a "
            "chair of your location.",
            code="chair_elsewhere",
        )


def _check_start(
    *,
    version: PlanVersion,
    patient_id: int,
    starts_at: datetime,
    ends_at: datetime,
    exclude_pk: int | None = None,
    location: Location | None = None,
) -> None:
    """The rules on when a session may be: not in the past, not before the plan's start date,
    the whole session inside the opening hours (the ``location``'s, in its time zone, in a
    chain; else the clinic's), and intranasal esketamine sessions of the patient at least
    CLINIC_ESKETAMINE_MIN_DAYS_APART days apart. Each refusal in words."""
    if starts_at < timezone.now():
        raise ValidationError(
            f"This session would start on {_when_text(starts_at)}, which is in the past.",
            code="in_the_past",
        )
    zone = location.zone if location is not None else timezone.get_current_timezone()
    starts, ends = timezone.localtime(starts_at, zone), timezone.localtime(ends_at, zone)
    if starts.date() < version.start_date:
        raise ValidationError(
            f"The plan starts on {version.start_date:%m/%d/%Y}: this session would be on "
            f"{starts:%m/%d/%Y}, before it.",
            code="before_plan_start",
        )
    closed = booking_rules.opening_hours_refusal(
        starts,
        ends,
        limits.opening_hours(location),
        place=location.name if location is not None else booking_rules.THE_CLINIC,
    )
    if closed:
        if location is not None:
            closed += f" (Times are {location.name} time, {starts:%Z}.)"
        raise ValidationError(closed, code="clinic_closed")
    if version.route == Route.ESKETAMINE_NASAL:
        min_days = limits.esketamine_min_days_apart()
        gap = timedelta(days=min_days)
        others = TreatmentSession.objects.filter(
            patient_id=patient_id,
            status__in=HOLDING_STATUSES,
            plan_version__route=Route.ESKETAMINE_NASAL,
            starts_at__gt=starts_at - gap,
            starts_at__lt=starts_at + gap,
        ).exclude(pk=exclude_pk)
        near = booking_rules.too_close(
            starts_at, others.values_list("starts_at", flat=True), min_days=min_days
        )
        if near is not None:
            raise ValidationError(
                f"Intranasal esketamine sessions must be at least {min_days} days apart: the "
                f"patient has one on {_when_text(near)}.",
                code="esketamine_too_close",
            )


def session_book(
    *, plan: TreatmentPlan, chair: TreatmentChair, starts_at: datetime, booked_by
) -> TreatmentSession:
    """Book one session of an active plan on a chair; refused when the chair or the patient is
    already taken for any part of the session's length, and refused at a time the booking
    rules do not allow (_check_start)."""
    _require_aware(starts_at)
    slot = {"chair_id": chair.pk, "patient_id": plan.patient_id}
    try:
        with transaction.atomic():
            locked_chair = _lock_chair_and_patient(**slot)
            if not locked_chair.active:
                raise ValidationError(f"{locked_chair.name} is not in use.", code="chair_inactive")
            location = _chair_location(locked_chair)
            _refuse_chair_elsewhere(location=location, user=booked_by)
            plan = TreatmentPlan.objects.get(pk=plan.pk)
            if plan.status != TreatmentPlan.Status.ACTIVE:
                raise ValidationError(
                    "Only an active plan can be booked: this one is "
                    f"{plan.get_status_display().lower()}.",
                    code="plan_not_active",
                )
            version = plan_current_version(plan)
            ends_at = starts_at + timedelta(minutes=session_minutes(version))
            _check_start(
                version=version,
                patient_id=plan.patient_id,
                starts_at=starts_at,
                ends_at=ends_at,
                location=location,
            )
            slot.update(starts_at=starts_at, ends_at=ends_at)
            _refuse_clash(**slot)
            session = TreatmentSession.objects.create(
                patient_id=plan.patient_id,
                plan=plan,
                plan_version=version,
                chair=locked_chair,
                starts_at=starts_at,
                ends_at=ends_at,
                status=TreatmentSession.Status.BOOKED,
                booked_by=booked_by,
            )
            plan_booking_task_close_if_booked(
                plan_id=plan.pk, sessions_planned=version.sessions_planned, user=booked_by
            )
            for hook in BOOK_HOOKS:
                hook(session=session, user=booked_by)
            return session
    except IntegrityError as error:
        if _overlap_constraint(error) is None:
            raise
        raise _clash_from_constraint(error, **slot) from error


def session_reschedule(
    *,
    session: TreatmentSession,
    starts_at: datetime,
    chair: TreatmentChair | None = None,
    user,
) -> TreatmentSession:
    """Move a booked session (and optionally to another chair). Its length follows the plan's
    current version, and the booking rules apply as they do to a new booking."""
    _require_aware(starts_at)
    chair_id = chair.pk if chair is not None else session.chair_id
    slot = {"chair_id": chair_id, "patient_id": session.patient_id, "exclude_pk": session.pk}
    try:
        with transaction.atomic():
            locked_chair = _lock_chair_and_patient(chair_id=chair_id, patient_id=session.patient_id)
            session = (
                TreatmentSession.objects.select_for_update()
                .select_related("plan")
                .get(pk=session.pk)
            )
            if session.status != TreatmentSession.Status.BOOKED:
                raise ValidationError(
                    session_closed_refusal(session)
                    or f"Only a booked session can be rescheduled: this one is "
                    f"{session.get_status_display().lower()}.",
                    code="not_booked",
                )
            if chair_id != session.chair_id and not locked_chair.active:
                raise ValidationError(f"{locked_chair.name} is not in use.", code="chair_inactive")
            location = _chair_location(locked_chair)
            _refuse_chair_elsewhere(location=location, user=user)
            if session.plan.status != TreatmentPlan.Status.ACTIVE:
                raise ValidationError(
                    "The plan is no longer active: cancel the session instead.",
                    code="plan_not_active",
                )
            version = plan_current_version(session.plan)
            ends_at = starts_at + timedelta(minutes=session_minutes(version))
            _check_start(
                version=version,
                patient_id=session.patient_id,
                starts_at=starts_at,
                ends_at=ends_at,
                exclude_pk=session.pk,
                location=location,
            )
            slot.update(starts_at=starts_at, ends_at=ends_at)
            _refuse_clash(**slot)
            previous_starts_at = session.starts_at
            session.chair = locked_chair
            session.plan_version = version
            session.starts_at, session.ends_at = starts_at, ends_at
            session.save(update_fields=["chair", "plan_version", "starts_at", "ends_at"])
            for hook in RESCHEDULE_HOOKS:
                hook(session=session, user=user, previous_starts_at=previous_starts_at)
            return session
    except IntegrityError as error:
        if _overlap_constraint(error) is None:
            raise
        raise _clash_from_constraint(error, **slot) from error


CANCELLABLE = (TreatmentSession.Status.BOOKED, TreatmentSession.Status.CHECKED_IN)


def session_closed_refusal(session: TreatmentSession) -> str | None:
    """Why nothing can be recorded on a cancelled session or a no-show, naming who cancelled
    it and when: a page opened before then acts on a session that is no longer there. None
    for any other session."""
    if session.status == TreatmentSession.Status.NO_SHOW:
        return "This session was marked as a no-show: nothing was changed."
    if session.status != TreatmentSession.Status.CANCELLED:
        return None
    who = ""
    if session.cancelled_by_id is not None:
        user = session.cancelled_by
        who = f" by {user.get_full_name() or user.username}"
    when = f" on {_when_text(session.cancelled_at)}" if session.cancelled_at else ""
    return f"This session was cancelled{who}{when}: nothing was changed."


def session_cancel(*, session: TreatmentSession, reason: str, user) -> TreatmentSession:
    """Cancel a session that has not started: its chair and the patient's time are free again."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Give the reason for cancelling."})
    with transaction.atomic():
        session = TreatmentSession.objects.select_for_update().get(pk=session.pk)
        if session.status not in CANCELLABLE:
            raise ValidationError(
                session_closed_refusal(session)
                or f"This session cannot be cancelled: it is "
                f"{session.get_status_display().lower()}.",
                code="not_cancellable",
            )
        session.status = TreatmentSession.Status.CANCELLED
        session.cancel_reason = reason
        session.cancelled_at, session.cancelled_by = timezone.now(), user
        session.save(update_fields=["status", "cancel_reason", "cancelled_at", "cancelled_by"])
        for hook in CANCEL_HOOKS:
            hook(session=session, user=user)
    return session


def session_mark_no_show(*, session: TreatmentSession, user) -> TreatmentSession:
    """The patient did not come: only a booked session, and only once its start time has passed."""
    with transaction.atomic():
        session = TreatmentSession.objects.select_for_update().get(pk=session.pk)
        if session.status != TreatmentSession.Status.BOOKED:
            raise ValidationError(
                session_closed_refusal(session)
                or "Only a booked session can be marked as a no-show: this one is "
                f"{session.get_status_display().lower()}.",
                code="not_booked",
            )
        if timezone.now() < session.starts_at:
            raise ValidationError(
                "A session can be marked as a no-show only after its start time.",
                code="not_started",
            )
        session.status = TreatmentSession.Status.NO_SHOW
        session.save(update_fields=["status"])
        for hook in CANCEL_HOOKS:
            hook(session=session, user=user)
    return session

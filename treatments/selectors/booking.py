"""Reads for booking: the series a plan proposes, the chair board of a day, today's count; the
home page's compact board and arrivals."""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db.models import Count, Q
from django.utils import timezone

from ..models import (
    HOLDING_STATUSES,
    PlanVersion,
    TreatmentChair,
    TreatmentPlan,
    TreatmentSession,
)
from .plans import SCHEDULE_FIELDS, plan_proposed_dates

# The time a proposed session starts at, in the clinic's zone (the front desk adjusts each).
DEFAULT_SESSION_TIME = time(9, 0)


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """The clinic's day as an aware [start, end) range (23 or 25 hours on DST change days)."""
    zone = timezone.get_current_timezone()
    return (
        datetime.combine(day, time.min, tzinfo=zone),
        datetime.combine(day + timedelta(days=1), time.min, tzinfo=zone),
    )


@dataclass
class ProposedSession:
    starts_on: date
    starts_at_time: time
    chair_id: int | None


@dataclass
class SeriesProposal:
    version: PlanVersion
    booked: list[TreatmentSession] = field(default_factory=list)
    proposed: list[ProposedSession] = field(default_factory=list)


def plan_series_proposal(*, plan: TreatmentPlan, today: date | None = None) -> SeriesProposal:
    """What is left of the plan's series to book: the planned dates (plan_proposed_dates) after
    the sessions it already holds. If those dates have slipped into the past, the rest of the
    series keeps its spacing and starts today."""
    today = today or timezone.localdate()
    version = plan.versions.only(*SCHEDULE_FIELDS).order_by("-number").first()
    booked = list(
        plan.sessions.filter(status__in=HOLDING_STATUSES)
        .select_related("chair")
        .order_by("starts_at")
    )
    dates = plan_proposed_dates(version)[len(booked) :]
    if dates and dates[0] < today:
        shift = today - dates[0]
        dates = [day + shift for day in dates]
    chair = TreatmentChair.objects.filter(active=True).first()
    proposed = [
        ProposedSession(
            starts_on=day,
            starts_at_time=DEFAULT_SESSION_TIME,
            chair_id=chair.pk if chair else None,
        )
        for day in dates
    ]
    return SeriesProposal(version=version, booked=booked, proposed=proposed)


def bookable_chairs() -> list[TreatmentChair]:
    return list(TreatmentChair.objects.filter(active=True))


@dataclass
class BoardRow:
    hour: time
    cells: list[list[TreatmentSession]]


@dataclass
class ChairBoard:
    day: date
    chairs: list[TreatmentChair]
    rows: list[BoardRow]
    session_count: int


def _sessions_on(start: datetime, end: datetime):
    """The sessions starting in [start, end), in starting order, with what a board shows of
    their patient."""
    return (
        TreatmentSession.objects.filter(starts_at__gte=start, starts_at__lt=end)
        .select_related("patient")
        .only(
            "starts_at",
            "ends_at",
            "status",
            "chair_id",
            "patient__legal_first_name",
            "patient__legal_last_name",
            "patient__mrn",
            "patient__preferred_name",
        )
        .order_by("starts_at", "pk")
    )


def chair_board(*, day: date, first_hour: int = 7, last_hour: int = 18) -> ChairBoard:
    """A day's sessions by chair (columns) and starting hour (rows), in two queries whatever the
    number of sessions. The hours widen to take in any session outside the usual ones."""
    start, end = day_bounds(day)
    sessions = list(_sessions_on(start, end))
    chair_ids = {session.chair_id for session in sessions}
    chairs = list(TreatmentChair.objects.filter(Q(active=True) | Q(pk__in=chair_ids)))
    column = {chair.pk: index for index, chair in enumerate(chairs)}
    hours = {timezone.localtime(session.starts_at).hour for session in sessions}
    hours |= set(range(first_hour, last_hour + 1))
    by_hour = {
        hour: BoardRow(hour=time(hour), cells=[[] for _ in chairs]) for hour in sorted(hours)
    }
    for session in sessions:
        local = timezone.localtime(session.starts_at)
        by_hour[local.hour].cells[column[session.chair_id]].append(session)
    return ChairBoard(
        day=day, chairs=chairs, rows=list(by_hour.values()), session_count=len(sessions)
    )


def sessions_today_count() -> int:
    """Sessions that hold a chair today (clinic time)."""
    start, end = day_bounds(timezone.localdate())
    return TreatmentSession.objects.filter(
        starts_at__gte=start, starts_at__lt=end, status__in=HOLDING_STATUSES
    ).count()


@dataclass
class ChairDay:
    chair_id: int
    name: str
    sessions: list[TreatmentSession]


def chairs_day(*, day: date) -> list[ChairDay]:
    """A day's sessions chair by chair, in starting order (the home page's compact board): the
    chairs in use plus any chair with a session that day, and no cancelled session. Two queries
    whatever the number of sessions."""
    start, end = day_bounds(day)
    sessions = list(_sessions_on(start, end).exclude(status=TreatmentSession.Status.CANCELLED))
    chair_ids = {session.chair_id for session in sessions}
    # Names only: a chain has hundreds of chairs, most of them free on a given day.
    chairs = TreatmentChair.objects.filter(Q(active=True) | Q(pk__in=chair_ids))
    by_chair = {pk: ChairDay(pk, name, []) for pk, name in chairs.values_list("pk", "name")}
    for session in sessions:
        by_chair[session.chair_id].sessions.append(session)
    return list(by_chair.values())


def arrivals_counts(*, now: datetime | None = None) -> dict[str, int]:
    """Today's sessions by arrival (one aggregate): booked and not arrived yet, of those the
    ones past their start time, and checked in (waiting for the dose)."""
    now = now or timezone.now()
    start, end = day_bounds(timezone.localdate(now))
    Status = TreatmentSession.Status
    return TreatmentSession.objects.filter(starts_at__gte=start, starts_at__lt=end).aggregate(
        expected=Count("id", filter=Q(status=Status.BOOKED)),
        late=Count("id", filter=Q(status=Status.BOOKED, starts_at__lte=now)),
        checked_in=Count("id", filter=Q(status=Status.CHECKED_IN)),
    )

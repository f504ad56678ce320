"""Reads for booking: which chairs a page shows (every chair of a small clinic, else one
location's), the series a plan proposes, the chair board of a day, today's count; the home
page's compact board and arrivals."""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from clinic.models import Location

from .. import booking_rules, limits
from ..dosing import Route, booking_minutes
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
# No session is longer than this (the booking rules keep each inside one day's opening hours):
# reads of the sessions overlapping a time range bound their start from below too, so that
# they read a range of the starts_at indexes instead of every earlier session.
LONGEST_SESSION = timedelta(days=1)
# The board and the chair pickers list every chair in use while there are at most this many;
# a clinic with more (a chain's chairs over many locations) shows one location at a time, so a
# page costs what one location's chairs cost, however many the clinic has.
ALL_CHAIRS_UP_TO = 12


@dataclass(frozen=True)
class ChairScope:
    """The chairs a booking page shows: ``location`` None for every chair (no choice to
    make), else that location's, with ``locations`` to choose from in display order (one
    clinic with many chairs), or none (a chain: the location the person works in).

    ``includes_unplaced``: chairs with no location yet (made before locations) are read as
    the first location's. ``chain``: the location's own hours and time zone apply (a chain);
    without it the clinic's settings do, as they always have."""

    location: Location | None = None
    locations: tuple[Location, ...] = ()
    includes_unplaced: bool = False
    chain: bool = False

    def chair_filter(self, prefix: str = "") -> Q:
        """The scope as a filter on chairs (``prefix``: the path to the chair, e.g. "chair__")."""
        if self.location is None:
            return Q()
        scoped = Q(**{f"{prefix}location": self.location.pk})
        if self.includes_unplaced:
            scoped |= Q(**{f"{prefix}location__isnull": True})
        return scoped

    def chairs(self) -> QuerySet[TreatmentChair]:
        return TreatmentChair.objects.filter(self.chair_filter())

    @property
    def hours_location(self) -> Location | None:
        """The location whose opening hours and zone the scope's bookings follow; None: the
        clinic's settings (one clinic)."""
        return self.location if self.chain else None


def _location_id(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def chair_scope(
    *,
    workplace: Location | None = None,
    requested: str | None = None,
    preferred: int | None = None,
) -> ChairScope:
    """In a chain (``workplace``, the location the person works in): that location's chairs,
    no choice and no query. Otherwise every chair while the clinic has few (ALL_CHAIRS_UP_TO)
    or one location; else the ``requested`` location (its id, from the query string) if a
    chair is there, else the ``preferred`` one (the person's last choice, or the session's own
    location), else the first in display order. One query over the chairs, grouped by
    location; chairs with no location count as the first location's."""
    if workplace is not None:
        return ChairScope(location=workplace, chain=True)
    rows = (
        TreatmentChair.objects.values_list("location", "location__name", "location__display_order")
        .annotate(in_use=Count("pk", filter=Q(active=True)))
        .order_by()
    )
    unplaced = 0
    groups: dict[int, tuple[Location, int]] = {}
    for location_id, name, order, count in rows:
        if location_id is None:
            unplaced += count
        else:
            groups[location_id] = (Location(pk=location_id, name=name, display_order=order), count)
    ordered = sorted(groups.values(), key=lambda group: (group[0].display_order, group[0].name))
    if ordered and unplaced:
        first, count = ordered[0]
        ordered[0] = (first, count + unplaced)
    offered = [location for location, count in ordered if count]
    if sum(count for _, count in ordered) <= ALL_CHAIRS_UP_TO or len(offered) <= 1:
        return ChairScope()
    wanted = (_location_id(requested), _location_id(preferred))
    location = next((groups[pk][0] for pk in wanted if pk in groups), offered[0])
    if location not in offered:  # a session's location: its chairs are all retired
        offered = [each for each, count in ordered if count or each == location]
    return ChairScope(
        location=location,
        locations=tuple(offered),
        includes_unplaced=unplaced > 0 and location == ordered[0][0],
    )


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
    chairs: list[TreatmentChair] = field(default_factory=list)


# How many days past a planned date the proposal looks for a free chair and time before it
# gives up and proposes the default time (the front desk then picks a slot by hand). The
# search may run past the last planned date: the sessions read reach that far.
SLOT_SEARCH_DAYS = 7


@dataclass
class _Occupancy:
    """The holding sessions around the proposed dates, by local day: each chair's, the
    patient's, and the starts of the patient's esketamine sessions."""

    chairs: dict[date, dict[int, list[tuple[datetime, datetime]]]] = field(default_factory=dict)
    patient: dict[date, list[tuple[datetime, datetime]]] = field(default_factory=dict)
    esketamine_starts: list[datetime] = field(default_factory=list)

    def add(self, *, chair_id, starts, ends, is_patient: bool, esketamine: bool) -> None:
        day = timezone.localtime(starts).date()
        self.chairs.setdefault(day, {}).setdefault(chair_id, []).append((starts, ends))
        if is_patient:
            self.patient.setdefault(day, []).append((starts, ends))
            if esketamine:
                self.esketamine_starts.append(starts)


def _occupancy(*, patient_id: int, chair_ids: list[int], first: date, last: date) -> _Occupancy:
    """One query: the holding sessions of the chairs or of the patient from ``first`` to
    ``last`` (clinic days)."""
    start, _ = day_bounds(first)
    _, end = day_bounds(last)
    rows = (
        TreatmentSession.objects.filter(
            Q(patient_id=patient_id) | Q(chair_id__in=chair_ids),
            status__in=HOLDING_STATUSES,
            starts_at__gt=start - LONGEST_SESSION,
            starts_at__lt=end,
            ends_at__gt=start,
        )
        .order_by()  # the model's ordering would join the chairs to sort rows read into a dict
        .values_list("chair_id", "patient_id", "starts_at", "ends_at", "plan_version__route")
    )
    occupancy = _Occupancy()
    for chair_id, session_patient_id, starts, ends, route in rows:
        occupancy.add(
            chair_id=chair_id,
            starts=starts,
            ends=ends,
            is_patient=session_patient_id == patient_id,
            esketamine=route == Route.ESKETAMINE_NASAL,
        )
    return occupancy


def plan_series_proposal(
    *, plan: TreatmentPlan, scope: ChairScope | None = None, today: date | None = None
) -> SeriesProposal:
    """What is left of the plan's series to book: the planned dates (plan_proposed_dates, on
    open days) after the sessions it already holds, each with a free chair of the ``scope``
    (every chair when not given) and start time.

    If those dates have slipped into the past, the rest of the series keeps its spacing and
    starts today. Each date gets the first chair free at the default time, else the next time
    the patient and a chair are free inside the day's opening hours and not in the past (and,
    for intranasal esketamine, the minimum days from the patient's other esketamine sessions);
    a day with no such time moves the session to the next day that has one. In a chain the
    hours are the scope's location's, in its time zone (the one the request shows). Four
    queries whatever the length of the series."""
    now = timezone.now()
    today = today or timezone.localdate(now)
    version = plan.versions.only(*SCHEDULE_FIELDS).order_by("-number").first()
    booked = list(
        plan.sessions.filter(status__in=HOLDING_STATUSES)
        .select_related("chair")
        .order_by("starts_at")
    )
    scope = scope or ChairScope()
    chairs = bookable_chairs(scope=scope)
    proposal = SeriesProposal(version=version, booked=booked, chairs=chairs)
    dates = plan_proposed_dates(version)[len(booked) :]
    if not dates:
        return proposal
    hours = limits.opening_hours(scope.hours_location)
    esketamine = version.route == Route.ESKETAMINE_NASAL
    min_days = limits.esketamine_min_days_apart() if esketamine else 0
    if dates[0] < today:
        shift = today - dates[0]
        dates = booking_rules.on_open_days(
            [day + shift for day in dates], hours, min_days_apart=min_days
        )
    minutes = booking_minutes(
        Route(version.route),
        infusion_minutes=version.infusion_minutes,
        observation_minutes=limits.observation_minutes(version.route),
    )
    chair_ids = [chair.pk for chair in chairs]
    last_day = dates[-1] + timedelta(days=SLOT_SEARCH_DAYS)
    occupancy = _occupancy(
        patient_id=plan.patient_id,
        chair_ids=chair_ids,
        first=dates[0] - timedelta(days=min_days),
        last=last_day + timedelta(days=min_days),
    )
    not_before = max(now, day_bounds(today)[0])
    zone = timezone.get_current_timezone()

    def free_slot(day: date) -> tuple[datetime, int] | None:
        return booking_rules.first_free_slot(
            day=day,
            zone=zone,
            hours=hours,
            minutes=minutes,
            preferred=DEFAULT_SESSION_TIME,
            chair_ids=chair_ids,
            chair_busy=occupancy.chairs.get(day, {}),
            patient_busy=occupancy.patient.get(day, []),
            not_before=not_before,
            keep_away_from=occupancy.esketamine_starts,
            min_days_apart=min_days,
        )

    for index, planned in enumerate(dates):
        day = planned
        if proposal.proposed and planned > dates[index - 1]:
            # A session moved to a later day pushes the next one on: the order stays.
            day = max(day, proposal.proposed[-1].starts_on + timedelta(days=1))
        search = (day + timedelta(days=n) for n in range(SLOT_SEARCH_DAYS + 1))
        search = (each for each in search if each <= last_day)  # no further than was read
        slot = next((s for s in map(free_slot, search) if s is not None), None)
        if slot is None:
            # Nothing free within reach: the default, for the front desk to change by hand.
            first_chair = chair_ids[0] if chair_ids else None
            proposal.proposed.append(ProposedSession(day, DEFAULT_SESSION_TIME, first_chair))
            continue
        starts, chair_id = slot
        ends = starts + timedelta(minutes=minutes)
        occupancy.add(
            chair_id=chair_id, starts=starts, ends=ends, is_patient=True, esketamine=esketamine
        )
        proposal.proposed.append(ProposedSession(starts.date(), starts.time(), chair_id))
    return proposal


def bookable_chairs(*, scope: ChairScope | None = None) -> list[TreatmentChair]:
    """The chairs in use, of the scope's location if it has one."""
    return list((scope or ChairScope()).chairs().filter(active=True))


@dataclass
class BoardEntry:
    """A session in one hour's cell: where it starts, or a later hour it still occupies
    (``continues``), so the chair reads as taken all along."""

    session: TreatmentSession
    continues: bool = False


@dataclass
class BoardRow:
    hour: time
    cells: list[list[BoardEntry]]


@dataclass
class ChairBoard:
    day: date
    chairs: list[TreatmentChair]
    rows: list[BoardRow]
    session_count: int
    opening_hours: tuple[time, time] | None  # None: the clinic is closed that day


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


def _hours_held(session: TreatmentSession, day: date) -> range:
    """The hours of ``day`` (clinic time) a session occupies, from its starting hour to the
    hour its last minute falls in; a cancelled session or a no-show holds only its first."""
    first = timezone.localtime(session.starts_at).hour
    if session.status not in HOLDING_STATUSES:
        return range(first, first + 1)
    last_minute = timezone.localtime(session.ends_at - timedelta(microseconds=1))
    last = last_minute.hour if last_minute.date() == day else 23
    return range(first, max(first, last) + 1)


def chair_board(*, day: date, scope: ChairScope | None = None) -> ChairBoard:
    """A day's sessions by chair (columns) and hour (rows), in two queries whatever the number
    of sessions: the chairs of the ``scope`` (every chair when not given) in use or with a
    session that day, a row for each hour the clinic is open that day, widened to take in any
    session outside them (booked before the hours changed). A session is in the row of its
    starting hour and, as a continuation, in the row of every later hour it occupies."""
    start, end = day_bounds(day)
    scope = scope or ChairScope()
    chairs = list(scope.chairs())
    sessions = _sessions_on(start, end)
    if scope.location is not None:
        sessions = sessions.filter(chair_id__in=[chair.pk for chair in chairs])
    sessions = list(sessions)
    chair_ids = {session.chair_id for session in sessions}
    chairs = [chair for chair in chairs if chair.active or chair.pk in chair_ids]
    column = {chair.pk: index for index, chair in enumerate(chairs)}
    held = {session.pk: _hours_held(session, day) for session in sessions}
    hours = {hour for session_hours in held.values() for hour in session_hours}
    opening = limits.opening_hours(scope.hours_location).get(day.weekday())
    if opening is not None:
        opens, closes = opening
        # The last row is the last hour a session can start in (none ends after closing).
        hours |= set(range(opens.hour, closes.hour + (1 if closes.minute else 0)))
    by_hour = {
        hour: BoardRow(hour=time(hour), cells=[[] for _ in chairs]) for hour in sorted(hours)
    }
    for session in sessions:
        for hour in held[session.pk]:
            entry = BoardEntry(session, continues=hour != held[session.pk].start)
            by_hour[hour].cells[column[session.chair_id]].append(entry)
    return ChairBoard(
        day=day,
        chairs=chairs,
        rows=list(by_hour.values()),
        session_count=len(sessions),
        opening_hours=opening,
    )


@dataclass
class ChairDay:
    chair_id: int
    name: str
    sessions: list[TreatmentSession]


def chairs_day(*, day: date, scope: ChairScope | None = None) -> list[ChairDay]:
    """A day's sessions chair by chair, in starting order (the home page's compact board): the
    chairs of the ``scope`` (every chair when not given) in use plus any with a session that
    day, and no cancelled session. Two queries whatever the number of sessions."""
    start, end = day_bounds(day)
    scope = scope or ChairScope()
    sessions = _sessions_on(start, end).exclude(status=TreatmentSession.Status.CANCELLED)
    if scope.location is not None:
        sessions = sessions.filter(scope.chair_filter("chair__"))
    sessions = list(sessions)
    chair_ids = {session.chair_id for session in sessions}
    # Names only: a location may have many chairs, most of them free on a given day.
    chairs = scope.chairs().filter(Q(active=True) | Q(pk__in=chair_ids))
    by_chair = {pk: ChairDay(pk, name, []) for pk, name in chairs.values_list("pk", "name")}
    for session in sessions:
        by_chair[session.chair_id].sessions.append(session)
    return list(by_chair.values())


def arrivals_counts(
    *, now: datetime | None = None, location: Location | None = None
) -> dict[str, int]:
    """Today's sessions by arrival (one aggregate): booked and not arrived yet, of those the
    ones past their start time, and checked in (waiting for the dose); at chairs of
    ``location`` only when given (a chain), else every session."""
    now = now or timezone.now()
    start, end = day_bounds(timezone.localdate(now))
    Status = TreatmentSession.Status
    sessions = TreatmentSession.objects.filter(starts_at__gte=start, starts_at__lt=end)
    if location is not None:
        sessions = sessions.filter(chair__location=location)
    return sessions.aggregate(
        expected=Count("id", filter=Q(status=Status.BOOKED)),
        late=Count("id", filter=Q(status=Status.BOOKED, starts_at__lte=now)),
        checked_in=Count("id", filter=Q(status=Status.CHECKED_IN)),
    )

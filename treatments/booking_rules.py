"""Booking rules: plain functions, no Django.

When the clinic is open, how far apart intranasal esketamine sessions must be, the esketamine
label's schedule, moving a series off closed days, and the first free chair and time of a day.
The booking service and the series proposal pass in the clinic's settings (opening hours, the
esketamine spacing) and the sessions they read; times are aware datetimes in the clinic's zone.
"""

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta, tzinfo

OpeningHours = Mapping[int, tuple[time, time]]  # weekday (Monday 0) -> (opens, closes)
Interval = tuple[datetime, datetime]  # [starts, ends)

WEEKDAY_PLURALS = (
    "Mondays",
    "Tuesdays",
    "Wednesdays",
    "Thursdays",
    "Fridays",
    "Saturdays",
    "Sundays",
)
# The proposal tries start times on this grid from the opening time.
SLOT_STEP_MINUTES = 15
# The label: twice a week in weeks 1-4 (the second session this many days after the first of
# the week: Monday and Thursday), once a week in weeks 5-8, then weekly or every two weeks.
ESKETAMINE_TWICE_WEEKLY_WEEKS = 4
ESKETAMINE_WEEKLY_UNTIL_WEEK = 8
ESKETAMINE_SECOND_DAY_OF_WEEK = 3
# Who the opening hours are of, in a refusal (a chain's location says its name).
THE_CLINIC = "The clinic"


def _hours_text(opens: time, closes: time) -> str:
    return f"{opens:%H:%M}\N{EN DASH}{closes:%H:%M}"


def opening_hours_refusal(
    starts: datetime, ends: datetime, hours: OpeningHours, *, place: str = THE_CLINIC
) -> str | None:
    """Why a session from ``starts`` to ``ends`` (the local time of the ``place`` whose
    ``hours`` these are) cannot be booked, in words, or None when the whole of it falls inside
    the opening hours of its day."""
    day = starts.date()
    weekday = day.weekday()
    if weekday not in hours:
        open_days = ", ".join(WEEKDAY_PLURALS[d] for d in sorted(hours)) or "no day"
        return (
            f"{place} is closed on {WEEKDAY_PLURALS[weekday]} (it is open on {open_days}); "
            f"this session would be on {day:%A %m/%d/%Y}."
        )
    opens, closes = hours[weekday]
    open_text = f"{place} is open {_hours_text(opens, closes)} on {WEEKDAY_PLURALS[weekday]}"
    if starts.time() < opens:
        return f"{open_text}; this session would start at {starts:%H:%M}."
    closing = datetime.combine(day, closes, tzinfo=starts.tzinfo)
    if ends > closing:
        next_day = " the next day" if ends.date() != day else ""
        return f"{open_text}; this session would end at {ends:%H:%M}{next_day}."
    return None


def too_close(starts: datetime, others: Iterable[datetime], *, min_days: int) -> datetime | None:
    """The nearest of ``others`` fewer than ``min_days`` days from ``starts`` (before or after),
    or None. Measured start to start: two days apart is allowed, 1 day 23 hours is not."""
    gap = timedelta(days=min_days)
    near = [other for other in others if abs(other - starts) < gap]
    return min(near, key=lambda other: abs(other - starts), default=None)


def esketamine_label_dates(start: date, sessions: int, *, later_every_weeks: int = 1) -> list[date]:
    """The label's schedule from ``start``: twice a week in weeks 1-4 (the first day of each
    week and three days later: Monday and Thursday from a Monday), once a week in weeks 5-8,
    then one every ``later_every_weeks`` weeks (1 or 2)."""
    later_every_weeks = max(later_every_weeks, 1)
    dates: list[date] = []
    week = 0
    while len(dates) < sessions:
        first_day = start + timedelta(weeks=week)
        if week < ESKETAMINE_TWICE_WEEKLY_WEEKS:
            dates += [first_day, first_day + timedelta(days=ESKETAMINE_SECOND_DAY_OF_WEEK)]
        elif max(week - ESKETAMINE_WEEKLY_UNTIL_WEEK, 0) % later_every_weeks == 0:
            dates.append(first_day)  # weekly in weeks 5-8, then every later_every_weeks
        week += 1
    return dates[:sessions]


def on_open_days(
    dates: Sequence[date], open_weekdays: Iterable[int], *, min_days_apart: int = 0
) -> list[date]:
    """Each date moved forward to the clinic's next open day, in order: a date stays after the
    one before it when it was after it (so a session moved off a Saturday does not land on the
    Monday that already has one), and at least ``min_days_apart`` days after it."""
    open_days = set(open_weekdays)
    if not open_days:
        return list(dates)
    moved: list[date] = []
    for index, day in enumerate(dates):
        if moved:
            apart = max(min_days_apart, 1 if day > dates[index - 1] else 0)
            day = max(day, moved[-1] + timedelta(days=apart))
        while day.weekday() not in open_days:
            day += timedelta(days=1)
        moved.append(day)
    return moved


def _overlaps(starts: datetime, ends: datetime, busy: Iterable[Interval]) -> bool:
    return any(other_starts < ends and other_ends > starts for other_starts, other_ends in busy)


def start_times(opens: time, closes: time, *, minutes: int, preferred: time) -> list[time]:
    """The start times a day offers for a session of ``minutes`` (ending by closing time), on a
    grid from opening: the preferred time and the later ones first, then the earlier ones."""
    day = date(2000, 1, 3)  # any day: only the clock is used
    moment = datetime.combine(day, opens)
    last = datetime.combine(day, closes) - timedelta(minutes=minutes)
    grid = []
    while moment <= last:
        grid.append(moment.time())
        moment += timedelta(minutes=SLOT_STEP_MINUTES)
    if (
        preferred not in grid
        and datetime.combine(day, opens) <= datetime.combine(day, preferred) <= last
    ):
        grid = sorted([*grid, preferred])
    return [t for t in grid if t >= preferred] + [t for t in grid if t < preferred]


def first_free_slot(
    *,
    day: date,
    zone: tzinfo,
    hours: OpeningHours,
    minutes: int,
    preferred: time,
    chair_ids: Sequence[int],
    chair_busy: Mapping[int, Sequence[Interval]],
    patient_busy: Sequence[Interval],
    not_before: datetime,
    keep_away_from: Sequence[datetime] = (),
    min_days_apart: int = 0,
) -> tuple[datetime, int] | None:
    """The first start time and chair on ``day`` where a session of ``minutes`` fits: inside the
    opening hours, not before ``not_before``, with the patient free, at least ``min_days_apart``
    days from each of ``keep_away_from``, on the first free chair in ``chair_ids`` order. The
    preferred time is tried first, then later times, then earlier ones. None if the day has none.
    """
    if day.weekday() not in hours or not chair_ids:
        return None
    opens, closes = hours[day.weekday()]
    length = timedelta(minutes=minutes)
    for clock in start_times(opens, closes, minutes=minutes, preferred=preferred):
        starts = datetime.combine(day, clock, tzinfo=zone)
        # In UTC: wall-clock arithmetic in the zone would be off across a DST change.
        ends = (starts.astimezone(UTC) + length).astimezone(zone)
        if starts < not_before or _overlaps(starts, ends, patient_busy):
            continue
        if min_days_apart and too_close(starts, keep_away_from, min_days=min_days_apart):
            continue
        for chair_id in chair_ids:
            if not _overlaps(starts, ends, chair_busy.get(chair_id, ())):
                return starts, chair_id
    return None

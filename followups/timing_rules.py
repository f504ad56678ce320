"""When follow-up messages go out: offsets, the clinic's calendar and quiet hours.

Plain functions with no Django imports. Times in and out are timezone-aware; arithmetic in whole
days happens on the clinic's calendar (a "2d" reminder before a 10:00 appointment goes at 10:00
two days earlier, even across a daylight-saving change), arithmetic in hours or minutes on the
clock (a "2h" reminder is two real hours before).
"""

import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

_OFFSET = re.compile(r"^\s*(\d{1,4})\s*([mhdw])\s*$")
_UNIT_MINUTES = {"m": 1, "h": 60, "d": 24 * 60, "w": 7 * 24 * 60}
SURVEY_CONTENTS = ("checkin", "scores")
# The check-in follows every session; the questionnaires over the last two weeks ("scores")
# only the end of an induction series and each maintenance session.
EVERY_SESSION_CONTENTS = ("checkin",)


class ScheduleSettingError(ValueError):
    """A follow-up setting cannot be understood."""


@dataclass(frozen=True)
class Offset:
    label: str
    minutes: int

    @property
    def whole_days(self) -> int | None:
        days, rest = divmod(self.minutes, 24 * 60)
        return days if rest == 0 else None


@dataclass(frozen=True)
class SurveyTiming:
    offset: Offset
    content: str

    @property
    def every_session(self) -> bool:
        return self.content in EVERY_SESSION_CONTENTS


@dataclass(frozen=True)
class QuietHours:
    start: time
    end: time

    def contains(self, moment: datetime, zone: ZoneInfo) -> bool:
        clock = moment.astimezone(zone).time()
        if self.start <= self.end:
            return self.start <= clock < self.end
        return clock >= self.start or clock < self.end


def parse_offset(text: str) -> Offset:
    match = _OFFSET.match(text or "")
    if not match:
        raise ScheduleSettingError(f"{text!r} is not an offset like 48h, 2h, 7d or 30m")
    number, unit = int(match.group(1)), match.group(2)
    if number == 0:
        raise ScheduleSettingError(f"{text!r}: an offset must be more than zero")
    return Offset(label=f"{number}{unit}", minutes=number * _UNIT_MINUTES[unit])


def parse_offsets(values: list[str] | tuple[str, ...]) -> tuple[Offset, ...]:
    offsets = tuple(parse_offset(value) for value in values if value.strip())
    labels = [offset.label for offset in offsets]
    if len(set(labels)) != len(labels):
        raise ScheduleSettingError(f"the offsets {labels} repeat one")
    return tuple(sorted(offsets, key=lambda offset: -offset.minutes))


def parse_survey_schedule(values: list[str] | tuple[str, ...]) -> tuple[SurveyTiming, ...]:
    timings = []
    for value in values:
        if not value.strip():
            continue
        offset_text, _, content = value.partition(":")
        content = content.strip()
        if content not in SURVEY_CONTENTS:
            raise ScheduleSettingError(
                f"{value!r}: the survey content must be one of {', '.join(SURVEY_CONTENTS)}"
            )
        timings.append(SurveyTiming(offset=parse_offset(offset_text), content=content))
    labels = [timing.offset.label for timing in timings]
    if len(set(labels)) != len(labels):
        raise ScheduleSettingError(f"the survey offsets {labels} repeat one")
    return tuple(sorted(timings, key=lambda timing: timing.offset.minutes))


def parse_quiet_hours(text: str) -> QuietHours | None:
    """``"21:00-08:00"``; an empty value means no quiet hours."""
    if not (text or "").strip():
        return None
    try:
        start_text, end_text = text.split("-")
        start = time.fromisoformat(start_text.strip())
        end = time.fromisoformat(end_text.strip())
    except ValueError:
        raise ScheduleSettingError(f"{text!r} is not quiet hours like 21:00-08:00") from None
    if start == end:
        raise ScheduleSettingError(f"{text!r}: quiet hours must start and end at different times")
    return QuietHours(start=start, end=end)


# The first and last moments the arithmetic below works on. The forms refuse dates far from
# today (clinic.date_bounds); a moment past these (year 1 or 9999, from elsewhere) is held
# at them rather than overflowing: two days inside the calendar's ends, so moving it into any
# zone and by any offset a setting allows (9999 weeks at most is clamped too) stays a datetime.
EARLIEST_MOMENT = datetime(1, 1, 3, tzinfo=ZoneInfo("UTC"))
LATEST_MOMENT = datetime(9999, 12, 29, tzinfo=ZoneInfo("UTC"))


def _within_calendar(moment: datetime) -> datetime:
    return min(max(moment, EARLIEST_MOMENT), LATEST_MOMENT)


def _shifted(moment: datetime, change: timedelta) -> datetime:
    try:
        return _within_calendar(moment + change)
    except OverflowError:
        return EARLIEST_MOMENT if change < timedelta(0) else LATEST_MOMENT


def _wall_clock_shift(moment: datetime, days: int, zone: ZoneInfo) -> datetime:
    local = _within_calendar(moment).astimezone(zone)
    try:
        day = local.date() + timedelta(days=days)
    except OverflowError:
        return EARLIEST_MOMENT if days < 0 else LATEST_MOMENT
    target = datetime.combine(day, local.time(), tzinfo=zone)
    # A clock time that does not exist that day (the spring-forward hour) is read as the
    # instant it would have been: round-tripping through UTC normalises it.
    return _within_calendar(target.astimezone(ZoneInfo("UTC"))).astimezone(zone)


def before(moment: datetime, offset: Offset, zone: ZoneInfo) -> datetime:
    days = offset.whole_days
    if days is not None:
        return _wall_clock_shift(moment, -days, zone)
    return _shifted(moment, -timedelta(minutes=offset.minutes))


def after(moment: datetime, offset: Offset, zone: ZoneInfo) -> datetime:
    days = offset.whole_days
    if days is not None:
        return _wall_clock_shift(moment, days, zone)
    return _shifted(moment, timedelta(minutes=offset.minutes))


def quiet_end_after(moment: datetime, quiet: QuietHours, zone: ZoneInfo) -> datetime:
    """The first moment after ``moment`` (inside quiet hours) when messages may go again."""
    local = _within_calendar(moment).astimezone(zone)
    day = local.date()
    if quiet.start > quiet.end and local.time() >= quiet.start:
        day += timedelta(days=1)  # evening: quiet hours end tomorrow morning
    return datetime.combine(day, quiet.end, tzinfo=zone).astimezone(ZoneInfo("UTC"))


def quiet_start_before(moment: datetime, quiet: QuietHours, zone: ZoneInfo) -> datetime:
    """The last moment before ``moment`` (inside quiet hours) when messages could still go:
    a minute before quiet hours began."""
    local = _within_calendar(moment).astimezone(zone)
    day = local.date()
    if quiet.start > quiet.end and local.time() < quiet.end:
        day -= timedelta(days=1)  # early morning: quiet hours began yesterday evening
    started = datetime.combine(day, quiet.start, tzinfo=zone)
    return (started - timedelta(minutes=1)).astimezone(ZoneInfo("UTC"))


# A reminder that would land less than this before the appointment is sent the evening before.
REMINDER_MIN_NOTICE = timedelta(hours=1)


def reminder_time(
    appointment: datetime, offset: Offset, quiet: QuietHours | None, zone: ZoneInfo
) -> datetime:
    """When a reminder ``offset`` before ``appointment`` goes: outside quiet hours, waiting
    for the morning, or the evening before when the morning would be too late."""
    due = before(appointment, offset, zone)
    if quiet is None or not quiet.contains(due, zone):
        return due
    morning = quiet_end_after(due, quiet, zone)
    if morning <= _shifted(appointment, -REMINDER_MIN_NOTICE):
        return morning
    return quiet_start_before(due, quiet, zone)


def patient_message_time(due: datetime, quiet: QuietHours | None, zone: ZoneInfo) -> datetime:
    """A survey or re-send due in quiet hours waits for the morning."""
    if quiet is None or not quiet.contains(due, zone):
        return due
    return quiet_end_after(due, quiet, zone)

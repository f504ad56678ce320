"""The pure timing rules: offsets, the clinic's calendar across daylight-saving changes, and
quiet hours."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from followups import timing_rules

CHICAGO = ZoneInfo("America/Chicago")
QUIET = timing_rules.parse_quiet_hours("21:00-08:00")


def local(*args) -> datetime:
    return datetime(*args, tzinfo=CHICAGO)


@pytest.mark.parametrize(
    ("text", "label", "minutes"),
    [("48h", "48h", 2880), ("2h", "2h", 120), (" 7d ", "7d", 10080), ("30m", "30m", 30)],
)
def test_offsets_are_read_from_settings_text(text, label, minutes):
    offset = timing_rules.parse_offset(text)
    assert (offset.label, offset.minutes) == (label, minutes)


@pytest.mark.parametrize("bad", ["", "48", "h", "2 hours", "-2h", "0h", "2y"])
def test_an_offset_that_cannot_be_read_is_refused_with_the_value(bad):
    with pytest.raises(timing_rules.ScheduleSettingError, match="offset"):
        timing_rules.parse_offset(bad)


def test_reminder_offsets_are_longest_first_and_may_not_repeat():
    assert [o.label for o in timing_rules.parse_offsets(["2h", "48h"])] == ["48h", "2h"]
    with pytest.raises(timing_rules.ScheduleSettingError, match="repeat"):
        timing_rules.parse_offsets(["48h", "48h"])


def test_survey_schedule_names_its_content():
    timings = timing_rules.parse_survey_schedule(["7d:scores", "24h:checkin"])
    assert [(t.offset.label, t.content) for t in timings] == [("24h", "checkin"), ("7d", "scores")]
    with pytest.raises(timing_rules.ScheduleSettingError, match="content"):
        timing_rules.parse_survey_schedule(["24h:mood"])


def test_quiet_hours_cover_the_night_and_can_be_switched_off():
    assert QUIET.contains(local(2026, 11, 23, 21, 0), CHICAGO)
    assert QUIET.contains(local(2026, 11, 24, 7, 59), CHICAGO)
    assert not QUIET.contains(local(2026, 11, 24, 8, 0), CHICAGO)
    assert not QUIET.contains(local(2026, 11, 23, 20, 59), CHICAGO)
    assert timing_rules.parse_quiet_hours("") is None
    with pytest.raises(timing_rules.ScheduleSettingError):
        timing_rules.parse_quiet_hours("9pm to 8am")


def test_a_whole_day_offset_keeps_the_clock_time_across_spring_forward():
    # Monday 15 March 2027, 10:00 CDT; daylight time began Sunday 14 March.
    appointment = local(2027, 3, 15, 10, 0)
    due = timing_rules.before(appointment, timing_rules.parse_offset("48h"), CHICAGO)
    assert due.astimezone(CHICAGO) == local(2027, 3, 13, 10, 0)
    # ...which is 47 real hours before, not 48.
    assert (appointment.astimezone(UTC) - due.astimezone(UTC)).total_seconds() == 47 * 3600


def test_a_whole_day_offset_keeps_the_clock_time_across_fall_back():
    # Survey 24 hours after a session that ended Saturday 31 October 2026, 15:00 CDT.
    ended = local(2026, 10, 31, 15, 0)
    due = timing_rules.after(ended, timing_rules.parse_offset("24h"), CHICAGO)
    assert due.astimezone(CHICAGO) == local(2026, 11, 1, 15, 0)
    assert (due.astimezone(UTC) - ended.astimezone(UTC)).total_seconds() == 25 * 3600


def test_an_hour_offset_is_real_elapsed_time():
    appointment = local(2027, 3, 14, 10, 0)  # the morning daylight time begins
    due = timing_rules.before(appointment, timing_rules.parse_offset("2h"), CHICAGO)
    # 10:00 CDT is 15:00 UTC; two real hours before is 13:00 UTC, 08:00 CDT.
    assert due.astimezone(UTC) == datetime(2027, 3, 14, 13, 0, tzinfo=UTC)
    assert due.astimezone(CHICAGO) == local(2027, 3, 14, 8, 0)


def test_a_reminder_due_in_quiet_hours_waits_for_the_morning_when_that_is_early_enough():
    appointment = local(2026, 11, 25, 11, 0)
    due = timing_rules.reminder_time(appointment, timing_rules.parse_offset("4h"), QUIET, CHICAGO)
    assert due.astimezone(CHICAGO) == local(2026, 11, 25, 8, 0)


def test_a_reminder_the_morning_would_make_too_late_goes_the_evening_before():
    appointment = local(2026, 11, 25, 8, 30)
    due = timing_rules.reminder_time(appointment, timing_rules.parse_offset("2h"), QUIET, CHICAGO)
    assert due.astimezone(CHICAGO) == local(2026, 11, 24, 20, 59)


def test_a_survey_due_at_night_waits_for_the_end_of_quiet_hours():
    due = timing_rules.patient_message_time(local(2026, 11, 24, 22, 30), QUIET, CHICAGO)
    assert due.astimezone(CHICAGO) == local(2026, 11, 25, 8, 0)
    early = timing_rules.patient_message_time(local(2026, 11, 25, 6, 0), QUIET, CHICAGO)
    assert early.astimezone(CHICAGO) == local(2026, 11, 25, 8, 0)

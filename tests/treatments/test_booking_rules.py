"""The booking rules as plain functions: opening hours at their edges, esketamine spacing, the
label's schedule, closed days and the first free slot of a day."""

import itertools
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from treatments.booking_rules import (
    esketamine_label_dates,
    first_free_slot,
    on_open_days,
    opening_hours_refusal,
    start_times,
    too_close,
)

CHICAGO = ZoneInfo("America/Chicago")
MON_SAT = {day: (time(8), time(18)) for day in range(6)}  # the default: Mon-Sat 08:00-18:00
SATURDAY = date(2026, 11, 28)
MONDAY = date(2026, 11, 30)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=CHICAGO)


def refusal(day: date, hour: int, minute: int, *, minutes: int) -> str | None:
    starts = at(day, hour, minute)
    return opening_hours_refusal(starts, starts + timedelta(minutes=minutes), MON_SAT)


# --- Opening hours ---------------------------------------------------------------------------


def test_a_session_starting_at_opening_time_is_inside_the_hours():
    assert refusal(MONDAY, 8, 0, minutes=100) is None


def test_a_session_starting_a_minute_before_opening_is_refused_in_words():
    assert refusal(MONDAY, 7, 59, minutes=100) == (
        "The clinic is open 08:00\N{EN DASH}18:00 on Mondays; this session would start at 07:59."
    )


def test_a_session_ending_exactly_at_closing_time_is_inside_the_hours():
    assert refusal(SATURDAY, 16, 20, minutes=100) is None


def test_a_session_ending_after_closing_is_refused_quoting_the_hours_and_the_end():
    assert refusal(SATURDAY, 17, 0, minutes=100) == (
        "The clinic is open 08:00\N{EN DASH}18:00 on Saturdays; this session would end at 18:40."
    )


def test_a_session_running_past_midnight_says_so():
    hours = {0: (time(8), time(23, 59))}
    starts = at(MONDAY, 23, 0)

    message = opening_hours_refusal(starts, starts + timedelta(minutes=100), hours)

    assert message.endswith("this session would end at 00:40 the next day.")


def test_a_sunday_is_refused_naming_the_open_days():
    assert refusal(date(2026, 11, 29), 10, 0, minutes=100) == (
        "The clinic is closed on Sundays (it is open on Mondays, Tuesdays, Wednesdays, "
        "Thursdays, Fridays, Saturdays); this session would be on Sunday 11/29/2026."
    )


def test_the_hours_are_those_of_the_day_of_the_session():
    hours = {**MON_SAT, 5: (time(9), time(13))}  # Saturday mornings only
    starts = at(SATURDAY, 9, 0)

    assert opening_hours_refusal(starts, starts + timedelta(minutes=240), hours) is None
    assert opening_hours_refusal(starts, starts + timedelta(minutes=241), hours) == (
        "The clinic is open 09:00\N{EN DASH}13:00 on Saturdays; this session would end at 13:01."
    )


# --- Esketamine spacing ----------------------------------------------------------------------


def test_two_days_apart_is_allowed_and_1_day_23_hours_is_not():
    monday_ten = at(MONDAY, 10)

    assert too_close(monday_ten + timedelta(days=2), [monday_ten], min_days=2) is None
    assert too_close(monday_ten - timedelta(days=2), [monday_ten], min_days=2) is None
    assert too_close(monday_ten + timedelta(days=1, hours=23), [monday_ten], min_days=2) == (
        monday_ten
    )
    assert too_close(monday_ten - timedelta(days=1, hours=23), [monday_ten], min_days=2) == (
        monday_ten
    )


def test_the_nearest_session_is_named():
    monday_ten = at(MONDAY, 10)
    others = [monday_ten - timedelta(days=1), monday_ten + timedelta(hours=5)]

    assert too_close(monday_ten, others, min_days=2) == monday_ten + timedelta(hours=5)


# --- The esketamine label's schedule ---------------------------------------------------------


def test_the_label_is_twice_a_week_for_4_weeks_then_weekly_to_week_8_then_weekly():
    dates = esketamine_label_dates(MONDAY, 14)

    weeks_1_to_4 = dates[:8]
    assert [d.strftime("%a") for d in weeks_1_to_4] == ["Mon", "Thu"] * 4
    assert weeks_1_to_4[-1] == MONDAY + timedelta(weeks=3, days=3)
    assert dates[8:12] == [MONDAY + timedelta(weeks=w) for w in range(4, 8)]
    assert dates[12:] == [MONDAY + timedelta(weeks=8), MONDAY + timedelta(weeks=9)]
    assert min(b - a for a, b in itertools.pairwise(dates)) == timedelta(days=3)


def test_after_week_8_the_label_may_be_every_two_weeks():
    dates = esketamine_label_dates(MONDAY, 14, later_every_weeks=2)

    assert dates[12:] == [MONDAY + timedelta(weeks=8), MONDAY + timedelta(weeks=10)]


def test_a_short_esketamine_series_is_cut_to_the_sessions_planned():
    assert esketamine_label_dates(MONDAY, 3) == [MONDAY, date(2026, 12, 3), date(2026, 12, 7)]


# --- Closed days ------------------------------------------------------------------------------


def test_a_date_on_a_closed_day_moves_to_the_next_open_day():
    sunday = date(2026, 11, 29)

    assert on_open_days([SATURDAY, sunday], MON_SAT) == [SATURDAY, MONDAY]


def test_a_moved_date_pushes_the_next_one_rather_than_share_its_day():
    sunday = date(2026, 11, 29)

    assert on_open_days([sunday, MONDAY, date(2026, 12, 3)], MON_SAT) == [
        MONDAY, date(2026, 12, 1), date(2026, 12, 3),
    ]  # fmt: skip


def test_moved_esketamine_dates_stay_the_minimum_days_apart():
    thursday_closed = {0: (time(8), time(18)), 1: (time(8), time(18)), 4: (time(8), time(18))}

    moved = on_open_days([MONDAY, date(2026, 12, 1)], thursday_closed, min_days_apart=2)

    assert moved == [MONDAY, date(2026, 12, 4)]  # Tuesday is too close, Wed and Thu closed


def test_two_sessions_planned_on_one_day_may_stay_on_it():
    assert on_open_days([MONDAY, MONDAY], MON_SAT) == [MONDAY, MONDAY]


# --- The first free slot of a day ------------------------------------------------------------


def test_start_times_try_the_preferred_time_then_later_then_earlier():
    times = start_times(time(8), time(12), minutes=100, preferred=time(9))

    assert times[:3] == [time(9), time(9, 15), time(9, 30)]
    assert times[-4:] == [time(8), time(8, 15), time(8, 30), time(8, 45)]
    assert time(10, 15) in times and time(10, 30) not in times  # 10:20 is the last that fits


def slot(*, day=MONDAY, chair_busy=None, patient_busy=(), not_before=None, **kwargs):
    return first_free_slot(
        day=day,
        zone=CHICAGO,
        hours=MON_SAT,
        minutes=100,
        preferred=time(9),
        chair_ids=[1, 2],
        chair_busy=chair_busy or {},
        patient_busy=list(patient_busy),
        not_before=not_before or at(MONDAY, 0),
        **kwargs,
    )


def test_the_first_chair_at_the_preferred_time_when_it_is_free():
    assert slot() == (at(MONDAY, 9), 1)


def test_a_taken_chair_gives_the_next_chair_at_the_same_time():
    assert slot(chair_busy={1: [(at(MONDAY, 8), at(MONDAY, 9, 40))]}) == (at(MONDAY, 9), 2)


def test_every_chair_taken_gives_the_next_free_time():
    busy = {1: [(at(MONDAY, 9), at(MONDAY, 10, 40))], 2: [(at(MONDAY, 8), at(MONDAY, 11))]}

    assert slot(chair_busy=busy) == (at(MONDAY, 10, 45), 1)


def test_the_patients_own_session_that_day_is_avoided():
    patient_busy = [(at(MONDAY, 9), at(MONDAY, 13))]

    assert slot(patient_busy=patient_busy) == (at(MONDAY, 13), 1)


def test_no_time_in_the_past():
    assert slot(not_before=at(MONDAY, 11, 5)) == (at(MONDAY, 11, 15), 1)


def test_a_full_day_or_a_closed_day_has_no_slot():
    busy = {chair: [(at(MONDAY, 8), at(MONDAY, 18))] for chair in (1, 2)}

    assert slot(chair_busy=busy) is None
    assert slot(day=date(2026, 11, 29)) is None  # Sunday
    assert slot(not_before=at(MONDAY, 16, 30)) is None  # 100 minutes no longer fit


def test_an_esketamine_slot_keeps_its_distance_from_the_patients_other_sessions():
    saturday_two_pm = at(SATURDAY, 14)

    found = slot(keep_away_from=[saturday_two_pm], min_days_apart=2)

    assert found == (at(MONDAY, 14), 1)


@pytest.mark.parametrize("hour", [8, 9])
def test_a_late_opening_day_starts_at_its_opening(hour):
    hours = {0: (time(10), time(18))}

    found = first_free_slot(
        day=MONDAY, zone=CHICAGO, hours=hours, minutes=100, preferred=time(hour),
        chair_ids=[1], chair_busy={}, patient_busy=[], not_before=at(MONDAY, 0),
    )  # fmt: skip

    assert found == (at(MONDAY, 10), 1)

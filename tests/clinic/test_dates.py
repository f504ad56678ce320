"""The clinic's date filters write what Django's ``date`` filter wrote with the formats they
replace, in the clinic's zone."""

from datetime import UTC, date, datetime, timedelta
from datetime import timezone as dt_timezone

import pytest
from django.template import engines
from django.utils import timezone

from clinic import dates

FORMATS = {"day": "m/d/Y", "day_time": "m/d/Y H:i", "time_of_day": "H:i"}

VALUES = [
    # 03:30 UTC is the evening before in Chicago: the day must be the clinic's.
    datetime(2026, 3, 9, 3, 30, tzinfo=UTC),
    # Either side of the spring change of clocks in Chicago (08:00 UTC = 03:00 CDT).
    datetime(2026, 3, 8, 7, 59, tzinfo=UTC),
    datetime(2026, 3, 8, 8, 0, tzinfo=UTC),
    datetime(2026, 12, 31, 23, 5, tzinfo=dt_timezone(timedelta(hours=5))),
    datetime(1961, 1, 2, 9, 7),  # noqa: DTZ001 - naive: written as it is
    date(1975, 8, 4),
    None,
    "",
]


def _render(source: str, value) -> str:
    return engines["django"].from_string(source).render({"value": value})


@pytest.mark.parametrize(
    ("name", "value"),
    [
        (name, value)
        for name in sorted(FORMATS)
        for value in VALUES
        # Django's filter raises on a date given a time format (see the last tests).
        if name == "day" or type(value) is not date
    ],
    ids=repr,
)
def test_each_filter_writes_what_the_date_filter_wrote(name, value):
    expected = _render(f'{{{{ value|date:"{FORMATS[name]}" }}}}', value)
    assert _render(f"{{{{ value|{name} }}}}", value) == expected
    assert getattr(dates, name)(value) == expected


def test_the_clinic_zone_decides_the_day():
    moment = datetime(2026, 3, 9, 3, 30, tzinfo=UTC)
    assert dates.day_time(moment) == "03/08/2026 22:30"  # America/Chicago, CDT
    with timezone.override("Europe/London"):
        assert dates.day_time(moment) == "03/09/2026 03:30"


def test_a_date_given_to_day_time_is_written_as_the_day():
    assert dates.day_time(date(2026, 3, 9)) == "03/09/2026"


def test_a_date_has_no_time_of_day():
    assert dates.time_of_day(date(2026, 3, 9)) == ""


def test_the_texts_of_a_value_already_in_the_zone_are_written_as_they_are():
    moment = datetime(2026, 3, 9, 3, 30, tzinfo=UTC)
    assert dates.day_text(moment) == "03/09/2026"
    assert dates.day_time_text(moment) == "03/09/2026 03:30"
    assert dates.day_time_text(timezone.localtime(moment)) == dates.day_time(moment)

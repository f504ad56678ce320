"""The dates the clinic accepts in any form, in one place.

A date typed into a form must be one the clinic can mean: a year 0001 or 9999 is a slip of the
keyboard (or a crafted request), and further on it overflows date arithmetic (a reminder two
days before 01/01/0001) or the conversion to UTC. Two windows, each checked beside its field:

- ``birth_dates``: a date of birth, from 01/01/1900 to today (never in the future);
- ``clinic_dates``: everything else the clinic schedules or reports on (a booking, a plan's
  start, a period of the outcomes report, any date or date-time field without a window of its
  own): from 01/01/2000 to five years from today.

"Today" is the clinic's (the current time zone's). ``clinic.forms.TypedInputRules`` gives
every date and date-time field of a form ``clinic_dates`` unless the field, or the model field
behind it, has a window already.
"""

from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.deconstruct import deconstructible

EARLIEST_BIRTH_DATE = date(1900, 1, 1)
EARLIEST_CLINIC_DATE = date(2000, 1, 1)
CLINIC_YEARS_AHEAD = 5


def _years_after(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February, in a year without one
        return day.replace(year=day.year + years, day=28)


def _as_date(value) -> date | None:
    # A date-time is judged by its own calendar date, as typed in the clinic's zone: converting
    # it to another zone is what overflows at the ends of the calendar.
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return None


def _written(day: date) -> str:
    return f"{day.month:02}/{day.day:02}/{day.year:04}"


@deconstructible(path="clinic.date_bounds.DateWindow")
class DateWindow:
    """A validator for a date or date-time field: refuses a value outside the window
    ``kind`` names ("birth" or "clinic")."""

    KINDS = ("birth", "clinic")

    def __init__(self, kind: str):
        if kind not in self.KINDS:
            raise ValueError(f"unknown date window {kind!r}")
        self.kind = kind

    def bounds(self, today: date | None = None) -> tuple[date, date]:
        today = today or timezone.localdate()
        if self.kind == "birth":
            return EARLIEST_BIRTH_DATE, today
        return EARLIEST_CLINIC_DATE, _years_after(today, CLINIC_YEARS_AHEAD)

    def __call__(self, value) -> None:
        day = _as_date(value)
        if day is None:
            return
        earliest, latest = self.bounds()
        if self.kind == "birth":
            if day > latest:
                raise ValidationError("Date of birth cannot be in the future.", code="too_late")
            if day < earliest:
                raise ValidationError("Enter a date of birth after 1900.", code="too_early")
            return
        if not earliest <= day <= latest:
            raise ValidationError(
                f"Enter a date between {_written(earliest)} and {_written(latest)}.",
                code="too_early" if day < earliest else "too_late",
            )

    def __eq__(self, other) -> bool:
        return isinstance(other, DateWindow) and other.kind == self.kind

    def __hash__(self) -> int:
        return hash(self.kind)


birth_dates = DateWindow("birth")
clinic_dates = DateWindow("clinic")


def has_window(validators) -> bool:
    return any(isinstance(validator, DateWindow) for validator in validators)

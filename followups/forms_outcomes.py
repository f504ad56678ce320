"""The period and route of the outcomes page (GET parameters: dates and a route, no health data)."""

from datetime import date, datetime, time, timedelta

from django import forms

from clinic.forms import ClinicForm
from treatments.dosing import ROUTE_LABELS

DEFAULT_MONTHS = 6
LONGEST_PERIOD = timedelta(days=366 * 10)
ROUTE_CHOICES = [
    ("", "All routes"),
    *((route.value, label) for route, label in ROUTE_LABELS.items()),
]


def months_before(day: date, months: int) -> date:
    """The same day ``months`` earlier, or the month's last day when it has fewer days."""
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    month += 1
    for candidate in (day.day, 30, 29, 28):
        try:
            return date(year, month, min(day.day, candidate))
        except ValueError:
            continue
    raise AssertionError("unreachable")  # pragma: no cover


class OutcomesPeriodForm(ClinicForm):
    start = forms.DateField(
        label="From",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="The first day of the period (clinic time).",
    )
    end = forms.DateField(
        label="To",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="The last day of the period, included.",
    )
    route = forms.ChoiceField(label="Route", choices=ROUTE_CHOICES, required=False)

    def __init__(self, *args, today: date, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today

    def clean(self):
        cleaned = super().clean()
        end = cleaned.get("end") or self.today
        start = cleaned.get("start") or months_before(end, DEFAULT_MONTHS)
        if "start" in self.errors or "end" in self.errors:
            return cleaned
        if start > end:
            self.add_error("start", "The first day must be on or before the last day.")
        elif end - start > LONGEST_PERIOD:
            self.add_error("start", "Choose a period of ten years or less.")
        cleaned["start"], cleaned["end"] = start, end
        return cleaned

    def bounds(self, zone) -> tuple[datetime, datetime]:
        """The period as aware datetimes: from the start day's midnight to the midnight after
        the end day, in the clinic's zone (each from its date, so DST-safe)."""
        start, end = self.cleaned_data["start"], self.cleaned_data["end"]
        return (
            datetime.combine(start, time.min, tzinfo=zone),
            datetime.combine(end + timedelta(days=1), time.min, tzinfo=zone),
        )

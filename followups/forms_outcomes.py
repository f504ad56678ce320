"""The period and route of the outcomes page (GET parameters: dates and a route, no health data),
and in a chain of clinics the location whose patients it counts, or the whole chain."""

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django import forms
from django.conf import settings
from django.utils import timezone

from clinic.forms import ClinicForm
from clinic.models import Location
from treatments.dosing import ROUTE_LABELS

DEFAULT_MONTHS = 6
LONGEST_PERIOD = timedelta(days=366 * 10)
ROUTE_CHOICES = [
    ("", "All routes"),
    *((route.value, label) for route, label in ROUTE_LABELS.items()),
]
WHOLE_CHAIN = "chain"


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
    # Only in a chain of clinics (``locations`` given): removed otherwise.
    location = forms.ChoiceField(label="Location", required=False)
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

    def __init__(
        self,
        *args,
        today: date | None = None,
        locations: Sequence[Location] | None = None,
        default_location: Location | None = None,
        **kwargs,
    ):
        """``today``: the clinic's day (one clinic); in a chain, None: today on the chosen
        location's clock (the clinic's for the whole chain). ``locations``: those the member of
        staff may choose (a chain), ``default_location`` the one chosen when none is asked for
        (the working one)."""
        super().__init__(*args, **kwargs)
        self.today = today
        self.default_location = default_location
        self.locations = {str(location.pk): location for location in locations or ()}
        if locations is None:
            del self.fields["location"]
        else:
            self.fields["location"].choices = [
                (WHOLE_CHAIN, "Whole chain"),
                *((str(location.pk), location.name) for location in locations),
            ]
            self.fields["start"].help_text = (
                "The first day of the period (the location's time; the clinic's for the "
                "whole chain)."
            )

    def clean_location(self) -> str:
        chosen = self.cleaned_data.get("location")
        if not chosen and self.default_location is not None:
            chosen = str(self.default_location.pk)
        return chosen or WHOLE_CHAIN

    @property
    def chosen_location(self) -> Location | None:
        """The location whose patients are counted; None: the whole chain (or one clinic)."""
        cleaned = getattr(self, "cleaned_data", {})
        return self.locations.get(cleaned.get("location", ""))

    @property
    def whole_chain(self) -> bool:
        return "location" in self.fields and self.chosen_location is None

    def zone(self) -> ZoneInfo:
        """The clock the period's days are read on: the chosen location's, else the clinic's
        (one clinic, and the whole chain)."""
        location = self.chosen_location
        return location.zone if location is not None else ZoneInfo(settings.CLINIC_TIME_ZONE)

    def clean(self):
        cleaned = super().clean()
        today = self.today or timezone.now().astimezone(self.zone()).date()
        end = cleaned.get("end") or today
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

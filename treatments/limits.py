"""The clinic's clinical limits, read from settings in this one place and typed.

Every rule that refuses something (screening, plans, booking, the session's checks and
discharge) takes its thresholds from here, so a clinic that changes a setting changes every rule
that reads it, and the words shown to the clinician quote the same figures.
"""

from dataclasses import dataclass
from datetime import time
from decimal import Decimal
from typing import TYPE_CHECKING

from django.conf import settings

from .dosing import Guardrail, Route, guardrails_from_settings
from .screening_rules import ScreeningLimits

if TYPE_CHECKING:
    from clinic.models import Location

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def dose_guardrails() -> dict[Route, Guardrail]:
    """Per route: the usual range (outside it: confirm with a reason) and the hard maximum."""
    return guardrails_from_settings(settings.CLINIC_DOSE_GUARDRAILS)


def dose_cap_mg(route: Route | str) -> Decimal:
    """The absolute cap on one dose in mg for the route, whatever the weight."""
    return Decimal(str(settings.CLINIC_DOSE_ABSOLUTE_MAX_MG[str(Route(route))]))


def observation_minutes(route: Route | str) -> int:
    """Minimum observation after administration ends before discharge (and in the booking)."""
    return int(settings.CLINIC_MIN_OBSERVATION_MINUTES[str(Route(route))])


@dataclass(frozen=True)
class BloodPressureLimits:
    gate_systolic: int  # above: review at screening, a clinician's decision before dosing
    gate_diastolic: int
    severe_systolic: int  # at or above: not a candidate
    severe_diastolic: int

    @property
    def gate_text(self) -> str:
        return f"{self.gate_systolic}/{self.gate_diastolic}"

    @property
    def severe_text(self) -> str:
        return f"{self.severe_systolic}/{self.severe_diastolic}"


def blood_pressure() -> BloodPressureLimits:
    return BloodPressureLimits(
        gate_systolic=settings.CLINIC_BP_GATE_SYSTOLIC,
        gate_diastolic=settings.CLINIC_BP_GATE_DIASTOLIC,
        severe_systolic=settings.CLINIC_BP_SEVERE_SYSTOLIC,
        severe_diastolic=settings.CLINIC_BP_SEVERE_DIASTOLIC,
    )


def screening_limits() -> ScreeningLimits:
    """The thresholds the screening rules apply; its blood pressure pair is the session's gate."""
    bp = blood_pressure()
    return ScreeningLimits(
        min_age=settings.CLINIC_MIN_AGE,
        bp_review_systolic=bp.gate_systolic,
        bp_review_diastolic=bp.gate_diastolic,
        bp_severe_systolic=bp.severe_systolic,
        bp_severe_diastolic=bp.severe_diastolic,
        pulse_low=settings.CLINIC_SCREENING_PULSE_LOW,
        pulse_high=settings.CLINIC_SCREENING_PULSE_HIGH,
        bmi_review=float(settings.CLINIC_SCREENING_BMI_REVIEW),
    )


def _clock(text: str) -> time:
    hours, minutes = text.strip().split(":")
    return time(int(hours), int(minutes))


def opening_hours(location: "Location | None" = None) -> dict[int, tuple[time, time]]:
    """Opening and closing time by weekday (Monday 0); a day not in the dict is closed. The
    ``location``'s own hours when given and set (a chain's location, read in its time zone),
    else the clinic's CLINIC_OPENING_HOURS."""
    spans = (location.opening_hours if location is not None else None) or (
        settings.CLINIC_OPENING_HOURS
    )
    hours = {}
    for day, span in spans.items():
        opens, closes = span.split("-")
        hours[WEEKDAYS.index(day.lower()[:3])] = (_clock(opens), _clock(closes))
    return hours


@dataclass(frozen=True)
class FastingLimits:
    food_hours: Decimal  # since the last food; less blocks dosing until a clinician decides
    clear_liquid_hours: Decimal  # since the last clear liquids; the same


def fasting() -> FastingLimits:
    return FastingLimits(
        food_hours=Decimal(str(settings.CLINIC_FASTING_FOOD_HOURS)),
        clear_liquid_hours=Decimal(str(settings.CLINIC_FASTING_CLEAR_LIQUID_HOURS)),
    )


def esketamine_min_days_apart() -> int:
    """No two intranasal esketamine sessions of a patient fewer than this many days apart."""
    return int(settings.CLINIC_ESKETAMINE_MIN_DAYS_APART)

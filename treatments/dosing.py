"""Routes, dose units and guardrails: plain functions, no Django models.

IV and intramuscular doses are prescribed in mg/kg and given in mg computed from the latest
recorded weight; the other routes are fixed mg doses. The usual range and the hard maximum
for each route are clinic settings (CLINIC_DOSE_GUARDRAILS).
"""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum


class Route(StrEnum):
    IV = "iv"
    IM = "im"
    ESKETAMINE_NASAL = "esketamine_in"
    KETAMINE_NASAL = "ketamine_in"
    ORAL = "oral"


ROUTE_LABELS = {
    Route.IV: "IV infusion",
    Route.IM: "Intramuscular",
    Route.ESKETAMINE_NASAL: "Intranasal esketamine (Spravato)",
    Route.KETAMINE_NASAL: "Intranasal ketamine",
    Route.ORAL: "Oral / sublingual",
}
WEIGHT_BASED_ROUTES = frozenset({Route.IV, Route.IM})

DEFAULT_INFUSION_MINUTES = 40

# Intranasal esketamine comes in 28 mg devices: a dose is two or three of them, and the first
# session of a course is two (the label).
ESKETAMINE_DEVICE_MG = Decimal(28)
ESKETAMINE_DOSES_MG = (Decimal(56), Decimal(84))
ESKETAMINE_FIRST_DOSE_MG = Decimal(56)


class DoseCheck(StrEnum):
    USUAL = "usual"
    OUTSIDE_USUAL = "outside_usual"  # allowed with a confirmation and a reason
    ABOVE_MAXIMUM = "above_maximum"  # refused


@dataclass(frozen=True)
class Guardrail:
    unit: str  # "mg/kg" or "mg"
    usual_low: Decimal
    usual_high: Decimal
    maximum: Decimal

    def check(self, amount: Decimal) -> DoseCheck:
        if amount > self.maximum:
            return DoseCheck.ABOVE_MAXIMUM
        if amount < self.usual_low or amount > self.usual_high:
            return DoseCheck.OUTSIDE_USUAL
        return DoseCheck.USUAL


def guardrails_from_settings(raw: dict) -> dict[Route, Guardrail]:
    return {
        Route(route): Guardrail(
            unit=values["unit"],
            usual_low=Decimal(str(values["usual"][0])),
            usual_high=Decimal(str(values["usual"][1])),
            maximum=Decimal(str(values["max"])),
        )
        for route, values in raw.items()
    }


def dose_mg(route: Route, *, amount: Decimal, weight_kg: Decimal | None) -> Decimal:
    """The dose in mg: mg/kg times the weight for IV and IM, else the fixed amount."""
    if Route(route) in WEIGHT_BASED_ROUTES:
        if weight_kg is None:
            raise ValueError("A weight-based dose needs a recorded weight.")
        return (amount * weight_kg).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return amount


def esketamine_dose_refusal(dose_mg: Decimal, *, first_session: bool) -> str | None:
    """Why an intranasal esketamine dose is refused, or None: whole 28 mg devices, 56 or 84 mg,
    and 56 mg at the first session."""
    if Decimal(dose_mg) not in ESKETAMINE_DOSES_MG:
        return (
            f"Intranasal esketamine is given in whole 28 mg devices: 56 mg (two) or 84 mg "
            f"(three), not {Decimal(dose_mg).normalize():f} mg."
        )
    if first_session and Decimal(dose_mg) != ESKETAMINE_FIRST_DOSE_MG:
        return "The first intranasal esketamine session is 56 mg (two devices), per the label."
    return None


def dose_cap_refusal(route: Route, dose_mg: Decimal, *, cap_mg: Decimal) -> str | None:
    """Why a dose is refused for passing the clinic's absolute cap for the route, or None."""
    if Decimal(dose_mg) > cap_mg:
        return (
            f"{Decimal(dose_mg).normalize():f} mg is above the clinic's absolute maximum of "
            f"{cap_mg.normalize():f} mg a dose ({ROUTE_LABELS[Route(route)]})."
        )
    return None


def booking_minutes(route: Route, *, infusion_minutes: int | None, observation_minutes: int) -> int:
    """How long a session holds a chair: administration plus the route's minimum observation."""
    administration = infusion_minutes or (DEFAULT_INFUSION_MINUTES if route == Route.IV else 10)
    return administration + observation_minutes

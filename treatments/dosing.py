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

# Minutes of monitoring after administration, by route (the booking covers both).
MIN_MONITORING_MINUTES = {
    Route.IV: 60,
    Route.IM: 60,
    Route.ESKETAMINE_NASAL: 120,  # esketamine REMS: at least 2 hours
    Route.KETAMINE_NASAL: 90,
    Route.ORAL: 90,
}
DEFAULT_INFUSION_MINUTES = 40


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


def booking_minutes(route: Route, *, infusion_minutes: int | None) -> int:
    """How long a session holds a chair: administration plus monitoring."""
    administration = infusion_minutes or (DEFAULT_INFUSION_MINUTES if route == Route.IV else 10)
    return administration + MIN_MONITORING_MINUTES[Route(route)]

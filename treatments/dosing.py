"""Routes, dose units and guardrails: plain functions, no Django models.

IV and intramuscular doses are prescribed in mg/kg and given in mg computed from the latest
recorded weight; the other routes are fixed mg doses. The usual range and the hard maximum
for each route are clinic settings (CLINIC_DOSE_GUARDRAILS).
"""

from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_UP, ROUND_UP, Decimal
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


def _mg(value: Decimal) -> str:
    return f"{Decimal(value).normalize():f}"


def guardrail_in_mg(guardrail: Guardrail, *, weight_kg: Decimal) -> Guardrail:
    """A mg/kg guardrail as mg for one weight, so a dose given in mg is checked by the same
    ``Guardrail.check`` as the plan's dose."""
    if guardrail.unit == "mg":
        return guardrail
    return Guardrail(
        unit="mg",
        usual_low=guardrail.usual_low * weight_kg,
        usual_high=guardrail.usual_high * weight_kg,
        maximum=guardrail.maximum * weight_kg,
    )


@dataclass(frozen=True)
class GivenDoseCheck:
    """A dose given, checked: refused (the reason), outside the usual range (given only with a
    confirmation and a reason; the words), or usual (both None)."""

    refusal: str | None = None
    outside_usual: str | None = None


def given_dose_check(
    route: Route,
    dose_mg: Decimal,
    *,
    guardrail: Guardrail,
    weight_kg: Decimal | None,
    cap_mg: Decimal,
    first_esketamine_session: bool,
) -> GivenDoseCheck:
    """The dose actually given, in mg, against the rules the plan's dose met: the esketamine
    devices (and 56 mg at the first session), the clinic's absolute cap for the route, and the
    route's guardrail (for IV and IM, mg/kg at ``weight_kg``, the weight the plan used)."""
    route = Route(route)
    dose = Decimal(dose_mg)
    label = ROUTE_LABELS[route]
    if route == Route.ESKETAMINE_NASAL:
        refusal = esketamine_dose_refusal(dose, first_session=first_esketamine_session)
        if refusal:
            return GivenDoseCheck(refusal=refusal)
    refusal = dose_cap_refusal(route, dose, cap_mg=cap_mg)
    if refusal:
        return GivenDoseCheck(refusal=refusal)
    per_kg = ""
    in_mg = guardrail
    if guardrail.unit != "mg":
        if weight_kg is None:
            return GivenDoseCheck(
                refusal=f"No weight is recorded for this patient, so a {guardrail.unit} dose "
                "cannot be checked: record a weight on the patient's page."
            )
        in_mg = guardrail_in_mg(guardrail, weight_kg=weight_kg)
        per_kg = f" {guardrail.unit} at {_mg(weight_kg)} kg"
    check = in_mg.check(dose)
    if check == DoseCheck.ABOVE_MAXIMUM:
        maximum = in_mg.maximum.quantize(Decimal("0.1"), rounding=ROUND_DOWN)
        limit = f"{_mg(maximum)} mg"
        if per_kg:
            limit = f"{_mg(guardrail.maximum)}{per_kg} is {limit}"
        return GivenDoseCheck(
            refusal=f"{_mg(dose)} mg is above the maximum for {label} ({limit}): it cannot "
            "be given."
        )
    if check == DoseCheck.OUTSIDE_USUAL:
        low = in_mg.usual_low.quantize(Decimal("0.1"), rounding=ROUND_UP)
        high = in_mg.usual_high.quantize(Decimal("0.1"), rounding=ROUND_DOWN)
        usual = f"{_mg(low)}-{_mg(high)} mg"
        if per_kg:
            usual = f"{_mg(guardrail.usual_low)}-{_mg(guardrail.usual_high)}{per_kg}, {usual}"
        return GivenDoseCheck(
            outside_usual=f"{_mg(dose)} mg is outside the usual range for {label} ({usual}). "
            "To give it, confirm the dose and give your reason."
        )
    return GivenDoseCheck()

"""Height and weight in the units of a Texas clinic.

Staff and patients type pounds and inches; the record stores kilograms and centimetres (doses are
in mg/kg). Every form that takes a height or a weight converts here, and refuses here what no
adult patient measures: a kilogram figure typed as pounds, or centimetres as inches, is likelier
than the measurement. No Django imports: plain rules, easy to test exhaustively."""

from decimal import Decimal

POUNDS_PER_KG = Decimal("2.20462")
CM_PER_INCH = Decimal("2.54")
_TENTH = Decimal("0.1")

# What an adult patient plausibly measures (the clinic treats adults only).
WEIGHT_LB_MIN, WEIGHT_LB_MAX = Decimal("70"), Decimal("700")
HEIGHT_IN_MIN, HEIGHT_IN_MAX = Decimal("48"), Decimal("90")
BMI_MIN, BMI_MAX = Decimal("12"), Decimal("90")

WEIGHT_RANGE_MESSAGE = (
    f"Enter a weight between {WEIGHT_LB_MIN} and {WEIGHT_LB_MAX} lb "
    f"(the weight in pounds: 75 kg = 165 lb)."
)
HEIGHT_RANGE_MESSAGE = (
    f"Enter a height between {HEIGHT_IN_MIN} and {HEIGHT_IN_MAX} in "
    "(the height in inches: 5 ft 6 in = 66 in)."
)


def kg_from_lb(pounds: Decimal) -> Decimal:
    """Kilograms to one decimal place, as the record stores them."""
    return (Decimal(pounds) / POUNDS_PER_KG).quantize(_TENTH)


def cm_from_in(inches: Decimal) -> Decimal:
    """Centimetres to one decimal place, as the record stores them."""
    return (Decimal(inches) * CM_PER_INCH).quantize(_TENTH)


def lb_from_kg(kilograms: Decimal) -> Decimal:
    return (Decimal(kilograms) * POUNDS_PER_KG).quantize(_TENTH)


def in_from_cm(centimetres: Decimal) -> Decimal:
    return (Decimal(centimetres) / CM_PER_INCH).quantize(_TENTH)


def bmi(*, weight_kg: Decimal, height_cm: Decimal) -> Decimal:
    metres = Decimal(height_cm) / 100
    return (Decimal(weight_kg) / (metres * metres)).quantize(_TENTH)


def implausible_measurement(
    *, weight_lb: Decimal | None, height_in: Decimal | None
) -> dict[str, str]:
    """Why a height or weight cannot be an adult patient's, by what was typed ("weight",
    "height"); empty when both are plausible (or not given)."""
    problems: dict[str, str] = {}
    if weight_lb is not None and not WEIGHT_LB_MIN <= weight_lb <= WEIGHT_LB_MAX:
        problems["weight"] = WEIGHT_RANGE_MESSAGE
    if height_in is not None and not HEIGHT_IN_MIN <= height_in <= HEIGHT_IN_MAX:
        problems["height"] = HEIGHT_RANGE_MESSAGE
    if weight_lb is not None and height_in is not None and not problems:
        index = bmi(weight_kg=kg_from_lb(weight_lb), height_cm=cm_from_in(height_in))
        if not BMI_MIN <= index <= BMI_MAX:
            problems["weight"] = (
                f"{weight_lb} lb at {height_in} in would be a BMI of {index}: check the weight "
                "and the height (pounds and inches)."
            )
    return problems

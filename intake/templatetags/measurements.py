"""Show stored metric measurements with the US units the clinic's staff type in."""

from decimal import Decimal

from django import template

from ..units import CM_PER_INCH, POUNDS_PER_KG

register = template.Library()


@register.filter
def with_pounds(weight_kg) -> str:
    if weight_kg in (None, ""):
        return ""
    pounds = (Decimal(weight_kg) * POUNDS_PER_KG).quantize(Decimal("1"))
    return f"{weight_kg} kg ({pounds} lb)"


@register.filter
def with_feet_inches(height_cm) -> str:
    if height_cm in (None, ""):
        return ""
    inches = int((Decimal(height_cm) / CM_PER_INCH).quantize(Decimal("1")))
    return f"{height_cm} cm ({inches // 12} ft {inches % 12} in)"

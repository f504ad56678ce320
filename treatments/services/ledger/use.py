"""A session's use of stock: the containers drawn from, the dose given, the waste.

Called by ``session_administer`` inside its transaction. The waste is never typed: it is what
was drawn less what was given, and it needs a witness and a method of disposal.
"""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils import timezone

from clinic.models import Location

from ... import ledger_rules as rules
from ...models import LedgerEntry, StockContainer
from ...selectors.ledger import on_shelf
from .chain import (
    EntrySpec,
    RegistrationMissing,
    append,
    clinic_registration,
    container_balances,
)
from .witness import Witness

Kind = LedgerEntry.Kind


@dataclass(frozen=True)
class Draw:
    container_id: int
    drawn: Decimal


def usable_containers(
    *, drug: str, today=None, location: Location | None = None
) -> list[StockContainer]:
    """The containers a clinician may draw this drug from: under the registration of the
    location (the clinic's with one), not expired, not empty; in use before unopened, then the
    earliest expiry first. Each with ``balance``; two queries (the registration, the stock on
    hand's rows), over the containers on the shelf only. None at a location with no DEA
    registration yet (recording the use there says why)."""
    today = today or timezone.localdate()
    try:
        registration = clinic_registration(location)
    except RegistrationMissing:
        return []
    usable = on_shelf(registration=registration, product__drug=drug, expires_on__gte=today)
    usable.sort(key=lambda c: (c.balance >= c.quantity_received, c.expires_on, c.label))
    return usable


def draws_check(
    *,
    drug: str,
    draws: list[Draw],
    given_mg: Decimal,
    on: datetime,
    location: Location | None = None,
) -> tuple[list[StockContainer], list[rules.DrawSplit], dict]:
    """Check the draws against the containers of the location's registration (the session's
    chair's location; the clinic's with one) and the dose given; returns the containers, the
    split of each draw into given and wasted, and the errors by field (``draws`` for the
    containers and amounts)."""
    errors: dict[str, str] = {}
    if not draws:
        return [], [], {"draws": "Choose the container the dose was drawn from."}
    ids = [d.container_id for d in draws]
    if len(set(ids)) != len(ids):
        return [], [], {"draws": "Each container once: add what was drawn from it together."}
    found = {
        c.pk: c
        for c in StockContainer.objects.filter(
            pk__in=ids, registration=clinic_registration(location)
        ).select_related("product")
    }
    containers = [found.get(i) for i in ids]
    if None in containers:
        return [], [], {"draws": "That container is not in the clinic's stock."}
    day = timezone.localdate(on)
    balances = container_balances(ids)
    for container, draw in zip(containers, draws, strict=True):
        if container.product.drug != drug:
            errors["draws"] = f"{container.label} is {container.product.name}, not {drug}."
        elif container.expires_on < day:
            errors["draws"] = (
                f"{container.label} expired on {container.expires_on:%d %b %Y}: it is not given. "
                "Dispose of it, witnessed."
            )
        elif draw.drawn <= 0:
            errors["draws"] = f"Enter the amount drawn from {container.label}."
        elif draw.drawn > (balances.get(container.pk) or 0):
            errors["draws"] = (
                f"{container.label} holds {balances.get(container.pk) or 0} "
                f"{container.product.get_unit_display()}: it cannot give {draw.drawn}."
            )
        elif container.product.unit == container.product.Unit.DEVICE and draw.drawn % 1:
            errors["draws"] = "Esketamine is drawn in whole devices."
    if errors:
        return containers, [], errors
    product = containers[0].product
    given = product.units_for_mg(given_mg)
    if product.unit == product.Unit.DEVICE and given % 1:
        return containers, [], {"draws": f"{given_mg} mg is not a whole number of devices."}
    total = sum((d.drawn for d in draws), Decimal(0))
    if given > total:
        return (
            containers,
            [],
            {
                "draws": (
                    f"The dose given ({given} {product.get_unit_display()}) is more than was drawn "
                    f"({total}): record every container it came from."
                )
            },
        )
    split = rules.split_draws([(d.container_id, d.drawn) for d in draws], given)
    return containers, split, {}


def session_use_record(
    *,
    session_id: int,
    by,
    containers: list[StockContainer],
    split: list[rules.DrawSplit],
    occurred_at: datetime,
    waste_method: str,
    witness: Witness | None,
    location: Location | None = None,
) -> list[LedgerEntry]:
    """Write the dose given and the waste of each container (call inside the session's
    transaction, after ``draws_check``)."""
    wasted = any(part.wasted > 0 for part in split)
    if wasted and witness is None:
        raise ValidationError({"witness_username": "The waste needs a witness."})
    if wasted and waste_method not in LedgerEntry.Method.values:
        raise ValidationError({"waste_method": "Choose how the waste was disposed of."})
    if witness is not None and witness.user.pk == by.pk:
        raise ValidationError({"witness_username": "You cannot witness your own waste."})
    specs = []
    for container, part in zip(containers, split, strict=True):
        common = {
            "container": container, "by_id": by.pk, "occurred_at": occurred_at,
            "session_id": session_id,
        }  # fmt: skip
        if part.given > 0:
            specs.append(EntrySpec(kind=Kind.ADMINISTERED, quantity=-part.given, **common))
        if part.wasted > 0:
            specs.append(
                EntrySpec(
                    kind=Kind.WASTE,
                    quantity=-part.wasted,
                    witness_id=witness.user.pk,
                    method=waste_method,
                    **common,
                )
            )
    return append(clinic_registration(location), specs)

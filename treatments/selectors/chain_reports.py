"""Reads for the reports across a chain of clinics: each location's controlled-substance stock
under its DEA registration, and when its next inventory is due.

Two queries however many locations: the products, then the locations, each with its
registration, the date of its last inventory and one balance per product as subqueries. A
product's balance under a registration is its latest ledger entry's ``product_balance`` (an
index seek on ``ledger_product_latest``), never a sum over the history.
"""

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from django.db.models import F, OuterRef, Q, Subquery
from django.utils import timezone

from clinic.models import Location

from ..models import ControlledProduct, DeaRegistration, LedgerEntry, StockCount
from .counts import INVENTORY_KINDS, quantity_text


def inventory_due(last_inventory_on: date) -> date:
    """The next inventory is due two years after the last (21 CFR 1304.11(c)); 29 February's
    is due on the 28th."""
    day = last_inventory_on
    if day.month == 2 and day.day == 29:
        return date(day.year + 2, 2, 28)
    return day.replace(year=day.year + 2)


@dataclass(frozen=True)
class Balance:
    product: ControlledProduct
    quantity: Decimal

    @property
    def text(self) -> str:
        """ "437.5 mg", "2 devices"."""
        return quantity_text(self.quantity, self.product)


@dataclass
class LocationStock:
    """One location's stock: its registration (None: no ledger kept there yet), each product's
    balance (the products' order), and its last inventory."""

    location: Location
    registration_number: str | None
    balances: list[Balance]
    last_inventory_at: datetime | None
    today: date  # on the location's clock

    @property
    def last_inventory_on(self) -> date | None:
        if self.last_inventory_at is None:
            return None
        return timezone.localtime(self.last_inventory_at, self.location.zone).date()

    @property
    def inventory_due_on(self) -> date | None:
        last = self.last_inventory_on
        return inventory_due(last) if last is not None else None

    @property
    def inventory_overdue(self) -> bool:
        """Past its due date, or a ledger kept with no inventory taken yet."""
        due = self.inventory_due_on
        if due is None:
            return self.registration_number is not None
        return self.today > due


@dataclass
class ChainStock:
    products: list[ControlledProduct]
    locations: list[LocationStock]
    totals: list[Balance] = field(default_factory=list)  # per product, over the locations


def _balance_key(product: ControlledProduct) -> str:
    return f"balance_{product.pk}"


def chain_stock(*, location_ids: list[int]) -> ChainStock:
    """The stock of each location in ``location_ids`` (display order) by product, with the
    products' totals over them: the active products and any other still held somewhere."""
    products = list(ControlledProduct.objects.order_by("drug", "name"))
    # The location's own registration, else the one made before the chain that holds its
    # number (taken over on the location's first ledger write).
    registration = DeaRegistration.objects.filter(
        Q(location=OuterRef("pk")) | Q(location__isnull=True, number=OuterRef("dea_registration"))
    ).order_by(F("location").asc(nulls_last=True))
    last_inventory = StockCount.objects.filter(
        registration=OuterRef("registration_pk"), kind__in=INVENTORY_KINDS
    ).order_by("-counted_at")
    balances = {
        _balance_key(product): Subquery(
            LedgerEntry.objects.filter(registration=OuterRef("registration_pk"), product=product)
            .order_by("-sequence")
            .values("product_balance")[:1]
        )
        for product in products
    }
    locations = (
        Location.objects.filter(pk__in=location_ids)
        .annotate(
            registration_pk=Subquery(registration.values("pk")[:1]),
            registration_number=Subquery(registration.values("number")[:1]),
        )
        .annotate(last_inventory_at=Subquery(last_inventory.values("counted_at")[:1]), **balances)
        .order_by("display_order", "name")
    )
    now = timezone.now()
    rows = [
        LocationStock(
            location=location,
            registration_number=location.registration_number,
            balances=[
                Balance(product, getattr(location, _balance_key(product)) or Decimal(0))
                for product in products
            ],
            last_inventory_at=location.last_inventory_at,
            today=timezone.localtime(now, location.zone).date(),
        )
        for location in locations
    ]
    totals = [
        Balance(product, sum((row.balances[i].quantity for row in rows), Decimal(0)))
        for i, product in enumerate(products)
    ]
    shown = [i for i, total in enumerate(totals) if total.product.active or total.quantity]
    for row in rows:
        row.balances = [row.balances[i] for i in shown]
    return ChainStock(
        products=[products[i] for i in shown],
        locations=rows,
        totals=[totals[i] for i in shown],
    )

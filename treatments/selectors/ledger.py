"""Reads of the controlled-substance ledger: the stock on hand, one container with its history,
the full ledger page by page. Each costs a fixed number of queries however long the ledger
grows: the shelf is the ``StockOnHand`` projection (the containers with something left, kept
by ``chain.append``), so it costs what is on the shelf, not every container ever received;
one container's balance is its latest entry's (served by the ``ledger_container_latest``
index), never a sum over the history."""

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery

from clinic.models import Location

from .. import ledger_rules as rules
from ..models import (
    ControlledProduct,
    DeaRegistration,
    LedgerEntry,
    StockContainer,
    StockCount,
    StockOnHand,
)
from .booking import day_bounds

State = rules.ContainerState

ENTRIES_PER_PAGE = 50

# The prefix of the labels the clinic writes on each drug's containers ("K-0013").
LABEL_PREFIXES = {"ketamine": "K-", "esketamine": "E-"}


@dataclass
class ProductStock:
    """A product's stock under a registration: its balance and its containers by state."""

    product: ControlledProduct
    balance: Decimal = Decimal(0)
    unopened: int = 0
    in_use: int = 0
    expired: int = 0
    containers: list = field(default_factory=list)

    @property
    def balance_ml(self) -> Decimal | None:
        """A vial product's balance in mL (None for devices)."""
        if self.product.unit != ControlledProduct.Unit.MG:
            return None
        return (self.balance / self.product.strength_mg_per_ml).quantize(Decimal("0.1"))


def with_balance(containers: QuerySet[StockContainer]) -> QuerySet[StockContainer]:
    latest = LedgerEntry.objects.filter(container=OuterRef("pk")).order_by("-sequence")
    return containers.annotate(balance=Subquery(latest.values("container_balance")[:1]))


def stock_on_hand(*, registration: DeaRegistration, today: date) -> list[ProductStock]:
    """Every active product (and any other still in stock) with its balance and how many of
    its containers are unopened, in use or expired; each container with something left in it
    carries ``balance`` and ``state``. Two queries, over the containers on the shelf only."""
    containers = on_shelf(registration=registration)
    active = ControlledProduct.objects.filter(active=True)
    by_product: dict[int, ProductStock] = {product.pk: ProductStock(product) for product in active}
    for container in containers:
        stock = by_product.setdefault(container.product_id, ProductStock(container.product))
        container.state = rules.container_state(
            received=container.quantity_received,
            balance=container.balance,
            expires_on=container.expires_on,
            today=today,
        )
        stock.balance += container.balance
        stock.containers.append(container)
        if container.state == State.UNOPENED:
            stock.unopened += 1
        elif container.state == State.IN_USE:
            stock.in_use += 1
        elif container.state == State.EXPIRED:
            stock.expired += 1
    return sorted(by_product.values(), key=lambda s: (s.product.drug, s.product.name))


def on_shelf(*, registration: DeaRegistration, **filters) -> list[StockContainer]:
    """The registration's containers with something left in them (the stock on hand), by
    label, each with its product and ``balance``; ``filters`` narrow the containers
    (``product__drug=``, ``expires_on__gte=``). One query."""
    rows = (
        StockOnHand.objects.filter(
            registration=registration,
            **{f"container__{name}": value for name, value in filters.items()},
        )
        .select_related("container__product")
        .order_by("container__label")
    )
    containers = []
    for row in rows:
        container = row.container
        container.balance = row.balance
        containers.append(container)
    return containers


def daily_count_due(*, today: date, location: Location | None = None) -> bool:
    """Whether the clinic's registration (the location's in a chain) holds stock and has no
    end-of-day count today; one query (none at all when the registration has never been
    made), over the stock on hand's rows of the registration only."""
    start, end = day_bounds(today)
    in_stock = StockOnHand.objects.filter(registration=OuterRef("pk"))
    counted_today = StockCount.objects.filter(
        registration=OuterRef("pk"),
        kind=StockCount.Kind.DAILY,
        counted_at__gte=start,
        counted_at__lt=end,
    )
    if location is None:
        registrations = Q(number=settings.CLINIC_DEA_REGISTRATION)
    else:
        # Its own, or the one made before the chain that holds its number.
        registrations = Q(location=location) | Q(
            location__isnull=True, number=location.dea_registration
        )
    return (
        DeaRegistration.objects.filter(registrations)
        .filter(Exists(in_stock), ~Exists(counted_today))
        .exists()
    )


def container_for_page(*, pk: int, today: date) -> StockContainer | None:
    """One container with its product, its delivery and who received and checked it, its
    ``balance`` and ``state``; one query."""
    container = (
        with_balance(StockContainer.objects.filter(pk=pk))
        .select_related("product", "receipt", "receipt__received_by", "receipt__checked_by")
        .first()
    )
    if container is not None:
        container.balance = container.balance or Decimal(0)
        container.state = rules.container_state(
            received=container.quantity_received,
            balance=container.balance,
            expires_on=container.expires_on,
            today=today,
        )
    return container


def _entries_for_rows(entries: QuerySet[LedgerEntry], *, with_patients: bool):
    """What a row of entries shows: the staff named, the entry it reverses and the one that
    reversed it, the session (and its patient only for a page that may show them)."""
    related = ["container", "product", "by", "witness", "session", "reverses", "reversed_by"]
    if with_patients:
        related.append("session__patient")
    return entries.select_related(*related)


def container_entries(*, container: StockContainer, with_patients: bool) -> list[LedgerEntry]:
    """A container's entries, oldest first; one query."""
    entries = LedgerEntry.objects.filter(container=container).order_by("sequence")
    return list(_entries_for_rows(entries, with_patients=with_patients))


def next_labels(*, registration: DeaRegistration) -> dict[str, str]:
    """The next free label of each drug's containers ("K-0013" after "K-0012"), from the last
    container received of each; one query a drug."""
    suggestions = {}
    for drug, prefix in LABEL_PREFIXES.items():
        last = (
            StockContainer.objects.filter(
                registration=registration, product__drug=drug, label__startswith=prefix
            )
            .order_by("-id")
            .values_list("label", flat=True)
            .first()
        )
        suggestions[drug] = label_after(last, prefix=prefix)
    return suggestions


def label_after(label: str | None, *, prefix: str) -> str:
    """The label following ``label`` ("K-0013" after "K-0012", "K-010" after "K-009"); the
    first one ("K-0001") when there is none or it ends in no number."""
    found = re.search(r"(\d+)$", label or "")
    if found is None:
        return f"{prefix}0001"
    digits = found.group(1)
    return f"{label[: found.start()]}{int(digits) + 1:0{len(digits)}d}"

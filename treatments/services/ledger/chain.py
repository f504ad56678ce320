"""Appending to the ledger, and walking it back.

Every write to the ledger comes here: the registration's row is locked for the transaction, so
entries under one registration are numbered and chained one at a time; each entry's balances
(its container's and its product's) are the previous ones plus its quantity, and its hash
covers its content and the previous entry's hash. ``append`` keeps the stock on hand (the
``StockOnHand`` projection: the containers with something left) in step in the same
transaction; ``stock_on_hand_rebuild`` makes it again from the entries.
"""

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from clinic.locations import chain_enabled, default_location
from clinic.models import Location

from ... import ledger_rules as rules
from ...models import DeaRegistration, LedgerEntry, StockContainer, StockOnHand


class RegistrationMissing(ValidationError):
    """The location has no DEA registration number yet: nothing of the ledger can be read or
    recorded there (a form shows it as its error; a page, through
    ``treatments.middleware.RegistrationMissingMiddleware``)."""


def clinic_registration(location: Location | None = None) -> DeaRegistration:
    """The DEA registration the ledger is kept under, made on first use.

    One clinic (``CLINIC_CHAIN`` off): the setting's number, whatever ``location`` says, one
    query as always. A chain: ``location``'s (the first location's when none is given), with
    the number on the location; a registration made before the chain (no location yet) is
    taken over by the location holding its number."""
    if not chain_enabled():
        registration, _ = DeaRegistration.objects.get_or_create(
            number=settings.CLINIC_DEA_REGISTRATION,
            defaults={"name": settings.CLINIC_NAME, "address": settings.CLINIC_DEA_ADDRESS},
        )
        return registration
    location = location or default_location()
    registration = DeaRegistration.objects.filter(location=location).first()
    if registration is not None:
        return registration
    if not location.dea_registration:
        raise RegistrationMissing(
            f"{location.name} has no DEA registration number: a clinic admin adds it to the "
            "location before its controlled substances are recorded.",
            code="no_registration",
        )
    registration, created = DeaRegistration.objects.get_or_create(
        number=location.dea_registration,
        defaults={"name": location.name, "address": location.address, "location": location},
    )
    if not created:
        if registration.location_id not in (None, location.pk):
            raise ValidationError(
                f"DEA registration {registration.number} is held for another location."
            )
        DeaRegistration.objects.filter(pk=registration.pk).update(location=location)
        registration.location = location
    return registration


def session_location(session) -> Location | None:
    """The location a session's doses are drawn in: its chair's, in a chain (one query);
    None with one clinic (no query: the ledger is the clinic's)."""
    if not chain_enabled():
        return None
    return Location.objects.filter(chairs__pk=session.chair_id).first()


@dataclass
class EntrySpec:
    """An entry to append: everything but its place in the chain and its balances."""

    kind: str
    container: StockContainer
    quantity: Decimal
    by_id: int
    occurred_at: datetime
    witness_id: int | None = None
    session_id: int | None = None
    receipt_id: int | None = None
    count_id: int | None = None
    counted: Decimal | None = None
    method: str = ""
    reason: str = ""
    reverses_id: int | None = None
    extra: dict = field(default_factory=dict)


def entry_content(entry: LedgerEntry) -> dict:
    """What an entry's hash covers: every field of the entry but its own hash, and for a
    receipt the delivery and the container as received (so an edited invoice, lot or expiry
    breaks the chain too)."""
    content = {
        "registration": entry.registration_id,
        "sequence": entry.sequence,
        "kind": entry.kind,
        "container": entry.container_id,
        "product": entry.product_id,
        "quantity": entry.quantity,
        "container_balance": entry.container_balance,
        "product_balance": entry.product_balance,
        "occurred_at": entry.occurred_at,
        "recorded_at": entry.recorded_at,
        "by": entry.by_id,
        "witness": entry.witness_id,
        "session": entry.session_id,
        "receipt": entry.receipt_id,
        "count": entry.count_id,
        "counted": entry.counted,
        "method": entry.method,
        "reason": entry.reason,
        "reverses": entry.reverses_id,
    }
    if entry.kind == LedgerEntry.Kind.RECEIPT:
        container, receipt = entry.container, entry.receipt
        content.update(
            delivery_supplier=receipt.supplier,
            delivery_supplier_address=receipt.supplier_address,
            delivery_supplier_dea_number=receipt.supplier_dea_number,
            delivery_invoice_number=receipt.invoice_number,
            delivery_received_on=receipt.received_on,
            delivery_received_by=receipt.received_by_id,
            delivery_checked_by=receipt.checked_by_id,
            container_label=container.label,
            container_lot=container.lot,
            container_expires_on=container.expires_on,
            container_quantity_received=Decimal(container.quantity_received),
            container_product=container.product_id,
        )
    return content


def container_balances(container_ids) -> dict[int, Decimal]:
    """Each container's balance now, from the stock on hand (0 for an emptied one); one
    query."""
    ids = list(container_ids)
    balances = dict.fromkeys(ids, Decimal(0))
    balances.update(
        StockOnHand.objects.filter(container_id__in=ids).values_list("container_id", "balance")
    )
    return balances


def chain_balances(containers) -> dict[int, Decimal]:
    """Each container's balance as the chain has it (its latest entry's, None before its
    first); one query. What ``append`` reads (under the registration's lock): an entry's
    balance comes from the entries, never from the projection."""
    latest = LedgerEntry.objects.filter(container=OuterRef("pk")).order_by("-sequence")
    return dict(
        containers.annotate(balance=Subquery(latest.values("container_balance")[:1])).values_list(
            "pk", "balance"
        )
    )


def append(registration: DeaRegistration, specs: list[EntrySpec]) -> list[LedgerEntry]:
    """Write ``specs`` as the next entries of the registration's chain, in order. Call inside
    ``transaction.atomic()``. Refuses an entry that would take a container below zero."""
    if not specs:
        return []
    # The lock that numbers and chains one writer at a time (SQLite: the write lock taken at
    # BEGIN IMMEDIATE does the same).
    DeaRegistration.objects.select_for_update().filter(pk=registration.pk).exists()
    last = (
        LedgerEntry.objects.filter(registration=registration)
        .order_by("-sequence")
        .values("sequence", "entry_hash")
        .first()
    )
    sequence = last["sequence"] if last else 0
    previous_hash = last["entry_hash"] if last else rules.GENESIS_HASH
    by_container = chain_balances(
        StockContainer.objects.filter(pk__in={spec.container.pk for spec in specs})
    )
    product_ids = {spec.container.product_id for spec in specs}
    by_product = _product_balances(registration, product_ids)
    recorded_at = timezone.now()
    entries = []
    for spec in specs:
        container = spec.container
        balance = (by_container.get(container.pk) or Decimal(0)) + spec.quantity
        if balance < 0:
            raise ValidationError(
                f"{container.label} holds {by_container.get(container.pk) or 0} "
                f"{_unit(container)}: it cannot give {-spec.quantity}.",
                code="balance",
            )
        by_container[container.pk] = balance
        product_balance = by_product.get(container.product_id, Decimal(0)) + spec.quantity
        by_product[container.product_id] = product_balance
        sequence += 1
        entry = LedgerEntry(
            registration=registration,
            sequence=sequence,
            kind=spec.kind,
            container=container,
            product_id=container.product_id,
            quantity=spec.quantity,
            container_balance=balance,
            product_balance=product_balance,
            occurred_at=spec.occurred_at,
            recorded_at=recorded_at,
            by_id=spec.by_id,
            witness_id=spec.witness_id,
            session_id=spec.session_id,
            receipt_id=spec.receipt_id,
            count_id=spec.count_id,
            counted=spec.counted,
            method=spec.method,
            reason=spec.reason,
            reverses_id=spec.reverses_id,
            previous_hash=previous_hash,
        )
        # Hashed as the database will give it back: quantities at one decimal place.
        for name in ("quantity", "container_balance", "product_balance", "counted"):
            value = getattr(entry, name)
            if value is not None:
                setattr(entry, name, Decimal(value).quantize(Decimal("0.1")))
        entry.entry_hash = rules.entry_hash(previous_hash, entry_content(entry))
        previous_hash = entry.entry_hash
        entries.append(entry)
    entries = LedgerEntry.objects.bulk_create(entries)
    _stock_on_hand_update(registration, entries)
    return entries


def _stock_on_hand_update(registration: DeaRegistration, entries: list[LedgerEntry]) -> None:
    """The touched containers' rows of the stock on hand: written with their last balance,
    deleted when it is 0 (one query each way, only when needed)."""
    last = {entry.container_id: entry for entry in entries}
    emptied = [pk for pk, entry in last.items() if entry.container_balance <= 0]
    if emptied:
        StockOnHand.objects.filter(container_id__in=emptied).delete()
    rows = [
        StockOnHand(
            container_id=pk,
            registration_id=registration.pk,
            product_id=entry.product_id,
            balance=entry.container_balance,
        )
        for pk, entry in last.items()
        if entry.container_balance > 0
    ]
    if rows:
        StockOnHand.objects.bulk_create(
            rows, update_conflicts=True, unique_fields=["container"], update_fields=["balance"]
        )


def stock_on_hand_rebuild(registration: DeaRegistration) -> int:
    """Make the registration's stock on hand again from its entries (each container's latest
    balance, those above 0); returns how many containers are on the shelf."""
    with transaction.atomic():
        DeaRegistration.objects.select_for_update().filter(pk=registration.pk).exists()
        StockOnHand.objects.filter(registration=registration).delete()
        rows = [
            StockOnHand(
                container_id=pk,
                registration_id=registration.pk,
                product_id=product_id,
                balance=balance,
            )
            for pk, product_id, balance in _chain_on_shelf(registration)
        ]
        StockOnHand.objects.bulk_create(rows, batch_size=2000)
    return len(rows)


def _chain_on_shelf(registration: DeaRegistration):
    """(container, product, balance) of each container the chain has above 0, by label."""
    latest = LedgerEntry.objects.filter(container=OuterRef("pk")).order_by("-sequence")
    return (
        StockContainer.objects.filter(registration=registration)
        .annotate(balance=Subquery(latest.values("container_balance")[:1]))
        .filter(balance__gt=0)
        .order_by("label")
        .values_list("pk", "product_id", "balance")
    )


@dataclass(frozen=True)
class StockDifference:
    label: str
    chain: Decimal  # the container's latest entry's balance (0: emptied)
    projection: Decimal | None  # its stock on hand row's (None: no row)


def stock_on_hand_differences(registration: DeaRegistration) -> list[StockDifference]:
    """The containers whose stock on hand row does not say what the chain says, by label:
    a missing row, a row of an emptied container, a different balance. Two queries."""
    chain = {pk: balance for pk, _, balance in _chain_on_shelf(registration)}
    projection = dict(
        StockOnHand.objects.filter(registration=registration).values_list("container_id", "balance")
    )
    differing = {
        pk for pk in chain.keys() | projection.keys() if chain.get(pk) != projection.get(pk)
    }
    labels = (
        dict(StockContainer.objects.filter(pk__in=differing).values_list("pk", "label"))
        if differing
        else {}
    )
    return sorted(
        (
            StockDifference(
                labels.get(pk, f"container {pk}"),
                _tenths(chain.get(pk, Decimal(0))),
                None if projection.get(pk) is None else _tenths(projection[pk]),
            )
            for pk in differing
        ),
        key=lambda d: d.label,
    )


def _tenths(value) -> Decimal:
    return Decimal(value).quantize(Decimal("0.1"))


def _product_balances(registration: DeaRegistration, product_ids) -> dict[int, Decimal]:
    balances = {}
    for product_id in product_ids:
        latest = (
            LedgerEntry.objects.filter(registration=registration, product_id=product_id)
            .order_by("-sequence")
            .values_list("product_balance", flat=True)
            .first()
        )
        balances[product_id] = latest or Decimal(0)
    return balances


def _unit(container: StockContainer) -> str:
    return container.product.get_unit_display()


@dataclass(frozen=True)
class ChainBreak:
    entry: LedgerEntry
    problem: str


def chain_breaks(registration: DeaRegistration) -> Iterator[ChainBreak]:
    """Walk the registration's chain in order and yield every entry that does not match: its
    hash (the row was changed after it was written), its link to the entry before it (an entry
    removed or put in), its sequence, or its balances."""
    previous_hash = rules.GENESIS_HASH
    expected_sequence = 1
    containers: dict[int, Decimal] = {}
    products: dict[int, Decimal] = {}
    entries = (
        LedgerEntry.objects.filter(registration=registration)
        .select_related("container", "receipt")
        .order_by("sequence")
    )
    for entry in entries.iterator(chunk_size=2000):
        if entry.sequence != expected_sequence:
            yield ChainBreak(entry, f"expected entry {expected_sequence} here: one is missing")
        elif entry.previous_hash != previous_hash:
            yield ChainBreak(entry, "its link to the entry before it does not match")
        elif rules.entry_hash(previous_hash, entry_content(entry)) != entry.entry_hash:
            yield ChainBreak(entry, "its content does not match its hash: it was changed")
        else:
            container_before = containers.get(entry.container_id, Decimal(0))
            product_before = products.get(entry.product_id, Decimal(0))
            if entry.container_balance != container_before + entry.quantity:
                yield ChainBreak(entry, "its container balance is not the sum of the entries")
            elif entry.product_balance != product_before + entry.quantity:
                yield ChainBreak(entry, "its product balance is not the sum of the entries")
        containers[entry.container_id] = entry.container_balance
        products[entry.product_id] = entry.product_balance
        previous_hash = entry.entry_hash
        expected_sequence = entry.sequence + 1

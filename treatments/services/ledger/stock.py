"""Stock coming in and going out other than at a session: a delivery received and checked,
a witnessed disposal (expired, returned, broken), and the reversing entry that corrects a
mistake."""

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from clinic.roles import CLINICIAN, has_role

from ... import ledger_rules as rules
from ...models import (
    ControlledProduct,
    DeaRegistration,
    LedgerEntry,
    StockContainer,
    StockReceipt,
)
from .chain import EntrySpec, append, clinic_registration, container_balances
from .witness import Witness

Kind = LedgerEntry.Kind


@dataclass(frozen=True)
class ReceivedContainer:
    product: ControlledProduct
    label: str
    lot: str
    expires_on: date
    storage: str


def receipt_record(
    *,
    by,
    checked_by,
    supplier: str,
    supplier_address: str,
    supplier_dea_number: str,
    invoice_number: str,
    received_on: date,
    containers: list[ReceivedContainer],
    registration: DeaRegistration | None = None,
) -> StockReceipt:
    """A delivery, each container full as it came (a vial's mg, a pack's devices), received by
    one clinician and checked against the invoice by another; the supplier named with its
    address and DEA registration number, as 21 CFR 1304.22 asks of each receipt. Received
    under ``registration`` (the working location's; the clinic's by default)."""
    errors: dict[str, str] = {}
    if not supplier.strip():
        errors["supplier"] = "Enter the supplier."
    if not supplier_address.strip():
        errors["supplier_address"] = "Enter the supplier's address (as on the invoice)."
    supplier_dea_number = supplier_dea_number.strip().upper()
    problem = rules.dea_number_problem(supplier_dea_number)
    if problem:
        errors["supplier_dea_number"] = f"The supplier's DEA number: {problem}"
    if not invoice_number.strip():
        errors["invoice_number"] = "Enter the invoice number."
    if received_on > timezone.localdate():
        errors["received_on"] = "The date is in the future."
    if checked_by is None:
        errors["checked_by"] = "Choose who checked the delivery."
    elif checked_by.pk == by.pk:
        errors["checked_by"] = "A second person checks the delivery: not the one receiving it."
    elif not has_role(checked_by, [CLINICIAN]) or not checked_by.is_active:
        errors["checked_by"] = "The delivery is checked by a licensed clinician."
    if not containers:
        errors["containers"] = "Add the containers received."
    labels = [c.label.strip() for c in containers]
    if len(set(labels)) != len(labels):
        errors["containers"] = "Each container needs its own label."
    for container in containers:
        if not container.label.strip() or not container.lot.strip():
            errors["containers"] = "Each container needs a label and a lot."
        elif container.expires_on <= received_on:
            errors["containers"] = f"{container.label} is already past its expiry date."
    registration = registration or clinic_registration()
    if StockContainer.objects.filter(registration=registration, label__in=labels).exists():
        errors["containers"] = "A container with that label is already in the ledger."
    if errors:
        raise ValidationError(errors)
    occurred_at = timezone.now()
    try:
        with transaction.atomic():
            receipt = StockReceipt.objects.create(
                registration=registration,
                supplier=supplier.strip(),
                supplier_address=supplier_address.strip(),
                supplier_dea_number=supplier_dea_number,
                invoice_number=invoice_number.strip(),
                received_on=received_on,
                received_by=by,
                checked_by=checked_by,
            )
            made = StockContainer.objects.bulk_create(
                StockContainer(
                    registration=registration,
                    product=c.product,
                    receipt=receipt,
                    label=c.label.strip(),
                    lot=c.lot.strip(),
                    expires_on=c.expires_on,
                    storage=c.storage.strip(),
                    quantity_received=Decimal(c.product.units_per_container),
                )
                for c in containers
            )
            append(
                registration,
                [
                    EntrySpec(
                        kind=Kind.RECEIPT,
                        container=container,
                        quantity=container.quantity_received,
                        by_id=by.pk,
                        occurred_at=occurred_at,
                        receipt_id=receipt.pk,
                    )
                    for container in made
                ],
            )
    except IntegrityError as error:
        raise ValidationError(
            {"invoice_number": "That invoice from that supplier is already recorded."}
        ) from error
    return receipt


def container_dispose(
    *,
    by,
    container: StockContainer,
    quantity: Decimal | None,
    method: str,
    reason: str,
    witness: Witness,
    occurred_at: datetime | None = None,
) -> LedgerEntry:
    """What is left in a container (or ``quantity`` of it) disposed of, witnessed: an expired
    vial to the reverse distributor, a broken one."""
    errors: dict[str, str] = {}
    if method not in LedgerEntry.Method.values:
        errors["method"] = "Choose the method of disposal."
    if not reason.strip():
        errors["reason"] = "Say why it is disposed of."
    if witness.user.pk == by.pk:
        errors["witness_username"] = "You cannot witness your own disposal."
    with transaction.atomic():
        balance = container_balances([container.pk]).get(container.pk) or Decimal(0)
        amount = balance if quantity is None else quantity
        if amount <= 0:
            errors["quantity"] = "Enter the amount disposed of."
        elif amount > balance:
            errors["quantity"] = f"{container.label} holds {balance}: not {amount}."
        if errors:
            raise ValidationError(errors)
        [entry] = append(
            container.registration,
            [
                EntrySpec(
                    kind=Kind.DISPOSAL,
                    container=container,
                    quantity=-amount,
                    by_id=by.pk,
                    witness_id=witness.user.pk,
                    occurred_at=occurred_at or timezone.now(),
                    method=method,
                    reason=reason.strip(),
                )
            ],
        )
    return entry


# What a reversing entry can undo: a movement (a count moves nothing; a reversal is undone by
# reversing the original again, which the one-reversal-per-entry rule refuses).
REVERSIBLE = (Kind.RECEIPT, Kind.ADMINISTERED, Kind.WASTE, Kind.DISPOSAL, Kind.LOSS)


def entry_reverse(*, by, entry: LedgerEntry, reason: str) -> LedgerEntry:
    """Undo ``entry`` with a new entry of the opposite quantity that points at it, with the
    reason. The original stays as it was."""
    if not reason.strip():
        raise ValidationError({"reason": "Give the reason for the reversing entry."})
    if entry.kind not in REVERSIBLE:
        raise ValidationError("Only a movement of stock can be reversed.")
    with transaction.atomic():
        if LedgerEntry.objects.filter(reverses=entry).exists():
            raise ValidationError(f"Entry {entry.sequence} is already reversed.")
        [reversal] = append(
            entry.registration,
            [
                EntrySpec(
                    kind=Kind.REVERSAL,
                    container=entry.container,
                    quantity=-entry.quantity,
                    by_id=by.pk,
                    occurred_at=timezone.now(),
                    session_id=entry.session_id,
                    reason=reason.strip(),
                    reverses_id=entry.pk,
                )
            ],
        )
    return reversal

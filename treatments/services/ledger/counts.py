"""Counts and inventories (blind: the counter enters what is on the shelf without seeing the
ledger's figure), the discrepancies a count opens, and how a clinician resolves them."""

from datetime import date, datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from ...models import (
    DeaRegistration,
    Discrepancy,
    DiscrepancyResolution,
    LedgerEntry,
    StockContainer,
    StockCount,
)
from ...selectors.ledger import on_shelf
from .chain import EntrySpec, append, clinic_registration

Kind = LedgerEntry.Kind
Outcome = DiscrepancyResolution.Outcome


def containers_to_count(*, registration=None) -> list[StockContainer]:
    """What a count lists: every container with something left in it under the registration
    (expired ones too, until they are disposed of), by label. The figures are not
    given to the page (the count is blind): ``balance`` is on each container for the service
    only. One query (the stock on hand's rows), however many containers were ever received."""
    registration = registration or clinic_registration()
    return on_shelf(registration=registration)


def count_record(
    *,
    by,
    kind: str,
    counted: dict[int, Decimal],
    counted_at: datetime | None = None,
    business: str = "",
    registration: DeaRegistration | None = None,
) -> StockCount:
    """A count of every container on the shelf under ``registration`` (the working
    location's; the clinic's by default). Each container's count is an entry in the ledger
    (what was counted beside what the ledger expected); a difference opens a discrepancy."""
    registration = registration or clinic_registration()
    errors: dict[str, str] = {}
    if kind not in StockCount.Kind.values:
        errors["kind"] = "Choose the kind of count."
    if kind != StockCount.Kind.DAILY and business not in StockCount.Business.values:
        errors["business"] = "Say whether the inventory is at the opening or the close of business."
    counted_at = counted_at or timezone.now()
    if counted_at > timezone.now():
        errors["counted_at"] = "The count's time is in the future."
    with transaction.atomic():
        expected = containers_to_count(registration=registration)
        missing = [c.label for c in expected if counted.get(c.pk) is None]
        if missing:
            errors["counted"] = f"Count every container: {', '.join(missing)} not counted."
        if any(value < 0 for value in counted.values() if value is not None):
            errors["counted"] = "A count cannot be below zero."
        if errors:
            raise ValidationError(errors)
        count = StockCount.objects.create(
            registration=registration,
            kind=kind,
            business=business if kind != StockCount.Kind.DAILY else "",
            counted_at=counted_at,
            counted_by=by,
        )
        entries = append(
            registration,
            [
                EntrySpec(
                    kind=Kind.COUNT,
                    container=container,
                    quantity=Decimal(0),
                    by_id=by.pk,
                    occurred_at=counted_at,
                    count_id=count.pk,
                    counted=counted[container.pk],
                )
                for container in expected
            ],
        )
        Discrepancy.objects.bulk_create(
            Discrepancy(
                count_entry=entry,
                container=entry.container,
                expected=entry.container_balance,
                counted=entry.counted,
            )
            for entry in entries
            if entry.counted != entry.container_balance
        )
    return count


def discrepancy_resolve(
    *,
    by,
    discrepancy: Discrepancy,
    outcome: str,
    explanation: str,
    correcting_entry: LedgerEntry | None = None,
    loss_type: str = "",
    discovered_on: date | None = None,
    police_notified: bool | None = None,
    police_department: str = "",
    police_report_number: str = "",
    corrective_measures: str = "",
) -> DiscrepancyResolution:
    """Explain a discrepancy. A miscount: the explanation says how the recount agreed. A
    recording error: the reversing entry that corrected the ledger. A loss or theft: the
    shortfall leaves the ledger as a loss entry, and the resolution carries what DEA Form 106
    asks for (the notice to the DEA is due within one business day of discovery)."""
    errors: dict[str, str] = {}
    if outcome not in Outcome.values:
        errors["outcome"] = "Choose what explains the difference."
    if not explanation.strip():
        errors["explanation"] = "Explain the difference."
    difference = discrepancy.difference
    if outcome in (Outcome.LOSS, Outcome.THEFT):
        if difference >= 0:
            errors["outcome"] = "More was counted than expected: that is not a loss."
        if loss_type not in DiscrepancyResolution.LossType.values:
            errors["loss_type"] = "Choose the type of loss (DEA Form 106)."
        if discovered_on is None:
            errors["discovered_on"] = "Enter the date the loss was discovered."
        elif discovered_on > timezone.localdate():
            errors["discovered_on"] = "The date is in the future."
        if police_notified is None and outcome == Outcome.THEFT:
            errors["police_notified"] = "Say whether the police were notified."
    if outcome == Outcome.RECORDING_ERROR:
        if correcting_entry is None:
            errors["correcting_entry"] = "Name the reversing entry that corrected the ledger."
        elif (
            correcting_entry.kind != Kind.REVERSAL
            or correcting_entry.container_id != discrepancy.container_id
        ):
            errors["correcting_entry"] = "Name a reversing entry of the same container."
    with transaction.atomic():
        if DiscrepancyResolution.objects.filter(discrepancy=discrepancy).exists():
            raise ValidationError("This discrepancy is already resolved.")
        if errors:
            raise ValidationError(errors)
        if outcome in (Outcome.LOSS, Outcome.THEFT):
            [correcting_entry] = append(
                discrepancy.container.registration,
                [
                    EntrySpec(
                        kind=Kind.LOSS,
                        container=discrepancy.container,
                        quantity=difference,
                        by_id=by.pk,
                        occurred_at=timezone.now(),
                        reason=f"{Outcome(outcome).label}: {explanation.strip()}"[:500],
                    )
                ],
            )
        resolution = DiscrepancyResolution.objects.create(
            discrepancy=discrepancy,
            outcome=outcome,
            explanation=explanation.strip(),
            correcting_entry=correcting_entry if outcome != Outcome.COUNTING_ERROR else None,
            resolved_by=by,
            loss_type=loss_type if outcome in (Outcome.LOSS, Outcome.THEFT) else "",
            discovered_on=discovered_on if outcome in (Outcome.LOSS, Outcome.THEFT) else None,
            police_notified=police_notified,
            police_department=police_department.strip(),
            police_report_number=police_report_number.strip(),
            corrective_measures=corrective_measures.strip(),
        )
    return resolution

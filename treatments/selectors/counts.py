"""Reads of the counts and inventories pages, the discrepancies they open, DEA Form 106 and the
clinicians' home panels about them. Each is one or two queries, however many containers,
entries or counts there are."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.db.models import Count, Exists, IntegerField, OuterRef, Q, QuerySet, Subquery, Window
from django.db.models.functions import Coalesce
from django.utils import timezone

from clinic.models import Location

from ..models import (
    ControlledProduct,
    DeaRegistration,
    Discrepancy,
    DiscrepancyResolution,
    LedgerEntry,
    StockCount,
)

Kind = StockCount.Kind
INVENTORY_KINDS = (Kind.INITIAL, Kind.BIENNIAL)
LOSS_OUTCOMES = (DiscrepancyResolution.Outcome.LOSS, DiscrepancyResolution.Outcome.THEFT)


def _plain(value: Decimal | None) -> str:
    """5.0 -> "5", 437.5 -> "437.5"."""
    if value is None:
        return ""
    normal = value.normalize()
    return format(normal, "f") if normal == normal.to_integral() else str(normal)


def strength_text(product: ControlledProduct) -> str:
    """ "50 mg/mL, injection, solution" or "28 mg per device, nasal spray"."""
    if product.unit == ControlledProduct.Unit.MG:
        strength = f"{_plain(product.strength_mg_per_ml)} mg/mL"
    else:
        strength = f"{_plain(product.mg_per_device)} mg per device"
    return f"{strength}, {product.form[:1].lower()}{product.form[1:]}"


def size_text(product: ControlledProduct) -> str:
    """What one container holds: "10 mL vial (500 mg)" or "pack of 2 devices"."""
    if product.unit == ControlledProduct.Unit.MG:
        return f"{_plain(product.volume_ml)} mL ({_plain(product.units_per_container)} mg)"
    return f"pack of {product.devices_per_pack} devices"


def quantity_text(quantity: Decimal | None, product: ControlledProduct) -> str:
    """ "437.5 mg", "1 device", "2 devices"."""
    if quantity is None:
        return ""
    if product.unit == ControlledProduct.Unit.MG:
        return f"{_plain(quantity)} mg"
    return f"{_plain(quantity)} device{'' if quantity == 1 else 's'}"


@dataclass(frozen=True)
class ProductDescription:
    strength: str
    size: str


def describe(product: ControlledProduct) -> ProductDescription:
    return ProductDescription(strength=strength_text(product), size=size_text(product))


# --- The list of counts -------------------------------------------------------------------------


def _counts_of(*, kinds, registration_id: int | None) -> QuerySet[StockCount]:
    rows = StockCount.objects.all()
    if kinds is not None:
        rows = rows.filter(kind__in=kinds)
    if registration_id is not None:
        rows = rows.filter(registration_id=registration_id)
    return rows


def _entries_of_count(*, differences: bool) -> Subquery:
    """How many entries the outer count has (of them with a discrepancy if ``differences``):
    a subquery in the SELECT, evaluated for each row returned only."""
    entries = LedgerEntry.objects.filter(count=OuterRef("pk"))
    if differences:
        entries = entries.filter(discrepancy__isnull=False)
    return Subquery(
        entries.order_by().values("count").annotate(n=Count("pk")).values("n"),
        output_field=IntegerField(),
    )


def counts(*, kinds=None, registration_id: int | None = None) -> QuerySet[StockCount]:
    """Counts newest first (under one registration if given: a chain's location), each with
    who counted and how many differences it found.

    The entries are counted by subqueries in the SELECT, for the rows of the page only (a
    grouped join counted every count's entries before the page's limit); a count with no
    entry has 0."""
    rows = _counts_of(kinds=kinds, registration_id=registration_id)
    return (
        rows.select_related("counted_by")
        .annotate(
            differences=Coalesce(_entries_of_count(differences=True), 0),
            containers=Coalesce(_entries_of_count(differences=False), 0),
        )
        .order_by("-counted_at", "-id")
    )


def counts_total(*, kinds=None, registration_id: int | None = None) -> int:
    return _counts_of(kinds=kinds, registration_id=registration_id).count()


# --- One count or inventory ---------------------------------------------------------------------


def count_for_page(*, pk: int) -> StockCount | None:
    return (
        StockCount.objects.select_related("registration", "counted_by")
        .annotate(differences=Count("entries", filter=Q(entries__discrepancy__isnull=False)))
        .filter(pk=pk)
        .first()
    )


def count_differences(count: StockCount) -> int:
    """How many discrepancies the count opened."""
    return Discrepancy.objects.filter(count_entry__count=count).count()


def count_entries(count: StockCount) -> list[LedgerEntry]:
    """The count's entries by container label, each with its container, product and any
    discrepancy it opened (and that discrepancy's resolution); one query."""
    return list(
        LedgerEntry.objects.filter(count=count)
        .select_related("container", "product", "discrepancy__resolution")
        .order_by("container__label", "pk")
    )


@dataclass(frozen=True)
class ProductTotal:
    product: ControlledProduct
    containers: int
    counted: Decimal

    @property
    def counted_text(self) -> str:
        return quantity_text(self.counted, self.product)


def inventory_totals(entries: list[LedgerEntry]) -> list[ProductTotal]:
    """Per product: how many containers and what was counted in them, by product name."""
    by_product: dict[int, list[LedgerEntry]] = {}
    for entry in entries:
        by_product.setdefault(entry.product_id, []).append(entry)
    totals = [
        ProductTotal(
            product=rows[0].product,
            containers=len(rows),
            counted=sum((row.counted for row in rows), Decimal(0)),
        )
        for rows in by_product.values()
    ]
    return sorted(totals, key=lambda total: (total.product.name, total.product.pk))


def inventory_csv_rows(count: StockCount, entries: list[LedgerEntry]) -> list[list[str]]:
    """The inventory as CSV rows: a header, one row per container, then one total row per
    product. No patient data: a count names containers, not sessions."""
    registration = count.registration
    header = [
        "DEA registration",
        "Registrant",
        "Address",
        "Inventory",
        "Taken at",
        "Opening or close of business",
        "Taken by",
        "Container",
        "Product",
        "NDC",
        "Strength and form",
        "Container size",
        "Lot",
        "Expiry date",
        "Counted",
        "Unit",
    ]
    taken_at = f"{timezone.localtime(count.counted_at):%Y-%m-%d %H:%M %Z}"
    by = count.counted_by.get_full_name() or count.counted_by.username
    common = [
        registration.number,
        registration.name,
        registration.address,
        count.get_kind_display(),
        taken_at,
        count.get_business_display(),
        by,
    ]
    rows = [header]
    for entry in entries:
        product = entry.product
        rows.append(
            [
                *common,
                entry.container.label,
                product.name,
                product.ndc,
                strength_text(product),
                size_text(product),
                entry.container.lot,
                entry.container.expires_on.isoformat(),
                _plain(entry.counted),
                product.get_unit_display(),
            ]
        )
    for total in inventory_totals(entries):
        product = total.product
        rows.append(
            [
                *common,
                f"Total ({total.containers} container{'' if total.containers == 1 else 's'})",
                product.name,
                product.ndc,
                strength_text(product),
                size_text(product),
                "",
                "",
                _plain(total.counted),
                product.get_unit_display(),
            ]
        )
    return [[_cell(value) for value in row] for row in rows]


def _cell(value: str) -> str:
    """A typed value a spreadsheet would run as a formula ("=HYPERLINK(...)" as a lot number)
    is written as text."""
    return f"'{value}" if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


# --- Discrepancies ------------------------------------------------------------------------------


def discrepancy_for_page(*, pk: int) -> Discrepancy | None:
    """The discrepancy with its container and product, its count and who took it, and its
    resolution (who resolved it, the entry that corrected it); one query."""
    return (
        Discrepancy.objects.select_related(
            "container__product",
            "container__registration",
            "count_entry__count__counted_by",
            "resolution__resolved_by",
            "resolution__correcting_entry",
        )
        .filter(pk=pk)
        .first()
    )


@dataclass(frozen=True)
class DiscrepancyTexts:
    expected: str
    counted: str
    difference: str


def discrepancy_texts(discrepancy: Discrepancy) -> DiscrepancyTexts:
    """The figures in the product's unit: "500 mg", "480 mg", "-20 mg"."""
    product = discrepancy.container.product
    difference = discrepancy.difference
    sign = "+" if difference > 0 else ""
    return DiscrepancyTexts(
        expected=quantity_text(discrepancy.expected, product),
        counted=quantity_text(discrepancy.counted, product),
        difference=f"{sign}{quantity_text(difference, product)}",
    )


def quantity_lost_text(discrepancy: Discrepancy) -> str:
    """The shortfall as DEA Form 106 wants the quantity: mg with the volume for a solution
    ("20 mg (0.4 mL)"), devices for a nasal spray."""
    product = discrepancy.container.product
    lost = -discrepancy.difference
    text = quantity_text(lost, product)
    if product.unit == ControlledProduct.Unit.MG and product.strength_mg_per_ml:
        volume = (lost / product.strength_mg_per_ml).quantize(Decimal("0.01"))
        text += f" ({_plain(volume)} mL)"
    return text


def reversals_to_name(discrepancy: Discrepancy) -> list[LedgerEntry]:
    """The container's reversing entries that no resolution names yet (a recording error is
    explained by one of these), newest first, each with the entry it reverses; one query."""
    named = DiscrepancyResolution.objects.filter(correcting_entry=OuterRef("pk"))
    return list(
        LedgerEntry.objects.filter(
            container_id=discrepancy.container_id, kind=LedgerEntry.Kind.REVERSAL
        )
        .exclude(Exists(named))
        .select_related("reverses")
        .order_by("-sequence")
    )


def _two_years_before(day: date) -> date:
    # 29 February two years back is the 28th.
    return day.replace(year=day.year - 2, day=min(day.day, 28) if day.month == 2 else day.day)


def losses_before(resolution: DiscrepancyResolution) -> int:
    """Thefts and losses under the same registration discovered in the 24 months before this
    one (DEA Form 106 asks for their number), not counting this one."""
    discovered = resolution.discovered_on
    return (
        DiscrepancyResolution.objects.filter(
            outcome__in=LOSS_OUTCOMES,
            discrepancy__container__registration_id=(
                resolution.discrepancy.container.registration_id
            ),
            discovered_on__gt=_two_years_before(discovered),
            discovered_on__lte=discovered,
        )
        .exclude(pk=resolution.pk)
        .count()
    )


# --- The clinicians' home page ------------------------------------------------------------------

OPEN_DISCREPANCIES_SHOWN = 10


def _registrations_of(location: Location | None) -> Q:
    """A registration of the location: its own, or the one made before the chain that holds
    its number (taken over on its first ledger write)."""
    if location is None:
        return Q(number=settings.CLINIC_DEA_REGISTRATION)
    return Q(location=location) | Q(location__isnull=True, number=location.dea_registration)


def open_discrepancies(*, location: Location | None = None) -> tuple[int, list[Discrepancy]]:
    """Unresolved discrepancies (of the location's registration in a chain), oldest first (the
    longest waiting first), with their container and count: how many, and the first few; one
    query (the total is a window)."""
    rows = Discrepancy.objects.filter(resolution__isnull=True)
    if location is not None:
        rows = rows.filter(
            container__registration__in=DeaRegistration.objects.filter(_registrations_of(location))
        )
    rows = list(
        rows.select_related("container__product", "count_entry")
        .annotate(total=Window(Count("id")))
        .order_by("opened_at", "id")[:OPEN_DISCREPANCIES_SHOWN]
    )
    return (rows[0].total if rows else 0), rows

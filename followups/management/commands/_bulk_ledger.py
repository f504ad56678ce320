"""The bulk clinic's controlled-substance ledger and esketamine REMS records, for load tests:
``manage.py seed_bulk --ledger`` (on a database ``seed_bulk --patients N`` has filled).

A year of the ledger is not replayed through the services one entry at a time (they lock the
registration and read the balances back for every dose): the history is simulated here in
Python, in the order it happened, and each entry is chained exactly as
``treatments.services.ledger.chain.append`` chains it (the next sequence, the container's and
the product's balances after it, the previous entry's hash, its own hash over
``chain.entry_content``), then written with ``bulk_create`` in batches, all in one transaction
(the ledger is append-only: a half-written year could never be taken back out). The chain
continues the registration's (the demo's month comes first); ``manage.py ledger_verify``
checks it. The stock on hand (the projection ``append`` keeps) gets the bulk containers left
on the shelf at the end, in one ``bulk_create``.

What the year holds, under the clinic's DEA registration (``clinic_registration()``):

- **Deliveries**: each clinic day at 07:30, before the first dose, a delivery of ketamine
  50 mg/mL 10 mL vials (500 mg) and esketamine 56 mg packs (2 devices), received by the
  clinician and checked by the nurse, when the shelf holds less than the day's doses plus a
  reserve (a quarter of a day's need, at least two containers of each). So every completed
  bulk session has its stock, and the shelf at the close is the reserve and the vials in use,
  not the year's deliveries.
- **Doses**: every completed bulk session's dose, drawn from the vial in use at its station
  (one vial open per ``DOSES_PER_OPEN_VIAL`` ketamine doses a day, at most ``MAX_OPEN_VIALS``:
  4 at 100,000 patients, 1 at 1,000; the oldest vial on the shelf is opened next, and a dose
  that empties a vial takes the rest from the next one, two ADMINISTERED entries). A share of
  the ketamine doses (``WASTE_SHARE``) is drawn up to the next 10 mg: the rest is a WASTE
  entry, witnessed by the nurse, into a drug-disposal container. An esketamine dose is a
  whole pack: no waste.
- **Counts**: a blind end-of-day count at 18:15 of every day with doses, of every bulk
  container then on the shelf (the demo's month has its own counts of its own containers),
  by the nurse; every ``MISCOUNT_EVERY``-th count has one container miscounted by 10 mg, a
  discrepancy resolved the next morning by the clinician as a miscount (the recount matched).
- **REMS**: each bulk patient given esketamine is enrolled five days before their first dose
  (signed by the patient and the clinician as prescriber); each session's Patient Monitoring
  Form is submitted 1-6 days after it (most the next day), unless that day is still to come,
  and a few (``FORGOTTEN_SHARE``) never were: overdue.
"""

import math
import random
from collections import Counter, deque
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import ROUND_CEILING, Decimal

from django.db import transaction
from django.utils import timezone

from treatments import ledger_rules as rules
from treatments.ledger_catalog import COMMON_PRODUCTS
from treatments.models import (
    ControlledProduct,
    DeaRegistration,
    Discrepancy,
    DiscrepancyResolution,
    LedgerEntry,
    RemsEnrollment,
    RemsFormSubmission,
    StockContainer,
    StockCount,
    StockOnHand,
    StockReceipt,
    TreatmentSession,
)
from treatments.services.ledger.chain import clinic_registration, entry_content

from . import _bulk_rows as bulk

Kind = LedgerEntry.Kind
# Bulk containers' labels: the app's prefixes ("K-", "E-") and a B, so the next label the
# delivery form suggests follows on, and a second run knows the bulk ledger is there.
LABELS = {"ketamine": "K-B", "esketamine": "E-B"}
DELIVERY_AT = time(7, 30)
COUNT_AT = time(18, 15)  # after the last session of the day (15:30 + 150 minutes)
DOSES_PER_OPEN_VIAL = 100
MAX_OPEN_VIALS = 4
WASTE_SHARE = 0.4
DRAWN_TO_MG = Decimal(10)
RESERVE_SHARE = 0.25
MISCOUNT_EVERY = 45
MISCOUNT_MG = Decimal(10)
FORGOTTEN_SHARE = 0.003
SUBMIT_AFTER_DAYS = (1, 1, 1, 1, 2, 2, 3, 4, 5, 6)
BATCH = 5000
SUPPLIER = "McKesson Medical-Surgical"
SUPPLIER_ADDRESS = "4400 Distribution Parkway, Dallas, TX 75236"
SUPPLIER_DEA = "RH0216843"
STORAGE = "Double-locked cabinet, bulk wing medication room"
WASTE_METHOD = LedgerEntry.Method.DRUG_DISPOSAL_CONTAINER
ONE = Decimal("0.1")


def bulk_ledger_exists() -> bool:
    return (
        StockContainer.objects.filter(label__startswith=LABELS["ketamine"]).exists()
        or StockContainer.objects.filter(label__startswith=LABELS["esketamine"]).exists()
    )


@dataclass
class Dose:
    session_id: int
    patient_id: int
    drug: str
    given: Decimal  # in the product's unit
    drawn: Decimal
    at: datetime
    station: int


@dataclass
class Spec:
    """An entry before its place in the chain."""

    kind: str
    container: StockContainer
    quantity: Decimal
    by_id: int
    occurred_at: datetime
    witness_id: int | None = None
    session_id: int | None = None
    receipt: StockReceipt | None = None
    count: StockCount | None = None
    counted: Decimal | None = None
    method: str = ""
    miscount: bool = False


@dataclass
class Shelf:
    """One product's bulk containers with something left: the ones open at each station and
    the unopened ones, oldest first."""

    product: ControlledProduct
    balances: dict[int, Decimal] = field(default_factory=dict)  # id(container) -> balance
    unopened: deque = field(default_factory=deque)
    open: dict[int, StockContainer] = field(default_factory=dict)  # station -> container
    on_shelf: dict[int, StockContainer] = field(default_factory=dict)  # id -> container

    def on_hand(self) -> Decimal:
        return sum(self.balances.values(), Decimal(0))

    def take(self, station: int, amount: Decimal) -> list[tuple[StockContainer, Decimal]]:
        """``amount`` from the station's open container, opening the oldest unopened one when
        it runs dry: (container, drawn) in the order drawn."""
        draws = []
        left = amount
        while left > 0:
            container = self.open.get(station)
            if container is None:
                if not self.unopened:
                    raise RuntimeError(f"The bulk shelf ran out of {self.product.name}.")
                container = self.unopened.popleft()
                self.open[station] = container
            balance = self.balances[id(container)]
            drawn = min(balance, left)
            draws.append((container, drawn))
            left -= drawn
            self.balances[id(container)] = balance - drawn
            if balance - drawn == 0:
                del self.open[station]
                del self.balances[id(container)]
                del self.on_shelf[id(container)]
        return draws


class BulkLedger:
    def __init__(self, *, clinician_id: int, nurse_id: int, rng: random.Random, step):
        self.clinician_id = clinician_id
        self.nurse_id = nurse_id
        self.rng = rng
        self.step = step
        self.zone = timezone.get_current_timezone()
        self.today = timezone.localdate()
        self.counts: Counter = Counter()

    def run(self) -> None:
        with transaction.atomic():
            self.registration = clinic_registration()
            # The lock append() takes: no other writer chains entries meanwhile.
            DeaRegistration.objects.select_for_update().filter(pk=self.registration.pk).exists()
            self.products = self._products()
            doses = self.step("Ledger: reading the bulk sessions", self._doses)
            self.step(f"Ledger: simulating the year ({len(doses):,} doses)", self._simulate, doses)
            self.step("Ledger: deliveries, containers, counts", self._write_stock)
            self.step(f"Ledger: chaining and writing {len(self.specs):,} entries", self._chain)
            self.step("Ledger: discrepancies and their resolutions", self._discrepancies)
            self.step("REMS: enrollments and monitoring forms", self._rems)

    # --- Reading --------------------------------------------------------------------------

    def _products(self) -> dict[str, ControlledProduct]:
        vial, pack = COMMON_PRODUCTS[0], COMMON_PRODUCTS[2]
        return {
            drug: ControlledProduct.objects.get_or_create(ndc=fields["ndc"], defaults=fields)[0]
            for drug, fields in (("ketamine", vial), ("esketamine", pack))
        }

    def _doses(self) -> list[Dose]:
        sessions = (
            TreatmentSession.objects.filter(
                status=TreatmentSession.Status.COMPLETED,
                patient__email__endswith="@" + bulk.BULK_EMAIL_DOMAIN,
                drug__in=list(LABELS),
                dose_given_mg__gt=0,
                administration_started_at__isnull=False,
            )
            .order_by("administration_started_at", "pk")
            .values_list(
                "pk", "patient_id", "drug", "dose_given_mg", "administration_started_at", "chair_id"
            )
        )
        doses = []
        for pk, patient_id, drug, dose_mg, at, chair_id in sessions.iterator(chunk_size=20_000):
            product = self.products[drug]
            given = Decimal(product.units_for_mg(dose_mg)).quantize(ONE)
            drawn = given
            if drug == "ketamine" and self.rng.random() < WASTE_SHARE:
                drawn = (given / DRAWN_TO_MG).to_integral_value(ROUND_CEILING) * DRAWN_TO_MG
            doses.append(Dose(pk, patient_id, drug, given, drawn, at, chair_id))
        return doses

    # --- The year, in the order it happened -----------------------------------------------

    def _simulate(self, doses: list[Dose]) -> None:
        by_day: dict[date, list[Dose]] = {}
        for dose in doses:
            by_day.setdefault(timezone.localtime(dose.at, self.zone).date(), []).append(dose)
        self.receipts: list[StockReceipt] = []
        self.containers: list[StockContainer] = []
        self.stock_counts: list[StockCount] = []
        self.specs: list[Spec] = []
        shelves = {drug: Shelf(product) for drug, product in self.products.items()}
        serial = Counter()
        for number, (day, todays) in enumerate(sorted(by_day.items())):
            ketamine_doses = sum(1 for dose in todays if dose.drug == "ketamine")
            stations = max(1, min(MAX_OPEN_VIALS, math.ceil(ketamine_doses / DOSES_PER_OPEN_VIAL)))
            for dose in todays:
                dose.station = dose.station % stations if dose.drug == "ketamine" else 0
            self._deliver(day, todays, shelves, serial)
            for dose in todays:
                self._dose(dose, shelves[dose.drug])
            self._count(day, shelves, miscount=number % MISCOUNT_EVERY == MISCOUNT_EVERY - 1)

    def at(self, day: date, clock: time) -> datetime:
        return datetime.combine(day, clock, tzinfo=self.zone)

    def _deliver(self, day, todays, shelves, serial) -> None:
        received_at = self.at(day, DELIVERY_AT)
        receipt = None
        for drug, shelf in shelves.items():
            need = sum((dose.drawn for dose in todays if dose.drug == drug), Decimal(0))
            if not need:
                continue
            size = Decimal(shelf.product.units_per_container)
            reserve = max(2 * size, need * Decimal(RESERVE_SHARE))
            short = need + reserve - shelf.on_hand()
            if short <= 0:
                continue
            if receipt is None:
                receipt = StockReceipt(
                    registration=self.registration,
                    supplier=SUPPLIER,
                    supplier_address=SUPPLIER_ADDRESS,
                    supplier_dea_number=SUPPLIER_DEA,
                    invoice_number=f"BULK-{day:%Y%m%d}",
                    received_on=day,
                    received_by_id=self.clinician_id,
                    checked_by_id=self.nurse_id,
                    recorded_at=received_at,
                )
                self.receipts.append(receipt)
            lot = f"{'KT' if drug == 'ketamine' else 'SP'}{day:%y%m}{day.day:02d}"
            expiry = day + timedelta(days=540 if drug == "ketamine" else 400)
            for _ in range(math.ceil(short / size)):
                serial[drug] += 1
                container = StockContainer(
                    registration=self.registration,
                    product=shelf.product,
                    label=f"{LABELS[drug]}{serial[drug]:06d}",
                    lot=lot,
                    expires_on=expiry,
                    storage=STORAGE,
                    quantity_received=size,
                )
                container.bulk_receipt = receipt
                self.containers.append(container)
                shelf.balances[id(container)] = size
                shelf.unopened.append(container)
                shelf.on_shelf[id(container)] = container
                self.specs.append(
                    Spec(Kind.RECEIPT, container, size, self.clinician_id, received_at,
                         receipt=receipt)
                )  # fmt: skip

    def _dose(self, dose: Dose, shelf: Shelf) -> None:
        draws = shelf.take(dose.station, dose.drawn)
        left = dose.given
        common = {"by_id": self.clinician_id, "occurred_at": dose.at, "session_id": dose.session_id}
        for container, drawn in draws:
            given = min(drawn, left)
            left -= given
            if given > 0:
                self.specs.append(Spec(Kind.ADMINISTERED, container, -given, **common))
            if drawn - given > 0:
                self.specs.append(
                    Spec(Kind.WASTE, container, -(drawn - given), witness_id=self.nurse_id,
                         method=WASTE_METHOD, **common)
                )  # fmt: skip

    def _count(self, day: date, shelves: dict[str, Shelf], *, miscount: bool) -> None:
        counted_at = self.at(day, COUNT_AT)
        count = StockCount(
            registration=self.registration,
            kind=StockCount.Kind.DAILY,
            counted_at=counted_at,
            counted_by_id=self.nurse_id,
        )
        self.stock_counts.append(count)
        on_shelf = sorted(
            (
                (container, shelf.balances[key])
                for shelf in shelves.values()
                for key, container in shelf.on_shelf.items()
            ),
            key=lambda pair: pair[0].label,
        )
        # The miscount: the first open ketamine vial with 10 mg in it, counted 10 mg short.
        wrong = None
        if miscount:
            wrong = next(
                (
                    container
                    for container, balance in on_shelf
                    if container.product.drug == "ketamine"
                    and MISCOUNT_MG <= balance < container.quantity_received
                ),
                None,
            )
        for container, balance in on_shelf:
            counted = balance - MISCOUNT_MG if container is wrong else balance
            self.specs.append(
                Spec(Kind.COUNT, container, Decimal(0), self.nurse_id, counted_at, count=count,
                     counted=counted, miscount=container is wrong)
            )  # fmt: skip

    # --- Writing --------------------------------------------------------------------------

    def _write_stock(self) -> None:
        StockReceipt.objects.bulk_create(self.receipts, batch_size=BATCH)
        for container in self.containers:
            container.receipt = container.bulk_receipt
        StockContainer.objects.bulk_create(self.containers, batch_size=BATCH)
        StockCount.objects.bulk_create(self.stock_counts, batch_size=BATCH)
        self.counts["treatments_stockreceipt"] += len(self.receipts)
        self.counts["treatments_stockcontainer"] += len(self.containers)
        self.counts["treatments_stockcount"] += len(self.stock_counts)

    def _chain(self) -> None:
        """The entries, numbered and chained after the registration's last one, as append()
        does; written BATCH at a time."""
        last = (
            LedgerEntry.objects.filter(registration=self.registration)
            .order_by("-sequence")
            .values("sequence", "entry_hash")
            .first()
        )
        sequence = last["sequence"] if last else 0
        previous_hash = last["entry_hash"] if last else rules.GENESIS_HASH
        product_balance = {
            product.pk: (
                LedgerEntry.objects.filter(registration=self.registration, product=product)
                .order_by("-sequence")
                .values_list("product_balance", flat=True)
                .first()
                or Decimal(0)
            )
            for product in self.products.values()
        }
        container_balance: dict[int, Decimal] = {}
        self.miscounted: list[LedgerEntry] = []
        batch: list[LedgerEntry] = []
        for spec in self.specs:
            container = spec.container
            balance = container_balance.get(container.pk, Decimal(0)) + spec.quantity
            container_balance[container.pk] = balance
            product_balance[container.product_id] += spec.quantity
            sequence += 1
            entry = LedgerEntry(
                registration=self.registration,
                sequence=sequence,
                kind=spec.kind,
                container=container,
                product_id=container.product_id,
                quantity=spec.quantity.quantize(ONE),
                container_balance=balance.quantize(ONE),
                product_balance=product_balance[container.product_id].quantize(ONE),
                occurred_at=spec.occurred_at,
                recorded_at=spec.occurred_at + timedelta(minutes=2),
                by_id=spec.by_id,
                witness_id=spec.witness_id,
                session_id=spec.session_id,
                receipt=spec.receipt,
                count=spec.count,
                counted=None if spec.counted is None else spec.counted.quantize(ONE),
                method=spec.method,
                previous_hash=previous_hash,
            )
            entry.entry_hash = rules.entry_hash(previous_hash, entry_content(entry))
            previous_hash = entry.entry_hash
            batch.append(entry)
            if spec.miscount:
                self.miscounted.append(entry)
            if len(batch) >= BATCH:
                LedgerEntry.objects.bulk_create(batch)
                batch = []
        LedgerEntry.objects.bulk_create(batch)
        self.counts["treatments_ledgerentry"] += len(self.specs)
        # The stock on hand (append() keeps it; these entries bypass append()): the bulk
        # containers left on the shelf, in one bulk_create.
        on_hand = StockOnHand.objects.bulk_create(
            [
                StockOnHand(
                    container=container,
                    registration=self.registration,
                    product_id=container.product_id,
                    balance=container_balance[container.pk].quantize(ONE),
                )
                for container in self.containers
                if container_balance.get(container.pk, Decimal(0)) > 0
            ],
            batch_size=BATCH,
        )
        self.counts["treatments_stockonhand"] += len(on_hand)
        self.specs_by_kind = Counter(spec.kind for spec in self.specs)
        self.open_at_close = self._open_at_close()
        del self.specs

    def _open_at_close(self) -> int:
        """The most containers in use (opened, not emptied) at any day's close."""
        most = 0
        by_count: dict[int, int] = Counter()
        for spec in self.specs:
            if spec.kind == Kind.COUNT and 0 < spec.counted < spec.container.quantity_received:
                by_count[id(spec.count)] += 1
        if by_count:
            most = max(by_count.values())
        return most

    def _discrepancies(self) -> None:
        discrepancies = Discrepancy.objects.bulk_create(
            Discrepancy(
                count_entry=entry,
                container=entry.container,
                expected=entry.container_balance,
                counted=entry.counted,
                opened_at=entry.occurred_at,
            )
            for entry in self.miscounted
        )
        DiscrepancyResolution.objects.bulk_create(
            DiscrepancyResolution(
                discrepancy=discrepancy,
                outcome=DiscrepancyResolution.Outcome.COUNTING_ERROR,
                explanation=(
                    "Recounted with a second clinician the next morning: "
                    f"{discrepancy.container.label} holds what the ledger says. The syringe's "
                    "graduations were misread."
                ),
                resolved_by_id=self.clinician_id,
                resolved_at=discrepancy.opened_at + timedelta(hours=14),
            )
            for discrepancy in discrepancies
        )
        self.counts["treatments_discrepancy"] += len(discrepancies)
        self.counts["treatments_discrepancyresolution"] += len(discrepancies)

    def _rems(self) -> None:
        esketamine = list(
            TreatmentSession.objects.filter(
                status=TreatmentSession.Status.COMPLETED,
                patient__email__endswith="@" + bulk.BULK_EMAIL_DOMAIN,
                drug="esketamine",
                administration_started_at__isnull=False,
            )
            .exclude(rems_submission__isnull=False)
            .order_by("administration_started_at", "pk")
            .values_list("pk", "patient_id", "administration_started_at")
        )
        enrolled = set(RemsEnrollment.objects.values_list("patient_id", flat=True))
        enrollments = []
        for _, patient_id, at in esketamine:
            if patient_id in enrolled:
                continue
            enrolled.add(patient_id)
            signed = timezone.localtime(at, self.zone).date() - timedelta(days=5)
            enrollments.append(
                RemsEnrollment(
                    patient_id=patient_id,
                    patient_signed_on=signed,
                    prescriber_id=self.clinician_id,
                    prescriber_signed_on=signed,
                    enrolled_on=signed + timedelta(days=2),
                    recorded_by_id=self.clinician_id,
                    recorded_at=self.at(signed + timedelta(days=2), time(10)),
                )
            )
        RemsEnrollment.objects.bulk_create(enrollments, batch_size=BATCH)
        submissions = []
        for pk, _, at in esketamine:
            if self.rng.random() < FORGOTTEN_SHARE:
                continue
            day = timezone.localtime(at, self.zone).date() + timedelta(
                days=self.rng.choice(SUBMIT_AFTER_DAYS)
            )
            if day >= self.today:
                continue  # still to submit
            submissions.append(
                RemsFormSubmission(
                    session_id=pk,
                    submitted_on=day,
                    submitted_by_id=self.clinician_id,
                    recorded_at=self.at(day, time(9, 30)),
                )
            )
        RemsFormSubmission.objects.bulk_create(submissions, batch_size=BATCH)
        self.counts["treatments_remsenrollment"] += len(enrollments)
        self.counts["treatments_remsformsubmission"] += len(submissions)
        self.forms_due = len(esketamine) - len(submissions)

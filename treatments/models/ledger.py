"""The controlled-substance ledger (21 CFR 1304): what the clinic holds under each DEA
registration, every milligram (or esketamine device) received, given, wasted or disposed of,
the counts and inventories, and the discrepancies they open.

Append-only: nothing here is edited or deleted once written (on PostgreSQL a trigger refuses
UPDATE and DELETE, migration 0017). A mistake is corrected by a reversing entry that points
at the original. Each ``LedgerEntry`` carries the hash of its content and of the entry before
it under the same registration (``ledger_rules.entry_hash``); ``manage.py ledger_verify``
walks the chain.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from .sessions import TreatmentSession

DRUG_CHOICES = [("ketamine", "Ketamine"), ("esketamine", "Esketamine")]
QUANTITY = {"max_digits": 9, "decimal_places": 1}


class DeaRegistration(models.Model):
    """A DEA registration the clinic holds (one per location that stores and gives controlled
    substances). The clinic's own is the setting ``CLINIC_DEA_REGISTRATION``."""

    number = models.CharField("DEA registration number", max_length=9, unique=True)
    # The location it is held for (a registration per location that stores controlled
    # substances); null: the installation's first location.
    location = models.OneToOneField(
        "clinic.Location",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="dea_registration_record",
    )
    name = models.CharField("registrant name", max_length=200)
    address = models.CharField(max_length=300, blank=True)

    class Meta:
        verbose_name = "DEA registration"
        ordering = ["number"]

    def __str__(self) -> str:
        return f"{self.number} ({self.name})"


class ControlledProduct(models.Model):
    """A product as it is bought: ketamine HCl 50 mg/mL in a 10 mL vial, or an esketamine
    28 mg nasal device in a pack. Ketamine is counted in mg, esketamine in devices."""

    class Unit(models.TextChoices):
        MG = "mg", "mg"
        DEVICE = "device", "devices"

    name = models.CharField(max_length=120)
    drug = models.CharField(max_length=12, choices=DRUG_CHOICES)
    ndc = models.CharField("NDC", max_length=13, unique=True)
    form = models.CharField("dosage form", max_length=60)
    unit = models.CharField(max_length=8, choices=Unit)
    # A vial: its strength and volume (content = their product, in mg).
    strength_mg_per_ml = models.DecimalField(
        "strength (mg/mL)", max_digits=6, decimal_places=1, null=True, blank=True
    )
    volume_ml = models.DecimalField(
        "volume (mL)", max_digits=6, decimal_places=1, null=True, blank=True
    )
    # A nasal device pack: mg per device, devices per pack.
    mg_per_device = models.DecimalField(max_digits=5, decimal_places=1, null=True, blank=True)
    devices_per_pack = models.PositiveSmallIntegerField(null=True, blank=True)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["drug", "name"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(
                        unit="mg",
                        strength_mg_per_ml__gt=0,
                        volume_ml__gt=0,
                        mg_per_device__isnull=True,
                    )
                    | Q(unit="device", mg_per_device__gt=0, devices_per_pack__gt=0)
                ),
                name="product_content_by_unit",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def units_per_container(self):
        """What one container holds, in the product's unit."""
        if self.unit == self.Unit.MG:
            return self.strength_mg_per_ml * self.volume_ml
        return self.devices_per_pack

    def units_for_mg(self, mg):
        """A dose in mg in the product's unit (devices for esketamine)."""
        return mg if self.unit == self.Unit.MG else mg / self.mg_per_device


class StockReceipt(models.Model):
    """A delivery: supplier, invoice, the date, who received it and the second person who
    checked it against the invoice. Its containers and their receipt entries are written with it."""

    registration = models.ForeignKey(DeaRegistration, on_delete=models.PROTECT, related_name="+")
    supplier = models.CharField(max_length=200)
    # 21 CFR 1304.22(a)(2)(iv): the supplier's name, address and DEA registration number.
    supplier_address = models.CharField(max_length=300)
    supplier_dea_number = models.CharField("supplier's DEA registration number", max_length=9)
    invoice_number = models.CharField(max_length=60)
    received_on = models.DateField()
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-received_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(checked_by=F("received_by")), name="receipt_checked_by_another"
            ),
            models.UniqueConstraint(
                fields=["registration", "supplier", "invoice_number"], name="receipt_invoice_once"
            ),
        ]

    def __str__(self) -> str:
        return f"Receipt {self.pk}: invoice {self.invoice_number} from {self.supplier}"


class StockContainer(models.Model):
    """A vial or a device pack, labelled by the clinic when it is received (the label is what a
    clinician picks at the session, and what a count names)."""

    registration = models.ForeignKey(DeaRegistration, on_delete=models.PROTECT, related_name="+")
    product = models.ForeignKey(ControlledProduct, on_delete=models.PROTECT, related_name="+")
    receipt = models.ForeignKey(StockReceipt, on_delete=models.PROTECT, related_name="containers")
    label = models.CharField(max_length=20)
    lot = models.CharField("lot", max_length=40)
    expires_on = models.DateField("expiry date")
    storage = models.CharField("kept in", max_length=100)
    quantity_received = models.DecimalField(**QUANTITY)

    class Meta:
        ordering = ["label"]
        constraints = [
            models.UniqueConstraint(fields=["registration", "label"], name="container_label_once"),
            models.CheckConstraint(
                condition=Q(quantity_received__gt=0), name="container_received_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.label} ({self.product.name}, lot {self.lot})"


class StockCount(models.Model):
    """A count of what is on the shelf: at the end of a clinic day, or an inventory (the initial
    one, then at least every two years), each container counted blind."""

    class Kind(models.TextChoices):
        DAILY = "daily", "End-of-day count"
        INITIAL = "initial", "Initial inventory"
        BIENNIAL = "biennial", "Biennial inventory"

    class Business(models.TextChoices):
        OPENING = "opening", "Opening of business"
        CLOSE = "close", "Close of business"

    registration = models.ForeignKey(DeaRegistration, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=10, choices=Kind)
    # An inventory is taken at the opening or at the close of business (21 CFR 1304.11).
    business = models.CharField(max_length=8, choices=Business, blank=True)
    counted_at = models.DateTimeField()
    counted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-counted_at", "-id"]
        indexes = [
            models.Index(fields=["registration", "kind", "-counted_at"], name="count_latest"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {timezone.localtime(self.counted_at):%Y-%m-%d %H:%M}"


class LedgerEntry(models.Model):
    """One movement of stock in one container (or a count of it), in the product's unit:
    ``quantity`` is signed (a receipt adds, everything else takes away; a count moves
    nothing), and the balances after it are kept on the entry, so the balance of a container
    or a product is its latest entry's."""

    class Kind(models.TextChoices):
        RECEIPT = "receipt", "Received"
        ADMINISTERED = "administered", "Administered"
        WASTE = "waste", "Wasted"
        DISPOSAL = "disposal", "Disposed of"
        LOSS = "loss", "Loss or theft"
        COUNT = "count", "Counted"
        REVERSAL = "reversal", "Reversing entry"

    class Method(models.TextChoices):
        DRUG_DISPOSAL_CONTAINER = (
            "disposal_container",
            ("Rendered non-retrievable in a drug-disposal container"),
        )
        REVERSE_DISTRIBUTOR = "reverse_distributor", "Returned to a reverse distributor"
        SUPPLIER_RETURN = "supplier_return", "Returned to the supplier"
        BREAKAGE = "breakage", "Breakage or spill (witnessed)"

    registration = models.ForeignKey(DeaRegistration, on_delete=models.PROTECT, related_name="+")
    sequence = models.PositiveIntegerField()
    kind = models.CharField(max_length=12, choices=Kind)
    container = models.ForeignKey(StockContainer, on_delete=models.PROTECT, related_name="entries")
    product = models.ForeignKey(ControlledProduct, on_delete=models.PROTECT, related_name="+")
    quantity = models.DecimalField(**QUANTITY)
    container_balance = models.DecimalField("container balance after", **QUANTITY)
    product_balance = models.DecimalField("product balance after", **QUANTITY)
    occurred_at = models.DateTimeField()
    recorded_at = models.DateTimeField(default=timezone.now)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    witness = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    session = models.ForeignKey(
        TreatmentSession,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="ledger_entries",
    )
    receipt = models.ForeignKey(
        StockReceipt, on_delete=models.PROTECT, null=True, blank=True, related_name="entries"
    )
    count = models.ForeignKey(
        StockCount, on_delete=models.PROTECT, null=True, blank=True, related_name="entries"
    )
    # A count: what was on the shelf (the expected figure is container_balance).
    counted = models.DecimalField(null=True, blank=True, **QUANTITY)
    method = models.CharField("method of disposal", max_length=20, choices=Method, blank=True)
    reason = models.CharField(max_length=500, blank=True)
    reverses = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="reversed_by"
    )
    previous_hash = models.CharField(max_length=64)
    entry_hash = models.CharField(max_length=64)

    class Meta:
        verbose_name_plural = "ledger entries"
        ordering = ["registration", "sequence"]
        indexes = [
            # A container's history and its balance (the latest entry).
            models.Index(fields=["container", "-sequence"], name="ledger_container_latest"),
            # A product's balance under a registration (the latest entry).
            models.Index(
                fields=["registration", "product", "-sequence"], name="ledger_product_latest"
            ),
            models.Index(fields=["session"], name="ledger_session"),
            # The ledger page, newest first, and reports over a period.
            models.Index(fields=["registration", "occurred_at"], name="ledger_occurred"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["registration", "sequence"], name="ledger_sequence"),
            # The person who drew cannot witness their own waste (nor any entry of their own).
            models.CheckConstraint(
                condition=Q(witness__isnull=True) | ~Q(witness=F("by")),
                name="ledger_witness_not_self",
            ),
            models.CheckConstraint(
                condition=~Q(kind__in=["waste", "disposal"]) | Q(witness__isnull=False),
                name="ledger_waste_witnessed",
            ),
            models.CheckConstraint(
                condition=~Q(kind__in=["waste", "disposal"]) | ~Q(method=""),
                name="ledger_waste_method",
            ),
            models.CheckConstraint(
                condition=Q(container_balance__gte=0), name="ledger_balance_not_negative"
            ),
            models.CheckConstraint(
                condition=(
                    Q(kind="receipt", quantity__gt=0)
                    | Q(kind="count", quantity=0, counted__isnull=False)
                    | Q(kind__in=["administered", "waste", "disposal", "loss"], quantity__lt=0)
                    | Q(kind="reversal", reverses__isnull=False)
                ),
                name="ledger_quantity_by_kind",
            ),
            models.CheckConstraint(
                condition=~Q(kind__in=["reversal", "loss"]) | ~Q(reason=""),
                name="ledger_reason_given",
            ),
        ]

    def __str__(self) -> str:
        return f"Entry {self.sequence} ({self.get_kind_display()}) of {self.registration_id}"

    def get_additional_data(self) -> dict:
        return {"session_id": self.session_id} if self.session_id else {}


class Discrepancy(models.Model):
    """A count that did not match the ledger: open until a clinician explains it."""

    count_entry = models.OneToOneField(
        LedgerEntry, on_delete=models.PROTECT, related_name="discrepancy"
    )
    container = models.ForeignKey(StockContainer, on_delete=models.PROTECT, related_name="+")
    expected = models.DecimalField(**QUANTITY)
    counted = models.DecimalField(**QUANTITY)
    opened_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name_plural = "discrepancies"
        ordering = ["-opened_at", "-id"]

    def __str__(self) -> str:
        return f"Discrepancy {self.pk}: {self.container.label} counted {self.counted}"

    @property
    def difference(self):
        return self.counted - self.expected


class DiscrepancyResolution(models.Model):
    """How a discrepancy was explained. A loss or theft carries what DEA Form 106 asks for."""

    class Outcome(models.TextChoices):
        COUNTING_ERROR = "counting_error", "Miscount: a recount matches the ledger"
        RECORDING_ERROR = "recording_error", "Recording error, corrected by a reversing entry"
        LOSS = "loss", "Loss"
        THEFT = "theft", "Theft"

    class LossType(models.TextChoices):
        # The types DEA Form 106 lists.
        NIGHT_BREAK_IN = "night_break_in", "Night break-in"
        ARMED_ROBBERY = "armed_robbery", "Armed robbery"
        EMPLOYEE_PILFERAGE = "employee_pilferage", "Employee pilferage"
        CUSTOMER_THEFT = "customer_theft", "Customer theft"
        LOST_IN_TRANSIT = "lost_in_transit", "Lost in transit"
        OTHER = "other", "Other"

    discrepancy = models.OneToOneField(
        Discrepancy, on_delete=models.PROTECT, related_name="resolution"
    )
    outcome = models.CharField(max_length=16, choices=Outcome)
    explanation = models.CharField(max_length=2000)
    # The reversing entry (recording error) or the loss entry (loss, theft) it wrote or names.
    correcting_entry = models.OneToOneField(
        LedgerEntry, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    resolved_at = models.DateTimeField(default=timezone.now)
    # DEA Form 106 (a loss or theft).
    loss_type = models.CharField(max_length=20, choices=LossType, blank=True)
    discovered_on = models.DateField(null=True, blank=True)
    police_notified = models.BooleanField(null=True, blank=True)
    police_department = models.CharField(max_length=200, blank=True)
    police_report_number = models.CharField(max_length=60, blank=True)
    corrective_measures = models.CharField(max_length=2000, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=~Q(outcome__in=["loss", "theft", "recording_error"])
                | Q(correcting_entry__isnull=False),
                name="resolution_entry_given",
            ),
            models.CheckConstraint(
                condition=~Q(outcome__in=["loss", "theft"])
                | (~Q(loss_type="") & Q(discovered_on__isnull=False)),
                name="resolution_form106_fields",
            ),
        ]

    def __str__(self) -> str:
        return f"Resolution of discrepancy {self.discrepancy_id}: {self.get_outcome_display()}"


class StockOnHand(models.Model):
    """What is on the shelf now: one row per container with something left in it, its balance
    (its latest ledger entry's ``container_balance``).

    A projection of the ledger, NOT part of it: not chained, not append-only (not in
    ``LEDGER_TABLES``, the trigger does not guard it). ``chain.append()`` keeps it in step in
    the same transaction (a container's row is written with its new balance, and deleted when
    the balance reaches 0; a reversal that refills an emptied container brings it back), so
    the stock page, the blind count and the administration step read the few dozen
    containers on the shelf instead of the latest entry of every container ever received.
    The entries remain the record: ``chain.stock_on_hand_rebuild(registration)`` rebuilds it
    from them, and ``manage.py ledger_verify`` names the first container whose row differs."""

    container = models.OneToOneField(
        StockContainer, on_delete=models.CASCADE, primary_key=True, related_name="on_hand"
    )
    registration = models.ForeignKey(DeaRegistration, on_delete=models.CASCADE, related_name="+")
    product = models.ForeignKey(ControlledProduct, on_delete=models.CASCADE, related_name="+")
    balance = models.DecimalField(**QUANTITY)

    class Meta:
        verbose_name = "stock on hand"
        verbose_name_plural = "stock on hand"
        indexes = [
            models.Index(fields=["registration", "product"], name="stock_on_hand_by_product"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(balance__gt=0), name="stock_on_hand_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.container_id}: {self.balance}"


# The tables the append-only trigger guards (migration 0017).
LEDGER_TABLES = (
    StockReceipt,
    StockContainer,
    StockCount,
    LedgerEntry,
    Discrepancy,
    DiscrepancyResolution,
)

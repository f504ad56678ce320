"""A month of the controlled-substance ledger, simulated: deliveries of ketamine vials and
esketamine packs, 200 sessions' draws with the dose given and the waste witnessed, a blind count
at the end of every clinic day, a short count resolved as a loss, a use recorded twice and
corrected by a reversing entry, an expired vial disposed of. At the end, for every container
and every product, the ledger's balance is receipts - administered - waste - disposals - losses
+ reversals, the same as what is on the shelf, with no discrepancy left open and the chain
intact.

The shelf is kept here, apart from the ledger: what a counter would find in the cabinet.
"""

import random
from collections import defaultdict
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import time_machine
from django.utils import timezone

from treatments.models import Discrepancy, LedgerEntry, StockContainer, StockOnHand
from treatments.services import ledger
from treatments.services.ledger.chain import chain_balances, stock_on_hand_differences

from .ledger import products

CHICAGO = ZoneInfo("America/Chicago")
Kind = LedgerEntry.Kind
Method = LedgerEntry.Method

# November 2026, Monday to Saturday: 20 clinic days from the 2nd (the day after daylight
# time ends) to the 24th.
CLINIC_DAYS = [
    date(2026, 11, 2) + timedelta(days=n)
    for n in range(23)
    if (date(2026, 11, 2) + timedelta(days=n)).weekday() < 6
]
SESSIONS_A_DAY = 10
THEFT_DAY = CLINIC_DAYS[9]
DOUBLE_ENTRY_DAY = CLINIC_DAYS[14]
EXPIRED_LABEL = "K-EXP"


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=CHICAGO)


class Month:
    """The clinic's month, with the shelf kept apart from the ledger."""

    def __init__(self, *, clinician, witness):
        self.clinician = clinician
        self.witness = witness
        self.products = products()
        self.shelf: dict[int, Decimal] = {}
        self.given: dict[int, Decimal] = defaultdict(Decimal)  # by product, what patients had
        self.wasted: dict[int, Decimal] = defaultdict(Decimal)
        self.random = random.Random(25)
        self.sessions = 0

    def deliver(self, invoice: str, lines: list[tuple[str, str, int, date]]) -> None:
        """``lines``: (product, label prefix, how many, expiry)."""
        today = timezone.localdate()
        containers = [
            ledger.ReceivedContainer(
                product=self.products[product],
                label=f"{prefix}-{invoice[-2:]}{n:02d}" if prefix != EXPIRED_LABEL else prefix,
                lot=f"{prefix}-LOT-{invoice}",
                expires_on=expires_on,
                storage="Double-locked cabinet, room 2",
            )
            for product, prefix, how_many, expires_on in lines
            for n in range(1, how_many + 1)
        ]
        assert today < min(c.expires_on for c in containers)
        receipt = ledger.receipt_record(
            by=self.clinician,
            checked_by=self.witness,
            supplier="Henry Schein",
            supplier_address="1 Schein Plaza, Melville, NY 11747",
            supplier_dea_number="RH0216843",
            invoice_number=invoice,
            received_on=today,
            containers=containers,
        )
        for container in receipt.containers.all():
            self.shelf[container.pk] = container.quantity_received

    def session(self, *, record_twice: bool = False) -> list[StockContainer]:
        """One session: ketamine IV two times in three, esketamine the rest; what is drawn
        taken from the containers the app offers, in its order. ``record_twice``: a ketamine
        dose drawn from one vial with no waste, whose use is then submitted twice."""
        self.sessions += 1
        if record_twice or self.random.random() < 2 / 3:
            drug = "ketamine"
            given_mg = Decimal(self.random.choice(range(30, 85, 5)))
            waste = Decimal(0) if record_twice else Decimal(self.random.choice(["0", "2.5", "5"]))
            drawn = given_mg + waste
        else:
            drug = "esketamine"
            given_mg = Decimal(self.random.choice([56, 84]))
            # Now and then a device that did not spray is wasted and another used.
            drawn = given_mg / 28 + (1 if self.random.random() < 0.2 else 0)
        offered = [c for c in ledger.usable_containers(drug=drug) if c.label != EXPIRED_LABEL]
        if record_twice:
            offered = [next(c for c in offered if c.balance >= drawn)]
        draws = []
        left = drawn
        for container in offered:
            take = min(container.balance, left)
            draws.append(ledger.Draw(container.pk, take))
            left -= take
            if not left:
                break
        assert not left, f"out of {drug} on {timezone.localdate()}"
        now = timezone.now()
        containers, split, errors = ledger.draws_check(
            drug=drug, draws=draws, given_mg=given_mg, on=now
        )
        assert errors == {}
        witness = ledger.Witness(user=self.witness, confirmed_at=now)
        for _ in range(2 if record_twice else 1):
            ledger.session_use_record(
                session_id=None,
                by=self.clinician,
                containers=containers,
                split=split,
                occurred_at=now,
                waste_method=Method.DRUG_DISPOSAL_CONTAINER,
                witness=witness,
            )
        for container, part in zip(containers, split, strict=True):
            self.shelf[container.pk] -= part.drawn
            self.given[container.product_id] += part.given
            self.wasted[container.product_id] += part.wasted
        return containers

    def count(self) -> list[Discrepancy]:
        """The end-of-day blind count: what is on the shelf."""
        on_list = ledger.containers_to_count()
        count = ledger.count_record(
            by=self.witness, kind="daily", counted={c.pk: self.shelf[c.pk] for c in on_list}
        )
        return list(Discrepancy.objects.filter(count_entry__count=count))


def test_a_month_of_the_ledger_balances_to_the_milligram(
    clinician_user, second_clinician_user, django_assert_max_num_queries
):
    with time_machine.travel(at(CLINIC_DAYS[0], 7, 30), tick=False) as traveller:
        month = Month(clinician=clinician_user, witness=second_clinician_user)
        year_out = CLINIC_DAYS[0] + timedelta(days=365)
        month.deliver(
            "INV-2611-01",
            [
                ("ketamine", "K", 10, year_out),
                ("ketamine_100", "KC", 2, year_out),
                ("ketamine", EXPIRED_LABEL, 1, CLINIC_DAYS[6]),
                ("esketamine", "E2", 20, year_out),
                ("esketamine_3", "E3", 20, year_out),
            ],
        )
        expired = StockContainer.objects.get(label=EXPIRED_LABEL)
        losses, corrections = [], []
        for number, day in enumerate(CLINIC_DAYS):
            traveller.move_to(at(day, 7, 30))
            if number == 10:
                month.deliver(
                    "INV-2611-02",
                    [
                        ("ketamine", "K", 12, year_out),
                        ("esketamine", "E2", 20, year_out),
                        ("esketamine_3", "E3", 20, year_out),
                    ],
                )
            if day == CLINIC_DAYS[7]:
                # The vial that expired yesterday goes to the reverse distributor, witnessed.
                ledger.container_dispose(
                    by=clinician_user,
                    container=expired,
                    quantity=None,
                    method=Method.REVERSE_DISTRIBUTOR,
                    reason=f"Expired {expired.expires_on:%d %b %Y}.",
                    witness=ledger.Witness(user=second_clinician_user, confirmed_at=timezone.now()),
                )
                month.shelf[expired.pk] = Decimal(0)
            for slot in range(SESSIONS_A_DAY):
                traveller.move_to(at(day, 9 + slot % 9, 30 * (slot // 9)))
                # One use is submitted twice (a double submission), the day's last session.
                twice = day == DOUBLE_ENTRY_DAY and slot == SESSIONS_A_DAY - 1
                containers = month.session(record_twice=twice)
                if twice:
                    [doubled] = containers
            traveller.move_to(at(day, 18, 0))
            if day == THEFT_DAY:
                # 10 mg gone from an open vial between the last session and the count.
                open_vial = next(
                    c for c in ledger.usable_containers(drug="ketamine") if c.label != EXPIRED_LABEL
                )
                month.shelf[open_vial.pk] -= Decimal(10)
            found = month.count()
            traveller.move_to(at(day, 18, 30))
            if day == THEFT_DAY:
                [short] = found
                assert (short.container_id, short.difference) == (open_vial.pk, Decimal(-10))
                losses.append(
                    ledger.discrepancy_resolve(
                        by=clinician_user,
                        discrepancy=short,
                        outcome="loss",
                        explanation="Not found after a search of the cabinet and the sharps bin.",
                        loss_type="other",
                        discovered_on=day,
                    )
                )
            elif day == DOUBLE_ENTRY_DAY:
                [over] = found
                assert over.container_id == doubled.pk and over.difference > 0
                duplicate = (
                    LedgerEntry.objects.filter(container=doubled, kind=Kind.ADMINISTERED)
                    .order_by("-sequence")
                    .first()
                )
                assert duplicate.quantity == -over.difference
                reversal = ledger.entry_reverse(
                    by=clinician_user,
                    entry=duplicate,
                    reason="The dose was recorded twice: this is the second record.",
                )
                corrections.append(
                    ledger.discrepancy_resolve(
                        by=clinician_user,
                        discrepancy=over,
                        outcome="recording_error",
                        explanation="The administration was submitted twice.",
                        correcting_entry=reversal,
                    )
                )
            else:
                assert found == [], f"unexplained difference on {day}"

    assert month.sessions == 200
    assert len(losses) == 1 and len(corrections) == 1

    # --- The balance equation, every container -------------------------------------------
    by_kind: dict[int, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for container_id, kind, quantity in LedgerEntry.objects.values_list(
        "container_id", "kind", "quantity"
    ):
        by_kind[container_id][kind] += quantity
    with django_assert_max_num_queries(1):
        balances = ledger.container_balances(month.shelf)
    for container_id, shelf in month.shelf.items():
        sums = by_kind[container_id]
        assert sums[Kind.COUNT] == 0
        equation = (
            sums[Kind.RECEIPT]
            - -sums[Kind.ADMINISTERED]
            - -sums[Kind.WASTE]
            - -sums[Kind.DISPOSAL]
            - -sums[Kind.LOSS]
            + sums[Kind.REVERSAL]
        )
        assert balances[container_id] == equation == shelf, container_id

    # --- The stock on hand (kept by append) is the chain's balances above 0 ----------------
    chain = chain_balances(StockContainer.objects.all())
    on_hand = dict(StockOnHand.objects.values_list("container_id", "balance"))
    assert on_hand == {pk: balance for pk, balance in chain.items() if balance and balance > 0}
    assert on_hand  # the month ends with stock on the shelf
    assert stock_on_hand_differences(ledger.clinic_registration()) == []

    # --- ... every product, and what patients were given -----------------------------------
    containers = StockContainer.objects.values_list("pk", "product_id")
    for product in month.products.values():
        latest = (
            LedgerEntry.objects.filter(product=product).order_by("-sequence").first()
        ).product_balance
        on_shelf = sum(month.shelf[pk] for pk, product_id in containers if product_id == product.pk)
        entries = LedgerEntry.objects.filter(product=product)
        total = defaultdict(Decimal)
        for kind, quantity in entries.values_list("kind", "quantity"):
            total[kind] += quantity
        assert latest == on_shelf == sum(total.values())
        # The ledger's administered less the reversed duplicate is what patients had.
        reversed_given = sum(
            (
                -e.reverses.quantity
                for e in entries.filter(kind=Kind.REVERSAL).select_related("reverses")
                if e.reverses.kind == Kind.ADMINISTERED
            ),
            Decimal(0),
        )
        assert -total[Kind.ADMINISTERED] - reversed_given == month.given[product.pk]
        assert -total[Kind.WASTE] == month.wasted[product.pk]

    # --- Nothing left to explain, nothing changed -----------------------------------------
    assert Discrepancy.objects.count() == 2
    assert Discrepancy.objects.filter(resolution__isnull=True).count() == 0
    assert LedgerEntry.objects.filter(kind=Kind.LOSS).get().quantity == Decimal(-10)
    assert LedgerEntry.objects.filter(kind=Kind.DISPOSAL).get().container == expired
    assert LedgerEntry.objects.filter(kind=Kind.WASTE, witness__isnull=True).count() == 0
    assert list(ledger.chain_breaks(ledger.clinic_registration())) == []

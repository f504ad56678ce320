"""A month of the demo clinic's controlled-substance ledger, and its esketamine REMS records.

The month is replayed through the ledger's services in the order it happened, each at its own
time (the clock is moved there: the services stamp what they record with "now", and the chain
is written in that order): the initial inventory at the opening of the first day (the clinic
held nothing yet: an inventory of zero is legal), the deliveries (vials of ketamine, packs of
esketamine, one vial short-dated), every dose of the month's sessions drawn from the vial in
use that day with its waste witnessed by the nurse, a blind count at the close of every clinic
day (matching the ledger, but for one day a vial is 5 mg short: a loss, with what DEA Form 106
asks for), a waste recorded twice and reversed, the short-dated vial disposed of to a reverse
distributor once it expired, and a biennial inventory at the close of the last day.

Esketamine patients are enrolled in the REMS before their first dose, and their sessions'
monitoring forms are marked submitted the day after, but for the latest one (due: urgent).
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import ROUND_CEILING, Decimal

# Dev requirement, like every tool of the demo's `make run` (requirements-dev.txt): the
# history is replayed at the times it happened.
import time_machine
from django.utils import timezone

from treatments import limits
from treatments.ledger_catalog import COMMON_PRODUCTS
from treatments.ledger_rules import DrawSplit
from treatments.models import (
    ControlledProduct,
    Discrepancy,
    DiscrepancyResolution,
    LedgerEntry,
    RemsEnrollment,
    RemsFormSubmission,
    StockContainer,
    StockCount,
    TreatmentSession,
)
from treatments.services import ledger
from treatments.services.rems import rems_enrollment_record, rems_form_submit

MONTH_DAYS = 30
DRAWN_TO_MG = Decimal(10)  # a dose is drawn up to the next 10 mg: the rest is waste
LOSS_MG = Decimal(5)
WASTE = LedgerEntry.Method.DRUG_DISPOSAL_CONTAINER
SUPPLIER = "McKesson Medical-Surgical"
STORAGE = "Double-locked cabinet, medication room"

# Which drug a session's dose was (a live session's, not given yet, is its plan's).
Administer = Callable[..., datetime]


@dataclass
class Event:
    at: datetime
    act: Callable[[], object]


def seed_ledger(*, clinician, nurse, live: list[TreatmentSession], administer: Administer) -> int:
    """Replay the month (once: not when the clinic already has stock in its ledger). ``live``
    are sessions checked in and waiting for their dose, given by ``administer(session, by=,
    draws=, witness=)`` in the month at the time it returns; returns the entries written."""
    registration = ledger.clinic_registration()
    if StockContainer.objects.filter(registration=registration).exists():
        for session in live:  # the ledger is someone's own by now: draw from its stock
            _dose_now(session, clinician=clinician, nurse=nurse, administer=administer)
        return 0
    month = _Month(clinician=clinician, nurse=nurse, live=live, administer=administer)
    for event in sorted(month.events(), key=lambda event: event.at):
        with time_machine.travel(event.at, tick=False):
            event.act()
    month.lots_on_sessions()
    return LedgerEntry.objects.filter(registration=registration).count()


def _products() -> dict[str, ControlledProduct]:
    names = ("ketamine", "ketamine_100", "esketamine", "esketamine_3")
    made = {}
    for name, fields in zip(names, COMMON_PRODUCTS, strict=True):
        made[name], _ = ControlledProduct.objects.get_or_create(ndc=fields["ndc"], defaults=fields)
    return made


def _drawn(product: ControlledProduct, dose_mg: Decimal) -> Decimal:
    """What is drawn for a dose: ketamine up to the next 10 mg, esketamine whole devices."""
    if product.unit == ControlledProduct.Unit.DEVICE:
        return product.units_for_mg(dose_mg)
    return (dose_mg / DRAWN_TO_MG).to_integral_value(ROUND_CEILING) * DRAWN_TO_MG


def _draws(product: ControlledProduct, amount: Decimal) -> list[ledger.Draw]:
    """``amount`` from the product's containers, the one in use first (its last drop, then
    the next container)."""
    draws, left = [], amount
    for container in ledger.usable_containers(drug=product.drug):
        if container.product_id != product.pk or left <= 0:
            continue
        take = min(container.balance, left)
        draws.append(ledger.Draw(container.pk, take))
        left -= take
    if left > 0:
        raise ValueError(f"The demo stock ran out of {product.name}.")
    return draws


def _dose_now(session, *, clinician, nurse, administer: Administer) -> None:
    product = _products()["ketamine"]
    dose = session.plan_version.dose_mg
    try:
        draws = _draws(product, _drawn(product, dose))
    except ValueError:
        _deliver(clinician, nurse, timezone.localdate(), [("ketamine", f"K-{session.pk}", 400)])
        draws = _draws(product, _drawn(product, dose))
    witness = ledger.Witness(user=nurse, confirmed_at=timezone.now())
    administer(session, by=clinician, draws=draws, witness=witness)


def _deliver(clinician, nurse, day: date, containers: list[tuple[str, str, int]]):
    """A delivery received by the clinician and checked by the nurse: (product, label, days
    to expiry) each."""
    products = _products()
    return ledger.receipt_record(
        by=clinician,
        checked_by=nurse,
        supplier=SUPPLIER,
        supplier_address="4400 Distribution Parkway, Dallas, TX 75236",
        supplier_dea_number="RH0216843",
        invoice_number=f"INV-{day:%Y%m%d}-{containers[0][1]}",
        received_on=day,
        containers=[
            ledger.ReceivedContainer(
                product=products[name],
                label=label,
                lot=f"{'KT' if name.startswith('k') else 'SP'}{day:%y%m}{index + 11:02d}",
                expires_on=day + timedelta(days=expiry),
                storage=STORAGE,
            )
            for index, (name, label, expiry) in enumerate(containers)
        ],
    )


class _Month:
    def __init__(self, *, clinician, nurse, live, administer):
        self.clinician, self.nurse = clinician, nurse
        self.live, self.administer = live, administer
        self.products = _products()
        self.zone = timezone.get_current_timezone()
        self.hours = limits.opening_hours()
        today = timezone.localdate()
        first = today - timedelta(days=MONTH_DAYS)
        while first.weekday() not in self.hours:
            first += timedelta(days=1)
        self.first = first
        self.opens = self.at(first, self.hours[first.weekday()][0])
        self.sessions = list(
            TreatmentSession.objects.filter(
                status=TreatmentSession.Status.COMPLETED,
                drug__in=["ketamine", "esketamine"],
                administration_started_at__gte=self.opens,
                ledger_entries__isnull=True,
            )
            .select_related("plan_version")
            .order_by("administration_started_at", "pk")
        )
        dose_days = {timezone.localdate(s.administration_started_at) for s in self.sessions}
        dose_days |= {timezone.localdate(s.starts_at) for s in live}
        self.days = [
            day
            for day in (first + timedelta(days=n) for n in range((today - first).days))
            if day.weekday() in self.hours or day in dose_days
        ]
        self.short_day = self.days[len(self.days) // 2]
        self.short_dated_expiry = first + timedelta(days=9)
        self.wasted_twice = next(
            (s for s in self.sessions[1:] if s.drug == "ketamine"),
            None,
        )
        self.sessions_lots: dict[int, set[str]] = {}

    def at(self, day: date, clock: time) -> datetime:
        return datetime.combine(day, clock, tzinfo=self.zone)

    def close(self, day: date) -> datetime:
        hours = self.hours.get(day.weekday(), (time(8), time(18)))
        return self.at(day, hours[1])

    def events(self) -> list[Event]:
        first = self.first
        events = [
            Event(self.opens - timedelta(minutes=30), self.initial_inventory),
            Event(
                self.opens - timedelta(minutes=15),
                lambda: _deliver(
                    self.clinician,
                    self.nurse,
                    first,
                    [
                        ("ketamine", "K-001", 540),
                        ("ketamine", "K-002", 540),
                        # Short-dated (a clearance price): it expires unopened.
                        ("ketamine_100", "K-101", (self.short_dated_expiry - first).days),
                        ("esketamine", "E-001", 400),
                        ("esketamine", "E-002", 400),
                        ("esketamine", "E-003", 400),
                    ],
                ),
            ),
        ]
        restock = next(day for day in self.days if day >= first + timedelta(days=14))
        events.append(
            Event(
                self.at(restock, time(7, 45)),
                lambda: _deliver(
                    self.clinician,
                    self.nurse,
                    restock,
                    [("ketamine", "K-003", 560), ("ketamine", "K-004", 560)],
                ),
            )
        )
        for session in self.sessions:
            events.append(Event(session.administration_started_at, self.dose(session)))
            if session == self.wasted_twice:
                # The waste entered a second time, seen and reversed before the day's count.
                events.append(
                    Event(
                        session.administration_started_at + timedelta(minutes=50),
                        self.waste_again(session),
                    )
                )
        for session in self.live:
            events.append(Event(session.starts_at + timedelta(minutes=15), self.live_dose(session)))
        disposal = next(day for day in self.days if day > self.short_dated_expiry)
        events.append(Event(self.close(disposal) - timedelta(minutes=20), self.dispose_expired))
        for day in self.days:
            events.append(Event(self.close(day), self.daily_count(day)))
        events.append(Event(self.close(self.short_day) + timedelta(minutes=25), self.resolve_loss))
        events.append(Event(self.close(self.days[-1]) + timedelta(minutes=10), self.biennial))
        return events

    # --- What happens --------------------------------------------------------------------

    def initial_inventory(self) -> None:
        ledger.count_record(
            by=self.clinician,
            kind=StockCount.Kind.INITIAL,
            counted={},
            counted_at=timezone.now(),
            business=StockCount.Business.OPENING,
        )

    def witness(self) -> ledger.Witness:
        return ledger.Witness(user=self.nurse, confirmed_at=timezone.now())

    def dose(self, session: TreatmentSession) -> Callable[[], None]:
        def act() -> None:
            product = self.products["ketamine" if session.drug == "ketamine" else "esketamine"]
            draws = _draws(product, _drawn(product, session.dose_given_mg))
            containers, split, errors = ledger.draws_check(
                drug=session.drug,
                draws=draws,
                given_mg=session.dose_given_mg,
                on=session.administration_started_at,
            )
            if errors:
                raise ValueError(f"The demo's draw for session {session.pk}: {errors}")
            wasted = any(part.wasted for part in split)
            ledger.session_use_record(
                session_id=session.pk,
                by=self.clinician,
                containers=containers,
                split=split,
                occurred_at=session.administration_started_at,
                waste_method=WASTE if wasted else "",
                witness=self.witness() if wasted else None,
            )
            self.sessions_lots[session.pk] = {c.lot for c in containers}

        return act

    def live_dose(self, session: TreatmentSession) -> Callable[[], None]:
        def act() -> None:
            product = self.products["ketamine"]
            dose = session.plan_version.dose_mg
            drawn = _drawn(product, dose)
            self.administer(
                session,
                by=self.clinician,
                draws=_draws(product, drawn),
                witness=self.witness() if drawn > dose else None,
            )

        return act

    def waste_again(self, session: TreatmentSession) -> Callable[[], None]:
        def act() -> None:
            waste = LedgerEntry.objects.get(session=session, kind=LedgerEntry.Kind.WASTE)
            container = waste.container
            [again] = ledger.session_use_record(
                session_id=session.pk,
                by=self.clinician,
                containers=[container],
                split=[DrawSplit(container.pk, -waste.quantity, Decimal(0), -waste.quantity)],
                occurred_at=timezone.now(),
                waste_method=WASTE,
                witness=self.witness(),
            )
            with time_machine.travel(timezone.now() + timedelta(minutes=40), tick=False):
                ledger.entry_reverse(
                    by=self.clinician,
                    entry=again,
                    reason=(
                        f"The session's waste was entered twice: entry {waste.sequence} "
                        "already records it. This reverses the duplicate."
                    ),
                )

        return act

    def dispose_expired(self) -> None:
        container = StockContainer.objects.get(label="K-101")
        ledger.container_dispose(
            by=self.clinician,
            container=container,
            quantity=None,
            method=LedgerEntry.Method.REVERSE_DISTRIBUTOR,
            reason=f"Expired unopened on {container.expires_on:%d %b %Y}.",
            witness=self.witness(),
            occurred_at=timezone.now(),
        )

    def daily_count(self, day: date) -> Callable[[], None]:
        def act() -> None:
            shelf = ledger.containers_to_count()
            balances = ledger.container_balances(c.pk for c in shelf)
            counted = {c.pk: balances[c.pk] for c in shelf}
            if day == self.short_day:
                in_use = [
                    c for c in shelf if c.product.drug == "ketamine" and counted[c.pk] >= LOSS_MG
                ]
                in_use.sort(key=lambda c: (counted[c.pk] >= c.quantity_received, c.label))
                counted[in_use[0].pk] -= LOSS_MG
            ledger.count_record(
                by=self.nurse,
                kind=StockCount.Kind.DAILY,
                counted=counted,
                counted_at=timezone.now(),
            )

        return act

    def resolve_loss(self) -> None:
        discrepancy = Discrepancy.objects.select_related("container").get(
            resolution__isnull=True, count_entry__count__kind=StockCount.Kind.DAILY
        )
        ledger.discrepancy_resolve(
            by=self.clinician,
            discrepancy=discrepancy,
            outcome=DiscrepancyResolution.Outcome.LOSS,
            explanation=(
                f"Recounted by two clinicians: {discrepancy.container.label} is 0.1 mL (5 mg) "
                "short. The cabinet was locked all day and its keys accounted for; most likely "
                "lost when a dose was drawn up and not recorded as waste."
            ),
            loss_type=DiscrepancyResolution.LossType.OTHER,
            discovered_on=timezone.localdate(),
            police_notified=False,
            corrective_measures=(
                "Every draw is read back by the witness against the syringe and the vial; the "
                "vial in use is counted at each change of shift."
            ),
        )

    def biennial(self) -> None:
        shelf = ledger.containers_to_count()
        balances = ledger.container_balances(c.pk for c in shelf)
        ledger.count_record(
            by=self.clinician,
            kind=StockCount.Kind.BIENNIAL,
            counted={c.pk: balances[c.pk] for c in shelf},
            counted_at=timezone.now(),
            business=StockCount.Business.CLOSE,
        )

    def lots_on_sessions(self) -> None:
        """The history's sessions name the lots they were drawn from (a live session's dose
        records them itself)."""
        for session in self.sessions:
            session.lot_number = ", ".join(sorted(self.sessions_lots[session.pk]))[:40]
        TreatmentSession.objects.bulk_update(self.sessions, ["lot_number"])


def seed_rems(*, clinician) -> None:
    """Enroll each patient given esketamine in the REMS a few days before their first dose,
    and mark their sessions' monitoring forms submitted the day after the session, but for
    the latest session's (left due, so the clinicians' home shows it)."""
    sessions = list(
        TreatmentSession.objects.filter(
            status=TreatmentSession.Status.COMPLETED, drug="esketamine"
        ).order_by("administration_started_at", "pk")
    )
    zone = timezone.get_current_timezone()
    enrolled = set(RemsEnrollment.objects.values_list("patient_id", flat=True))
    for session in sessions:
        if session.patient_id in enrolled:
            continue
        enrolled.add(session.patient_id)
        signed = timezone.localdate(session.starts_at) - timedelta(days=5)
        with time_machine.travel(
            datetime.combine(signed + timedelta(days=2), time(10), zone), tick=False
        ):
            rems_enrollment_record(
                patient=session.patient,
                patient_signed_on=signed,
                prescriber=clinician,
                prescriber_signed_on=signed,
                enrolled_on=signed + timedelta(days=2),
                recorded_by=clinician,
            )
    submitted = set(RemsFormSubmission.objects.values_list("session_id", flat=True))
    for session in sessions[:-1]:
        if session.pk in submitted:
            continue
        day = timezone.localdate(session.starts_at) + timedelta(days=1)
        with time_machine.travel(datetime.combine(day, time(9, 30), zone), tick=False):
            rems_form_submit(session=session, submitted_on=day, by=clinician)

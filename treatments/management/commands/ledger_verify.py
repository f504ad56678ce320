"""``manage.py ledger_verify``: walk each DEA registration's ledger chain and name the first
entry that does not match (an edited row, one removed or put in, a balance that is not the sum
of the entries), then check the stock on hand (the projection ``chain.append`` keeps beside
the chain) against the chain's balances and name the first container whose row differs (fix
it with ``chain.stock_on_hand_rebuild``). Exit status 1 if anything does not match, so cron or
a monitoring job can alert on it.

It prints what an inspector needs to find the row (the registration, the entry's number, kind
and time) and nothing about a patient.
"""

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from treatments.models import DeaRegistration, LedgerEntry
from treatments.services.ledger import chain_breaks
from treatments.services.ledger.chain import stock_on_hand_differences


class Command(BaseCommand):
    help = (
        "Check the controlled-substance ledger's hash chain under each DEA registration (or one) "
        "and name the first entry that does not match."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--registration",
            metavar="DEA_NUMBER",
            help="only this DEA registration number (e.g. FK1234563)",
        )

    def handle(self, *args, registration: str | None = None, **options) -> None:
        registrations = DeaRegistration.objects.order_by("number")
        if registration:
            registrations = registrations.filter(number=registration.strip().upper())
            if not registrations.exists():
                raise CommandError(f"No DEA registration {registration} in the ledger.")
        broken = 0
        projection_wrong = 0
        checked = 0
        for dea in registrations:
            checked += 1
            # chain_breaks streams the entries in chunks: a million entries are never in
            # memory at once. The first break is the one to investigate: every later entry is
            # chained to it.
            first = next(iter(chain_breaks(dea)), None)
            if first is not None:
                broken += 1
                entry = first.entry
                when = timezone.localtime(entry.occurred_at).strftime("%Y-%m-%d %H:%M %Z")
                self.stderr.write(
                    f"{dea.number}: entry {entry.sequence} ({entry.kind}, {when}) does not "
                    f"match: {first.problem}."
                )
                continue
            # The chain is intact: the stock on hand must say what its balances say.
            differences = stock_on_hand_differences(dea)
            if differences:
                projection_wrong += 1
                first_difference = differences[0]
                says = (
                    "it has no row"
                    if first_difference.projection is None
                    else f"its row says {first_difference.projection}"
                )
                self.stderr.write(
                    f"{dea.number}: the stock on hand of container {first_difference.label} "
                    f"does not match the chain: {says}, the chain {first_difference.chain} "
                    f"({_containers(len(differences))}; chain.stock_on_hand_rebuild rebuilds "
                    "it from the entries)."
                )
                continue
            total = LedgerEntry.objects.filter(registration=dea).count()
            noun = "entry" if total == 1 else "entries"
            self.stdout.write(
                f"{dea.number}: {total:,} {noun}, chain intact, stock on hand matches."
            )
        if not checked:
            self.stdout.write("No DEA registration has a ledger yet.")
        if broken:
            raise CommandError(
                f"The ledger's chain does not match under {broken} of {checked} "
                f"registration{'s' if checked != 1 else ''}."
            )
        if projection_wrong:
            raise CommandError(
                f"The stock on hand does not match the chain under {projection_wrong} of "
                f"{checked} registration{'s' if checked != 1 else ''}."
            )


def _containers(number: int) -> str:
    return "1 container differs" if number == 1 else f"{number} containers differ"

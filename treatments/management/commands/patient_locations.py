"""``manage.py patient_locations [--repair]``: check the table of where each patient is seen
(``intake.PatientLocation``, which the location rule and the database's row policy read)
against the patients' home locations and their sessions' chairs, and put it right with
``--repair``. Exit status 1 if it is out of step and not repaired, so a monitoring job can
alert on it. It prints counts, nothing about a patient."""

from django.core.management.base import BaseCommand, CommandError

from intake.models import PatientLocation
from treatments.services.patient_locations import (
    patient_locations_drift,
    patient_locations_repair,
)


class Command(BaseCommand):
    help = "Check (and with --repair, rewrite) the table of where each patient is seen."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--repair", action="store_true", help="write the missing rows, delete the extra ones"
        )

    def handle(self, *args, repair: bool = False, **options) -> None:
        drift = patient_locations_repair() if repair else patient_locations_drift()
        if not drift:
            rows = PatientLocation.objects.count()
            self.stdout.write(f"Where patients are seen: {_rows(rows)}, all in step.")
            return
        summary = f"{_rows(len(drift.missing))} missing and {_rows(len(drift.extra))} extra"
        if repair:
            self.stdout.write(f"Where patients are seen: {summary}, now repaired.")
            return
        raise CommandError(
            f"Where patients are seen: {summary}. Run `manage.py patient_locations --repair`."
        )


def _rows(count: int) -> str:
    return f"{count:,} row" if count == 1 else f"{count:,} rows"

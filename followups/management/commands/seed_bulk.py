"""A large clinic for load tests: ``manage.py seed_bulk --patients 100000``.

Every patient gets a record, a measurement and (most of them) an intake with its GAD-7 and
PHQ-9; a third were approved and treated: a plan, about ten completed sessions over the past
year, each with its reminders, its check-in surveys (most answered, with their scores) and the
re-sends and phone calls of the ones that were not. A few sessions are booked for today and
the coming days so the chair board and the home pages have something on them.

The clinic is a chain of ``--locations`` locations (50 by default; fewer for a small run, at
least 4 chairs each), their time zones mixed (Central, Mountain, Eastern, Pacific in turn), the
chairs spread evenly over them. Each patient's home is one of them (in turn) and every session
of theirs is on its chairs at its local hours. The demo's staff (seed_demo) are assigned to the
first bulk location as well as the demo's own, so with ``CLINIC_CHAIN=1`` they pick it after
signing in and see its board, arrivals and patients: one location's share of the chain, as a
member of staff who is not chain-wide sees it.

It lives in the top app because it seeds every app below it. The rows are history written in
bulk (ids reserved up front, COPY on PostgreSQL), not a replay of the services, drawn from a
seeded random so two runs with the same options make the same clinic. Bulk patients are marked
by their email domain, which is how ``--reset`` finds them again.

The controlled-substance ledger is a step of its own, ``--ledger`` (with ``--patients``, or
alone on a database already filled): a year of deliveries, doses, witnessed wastes, daily
counts and the esketamine REMS records for the bulk sessions, chained as the ledger's services
chain it (``_bulk_ledger.py``). Without it the bulk sessions have no ledger entries (their lot
stays the text on the session) and only ``seed_demo``'s month is in the ledger. The ledger is
append-only, so once it is written ``--reset`` refuses: drop the database instead.
"""

import gc
import math
import random
import time as clock
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone

from clinic.models import Location, StaffLocation
from followups.models import OutboxEntry, Survey, SurveyLink
from followups.services.outbox import TASK_DETAILS, TASK_ROLES, TASK_SOURCE
from intake.models import (
    Assessment,
    ClinicalAlert,
    ConsentSignature,
    Intake,
    IntakeAmendment,
    IntakeLink,
    Patient,
    PatientLocation,
    PatientMeasurement,
)
from intake.questionnaire import SCREENING_QUESTIONS, STEP_SLUGS, TREATMENTS
from intake.questionnaire_state import ABOUT_RECORD_FIELDS
from intake.scoring import gad7_band, phq9_band
from treatments.limits import screening_limits
from treatments.models import (
    AssessmentFinding,
    PlanVersion,
    Screening,
    ScreeningDetermination,
    StaffTask,
    TreatmentChair,
    TreatmentPlan,
    TreatmentSession,
)
from treatments.screening_rules import RULESET_VERSION, Facts, Result, failed_treatments, screen
from treatments.selectors.screening import QUESTION_WORDS, TREATMENT_WORDS

from . import _bulk_rows as bulk
from ._bulk_ledger import BulkLedger, bulk_ledger_exists
from .seed_demo import DEMO_USERS, DEMO_WITNESS

# Sessions start in one of these slots, on their own chair: a slot is as long as the longest
# session (150 minutes of esketamine and monitoring), so two sessions on a chair never overlap.
# Inside the default opening hours (CLINIC_OPENING_HOURS: 08:00-18:00).
SLOTS = (time(8, 0), time(10, 30), time(13, 0), time(15, 30))
CHAIR_FILL = 0.8  # the share of chair slots the history uses: room to move a full day's sessions
MIN_CHAIRS = 40
LOCATIONS = 50  # the default; a run with fewer chairs has fewer (MIN_CHAIRS_PER_LOCATION each)
MIN_CHAIRS_PER_LOCATION = 4
LOCATION_PREFIX = "Bulk clinic"  # how --reset finds the bulk locations again
# Location n's zone is the n-th of these, in turn.
LOCATION_ZONES = ("America/Chicago", "America/Denver", "America/New_York", "America/Los_Angeles")
INDUCTION_DAYS = (0, 2, 4, 7, 9, 11)
ROUTES = (
    # route, weight of the route, dose amount, unit, infusion minutes, session minutes, drug
    ("iv", 70, Decimal("0.5"), "mg/kg", 40, 100, "ketamine"),
    ("im", 15, Decimal("0.5"), "mg/kg", None, 100, "ketamine"),
    ("esketamine_in", 15, Decimal("56"), "mg", None, 150, "esketamine"),
)
SURVEYS = (
    ("24h", timedelta(days=1), Survey.Content.CHECKIN),
    ("7d", timedelta(days=7), Survey.Content.SCORES),
    ("14d", timedelta(days=14), Survey.Content.SCORES),
)
SIDE_EFFECTS = ("nausea", "dizziness", "headache", "dissociation", "drowsiness")
ANSWER_RATE = 0.85
BOOKED_DAYS = 7  # today and the six days after it
FOLLOWUP_CHUNK = 20_000  # sessions whose follow-ups are written in one transaction per table


@dataclass
class PatientPlan:
    """What the seed decides about one patient before writing anything."""

    index: int
    pk: int = 0
    first: str = ""
    last: str = ""
    sex: str = ""
    born: date | None = None
    consent_sms: bool = True
    weight: Decimal = Decimal("75.0")
    created_at: datetime | None = None
    intake_status: str = ""  # "" (no intake), invited, in_progress or submitted
    intake_pk: int = 0
    intake_at: datetime | None = None  # invited
    submitted_at: datetime | None = None
    gad7: int = 0
    phq9: int = 0
    item9: int = 0
    response: float = 0.0  # share of the baseline gone after the first session
    treated: bool = False
    session_days: list[tuple[int, int]] = field(default_factory=list)  # (day, cell)
    series_cut_short: bool = False  # sessions still to come: the plan is active
    route: tuple = ROUTES[0]
    maintenance_every: int = 28
    screening_pk: int = 0
    plan_pk: int = 0
    version_pks: tuple[int, int] = (0, 0)
    location: int = 0  # the index of the patient's home location: every session of theirs is there
    booked: tuple[int, int, int] | None = None  # (day after today, chair index, slot)
    contact: dict = field(default_factory=dict)  # the intake's "about" step: ABOUT_RECORD_FIELDS


class Command(BaseCommand):
    help = (
        "Create a large clinic for load tests (bulk inserts; COPY on PostgreSQL): N patients, "
        "a third of them treated with about ten sessions each and their follow-ups."
    )

    def add_arguments(self, parser):
        parser.add_argument("--patients", type=int, help="how many patients")
        parser.add_argument(
            "--ledger",
            action="store_true",
            help=(
                "add the bulk sessions' controlled-substance ledger and REMS records (after "
                "--patients, or alone on a database it filled earlier)"
            ),
        )
        parser.add_argument(
            "--clinics-days",
            dest="days",
            type=int,
            default=365,
            help="how many days of history (default 365); more days need fewer chairs",
        )
        parser.add_argument(
            "--locations",
            type=int,
            default=LOCATIONS,
            help=f"how many locations share the patients and chairs (default {LOCATIONS})",
        )
        parser.add_argument("--seed", type=int, default=2026, help="the random seed")
        parser.add_argument(
            "--reset", action="store_true", help="delete the bulk rows of an earlier run first"
        )

    def handle(self, *args, **options):
        patients, days = options["patients"], options["days"]
        if patients is None and not options["ledger"]:
            raise CommandError("Give --patients N, or --ledger on a database already seeded.")
        if options["ledger"] and bulk_ledger_exists():
            raise CommandError(
                "The bulk ledger is already here (it is append-only: to seed it again, drop "
                "and re-create the database)."
            )
        if patients is None:
            self._ledger(options)
            return
        if patients < 3:
            raise CommandError("--patients must be at least 3.")
        if days < 60:
            raise CommandError("--clinics-days must be at least 60.")
        if options["locations"] < 1:
            raise CommandError("--locations must be at least 1.")
        started = clock.monotonic()
        existing = Patient.objects.filter(email__endswith="@" + bulk.BULK_EMAIL_DOMAIN).count()
        chairs = TreatmentChair.objects.filter(name__startswith=bulk.BULK_CHAIR_PREFIX).count()
        chairs += Location.objects.filter(name__startswith=LOCATION_PREFIX).count()
        if existing or chairs:
            if not options["reset"]:
                raise CommandError(
                    f"Bulk data is already here ({existing} bulk patients, {chairs} bulk "
                    "chairs and locations). Pass --reset to delete it first, or drop and "
                    "re-create the database (faster at this size)."
                )
            if bulk_ledger_exists():
                raise CommandError(
                    "The bulk sessions have their controlled-substance ledger, which is "
                    "append-only: --reset cannot delete them. Drop and re-create the database."
                )
            self._step("Deleting the earlier bulk rows", _delete_bulk_rows)
        users = self._step("Demo staff", self._demo_staff)
        seeder = BulkClinic(
            patients=patients,
            days=days,
            locations=options["locations"],
            rng=random.Random(options["seed"]),
            front_desk_id=users["frontdesk"],
            clinician_id=users["clinician"],
            staff_ids=list(users.values()),
            step=self._step,
        )
        # Millions of small tuples and no cycles among them: the cyclic collector only slows
        # the run down.
        gc.disable()
        try:
            seeder.run()
        finally:
            gc.enable()
        if seeder.writer.postgres:
            self._step("VACUUM ANALYZE", _analyze)
        self.stdout.write(self.style.SUCCESS(f"Bulk clinic ready in {_seconds(started)}."))
        self.stdout.write(f"{'table':<36}{'rows':>12}")
        for table, count in sorted(seeder.writer.counts.items()):
            self.stdout.write(f"{table:<36}{count:>12,}")
        self.stdout.write(f"{'total':<36}{sum(seeder.writer.counts.values()):>12,}")
        self.stdout.write(
            f"{seeder.chair_count} bulk chairs at {seeder.location_count} locations "
            f"({seeder.chairs_per_location} each); staff logins are the demo's "
            f"({', '.join(username for username, *_ in DEMO_USERS)}), who also work at "
            f"{seeder.location_name(0)} (with CLINIC_CHAIN=1, pick it after signing in)."
        )
        if options["ledger"]:
            self._ledger(options)

    def _ledger(self, options) -> None:
        """The bulk sessions' ledger and REMS records (``_bulk_ledger.py``)."""
        started = clock.monotonic()
        if not TreatmentSession.objects.filter(
            patient__email__endswith="@" + bulk.BULK_EMAIL_DOMAIN, status="completed"
        ).exists():
            raise CommandError("No bulk sessions here: run seed_bulk --patients N first.")
        users = self._demo_staff()
        seeder = BulkLedger(
            clinician_id=users["clinician"],
            nurse_id=users[DEMO_WITNESS],
            rng=random.Random(options["seed"]),
            step=self._step,
        )
        seeder.run()
        if connection.vendor == "postgresql":
            self._step("VACUUM ANALYZE", _analyze)
        self.stdout.write(self.style.SUCCESS(f"Bulk ledger ready in {_seconds(started)}."))
        for table, count in sorted(seeder.counts.items()):
            self.stdout.write(f"{table:<36}{count:>12,}")
        kinds = ", ".join(f"{count:,} {kind}" for kind, count in seeder.specs_by_kind.items())
        self.stdout.write(f"Entries: {kinds}.")
        self.stdout.write(
            f"Open containers at a day's close: at most {seeder.open_at_close}; "
            f"{seeder.forms_due:,} REMS monitoring forms left to submit."
        )

    def _step(self, label, work, *args):
        self.stdout.write(f"{label}...", ending="")
        self.stdout.flush()
        started = clock.monotonic()
        result = work(*args)
        self.stdout.write(f" {_seconds(started)}")
        return result

    def _demo_staff(self) -> dict[str, int]:
        """The demo's users (seed_demo makes them, with their roles and password)."""
        usernames = [username for username, *_ in DEMO_USERS]
        User = get_user_model()
        if User.objects.filter(username__in=usernames).count() < len(usernames):
            call_command("seed_demo", stdout=self.stdout)
        return dict(User.objects.filter(username__in=usernames).values_list("username", "pk"))


def _seconds(started: float) -> str:
    return f"{clock.monotonic() - started:.1f} s"


class BulkClinic:
    def __init__(
        self, *, patients, days, locations, rng, front_desk_id, clinician_id, staff_ids, step
    ):
        self.count = patients
        self.days = days
        self.rng = rng
        self.front_desk_id = front_desk_id
        self.clinician_id = clinician_id
        self.staff_ids = staff_ids
        self.step = step
        self.writer = bulk.RowWriter()
        self.now = timezone.now()
        self.zone = timezone.get_current_timezone()
        self.today = timezone.localdate(self.now)
        self.first_day = self.today - timedelta(days=days)
        self.patients: list[PatientPlan] = []
        treated = math.ceil(patients / 3)
        expected_sessions = treated * 11
        needed = max(MIN_CHAIRS, math.ceil(expected_sessions / (days * len(SLOTS) * CHAIR_FILL)))
        # Every location at least MIN_CHAIRS_PER_LOCATION chairs, all with as many: the patients
        # are spread evenly, so each location's chairs fill as the whole clinic's did.
        self.location_count = max(1, min(locations, needed // MIN_CHAIRS_PER_LOCATION))
        self.chairs_per_location = math.ceil(needed / self.location_count)
        self.chair_count = self.location_count * self.chairs_per_location
        self.chair_pks: list[int] = []
        self.location_pks: list[int] = []
        self.zones = [
            ZoneInfo(LOCATION_ZONES[number % len(LOCATION_ZONES)])
            for number in range(self.location_count)
        ]

    def location_name(self, number: int) -> str:
        return f"{LOCATION_PREFIX} {number + 1:02d}"

    def run(self) -> None:
        if self.writer.postgres:
            # Each table chunk commits on its own; waiting for every commit's WAL flush would
            # only slow the load (a crash mid-run means running it again with --reset anyway).
            with connection.cursor() as cursor:
                cursor.execute("SET synchronous_commit TO off")
        self.step("Planning patients and the chair schedule", self.plan)
        self.step("Locations, their staff and chairs", self.write_chairs)
        self.step(f"Patients ({self.count:,}) and measurements", self.write_patients)
        self.step("Intakes, intake scores and alerts", self.write_intakes)
        self.step("Screenings, findings and determinations", self.write_screenings)
        self.step("Plans and plan versions", self.write_plans)
        self.step("Sessions", self.write_sessions)
        self.step("Surveys, survey scores, outbox, tasks and alerts", self.write_followups)

    # --- Planning ----------------------------------------------------------------------

    def at(self, day: int, moment: time, zone=None) -> datetime:
        """Clinic time on history day ``day`` (0 is ``days`` ago; ``days`` is today), in
        ``zone`` (a location's) if given."""
        return datetime.combine(
            self.first_day + timedelta(days=day), moment, tzinfo=zone or self.zone
        )

    def plan(self) -> None:
        rng, days = self.rng, self.days
        cap = self.chairs_per_location * len(SLOTS)  # a location's chair slots a day
        used_at = [[0] * days for _ in range(self.location_count)]
        route_weights = [route[1] for route in ROUTES]
        for index in range(self.count):
            patient = PatientPlan(index=index, location=index % self.location_count)
            patient.first = rng.choice(bulk.FIRST_NAMES)
            patient.last = rng.choice(bulk.SURNAMES)
            patient.sex = rng.choice(("female", "female", "male", "male", "undisclosed"))
            patient.born = date(1950, 1, 1) + timedelta(days=rng.randrange(0, 365 * 52))
            patient.consent_sms = rng.random() < 0.8
            city, zip_prefix, area = rng.choice(bulk.CITIES)
            patient.contact = {
                "preferred_name": (
                    bulk.NICKNAMES.get(patient.first, "") if rng.random() < 0.3 else ""
                ),
                "email": f"{patient.first.lower()}.{patient.last.lower()}{index}"
                f"@{bulk.BULK_EMAIL_DOMAIN}",
                "mobile": f"+1{area}{rng.randrange(200, 1000)}{rng.randrange(0, 10000):04d}",
                "address_line1": f"{rng.randrange(100, 9900)} {rng.choice(bulk.STREETS)}",
                "city": city,
                "state": "TX",
                "postal_code": f"{zip_prefix}{rng.randrange(0, 100):02d}",
                "emergency_contact_name": f"{rng.choice(bulk.FIRST_NAMES)} {patient.last}",
                "emergency_contact_relationship": rng.choice(bulk.RELATIONSHIPS),
                "emergency_contact_phone": (
                    f"+1{area}{rng.randrange(200, 1000)}{rng.randrange(0, 10000):04d}"
                ),
            }
            patient.weight = Decimal(rng.randrange(500, 1150)) / 10
            patient.gad7 = rng.choice((8, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20))
            patient.phq9 = rng.choice((6, 8, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 21, 23))
            patient.item9 = 1 if rng.random() < 0.015 else 0
            patient.response = rng.choice((0.05, 0.3, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7))
            if index % 3 == 0:
                patient.route = rng.choices(ROUTES, weights=route_weights)[0]
                patient.maintenance_every = rng.choice((21, 28, 28, 35))
                self._book_history(patient, used_at[patient.location], cap)
                # Treated unless every chair was taken from the first day on (only when the
                # history is too short for the patients).
                patient.treated = bool(patient.session_days)
            if patient.treated:
                first_session = self.at(patient.session_days[0][0], time(9))
                patient.submitted_at = first_session - timedelta(
                    days=rng.randrange(12, 40), hours=rng.randrange(0, 9)
                )
                patient.intake_status = Intake.Status.SUBMITTED
            else:
                draw = rng.random()
                moment = self.now - timedelta(
                    days=rng.randrange(1, days + 60), minutes=rng.randrange(0, 600)
                )
                if draw < 0.85:
                    patient.intake_status = Intake.Status.SUBMITTED
                    patient.submitted_at = moment
                elif draw < 0.92:
                    patient.intake_status = Intake.Status.IN_PROGRESS
                    patient.intake_at = self.now - timedelta(days=rng.randrange(0, 6), hours=2)
                elif draw < 0.95:
                    patient.intake_status = Intake.Status.INVITED
                    patient.intake_at = self.now - timedelta(days=rng.randrange(0, 9), hours=3)
            if patient.submitted_at:
                patient.intake_at = patient.submitted_at - timedelta(days=rng.randrange(1, 5))
            patient.created_at = (patient.intake_at or self.now) - timedelta(
                days=rng.randrange(0, 3), minutes=rng.randrange(5, 300)
            )
            self.patients.append(patient)
        # A fixed shuffle of a location's day of chair slots, so a quiet day's sessions are
        # spread over its chairs and the hours rather than all on the first ones at 08:00.
        self.cells = list(range(cap))
        rng.shuffle(self.cells)
        # Today and the coming days: one booking each for some of the patients still in
        # treatment, at their home location, on its first chairs.
        ongoing = [patient for patient in self.patients if patient.series_cut_short]
        per_day = max(1, min(len(ongoing) // (BOOKED_DAYS * 3), 60, MIN_CHAIRS * len(SLOTS)))
        taken: dict[tuple[int, int], int] = {}
        per_location = self.chairs_per_location
        for number, patient in enumerate(ongoing[: per_day * BOOKED_DAYS]):
            day = number // per_day
            cell = taken.get((patient.location, day), 0)
            if cell >= cap:
                continue  # the location's day is full: no booking for this one
            taken[(patient.location, day)] = cell + 1
            chair, slot = cell % per_location, cell // per_location
            patient.booked = (day, patient.location * per_location + chair, slot)

    def _book_history(self, patient: PatientPlan, used: list[int], cap: int) -> None:
        """An induction series from a random day, then maintenance sessions, each on the first
        day from its due day on with a chair slot free; the series stops at today."""
        rng, days = self.rng, self.days
        start = rng.randrange(0, days - INDUCTION_DAYS[-1] - 1)
        maintenance = rng.choice((4, 5, 6, 6, 7, 8))
        offsets = list(INDUCTION_DAYS) + [
            INDUCTION_DAYS[-1] + patient.maintenance_every * number
            for number in range(1, maintenance + 1)
        ]
        previous = -1
        for offset in offsets:
            day = max(start + offset, previous + 1)
            while day < days and used[day] >= cap:
                day += 1  # that day's chairs are full: the next free day
            if day >= days:
                patient.series_cut_short = True
                return
            patient.session_days.append((day, used[day]))
            used[day] += 1
            previous = day

    # --- Writing -----------------------------------------------------------------------

    def write_chairs(self) -> None:
        """The locations (after the demo's in display order, with the clinic's hours in their
        own zone), the demo staff at the first of them, and the chairs, each location's in a
        run (chair n is at location (n - 1) // chairs_per_location)."""
        first_order = 100
        locations = Location.objects.bulk_create(
            Location(
                name=self.location_name(number),
                address=f"{100 + number} Bulk Street",
                time_zone=self.zones[number].key,
                opening_hours=dict(settings.CLINIC_OPENING_HOURS),
                sender_name=self.location_name(number),
                display_order=first_order + number,
            )
            for number in range(self.location_count)
        )
        self.location_pks = [location.pk for location in locations]
        StaffLocation.objects.bulk_create(
            StaffLocation(user_id=user_id, location_id=self.location_pks[0])
            for user_id in self.staff_ids
        )
        width = len(str(self.chair_count))
        per_location = self.chairs_per_location
        chairs = TreatmentChair.objects.bulk_create(
            TreatmentChair(
                name=f"{bulk.BULK_CHAIR_PREFIX} {number:0{width}d}",
                location_id=self.location_pks[(number - 1) // per_location],
                room=f"Bulk wing, room {(number - 1) % per_location // 4 + 1}",
                display_order=100 + number,
            )
            for number in range(1, self.chair_count + 1)
        )
        self.chair_pks = [chair.pk for chair in chairs]
        self.writer.counts[Location._meta.db_table] = len(locations)
        self.writer.counts[StaffLocation._meta.db_table] = len(self.staff_ids)
        self.writer.counts[TreatmentChair._meta.db_table] = len(chairs)

    def write_patients(self) -> None:
        rng = self.rng
        taken = set(Patient.objects.values_list("mrn", flat=True))
        mrns = bulk.mrns(rng, self.count, taken)
        first_pk = self.writer.reserve_ids(Patient, self.count)
        for offset, patient in enumerate(self.patients):
            patient.pk = first_pk + offset

        def rows():
            for patient, mrn in zip(self.patients, mrns, strict=True):
                yield (
                    patient.pk, mrn, patient.first, patient.last, patient.born, patient.sex,
                    "sms" if patient.consent_sms else "email", patient.consent_sms, True,
                    *(patient.contact[name] for name in ABOUT_RECORD_FIELDS),
                    patient.created_at, patient.created_at,
                    self.front_desk_id, self.location_pks[patient.location],
                )  # fmt: skip

        self.writer.write(
            Patient,
            (
                "id", "mrn", "legal_first_name", "legal_last_name", "date_of_birth",
                "sex_at_birth", "preferred_contact", "consent_sms", "consent_email",
                *ABOUT_RECORD_FIELDS, "created_at", "updated_at", "created_by_id",
                "home_location_id",
            ),
            rows(),
        )  # fmt: skip
        self.writer.write(
            PatientLocation,
            ("patient_id", "location_id", "via"),
            (
                (patient.pk, self.location_pks[patient.location], PatientLocation.Via.HOME)
                for patient in self.patients
            ),
        )
        self.writer.write(
            PatientMeasurement,
            ("patient_id", "recorded_at", "weight_kg", "height_cm", "source", "recorded_by_id"),
            (
                (
                    patient.pk,
                    patient.created_at,
                    patient.weight,
                    Decimal(rng.randrange(1520, 1960)) / 10,
                    "staff",
                    self.front_desk_id,
                )
                for patient in self.patients
            ),
        )

    def write_intakes(self) -> None:
        rng, now = self.rng, self.now
        with_intake = [patient for patient in self.patients if patient.intake_status]
        first_pk = self.writer.reserve_ids(Intake, len(with_intake))
        for offset, patient in enumerate(with_intake):
            patient.intake_pk = first_pk + offset
        history = _intake_history()

        def rows():
            for patient in with_intake:
                gad = bulk.answers_adding_up(patient.gad7, 7)
                phq = [*bulk.answers_adding_up(patient.phq9 - patient.item9, 8), patient.item9]
                submitted = patient.intake_status == Intake.Status.SUBMITTED
                steps = list(STEP_SLUGS[:-1]) if submitted else []
                if patient.intake_status == Intake.Status.IN_PROGRESS:
                    steps = list(STEP_SLUGS[: rng.randrange(1, 5)])
                answers = _intake_answers(patient, gad, phq, history, steps)
                flags = (
                    [{"kind": "item9", "label": "PHQ-9 item 9 (thoughts of self-harm): "
                      "Several days"}]
                    if submitted and patient.item9
                    else []
                )  # fmt: skip
                started = patient.intake_at + timedelta(hours=3) if steps else None
                yield (
                    patient.intake_pk,
                    patient.pk,
                    patient.intake_status,
                    "review" if submitted else (STEP_SLUGS[len(steps)] if steps else ""),
                    answers,
                    steps,
                    patient.intake_at + timedelta(days=7),
                    patient.intake_at,
                    self.front_desk_id,
                    started,
                    patient.submitted_at or started or patient.intake_at,
                    patient.submitted_at,
                    patient.gad7 if submitted else None,
                    gad7_band(patient.gad7) if submitted else "",
                    patient.phq9 if submitted else None,
                    phq9_band(patient.phq9) if submitted else "",
                    patient.item9 if submitted else None,
                    flags,
                )

        self.writer.write(
            Intake,
            (
                "id", "patient_id", "status", "current_step", "answers", "completed_steps",
                "link_expires_at", "created_at", "created_by_id", "started_at", "updated_at",
                "submitted_at", "gad7_total", "gad7_band", "phq9_total", "phq9_band",
                "phq9_item9", "flags",
            ),
            rows(),
        )  # fmt: skip
        # Each intake went out as a link (only a hash of its token is kept), opened once begun.
        self.writer.write(
            IntakeLink,
            ("intake_id", "token_hash", "created_at", "expires_at", "first_opened_at",
             "last_opened_at", "channel", "created_by_id", "sent_at"),
            (
                (patient.intake_pk, bulk.token_hash("intake", patient.intake_pk),
                 patient.intake_at, patient.intake_at + timedelta(days=7),
                 patient.intake_at + timedelta(hours=3) if opened else None,
                 (patient.submitted_at or patient.intake_at + timedelta(hours=3))
                 if opened else None,
                 "sms" if patient.consent_sms else "email", self.front_desk_id, patient.intake_at)
                for patient in with_intake
                for opened in [patient.intake_status != Intake.Status.INVITED]
            ),
        )  # fmt: skip
        submitted = [p for p in with_intake if p.intake_status == Intake.Status.SUBMITTED]

        def scores():
            for patient in submitted:
                gad = bulk.answers_adding_up(patient.gad7, 7)
                phq = [*bulk.answers_adding_up(patient.phq9 - patient.item9, 8), patient.item9]
                for instrument, answers, total, band, difficulty in (
                    ("gad7", gad, patient.gad7, gad7_band(patient.gad7), ""),
                    ("phq9", phq, patient.phq9, phq9_band(patient.phq9), "very"),
                ):
                    yield (
                        patient.pk, instrument, answers, total, band, difficulty,
                        patient.submitted_at, "intake", patient.intake_pk,
                    )  # fmt: skip

        self.writer.write(
            Assessment,
            ("patient_id", "instrument", "answers", "total", "band", "difficulty", "taken_at",
             "source_kind", "source_id"),
            scores(),
        )  # fmt: skip
        self.writer.write(
            ClinicalAlert,
            ("patient_id", "kind", "urgent", "source_kind", "source_id", "created_at",
             "notified_at", "acknowledged_at", "acknowledged_by_id", "acknowledgement_note"),
            (
                (
                    patient.pk, ClinicalAlert.Kind.PHQ9_ITEM9, True, "intake", patient.intake_pk,
                    patient.submitted_at, patient.submitted_at + timedelta(minutes=1),
                    *_acknowledged(patient.submitted_at, now, self.clinician_id),
                )
                for patient in submitted
                if patient.item9
            ),
        )  # fmt: skip

    def write_screenings(self) -> None:
        rng, now = self.rng, self.now
        submitted = [p for p in self.patients if p.intake_status == Intake.Status.SUBMITTED]
        treated = [patient for patient in submitted if patient.treated]
        finding_pk = self.writer.reserve_ids(AssessmentFinding, len(treated))
        findings = {}
        for offset, patient in enumerate(treated):
            findings[patient.pk] = finding_pk + offset
        first_pk = self.writer.reserve_ids(Screening, len(submitted))
        for offset, patient in enumerate(submitted):
            patient.screening_pk = first_pk + offset
        self.writer.write(
            AssessmentFinding,
            ("id", "patient_id", "intake_id", "systolic", "diastolic", "pulse", "weight_kg",
             "pregnancy_test", "notes", "recorded_by_id", "recorded_at"),
            (
                (
                    findings[patient.pk], patient.pk, patient.intake_pk, rng.randrange(108, 140),
                    rng.randrange(68, 88), rng.randrange(58, 92), patient.weight,
                    "negative" if patient.sex == "female" else "not_applicable",
                    "Seen at the initial consultation.", self.clinician_id,
                    patient.submitted_at + timedelta(days=3),
                )
                for patient in treated
            ),
        )  # fmt: skip
        outcomes = _screening_outcomes()
        failed = _failed_treatments()
        decisions = []

        def rows():
            for patient in submitted:
                assessed = patient.treated
                outcome = outcomes[(assessed, patient.index % 10 == 5)]
                # Treated: screened again with the findings three days after the intake, signed
                # within the day, before the plan is activated (a week before the first session)
                screened_at = patient.submitted_at + timedelta(days=3 if assessed else 0)
                if patient.treated:
                    status, decision = Screening.Status.APPROVED, "approve"
                elif screened_at > now - timedelta(days=21):
                    status, decision = Screening.Status.PENDING, ""
                elif rng.random() < 0.7:
                    status, decision = Screening.Status.DECLINED, "decline"
                else:
                    status, decision = Screening.Status.MORE_INFO, "more_info"
                if decision:
                    decisions.append((patient, decision, outcome[0], screened_at))
                yield (
                    patient.screening_pk, patient.pk, patient.intake_pk,
                    findings.get(patient.pk), outcome[0], outcome[1], RULESET_VERSION, failed,
                    status, True, screened_at,
                )  # fmt: skip

        self.writer.write(
            Screening,
            ("id", "patient_id", "intake_id", "finding_id", "result", "reasons",
             "ruleset_version", "failed_treatments", "status", "is_current", "created_at"),
            rows(),
        )  # fmt: skip

        def determinations():
            for patient, decision, result, screened_at in decisions:
                override = decision == "approve" and result == Result.NOT_A_CANDIDATE
                yield (
                    patient.screening_pk,
                    decision,
                    {
                        "approve": "Treatment-resistant symptoms; no contraindications found.",
                        "decline": "Not suitable at present; referred back to their doctor.",
                        "more_info": "",
                    }[decision],
                    "Letter from the prescribing psychiatrist" if decision == "more_info" else "",
                    "front_desk" if decision == "more_info" else "",
                    override,
                    "Benefits outweigh the risks; monitored closely." if override else "",
                    self.clinician_id,
                    screened_at + timedelta(hours=rng.randrange(2, 20)),
                )

        self.writer.write(
            ScreeningDetermination,
            ("screening_id", "decision", "reason", "info_request", "info_route", "is_override",
             "override_justification", "signed_by_id", "signed_at"),
            determinations(),
        )  # fmt: skip

    def write_plans(self) -> None:
        treated = [patient for patient in self.patients if patient.treated]
        first_plan = self.writer.reserve_ids(TreatmentPlan, len(treated))
        first_version = self.writer.reserve_ids(PlanVersion, 2 * len(treated))
        for offset, patient in enumerate(treated):
            patient.plan_pk = first_plan + offset
            patient.version_pks = (first_version + 2 * offset, first_version + 2 * offset + 1)
        clinician = self.clinician_id

        def plans():
            for patient in treated:
                first_day, last_day = patient.session_days[0][0], patient.session_days[-1][0]
                activated = self.at(first_day, time(9)) - timedelta(days=7)
                active = patient.series_cut_short
                yield (
                    patient.plan_pk, patient.pk, "active" if active else "completed", clinician,
                    activated - timedelta(hours=1), activated,
                    None if active else self.at(last_day, time(20)),
                )  # fmt: skip

        self.writer.write(
            TreatmentPlan,
            ("id", "patient_id", "status", "created_by_id", "created_at", "activated_at",
             "ended_at"),
            plans(),
        )  # fmt: skip

        def versions():
            for patient in treated:
                route, _, amount, unit, infusion, _, _ = patient.route
                dose_mg = (amount * patient.weight).quantize(Decimal("0.1"))
                if unit != "mg/kg":
                    dose_mg = amount
                first_day = patient.session_days[0][0]
                activated = self.at(first_day, time(9)) - timedelta(days=7)
                maintenance_from = self.at(first_day + INDUCTION_DAYS[-1] + 1, time(8))
                # Esketamine for depression, its labelled use (anything else is off-label).
                on_label = route == "esketamine_in" or not patient.index % 4
                common = (
                    "depression" if on_label else "gad", route, amount, unit, dose_mg,
                    patient.weight if unit == "mg/kg" else None, infusion,
                )  # fmt: skip
                yield (
                    patient.version_pks[0], patient.plan_pk, 1, activated, *common, "induction",
                    len(INDUCTION_DAYS), 3, None, self.first_day + timedelta(days=first_day),
                    "Less worry; sleep through the night.", clinician, "", clinician, activated,
                )  # fmt: skip
                if len(patient.session_days) <= len(INDUCTION_DAYS):
                    continue  # still in (or stopped after) the induction series
                yield (
                    patient.version_pks[1], patient.plan_pk, 2, maintenance_from, *common,
                    "maintenance", 6, None, patient.maintenance_every // 7,
                    (self.first_day + timedelta(days=first_day + INDUCTION_DAYS[-1] + 1)),
                    "Keep the gains of the induction series.", clinician,
                    "Induction series completed; moving to maintenance.", clinician,
                    maintenance_from,
                )  # fmt: skip

        self.writer.write(
            PlanVersion,
            ("id", "plan_id", "number", "effective_at", "indication", "route", "dose_amount",
             "dose_unit", "dose_mg", "weight_kg_used", "infusion_minutes", "phase",
             "sessions_planned", "span_weeks", "every_weeks", "start_date", "goals",
             "prescriber_id", "amendment_reason", "created_by_id", "created_at"),
            versions(),
        )  # fmt: skip

    SESSION_COLUMNS = (
        "id", "patient_id", "plan_id", "plan_version_id", "chair_id", "starts_at", "ends_at",
        "status", "booked_by_id", "booked_at", "arrived_at", "escort_name", "fasting_confirmed",
        "checked_in_by_id", "consent_current", "fasting_hours", "pregnancy_test", "drug",
        "route_given", "dose_given_mg", "lot_number", "administration_started_at",
        "administration_stopped_at", "aldrete_activity", "aldrete_respiration",
        "aldrete_circulation", "aldrete_consciousness", "aldrete_oxygen", "escort_present",
        "ready_to_leave_at", "discharged_at", "discharge_instructions_given", "signed_by_id",
        "signed_at",
    )  # fmt: skip

    def write_sessions(self) -> None:
        """The history (completed, one chair slot each) and the bookings to come."""
        treated = [patient for patient in self.patients if patient.treated]
        total = sum(len(patient.session_days) for patient in treated)
        booked = [patient for patient in treated if patient.booked]
        pk = self.writer.reserve_ids(TreatmentSession, total + len(booked))
        # (session pk, patient, starts_at, discharged_at) for the follow-ups
        # (session, patient, starts, discharged, whether the two-week questionnaires follow it:
        # the last infusion of the induction series and each maintenance session)
        self.completed: list[tuple[int, PatientPlan, datetime, datetime, bool]] = []
        self.booked_sessions: list[tuple[int, PatientPlan, datetime]] = []
        clinician, front_desk = self.clinician_id, self.front_desk_id
        rows = []
        for patient in treated:
            route, _, _, _, _, minutes, drug = patient.route
            dose = _dose_mg(patient)
            zone = self.zones[patient.location]
            first_chair = patient.location * self.chairs_per_location
            for number, (day, cell) in enumerate(patient.session_days):
                chair, slot = divmod(self.cells[cell], len(SLOTS))
                chair += first_chair  # the cell's chair is one of the location's
                starts = self.at(day, SLOTS[slot], zone)
                discharged = starts + timedelta(minutes=minutes)
                version = patient.version_pks[int(number >= len(INDUCTION_DAYS))]
                two_week = number >= len(INDUCTION_DAYS) - 1
                self.completed.append((pk, patient, starts, discharged, two_week))
                rows.append(
                    (
                        pk, patient.pk, patient.plan_pk, version, self.chair_pks[chair], starts,
                        discharged, "completed", front_desk, starts - timedelta(days=7),
                        starts - timedelta(minutes=10), "Family member", True, front_desk, True,
                        Decimal("6.0"), "negative" if patient.sex == "female" else "", drug,
                        route, dose, f"LOT-{2400 + pk % 97}", starts + timedelta(minutes=15),
                        starts + timedelta(minutes=55), 2, 2, 2, 2, 2, True,
                        discharged - timedelta(minutes=5), discharged, True, clinician,
                        discharged + timedelta(minutes=20),
                    )
                )  # fmt: skip
                pk += 1
        for patient in booked:
            day, chair, slot = patient.booked
            starts = datetime.combine(
                self.today + timedelta(days=day), SLOTS[slot], self.zones[patient.location]
            )
            self.booked_sessions.append((pk, patient, starts))
            version = patient.version_pks[int(len(patient.session_days) > len(INDUCTION_DAYS))]
            rows.append(
                (
                    pk, patient.pk, patient.plan_pk, version, self.chair_pks[chair], starts,
                    starts + timedelta(minutes=patient.route[5]), "booked", front_desk,
                    self.now - timedelta(days=3), None, "", False, None, None, None, "", "", "",
                    None, "", None, None, None, None, None, None, None, False, None, None, False,
                    None, None,
                )
            )  # fmt: skip
            pk += 1
        self.writer.write(TreatmentSession, self.SESSION_COLUMNS, rows)
        # Where each treated patient is seen besides home: their location's chairs.
        self.writer.write(
            PatientLocation,
            ("patient_id", "location_id", "via"),
            (
                (patient.pk, self.location_pks[patient.location], PatientLocation.Via.SESSION)
                for patient in treated
            ),
        )

    def write_followups(self) -> None:
        """Per chunk of sessions: surveys, their scores, the outbox (reminders, invitations,
        re-sends, phone tasks) and the staff tasks and alerts that came of it."""
        for start in range(0, len(self.completed), FOLLOWUP_CHUNK):
            self._followups_chunk(self.completed[start : start + FOLLOWUP_CHUNK])
        self._booking_reminders()

    def _followups_chunk(self, sessions) -> None:
        rng, now, clinician = self.rng, self.now, self.clinician_id
        first_survey = self.writer.reserve_ids(Survey, len(sessions) * len(SURVEYS))
        surveys, scores, outbox, alerts, tasks, links = [], [], [], [], [], []
        survey_pk = first_survey
        for session_pk, patient, starts, discharged, two_week in sessions:
            channel = "sms" if patient.consent_sms else "email"
            key_time = starts.astimezone(UTC).strftime("%Y%m%dT%H%MZ")
            for label, before in (("48h", timedelta(days=2)), ("2h", timedelta(hours=2))):
                due = starts - before
                failed = rng.random() < 0.01
                outbox.append(
                    (
                        patient.pk, "reminder", "", label, session_pk, None,
                        f"reminder:{session_pk}:{label}:{key_time}",
                        "failed" if failed else "sent", due, 3 if failed else 1,
                        "The SMS provider rejected the number" if failed else "", channel,
                        None if failed else due, starts - timedelta(days=7),
                    )
                )  # fmt: skip
            first_session = self.at(patient.session_days[0][0], time(9))
            for label, after, content in SURVEYS:
                if content == Survey.Content.SCORES and not two_week:
                    continue  # not after every infusion of an induction series
                pk, survey_pk = survey_pk, survey_pk + 1
                due = discharged + after
                days_in = (due - first_session).total_seconds() / 86400
                gad7 = _score(patient.gad7, patient.response, days_in, 21, rng)
                phq9 = _score(patient.phq9, patient.response, days_in, 27, rng)
                invite_status = "sent" if due <= now else "scheduled"
                outbox.append(
                    (
                        patient.pk, "survey", "", label, session_pk, pk, f"survey:{pk}:invite",
                        invite_status, due, int(due <= now), "", channel if due <= now else "",
                        due if due <= now else None, discharged,
                    )
                )  # fmt: skip
                answered_at = due + timedelta(hours=rng.randrange(1, 30))
                if due > now:
                    surveys.append(_survey_row(pk, patient, session_pk, label, content, due))
                    continue
                answered = rng.random() < ANSWER_RATE and answered_at <= now
                # The invitation's link (each re-send makes another; one is enough here).
                links.append(
                    (pk, bulk.token_hash("survey", pk), due, due + timedelta(days=5),
                     answered_at if answered else None, answered_at if answered else None,
                     channel)
                )  # fmt: skip
                if answered:
                    effects, escalations, safety = [], [], 0
                    if content == Survey.Content.CHECKIN and rng.random() < 0.4:
                        severity = (
                            "severe"
                            if rng.random() < 0.03
                            else rng.choice(("mild", "mild", "moderate"))
                        )
                        effects = [{"effect": rng.choice(SIDE_EFFECTS), "severity": severity}]
                        if severity == "severe":
                            escalations.append("severe_side_effect")
                            alerts.append((patient.pk, "side_effect", False, pk, answered_at))
                    if rng.random() < 0.003:
                        safety = 1
                        escalations.append("item9")
                        alerts.append((patient.pk, "phq9_item9", True, pk, answered_at))
                    reviewed = answered_at < now - timedelta(days=2)
                    surveys.append(
                        _survey_row(
                            pk, patient, session_pk, label, content, due, status="completed",
                            answered_at=answered_at,
                            feeling=min(10, max(1, 10 - gad7 // 2))
                            if content == Survey.Content.CHECKIN else None,
                            effects=effects, safety=safety, escalations=escalations,
                            reviewed_by=clinician if reviewed else None,
                        )
                    )  # fmt: skip
                    # The check-in asks the GAD-7's items since the treatment: its own
                    # instrument, with no band.
                    instruments = (
                        [("gad7", gad7, 7, gad7_band), ("phq9", phq9, 9, phq9_band)]
                        if content == Survey.Content.SCORES
                        else [("anx_24h", gad7, 7, _no_band)]
                    )
                    for instrument, total, items, band in instruments:
                        if instrument == "phq9":
                            answers = [*bulk.answers_adding_up(total - safety, 8), safety]
                        else:
                            answers = bulk.answers_adding_up(total, items)
                        scores.append(
                            (
                                patient.pk, instrument, answers, total, band(total),
                                "somewhat" if instrument == "phq9" else "", answered_at,
                                "survey", pk,
                            )
                        )  # fmt: skip
                    continue
                surveys.append(
                    _survey_row(pk, patient, session_pk, label, content, due, status="invited")
                )
                # Not answered: two re-sends a day apart, then a phone call for the front desk.
                for number in (1, 2):
                    resend_at = due + timedelta(days=number)
                    sent = resend_at <= now
                    outbox.append(
                        (
                            patient.pk, "survey_resend", "", str(number), session_pk, pk,
                            f"survey:{pk}:resend:{number}", "sent" if sent else "scheduled",
                            resend_at, int(sent), "", channel if sent else "",
                            resend_at if sent else None, due,
                        )
                    )  # fmt: skip
                    if not sent:
                        break
                call_at = due + timedelta(days=3)
                if call_at <= now:
                    outbox.append(
                        (
                            patient.pk, "task", "phone", "", session_pk, pk,
                            f"survey:{pk}:phone", "sent", call_at, 1, "", "worklist", call_at,
                            due + timedelta(days=2),
                        )
                    )  # fmt: skip
                    tasks.append((len(outbox) - 1, patient.pk, call_at))
        first_outbox = self.writer.reserve_ids(OutboxEntry, len(outbox))
        self.writer.write(Survey, SURVEY_COLUMNS, surveys)
        self.writer.write(
            SurveyLink,
            ("survey_id", "token_hash", "created_at", "expires_at", "first_opened_at",
             "last_opened_at", "channel"),
            links,
        )  # fmt: skip
        self.writer.write(Assessment, ASSESSMENT_COLUMNS, scores)
        self.writer.write(
            OutboxEntry,
            ("id", *OUTBOX_COLUMNS),
            ((first_outbox + number, *row) for number, row in enumerate(outbox)),
        )
        self.writer.write(
            StaffTask,
            ("patient_id", "role", "title", "details", "status", "due_at", "source_kind",
             "source_id", "created_at", "completed_at", "completed_by_id", "outcome"),
            (_phone_task(first_outbox + number, patient_pk, call_at, now, self.front_desk_id)
             for number, patient_pk, call_at in tasks),
        )  # fmt: skip
        self.writer.write(
            ClinicalAlert,
            ("patient_id", "kind", "urgent", "source_kind", "source_id", "created_at",
             "notified_at", "acknowledged_at", "acknowledged_by_id", "acknowledgement_note"),
            (
                (patient_pk, kind, urgent, "survey", survey_pk, at,
                 at + timedelta(minutes=1) if urgent else None,
                 *_acknowledged(at, now, clinician))
                for patient_pk, kind, urgent, survey_pk, at in alerts
            ),
        )  # fmt: skip

    def _booking_reminders(self) -> None:
        """The reminders of the sessions to come: still scheduled, or sent already."""
        rows = []
        for session_pk, patient, starts in self.booked_sessions:
            key_time = starts.astimezone(UTC).strftime("%Y%m%dT%H%MZ")
            channel = "sms" if patient.consent_sms else "email"
            for label, before in (("48h", timedelta(days=2)), ("2h", timedelta(hours=2))):
                due = starts - before
                sent = due <= self.now
                rows.append(
                    (
                        patient.pk, "reminder", "", label, session_pk, None,
                        f"reminder:{session_pk}:{label}:{key_time}",
                        "sent" if sent else "scheduled", due, int(sent), "",
                        channel if sent else "", due if sent else None,
                        self.now - timedelta(days=3),
                    )
                )  # fmt: skip
        self.writer.write(OutboxEntry, OUTBOX_COLUMNS, rows)


SURVEY_COLUMNS = (
    "id", "patient_id", "session_id", "offset_label", "content", "status", "due_at",
    "invited_at", "expires_at", "started_at", "completed_at", "feeling", "side_effects",
    "safety_answer", "escalations", "reviewed_at", "reviewed_by_id", "review_note", "created_at",
)  # fmt: skip
ASSESSMENT_COLUMNS = (
    "patient_id", "instrument", "answers", "total", "band", "difficulty", "taken_at",
    "source_kind", "source_id",
)  # fmt: skip
OUTBOX_COLUMNS = (
    "patient_id", "purpose", "task_kind", "offset_label", "session_id", "survey_id",
    "idempotency_key", "status", "due_at", "attempts", "last_error", "channel", "sent_at",
    "created_at",
)  # fmt: skip


def _survey_row(
    pk, patient, session_pk, label, content, due, *, status="scheduled", answered_at=None,
    feeling=None, effects=(), safety=None, escalations=(), reviewed_by=None,
):  # fmt: skip
    invited = due if status != "scheduled" else None
    return (
        pk, patient.pk, session_pk, label, content, status, due, invited,
        due + timedelta(days=5) if invited else None, answered_at, answered_at, feeling,
        list(effects), safety, list(escalations),
        answered_at + timedelta(hours=6) if reviewed_by else None, reviewed_by,
        "Reviewed; no action needed." if reviewed_by else "", due - timedelta(days=1),
    )  # fmt: skip


def _phone_task(outbox_pk, patient_pk, call_at, now, front_desk_id):
    done = call_at < now - timedelta(days=7)
    kind = OutboxEntry.TaskKind.PHONE_FOLLOWUP
    return (
        patient_pk, TASK_ROLES[kind], kind.label, TASK_DETAILS[kind], "done" if done else "open",
        call_at, TASK_SOURCE, outbox_pk, call_at, call_at + timedelta(days=1) if done else None,
        front_desk_id if done else None, "Spoke with the patient; doing well." if done else "",
    )  # fmt: skip


def _acknowledged(at: datetime, now: datetime, clinician_id: int) -> tuple:
    """Alerts older than three days were acknowledged the next day; newer ones are open."""
    if at > now - timedelta(days=3):
        return (None, None, "")
    return (at + timedelta(hours=20), clinician_id, "Called the patient; safety plan reviewed.")


def _dose_mg(patient: PatientPlan) -> Decimal:
    _, _, amount, unit, *_ = patient.route
    return (amount * patient.weight).quantize(Decimal("0.1")) if unit == "mg/kg" else amount


def _no_band(total: int) -> str:
    return ""


def _score(baseline: int, response: float, days: float, ceiling: int, rng) -> int:
    """A total ``days`` after the first session: the drop, fading a little between sessions."""
    drop = response * (0.8 if days > 30 else 1.0)
    total = round(baseline * (1 - drop)) + rng.choice((-2, -1, 0, 0, 1, 2))
    return max(0, min(total, ceiling))


def _intake_history() -> dict:
    return {
        "diagnoses": ["gad", "depression"],
        "since_gad": "2014",
        "since_depression": "2016",
        "hospitalised": "no",
        **{f"treatment_{code}": "no_help" for code, _ in TREATMENTS[:4]},
        **{f"treatment_{code}": "not_tried" for code, _ in TREATMENTS[4:]},
    }


def _intake_answers(patient: PatientPlan, gad, phq, history, steps) -> dict:
    """The intake as the patient typed it, step by step (only the steps they reached)."""
    full = {
        "about": {
            **patient.contact,
            "height_feet": "5",
            "height_inches": str(patient.index % 12),
            "weight_lb": str(int(patient.weight * Decimal("2.2"))),
        },
        "history": history,
        "symptoms": {
            "symptoms": ["worry", "sleep", "tension"],
            "symptoms_details": "Constant worry that makes it hard to work and sleep.",
            "goals": ["less_worry", "sleep"],
        },
        "medical": {f"screen_{code}": "no" for code, _ in SCREENING_QUESTIONS}
        | {"allergies": "no"},
        "medications": {
            "meds-TOTAL_FORMS": "3",
            "meds-INITIAL_FORMS": "0",
            "meds-0-name": "Sertraline",
            "meds-0-dose": "100 mg",
            "meds-0-frequency": "once a day",
        },
        "questionnaires": {
            **{f"gad7_{n}": str(v) for n, v in enumerate(gad, start=1)},
            **{f"phq9_{n}": str(v) for n, v in enumerate(phq, start=1)},
            "phq9_difficulty": "very",
        },
        "consent": {
            "agree_treatment": "on",
            "agree_privacy": "on",
            "signature": f"{patient.first} {patient.last}",
        },
    }
    return {slug: full[slug] for slug in steps if slug in full}


def _screening_outcomes() -> dict[tuple[bool, bool], tuple[str, list]]:
    """The screening result and reasons, by (assessed by a clinician, takes a benzodiazepine),
    computed by the real rules once rather than per patient."""
    outcomes = {}
    limits = screening_limits()
    for assessed in (False, True):
        for benzodiazepine in (False, True):
            facts = Facts(
                limits=limits,
                intake_submitted=True,
                screening={code: "no" for code, _ in SCREENING_QUESTIONS} | {"pregnancy": None},
                questions=QUESTION_WORDS,
                diagnoses=("gad", "depression"),
                medication_classes=(("benzodiazepine", "Alprazolam"),) if benzodiazepine else (),
                phq9_item9=0,
                sex_at_birth="male",
                age=40,
                assessment_recorded=assessed,
                systolic=122 if assessed else None,
                diastolic=78 if assessed else None,
                pulse=72 if assessed else None,
                bmi=24.5 if assessed else None,
                pregnancy_test="not_applicable" if assessed else None,
            )
            outcome = screen(facts)
            outcomes[(assessed, benzodiazepine)] = (
                outcome.result.value,
                [_reason(reason) for reason in outcome.reasons],
            )
    return outcomes


def _reason(reason) -> dict:
    return {
        "rule_id": reason.rule_id,
        "description": reason.description,
        "severity": reason.severity.value,
        "evidence": reason.evidence,
    }


def _failed_treatments() -> list[str]:
    history = _intake_history()
    outcomes = {code: history[f"treatment_{code}"] for code, _ in TREATMENTS}
    return [TREATMENT_WORDS[code] for code in failed_treatments(outcomes)]


# Deleted children first. Each entry: (model, how its rows point at a bulk patient).
_BULK_TABLES = (
    (PatientLocation, "patient_id"),
    (StaffTask, "patient_id"),
    (OutboxEntry, "patient_id"),
    (ClinicalAlert, "patient_id"),
    (Assessment, "patient_id"),
    (SurveyLink, "survey_id IN (SELECT id FROM followups_survey WHERE {patients})"),
    (Survey, "patient_id"),
    (TreatmentSession, "patient_id"),
    (PlanVersion, "plan_id IN (SELECT id FROM treatments_treatmentplan WHERE {patients})"),
    (TreatmentPlan, "patient_id"),
    (
        ScreeningDetermination,
        "screening_id IN (SELECT id FROM treatments_screening WHERE {patients})",
    ),
    (Screening, "patient_id"),
    (AssessmentFinding, "patient_id"),
    (ConsentSignature, "patient_id"),
    (IntakeLink, "intake_id IN (SELECT id FROM intake_intake WHERE {patients})"),
    (IntakeAmendment, "intake_id IN (SELECT id FROM intake_intake WHERE {patients})"),
    (Intake, "patient_id"),
    (PatientMeasurement, "patient_id"),
)  # fmt: skip


def _delete_bulk_rows() -> None:
    """Delete what an earlier run made. Rows the app added since then for bulk patients (calls,
    audit entries) may block it: then drop the database instead."""
    patients = (
        f"patient_id IN (SELECT id FROM intake_patient WHERE email LIKE "  # noqa: S608
        f"'%%@{bulk.BULK_EMAIL_DOMAIN}')"
    )
    with transaction.atomic(), connection.cursor() as cursor:
        for model, condition in _BULK_TABLES:
            where = patients if condition == "patient_id" else condition.format(patients=patients)
            cursor.execute(f"DELETE FROM {model._meta.db_table} WHERE {where}")  # noqa: S608
        cursor.execute(
            "DELETE FROM intake_patient WHERE email LIKE %s", ["%@" + bulk.BULK_EMAIL_DOMAIN]
        )
        TreatmentChair.objects.filter(name__startswith=bulk.BULK_CHAIR_PREFIX).delete()
        # Their staff assignments go with them.
        Location.objects.filter(name__startswith=LOCATION_PREFIX).delete()


def _analyze() -> None:
    """Statistics for the planner and, on PostgreSQL, the visibility map that lets counts be
    answered from an index alone (autovacuum would get there, later). VACUUM cannot run in a
    transaction (a test's): there, statistics only."""
    vacuum = connection.vendor == "postgresql" and not connection.in_atomic_block
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE)" if vacuum else "ANALYZE")

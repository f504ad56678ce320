from collections import Counter, defaultdict
from io import StringIO
from itertools import pairwise

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.utils import timezone

from clinic.models import Location, StaffLocation
from followups.models import OutboxEntry, Survey, SurveyLink
from intake.models import Assessment, Intake, IntakeLink, Patient
from treatments.models import (
    HOLDING_STATUSES,
    Screening,
    StaffTask,
    TreatmentChair,
    TreatmentPlan,
    TreatmentSession,
)
from treatments.services.patient_locations import patient_locations_drift

BULK = "@bulk.example.org"
PATIENTS = 60
BULK_LOCATION = "Bulk clinic"
ZONES = {"America/Chicago", "America/Denver", "America/New_York", "America/Los_Angeles"}


def _overlaps(sessions, key) -> list:
    """Pairs of sessions that hold the same chair (or patient) at the same time."""
    by_owner = defaultdict(list)
    for session in sessions:
        by_owner[getattr(session, key)].append(session)
    clashes = []
    for owned in by_owner.values():
        owned.sort(key=lambda session: session.starts_at)
        for before, after in pairwise(owned):
            if after.starts_at < before.ends_at:
                clashes.append((before.pk, after.pk))
    return clashes


@pytest.mark.django_db
def test_seed_bulk_makes_a_believable_clinic_in_the_expected_proportions():
    out = StringIO()
    call_command("seed_bulk", patients=PATIENTS, stdout=out)

    bulk = Patient.objects.filter(email__endswith=BULK)
    assert bulk.count() == PATIENTS
    mrns = list(bulk.values_list("mrn", flat=True))
    assert len(set(mrns)) == PATIENTS and all(mrn.startswith("KC-") for mrn in mrns)
    assert all(patient.measurements.exists() for patient in bulk)
    # Names come from small lists: a search finds a handful, and no name is everyone's.
    assert max(Counter(bulk.values_list("legal_last_name", flat=True)).values()) < 10

    intakes = Intake.objects.filter(patient__in=bulk)
    submitted = intakes.filter(status=Intake.Status.SUBMITTED)
    # Every intake went out as a link, as the front desk's would; opened once begun.
    links = IntakeLink.objects.filter(intake__in=intakes)
    assert links.count() == intakes.count()
    assert not links.filter(intake__status=Intake.Status.SUBMITTED, first_opened_at=None).exists()
    assert submitted.count() >= PATIENTS * 0.8
    for instrument in ("gad7", "phq9"):
        assert (
            Assessment.objects.filter(source_kind="intake", instrument=instrument).count()
            >= submitted.count()
        )

    plans = TreatmentPlan.objects.filter(patient__in=bulk)
    assert plans.count() == PATIENTS // 3
    approved = Screening.objects.filter(patient__in=bulk, is_current=True, status="approved")
    assert set(approved.values_list("patient", flat=True)) == set(
        plans.values_list("patient", flat=True)
    )
    completed = TreatmentSession.objects.filter(patient__in=bulk, status="completed")
    per_plan = Counter(completed.values_list("plan", flat=True))
    assert len(per_plan) == plans.count()
    assert 8 <= sum(per_plan.values()) / len(per_plan) <= 12

    holding = list(TreatmentSession.objects.filter(status__in=HOLDING_STATUSES))
    assert _overlaps(holding, "chair_id") == []
    assert _overlaps(holding, "patient_id") == []
    # Something on the chair board today or in the coming days.
    assert TreatmentSession.objects.filter(
        patient__in=bulk, status="booked", starts_at__gte=timezone.now().replace(hour=0)
    ).exists()

    surveys = Survey.objects.filter(patient__in=bulk)
    # A check-in after every session; the two-week questionnaires only after the induction
    # series' last infusion and each maintenance session, never after the first five.
    assert surveys.filter(content="checkin").count() == completed.count()
    assert 0 < surveys.filter(content="scores").count() < 2 * completed.count()
    assert not surveys.filter(content="checkin", offset_label__in=["7d", "14d"]).exists()
    assert not Assessment.objects.filter(
        patient__in=bulk, instrument="gad7", source_kind="survey",
        source_id__in=surveys.filter(content="checkin").values("pk"),
    ).exists()  # fmt: skip
    assert surveys.filter(status="completed").count() > surveys.count() / 2
    answered = surveys.filter(status="completed").values_list("pk", flat=True)
    # Each survey that went out has its link; one still to come has none yet.
    assert set(SurveyLink.objects.values_list("survey", flat=True)) == set(
        surveys.exclude(status="scheduled").values_list("pk", flat=True)
    )
    assert set(
        Assessment.objects.filter(patient__in=bulk, source_kind="survey").values_list(
            "source_id", flat=True
        )
    ) == set(answered)

    outbox = OutboxEntry.objects.filter(patient__in=bulk)
    keys = list(outbox.values_list("idempotency_key", flat=True))
    assert len(keys) == len(set(keys))
    statuses = Counter(outbox.values_list("status", flat=True))
    assert statuses["sent"] > statuses["scheduled"] > 0
    assert StaffTask.objects.filter(patient__in=bulk, source_kind="outbox").exists()

    staff = get_user_model().objects.get(username="frontdesk")
    assert staff.check_password("demo-clinic-2026")  # `make bench` logs in as the demo staff
    assert "treatments_treatmentsession" in out.getvalue()  # the row counts are printed


@pytest.mark.django_db
def test_seed_bulk_spreads_the_patients_and_chairs_over_locations_in_four_time_zones():
    out = StringIO()
    call_command("seed_bulk", patients=PATIENTS, stdout=out)

    # 40 chairs (the least the seed makes): 10 locations of 4, their zones in turn.
    locations = list(Location.objects.filter(name__startswith=BULK_LOCATION))
    assert [location.name for location in locations][:2] == ["Bulk clinic 01", "Bulk clinic 02"]
    assert len(locations) == 10
    assert {location.time_zone for location in locations} == ZONES
    assert locations[1].zone.key == "America/Denver"
    chairs = TreatmentChair.objects.filter(name__startswith="Bulk chair")
    assert set(Counter(chairs.values_list("location", flat=True)).values()) == {4}
    assert "40 bulk chairs at 10 locations (4 each)" in out.getvalue()

    # Every patient has a home among them, evenly, and is treated there only.
    bulk = Patient.objects.filter(email__endswith=BULK)
    homes = Counter(bulk.values_list("home_location", flat=True))
    assert set(homes) == {location.pk for location in locations}
    assert set(homes.values()) == {PATIENTS // 10}
    sessions = TreatmentSession.objects.filter(patient__in=bulk).select_related(
        "chair__location", "patient"
    )
    assert sessions.exists()
    for session in sessions:
        location = session.chair.location
        assert location.pk == session.patient.home_location_id
        # Inside the clinic's hours (08:00-18:00) in the location's own zone.
        starts = timezone.localtime(session.starts_at, location.zone)
        ends = timezone.localtime(session.ends_at, location.zone)
        assert starts.hour >= 8 and (ends.hour, ends.minute) <= (18, 0), (location, starts)

    # The table of where each patient is seen, written beside them, is in step with them.
    assert not patient_locations_drift()

    # The demo's staff work at the first bulk location too (with CLINIC_CHAIN=1: pick it).
    demo_staff = get_user_model().objects.filter(username__in=["frontdesk", "clinician"])
    for user in demo_staff:
        assert StaffLocation.objects.filter(user=user, location=locations[0]).exists()
        assert not StaffLocation.objects.filter(user=user, location=locations[1]).exists()


@pytest.mark.django_db
def test_seed_bulk_refuses_to_run_twice_unless_reset():
    call_command("seed_bulk", patients=6, stdout=StringIO())
    with pytest.raises(CommandError, match="--reset"):
        call_command("seed_bulk", patients=6, stdout=StringIO())

    call_command("seed_bulk", patients=9, reset=True, locations=3, stdout=StringIO())

    assert Patient.objects.filter(email__endswith=BULK).count() == 9
    # The earlier run's locations went with its chairs: 3 now, the 40 chairs over them.
    locations = Location.objects.filter(name__startswith=BULK_LOCATION)
    assert locations.count() == 3
    assert set(
        Counter(
            TreatmentChair.objects.filter(location__in=locations).values_list("location", flat=True)
        ).values()
    ) == {14}
    assert IntakeLink.objects.count() == Intake.objects.count()
    assert TreatmentPlan.objects.filter(patient__email__endswith=BULK).count() == 3


@pytest.mark.django_db
def test_seed_bulk_ledger_accounts_for_every_bulk_dose_and_its_chain_verifies():
    from decimal import Decimal

    from django.db.models import Min, Sum

    from followups.management.commands._bulk_ledger import MAX_OPEN_VIALS
    from treatments.models import (
        Discrepancy,
        LedgerEntry,
        RemsEnrollment,
        RemsFormSubmission,
        StockContainer,
        StockCount,
    )
    from treatments.selectors.rems import forms_to_submit

    call_command("seed_bulk", patients=PATIENTS, stdout=StringIO())
    out = StringIO()
    call_command("seed_bulk", ledger=True, stdout=out)  # a step of its own, on the seeded clinic
    assert "treatments_ledgerentry" in out.getvalue()

    verified = StringIO()
    call_command("ledger_verify", stdout=verified)
    assert "chain intact" in verified.getvalue()

    completed = TreatmentSession.objects.filter(patient__email__endswith=BULK, status="completed")
    entries = LedgerEntry.objects.filter(session__in=completed)
    # Every bulk dose was given from the ledger's containers, in full.
    given = dict(
        entries.filter(kind="administered")
        .values_list("session")
        .annotate(total=Sum("quantity"))
        .values_list("session", "total")
    )
    assert len(given) == completed.count()
    for session in completed:
        units = session.dose_given_mg if session.drug == "ketamine" else session.dose_given_mg / 28
        assert -given[session.pk] == Decimal(units).quantize(Decimal("0.1"))
    # Some ketamine doses left waste, each witnessed by a second clinician.
    wastes = entries.filter(kind="waste")
    assert 0 < wastes.count() < completed.filter(drug="ketamine").count()
    assert not wastes.filter(witness=None).exists()
    assert not wastes.exclude(method="disposal_container").exists()
    assert all(w.witness_id != w.by_id for w in wastes)

    bulk_containers = StockContainer.objects.filter(label__regex=r"^[KE]-B")
    # Each container's balance: what it received less what left it, never below zero.
    for container in bulk_containers:
        moved = LedgerEntry.objects.filter(container=container).aggregate(total=Sum("quantity"))
        latest = LedgerEntry.objects.filter(container=container).order_by("-sequence").first()
        # (SQLite sums decimals as floats: compared at the ledger's one decimal place.)
        assert latest.container_balance == Decimal(moved["total"]).quantize(Decimal("0.1")) >= 0

    # A blind count at the close of every day with doses, of every bulk container on the shelf;
    # only a few vials open at once.
    days = {timezone.localdate(s.administration_started_at) for s in completed}
    daily = StockCount.objects.filter(kind="daily", entries__container__in=bulk_containers)
    assert {timezone.localdate(c.counted_at) for c in daily.distinct()} <= days
    last = daily.order_by("-counted_at").first()
    on_shelf = {
        c.pk
        for c in bulk_containers
        if LedgerEntry.objects.filter(container=c).order_by("-sequence").first().container_balance
        > 0
    }
    assert set(last.entries.values_list("container", flat=True)) == on_shelf
    for count in daily.distinct():
        open_ones = count.entries.filter(counted__gt=0, container__product__drug="ketamine")
        opened = [e for e in open_ones.select_related("container") if e.counted < 500]
        assert len(opened) <= MAX_OPEN_VIALS + 1
    assert not Discrepancy.objects.filter(resolution=None).exists()

    # The REMS: every esketamine patient enrolled before their first dose; most forms submitted.
    esketamine = completed.filter(drug="esketamine")
    first_doses = dict(
        esketamine.values_list("patient").annotate(first=Min("administration_started_at"))
    )
    enrollments = RemsEnrollment.objects.filter(patient__in=list(first_doses))
    assert enrollments.count() == len(first_doses)
    for enrollment in enrollments:
        assert enrollment.enrolled_on <= timezone.localdate(first_doses[enrollment.patient_id])
    submitted = RemsFormSubmission.objects.filter(session__in=esketamine)
    if esketamine.exists():
        assert submitted.count() >= esketamine.count() * 0.6
        assert forms_to_submit().filter(patient__email__endswith=BULK).count() == (
            esketamine.count() - submitted.count()
        )

    # Append-only: neither a second ledger nor --reset.
    with pytest.raises(CommandError, match="append-only"):
        call_command("seed_bulk", ledger=True, stdout=StringIO())
    with pytest.raises(CommandError, match="append-only"):
        call_command("seed_bulk", patients=6, reset=True, stdout=StringIO())

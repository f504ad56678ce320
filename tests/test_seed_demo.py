import io
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.utils import timezone

from clinic.models import Location
from clinic.roles import CLINIC_ADMIN, CLINICIAN, FRONT_DESK
from followups.models import Survey
from intake.models import Assessment, Intake, Patient
from treatments import ledger_rules as rules
from treatments import limits
from treatments.ledger_rules import rems_form_urgent
from treatments.models import (
    Discrepancy,
    LedgerEntry,
    RemsEnrollment,
    RemsFormSubmission,
    StockContainer,
    StockCount,
    TreatmentPlan,
    TreatmentSession,
)
from treatments.selectors import rems as rems_selectors
from treatments.services import ledger
from treatments.services import sessions as services

CHICAGO = ZoneInfo("America/Chicago")
DENVER = ZoneInfo("America/Denver")


@pytest.mark.django_db
def test_seed_demo_makes_one_user_per_role_and_patients_and_is_idempotent(capsys):
    call_command("seed_demo")
    first_output = capsys.readouterr().out
    call_command("seed_demo")

    users = get_user_model().objects.prefetch_related("groups")
    roles = {u.username: [g.name for g in u.groups.all()] for u in users}
    assert roles == {
        "frontdesk": [FRONT_DESK],
        "clinician": [CLINICIAN],
        "admin": [CLINIC_ADMIN],
        "nurse": [CLINICIAN],  # the second clinician, who witnesses the demo's wastes
    }
    assert get_user_model().objects.get(username="admin").is_staff
    assert get_user_model().objects.get(username="frontdesk").check_password("demo-clinic-2026")
    assert Patient.objects.count() == 20 + 4  # Austin's and El Paso's; the second run added nobody
    assert Intake.objects.count() == 10 + 1
    assert Intake.objects.filter(status="submitted").count() == 8 + 1
    # Austin: 2 + 3 (+ maintenance); El Paso: one starting.
    assert TreatmentPlan.objects.filter(status="active").count() == 2 + 3 + 1
    # Six months of history: 5 in Austin, 2 in El Paso.
    assert TreatmentPlan.objects.filter(status="completed").count() == 5 + 2
    assert Survey.objects.filter(status="completed").count() > 50
    # The check-in's anxiety since the treatment is its own instrument, never a GAD-7; the
    # two-week questionnaires follow no infusion of an induction series but its last.
    checkins = Survey.objects.filter(content="checkin", status="completed")
    assert (
        Assessment.objects.filter(
            source_kind="survey", source_id__in=checkins.values("pk"), instrument="anx_24h", band=""
        ).count()
        == checkins.count()
    )
    assert not Assessment.objects.filter(
        source_kind="survey", source_id__in=checkins.values("pk"), instrument="gad7"
    ).exists()
    assert (
        Survey.objects.filter(content="scores").count()
        < Survey.objects.filter(content="checkin").count()
    )
    assert TreatmentSession.objects.filter(status="booked").count() == 6 + 3
    assert "frontdesk" in first_output and "demo-clinic-2026" in first_output
    assert "nurse" in first_output and "authenticator key" in first_output
    assert all(p.measurements.exists() for p in Patient.objects.all())


@pytest.mark.django_db
@pytest.mark.parametrize(
    "today",
    [
        datetime(2026, 12, 8, 9, 0, tzinfo=CHICAGO),  # a Tuesday: two days ago was a Sunday
        datetime(2026, 12, 7, 7, 0, tzinfo=CHICAGO),  # a Monday before opening
        datetime(2026, 3, 9, 20, 0, tzinfo=CHICAGO),  # the evening after the clocks go forward
    ],
)
def test_the_demo_s_completed_sessions_are_logged_as_a_clinician_would(today):
    with time_machine.travel(today, tick=False):
        call_command("seed_demo")

        to_sign = TreatmentSession.objects.filter(status="completed", signed_at__isnull=True)
        assert to_sign.count() == 2
        hours = limits.opening_hours()
        for session in to_sign:
            local_start = timezone.localtime(session.starts_at)
            opens, closes = hours[local_start.weekday()]
            assert (
                opens <= local_start.time() and timezone.localtime(session.ends_at).time() <= closes
            )
            vitals = list(session.vitals.all())
            # Everything signing asks for is there: the note can be signed as it stands.
            assert services.signing_parts(session, vitals) == dict.fromkeys(
                services.signing_parts(session, vitals), True
            )
            assert session.escort_name and session.aldrete_total == 10
            assert session.discharged_at >= services.earliest_discharge(session)
            assert vitals[-1].sedation_moaa_s == 5 and vitals[-1].dissociation == 0


def _ledger_sum(**filters) -> Decimal:
    return sum(LedgerEntry.objects.filter(**filters).values_list("quantity", flat=True), Decimal(0))


@pytest.mark.django_db
def test_the_demo_has_a_month_of_ledger_history_that_adds_up_and_verifies(capsys):
    call_command("seed_demo")
    entries = LedgerEntry.objects.count()
    call_command("seed_demo")
    assert LedgerEntry.objects.count() == entries  # the second run replays nothing
    capsys.readouterr()

    call_command("ledger_verify")
    assert "chain intact" in capsys.readouterr().out
    assert not list(ledger.chain_breaks(ledger.clinic_registration()))

    # The initial inventory at the opening of the month's first day, before any stock came in;
    # the biennial at the close of its last day, after that day's count.
    counts = StockCount.objects.order_by("counted_at")
    initial, biennial = counts.first(), counts.last()
    assert (initial.kind, initial.business, initial.entries.count()) == ("initial", "opening", 0)
    assert (biennial.kind, biennial.business) == ("biennial", "close")
    first_receipt = LedgerEntry.objects.order_by("sequence").first()
    assert first_receipt.kind == "receipt" and first_receipt.occurred_at > initial.counted_at
    month = (timezone.localdate(biennial.counted_at) - timezone.localdate(initial.counted_at)).days
    assert 25 <= month <= 31
    daily = counts.filter(kind="daily")
    assert daily.count() >= 20
    # Written in the order it happened: the chain's order is the clock's.
    occurred = list(LedgerEntry.objects.order_by("sequence").values_list("occurred_at", flat=True))
    assert occurred == sorted(occurred)

    # Every dose of the month's sessions came out of the ledger, drawn up to the next 10 mg,
    # the rest wasted and witnessed by the other clinician; the session names the vial's lot.
    nurse = get_user_model().objects.get(username="nurse")
    dosed = TreatmentSession.objects.filter(
        status="completed", administration_started_at__gte=initial.counted_at
    )
    assert dosed.count() >= 5 and dosed.filter(drug="esketamine").exists()
    for session in dosed:
        given = -_ledger_sum(session=session, kind="administered")
        product = session.ledger_entries.first().product
        assert given == product.units_for_mg(session.dose_given_mg)
        lots = set(session.ledger_entries.values_list("container__lot", flat=True))
        assert session.lot_number == ", ".join(sorted(lots))
    wastes = LedgerEntry.objects.filter(kind="waste")
    assert wastes.count() >= 5
    assert all(w.witness_id == nurse.pk and w.by_id != nurse.pk and w.method for w in wastes)
    assert nurse.totpdevice_set.filter(confirmed=True).exists()  # a witness gives a code

    # One waste entered twice and reversed, with the reason; one expired vial to the reverse
    # distributor, witnessed.
    reversal = LedgerEntry.objects.get(kind="reversal")
    assert reversal.reverses.kind == "waste" and "entered twice" in reversal.reason
    assert reversal.quantity == -reversal.reverses.quantity
    disposal = LedgerEntry.objects.get(kind="disposal")
    assert disposal.method == "reverse_distributor" and disposal.witness_id == nurse.pk
    assert disposal.container.expires_on < timezone.localdate(disposal.occurred_at)
    assert disposal.container_balance == 0

    # Every count matched the ledger but one: 5 mg short, resolved as a loss with the fields
    # of DEA Form 106, the loss entered in the ledger.
    discrepancy = Discrepancy.objects.get()
    assert discrepancy.difference == Decimal(-5)
    resolution = discrepancy.resolution
    assert (resolution.outcome, resolution.loss_type) == ("loss", "other")
    assert resolution.discovered_on and resolution.police_notified is False
    assert resolution.correcting_entry.kind == "loss"
    assert resolution.correcting_entry.quantity == Decimal(-5)

    # The balance equation per container: what came in less what went out, each movement
    # entered once, is the balance the last count found.
    for container in StockContainer.objects.all():
        movements = {
            kind: _ledger_sum(container=container, kind=kind)
            for kind in ("receipt", "administered", "waste", "disposal", "loss", "reversal")
        }
        assert movements["receipt"] == container.quantity_received
        latest = container.entries.order_by("-sequence").first()
        assert sum(movements.values()) == latest.container_balance
        if latest.kind == "count":
            assert latest.counted == latest.container_balance
    # Stock left for the demo's sessions to come.
    assert ledger.usable_containers(drug="ketamine")
    assert ledger.usable_containers(drug="esketamine")


@pytest.mark.django_db
def test_the_demo_s_esketamine_patients_are_enrolled_and_one_form_is_due(clinician):
    call_command("seed_demo", stdout=io.StringIO())

    esketamine = TreatmentSession.objects.filter(status="completed", drug="esketamine")
    patients = set(esketamine.values_list("patient_id", flat=True))
    assert len(patients) == 2
    for enrollment in RemsEnrollment.objects.filter(patient_id__in=patients):
        first = esketamine.filter(patient_id=enrollment.patient_id).order_by("starts_at").first()
        assert enrollment.enrolled_on < timezone.localdate(first.starts_at)
    assert RemsEnrollment.objects.count() == 2
    due = list(rems_selectors.forms_to_submit())
    assert len(due) == 1 and due[0] == esketamine.order_by("starts_at").last()
    assert rems_form_urgent(rems_selectors.form_due(due[0]), timezone.localdate())
    assert RemsFormSubmission.objects.count() == esketamine.count() - 1


@pytest.mark.django_db
def test_the_demo_is_a_chain_of_two_locations_in_two_time_zones():
    call_command("seed_demo", stdout=io.StringIO())
    call_command("seed_demo", stdout=io.StringIO())

    austin, el_paso = Location.objects.order_by("display_order")
    assert (austin.name, austin.time_zone) == ("Austin", "America/Chicago")
    assert (el_paso.name, el_paso.time_zone) == ("El Paso", "America/Denver")
    # Each its own DEA registration number, valid.
    assert el_paso.dea_registration != austin.dea_registration
    assert rules.dea_number_problem(el_paso.dea_registration) is None
    assert el_paso.rems_setting_number != austin.rems_setting_number
    assert set(el_paso.opening_hours) == {"mon", "tue", "wed", "thu", "fri"}

    # Who works where: the front desk and the clinician at both (asked where they work when
    # CLINIC_CHAIN is on), the nurse in Austin only.
    def places(username):
        user = get_user_model().objects.get(username=username)
        return sorted(user.clinic_locations.values_list("name", flat=True))

    assert places("frontdesk") == places("clinician") == ["Austin", "El Paso"]
    assert places("nurse") == ["Austin"]

    # Chairs at both; El Paso's patients have their home there and their sessions on its
    # chairs, inside its hours in Mountain time.
    assert austin.chairs.count() == 3 and el_paso.chairs.count() == 2
    at_el_paso = Patient.objects.filter(home_location=el_paso)
    assert at_el_paso.count() == 4
    assert not Patient.objects.filter(home_location=el_paso, city="Austin").exists()
    sessions = TreatmentSession.objects.filter(chair__location=el_paso)
    assert set(sessions.values_list("patient__home_location", flat=True)) == {el_paso.pk}
    assert sessions.filter(status="completed").exists()
    booked = sessions.filter(status="booked")
    assert booked.count() == 3
    for session in booked:
        local = session.starts_at.astimezone(DENVER)
        assert local.hour == 10 and local.weekday() < 5
    # Austin's sessions stay on Austin's chairs; its ledger month is Austin's registration's.
    assert not TreatmentSession.objects.filter(
        chair__location=austin, patient__home_location=el_paso
    ).exists()
    assert not StockContainer.objects.exclude(registration__number=austin.dea_registration).exists()


@pytest.mark.django_db
def test_the_demo_seeds_with_the_chain_on_too(settings):
    """`CLINIC_CHAIN=1 make run`: every booking is by staff who work at the chair's location."""
    settings.CLINIC_CHAIN = True

    call_command("seed_demo", stdout=io.StringIO())

    assert set(Location.objects.values_list("name", flat=True)) == {"Austin", "El Paso"}
    out = io.StringIO()
    call_command("ledger_verify", stdout=out)
    assert "chain intact, stock on hand matches" in out.getvalue()
    # Where each patient is seen, kept through the demo's bulk writes too.
    out = io.StringIO()
    call_command("patient_locations", stdout=out)
    assert "all in step" in out.getvalue()

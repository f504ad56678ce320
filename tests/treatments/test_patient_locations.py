"""Where each patient is seen (``intake.PatientLocation``, issue 26): the table the location
rule and the database's row policy read. It follows the patient's home, each booking, a booking
moved to another location's chair and a chair moved to another location, whichever way they
are saved; ``manage.py patient_locations`` finds a table left out of step by a write that
bypassed the saves, and repairs it."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from clinic.models import Location, StaffLocation
from intake.models import Patient, PatientLocation
from tests.factories import PatientFactory
from tests.treatments.booking import active_plan, chair, clinic_time
from treatments.models import TreatmentSession
from treatments.services.booking import session_book, session_cancel, session_reschedule
from treatments.services.patient_locations import patient_locations_drift

pytestmark = [pytest.mark.clinic_day, pytest.mark.django_db]

TUESDAY = clinic_time(2026, 12, 1, 10)
HOME, SESSION = PatientLocation.Via.HOME, PatientLocation.Via.SESSION


@pytest.fixture
def austin(settings):
    settings.CLINIC_CHAIN = True
    return Location.objects.create(name="Austin", time_zone="America/Chicago", display_order=1)


@pytest.fixture
def el_paso(austin):
    return Location.objects.create(name="El Paso", time_zone="America/Denver", display_order=2)


@pytest.fixture
def desk_of_el_paso(front_desk, el_paso, front_desk_user):
    """The front desk, assigned to El Paso alone (and so working there)."""
    StaffLocation.objects.create(user=front_desk_user, location=el_paso)
    return front_desk


@pytest.fixture
def booker(clinician_user, austin, el_paso):
    for location in (austin, el_paso):
        StaffLocation.objects.create(user=clinician_user, location=location)
    return clinician_user


def seen(patient: Patient) -> set[tuple[str, str]]:
    rows = PatientLocation.objects.filter(patient=patient).select_related("location")
    return {(row.location.name, row.via) for row in rows}


def chart_status(client, patient: Patient) -> int:
    return client.get(reverse("intake:patient_detail", args=[patient.pk])).status_code


def book(booker, patient, on_chair, starts_at=TUESDAY) -> TreatmentSession:
    plan = active_plan(by=booker, patient=patient, start_date=starts_at.date())
    return session_book(plan=plan, chair=on_chair, starts_at=starts_at, booked_by=booker)


def test_a_patient_is_seen_at_home_where_booked_and_no_longer_where_a_booking_moved_from(
    booker, austin, el_paso, desk_of_el_paso
):
    patient = PatientFactory(home_location=austin)
    assert seen(patient) == {("Austin", HOME)}
    assert chart_status(desk_of_el_paso, patient) == 404

    session = book(booker, patient, chair("El Paso 1", location=el_paso))

    assert seen(patient) == {("Austin", HOME), ("El Paso", SESSION)}
    assert chart_status(desk_of_el_paso, patient) == 200

    session_reschedule(
        session=session, starts_at=TUESDAY, chair=chair("Austin 1", location=austin), user=booker
    )

    assert seen(patient) == {("Austin", HOME), ("Austin", SESSION)}
    assert chart_status(desk_of_el_paso, patient) == 404


def test_a_cancelled_booking_keeps_the_patient_seen_where_it_was(
    booker, austin, el_paso, desk_of_el_paso
):
    """The session is still there, cancelled, on El Paso's board history and in its records."""
    patient = PatientFactory(home_location=austin)
    session = book(booker, patient, chair("El Paso 1", location=el_paso))

    session_cancel(session=session, reason="Patient asked to cancel", user=booker)

    assert ("El Paso", SESSION) in seen(patient)
    assert chart_status(desk_of_el_paso, patient) == 200


def test_a_patient_without_a_home_is_at_the_first_location_and_a_move_replaces_the_home(
    austin, el_paso, desk_of_el_paso
):
    first = Location.objects.filter(active=True).first()
    patient = PatientFactory()
    assert patient.home_location == first
    assert seen(patient) == {(first.name, HOME)}

    patient.home_location = el_paso
    patient.save()

    assert seen(patient) == {("El Paso", HOME)}
    assert chart_status(desk_of_el_paso, patient) == 200


def test_a_chair_moved_to_another_location_takes_its_patients_there(
    booker, austin, el_paso, desk_of_el_paso
):
    patient = PatientFactory(home_location=austin)
    wheeled = chair("Recliner 7", location=austin)
    book(booker, patient, wheeled)
    assert chart_status(desk_of_el_paso, patient) == 404

    wheeled.location = el_paso
    wheeled.save()

    assert seen(patient) == {("Austin", HOME), ("El Paso", SESSION)}
    assert chart_status(desk_of_el_paso, patient) == 200


def test_the_command_finds_a_table_out_of_step_and_repairs_it(
    booker, austin, el_paso, desk_of_el_paso
):
    patient = PatientFactory(home_location=austin)
    book(booker, patient, chair("Austin 1", location=austin))
    out = StringIO()
    call_command("patient_locations", stdout=out)
    assert "rows, all in step." in out.getvalue()
    # A write that bypasses the saves: the patient moves home to El Paso behind the table's back.
    Patient.objects.filter(pk=patient.pk).update(home_location=el_paso)
    assert chart_status(desk_of_el_paso, patient) == 404

    with pytest.raises(CommandError) as refused:
        call_command("patient_locations")
    assert str(refused.value) == (
        "Where patients are seen: 1 row missing and 1 row extra. "
        "Run `manage.py patient_locations --repair`."
    )
    assert patient.mrn not in str(refused.value)

    out = StringIO()
    call_command("patient_locations", "--repair", stdout=out)

    assert out.getvalue().strip() == (
        "Where patients are seen: 1 row missing and 1 row extra, now repaired."
    )
    assert not patient_locations_drift()
    assert seen(patient) == {("El Paso", HOME), ("Austin", SESSION)}
    assert chart_status(desk_of_el_paso, patient) == 200

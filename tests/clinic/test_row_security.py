"""The location rule in PostgreSQL itself (row-level security, docs/locations.md): a query that
forgets the app's filter finds only the locations' patients of a member of staff who is not
chain-wide; everyone else, and the connection after the request, sees every patient."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.http import HttpResponse, StreamingHttpResponse
from django.urls import reverse
from django.utils import timezone

from clinic.locations import LOCATION_SESSION_KEY, LocationMiddleware, default_location
from clinic.models import Location, StaffLocation
from clinic.row_security import ROLE, RowSecurityMiddleware, location_row_security
from intake.models import Patient, PatientMeasurement
from tests.factories import PatientFactory
from tests.followups.worklist_data import answered_survey
from tests.treatments.sessions import booked_session

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def _visible_patients() -> set[int]:
    """Every patient id a query with no location filter finds."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT id FROM intake_patient")
        return {pk for (pk,) in cursor.fetchall()}


def _database_user() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user")
        return cursor.fetchone()[0]


@pytest.fixture
def chain(settings, clinician_user):
    """The first location (where patients with no home location belong) and El Paso, a
    patient of each, one with no home location, and an Austin patient treated in El Paso."""
    settings.CLINIC_CHAIN = True
    austin = default_location()
    el_paso = Location.objects.create(
        name="El Paso", time_zone="America/Denver", display_order=austin.display_order + 50
    )
    treated = booked_session(by=clinician_user)
    treated.chair.location = el_paso
    treated.chair.save(update_fields=["location"])
    treated.patient.home_location = austin
    treated.patient.save(update_fields=["home_location"])
    return {
        "austin": austin,
        "el_paso": el_paso,
        "at_austin": PatientFactory(home_location=austin).pk,
        "at_el_paso": PatientFactory(home_location=el_paso).pk,
        "no_home": PatientFactory(home_location=None).pk,
        "treated_in_el_paso": treated.patient_id,
    }


def _works_at(user, location) -> None:
    StaffLocation.objects.get_or_create(user=user, location=location)


def _request_running(rf, user, view, working_in=None):
    """``view`` run as the request of ``user`` (working in ``working_in``, if they have several
    locations) through the location middleware and this one, as the settings order them."""
    request = rf.get("/patients/")
    request.user = user
    request.session = {LOCATION_SESSION_KEY: working_in.pk} if working_in else {}
    return LocationMiddleware(RowSecurityMiddleware(view))(request)


def _raw_query_in_request(rf, user, working_in=None) -> set[int]:
    seen = {}

    def view(request):
        seen["patients"] = _visible_patients()
        return HttpResponse()

    response = _request_running(rf, user, view, working_in)
    assert response.status_code == 200
    return seen["patients"]


def test_a_query_that_forgets_the_filter_finds_only_the_locations_patients(
    chain, front_desk_user, rf
):
    _works_at(front_desk_user, chain["el_paso"])

    seen = _raw_query_in_request(rf, front_desk_user)

    # El Paso's own patient, and the Austin patient with a session in an El Paso chair.
    assert seen == {chain["at_el_paso"], chain["treated_in_el_paso"]}
    # After the request the connection is the app's again, and sees everyone.
    assert _database_user() != ROLE
    assert {chain["at_austin"], chain["no_home"]} <= _visible_patients()


def test_a_patient_with_no_home_location_is_the_first_locations(chain, front_desk_user, rf):
    _works_at(front_desk_user, chain["austin"])

    seen = _raw_query_in_request(rf, front_desk_user)

    assert {chain["at_austin"], chain["no_home"], chain["treated_in_el_paso"]} <= seen
    assert chain["at_el_paso"] not in seen


def test_staff_of_several_locations_see_each_ones_patients(chain, front_desk_user, rf):
    _works_at(front_desk_user, chain["austin"])
    _works_at(front_desk_user, chain["el_paso"])

    seen = _raw_query_in_request(rf, front_desk_user, working_in=chain["el_paso"])

    # Working in El Paso today, they may still open an Austin patient's record.
    assert {chain["at_austin"], chain["at_el_paso"], chain["no_home"]} <= seen


def test_chain_wide_staff_see_every_location(chain, clinician_user, rf):
    _works_at(clinician_user, chain["el_paso"])
    clinician_user.user_permissions.add(Permission.objects.get(codename="chain_wide_access"))
    clinician_user = type(clinician_user).objects.get(pk=clinician_user.pk)  # permissions re-read

    seen = _raw_query_in_request(rf, clinician_user, working_in=chain["el_paso"])

    assert {chain["at_austin"], chain["at_el_paso"], chain["no_home"]} <= seen


def test_one_clinic_sees_every_patient(chain, front_desk_user, rf, settings):
    _works_at(front_desk_user, chain["el_paso"])
    settings.CLINIC_CHAIN = False

    seen = _raw_query_in_request(rf, front_desk_user)

    assert {chain["at_austin"], chain["at_el_paso"], chain["no_home"]} <= seen


def test_a_patients_rows_follow_the_patient(chain, front_desk_user):
    for patient in (chain["at_austin"], chain["at_el_paso"]):
        PatientMeasurement.objects.create(
            patient_id=patient, recorded_at=timezone.now(), weight_kg=Decimal("70.0")
        )

    with location_row_security([chain["el_paso"].pk]), connection.cursor() as cursor:
        cursor.execute("SELECT patient_id FROM intake_patientmeasurement")
        seen = {pk for (pk,) in cursor.fetchall()}

    assert seen == {chain["at_el_paso"]}


# A patient's rows in every app, each read with no filter at all: {table: its patient column}.
PATIENT_ROWS = {
    "intake_assessment": "patient_id",
    "treatments_treatmentplan": "patient_id",
    "treatments_treatmentsession": "patient_id",
    "followups_survey": "patient_id",
}


def test_a_patients_clinical_rows_in_every_app_follow_the_patient(chain, clinician_user):
    """A plan, a session, a survey and its scores for a patient of each location;
    run as El Paso's staff, a query on each table that forgets the filter finds El Paso's
    patients' rows (and the Austin patient's treated in El Paso), never Austin's own."""
    for patient in (chain["at_austin"], chain["at_el_paso"]):
        answered_survey(by=clinician_user, patient=Patient.objects.get(pk=patient), phq9=[1] * 9)
    everywhere = {}
    for table, column in PATIENT_ROWS.items():
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT DISTINCT {column} FROM {table}")  # noqa: S608 (constants)
            everywhere[table] = {pk for (pk,) in cursor.fetchall()}
        assert chain["at_austin"] in everywhere[table], table  # there to be hidden

    with location_row_security([chain["el_paso"].pk]), connection.cursor() as cursor:
        for table, column in PATIENT_ROWS.items():
            cursor.execute(f"SELECT DISTINCT {column} FROM {table}")  # noqa: S608 (constants)
            seen = {pk for (pk,) in cursor.fetchall()}
            assert chain["at_austin"] not in seen, table
            assert seen <= {chain["at_el_paso"], chain["treated_in_el_paso"]}, table
            assert seen & {chain["at_el_paso"], chain["treated_in_el_paso"]}, table


def test_an_unset_location_list_shows_the_role_nothing(chain):
    with location_row_security([]):
        assert _visible_patients() == set()
    assert chain["at_austin"] in _visible_patients()


def test_the_role_costs_the_page_no_counted_query(
    chain, front_desk_user, rf, django_assert_num_queries
):
    _works_at(front_desk_user, chain["el_paso"])
    front_desk_user.has_perm("clinic.chain_wide_access")  # the user's permissions read once

    def view(request):
        return HttpResponse(_database_user())

    with django_assert_num_queries(2):  # the user's locations, and the view's own
        response = _request_running(rf, front_desk_user, view)

    assert response.content.decode() == ROLE


def test_the_pages_work_under_the_role(chain, front_desk, front_desk_user):
    _works_at(front_desk_user, chain["el_paso"])
    users = []

    def note_the_user(execute, sql, params, many, context):
        with context["connection"].connection.cursor() as cursor:
            cursor.execute("SELECT current_user")
            users.append(cursor.fetchone()[0])
        return execute(sql, params, many, context)

    with connection.execute_wrapper(note_the_user):
        assert front_desk.get(reverse("intake:patient_list")).status_code == 200
        page = front_desk.get(reverse("intake:patient_detail", args=[chain["at_el_paso"]]))

    assert page.status_code == 200
    assert ROLE in users  # the pages' queries ran as the role (and the sign-in's did not)
    assert _database_user() != ROLE


def test_a_streamed_page_reads_as_the_role(chain, front_desk_user, rf):
    _works_at(front_desk_user, chain["el_paso"])

    def view(request):
        return StreamingHttpResponse(str(pk) for pk in sorted(_visible_patients()))

    response = _request_running(rf, front_desk_user, view)
    assert _database_user() != ROLE
    streamed = {int(chunk) for chunk in response.streaming_content}

    assert streamed == {chain["at_el_paso"], chain["treated_in_el_paso"]}
    assert _database_user() != ROLE


def test_a_patient_booked_elsewhere_later_is_seen_there(chain, front_desk_user, clinician_user, rf):
    _works_at(front_desk_user, chain["el_paso"])
    patient = PatientFactory(home_location=chain["austin"])
    assert patient.pk not in _raw_query_in_request(rf, front_desk_user)

    session = booked_session(
        by=clinician_user, patient=patient, starts_at=timezone.now() + timedelta(days=3)
    )
    session.chair.location = chain["el_paso"]
    session.chair.save(update_fields=["location"])

    assert patient.pk in _raw_query_in_request(rf, front_desk_user)

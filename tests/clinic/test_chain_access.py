"""Who sees which patient in a chain of clinics: every patient-scoped URL, the list and search,
the admin.

A member of staff of location B opens every URL that takes the id of a patient of location A,
or of something of theirs (an intake, an alert, a screening, a task, a plan, a session, a
survey, an outbox entry): each answers 404, as for a patient who does not exist. The same
member of staff assigned to A too, or chain-wide, gets the page's usual answer; so does the
member of B with the chain off (one clinic: nothing changes).

The URLs come from the walker of ``test_access`` (every URL of the project): one that takes an
id is either listed in ``RECORD_OF`` (which of A's records fills it) or in ``NOT_PATIENTS`` with
the reason, so a URL added later must be placed before this file passes.
"""

from datetime import date, timedelta

import pytest
from auditlog.models import LogEntry
from django.contrib import admin
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from clinic.locations import LOCATION_SESSION_KEY
from clinic.models import Location, StaffLocation
from clinic.roles import CLINICIAN, FRONT_DESK
from intake.models import ClinicalAlert, Intake, Patient
from intake.services.patients import patient_register
from tests.clinic.test_access import PROTECTED
from tests.conftest import sign_in
from tests.factories import PatientFactory, UserFactory
from tests.followups.worklist_data import answered_survey, failed_message, followup_task
from tests.intake.test_patients import MARIA
from tests.treatments.plans import active_plan, approved_patient
from tests.treatments.screenings import screening_row
from tests.treatments.sessions import booked_session
from treatments.dosing import Route
from treatments.models import Screening, StaffTask, TreatmentChair
from treatments.screening_rules import Result

# Route -> which of location A's records its id is.
RECORD_OF = {
    "intake:patient_detail": "patient",
    "intake:patient_edit": "patient",
    "intake:measurement_add": "patient",
    "intake:intake_link_send": "patient",
    "intake:intake_detail": "intake",
    "intake:intake_link_resend": "intake",
    "intake:intake_link_revoke": "intake",
    "intake:intake_amend": "intake",
    "intake:alert_acknowledge": "alert",
    "treatments:screening_detail": "screening",
    "treatments:screening_record_findings": "screening",
    "treatments:screening_sign": "screening",
    "treatments:task_done": "staff_task",
    "treatments:plan_list": "patient",
    "treatments:plan_new": "patient",
    "treatments:plan_detail": "plan",
    "treatments:plan_activate": "plan",
    "treatments:plan_edit": "plan",
    "treatments:plan_amend": "plan",
    "treatments:plan_complete": "plan",
    "treatments:plan_stop": "plan",
    "treatments:plan_book": "plan",
    "treatments:booking_manage": "session",
    "treatments:booking_reschedule": "session",
    "treatments:booking_cancel": "session",
    "treatments:booking_no_show": "session",
    "treatments:session_detail": "session",
    "treatments:session_check_in": "session",
    "treatments:session_pre_dose": "session",
    "treatments:session_bp_decision": "session",
    "treatments:session_fasting_decision": "session",
    "treatments:session_administer": "session",
    "treatments:session_vitals_add": "session",
    "treatments:session_stop_time": "session",
    "treatments:session_event_add": "session",
    "treatments:session_discharge": "session",
    "treatments:session_sign": "session",
    "treatments:session_addendum_add": "session",
    "treatments:session_rems": "esketamine_session",
    "treatments:rems_enroll": "patient",
    "treatments:rems_form_submit": "esketamine_session",
    "followups:survey_detail": "survey",
    "followups:call_log": "followup_task",
    "followups:task_done": "followup_task",
    "followups:communication_log": "patient",
    "followups:send_again": "failed_message",
    "followups:patient_chart": "patient",
}
# URLs with an id that is not a patient's record, and why.
NOT_PATIENTS = {
    # A consultation request is a person's request to a location, before (or without) a
    # patient record: the front desk of that location sees it (tests/intake/test_chain_inquiries).
    "intake:inquiry_detail",
    "intake:inquiry_register_patient",
    "intake:inquiry_link_patient",
    "intake:inquiry_close",
    "intake:inquiry_release",
    "intake:inquiry_discard",
    # The controlled-substance ledger: a location's registration, its stock and counts.
    "treatments:ledger_container",
    "treatments:ledger_container_dispose",
    "treatments:ledger_entry_reverse",
    "treatments:ledger_count",
    "treatments:ledger_count_csv",
    "treatments:ledger_discrepancy",
    "treatments:ledger_form_106",
}
WITH_AN_ID = [r for r in PROTECTED if "<int:" in "".join(str(p) for p in r.parts)]
PATIENT_ROUTES = [r for r in WITH_AN_ID if r.label in RECORD_OF]


def test_every_url_with_an_id_is_placed():
    """Guard the walk: a new URL taking an id is either checked below or said not to be a
    patient's record."""
    labels = {r.label for r in WITH_AN_ID}
    assert labels - RECORD_OF.keys() - NOT_PATIENTS == set()
    assert RECORD_OF.keys() <= labels, "a listed URL no longer exists"
    assert len(PATIENT_ROUTES) == len(RECORD_OF)


# --- Two locations, a patient of A with a record of every kind -----------------------------------


@pytest.fixture
def austin(db, settings):
    return Location.objects.create(
        name="Austin",
        time_zone="America/Chicago",
        display_order=1,
        dea_registration=settings.CLINIC_DEA_REGISTRATION,  # its doses are drawn from its stock
    )


@pytest.fixture
def el_paso(db):
    return Location.objects.create(name="El Paso", time_zone="America/Denver", display_order=2)


@pytest.fixture
def chain(settings):
    settings.CLINIC_CHAIN = True


@pytest.fixture
def staff_of_el_paso(el_paso):
    """A member of staff in both roles (every patient page is theirs), working in El Paso."""
    user = UserFactory(username="elena", role=FRONT_DESK)
    user.groups.add(Group.objects.get(name=CLINICIAN))
    StaffLocation.objects.create(user=user, location=el_paso)
    return user


def working_in(client, user, location):
    sign_in(client, user)
    session = client.session
    session[LOCATION_SESSION_KEY] = location.pk
    session.save()
    return client


@pytest.fixture
def records(austin, clinician_user):
    """A patient of Austin with one of each record the patient-scoped URLs take; every chair
    they sit in is Austin's."""
    patient = PatientFactory(legal_last_name="Austinite", home_location=austin)
    session = booked_session(by=clinician_user, patient=patient)
    # Another of Austin's patients (a patient has one active plan).
    esketamine = booked_session(
        by=clinician_user,
        patient=PatientFactory(home_location=austin),
        route=Route.ESKETAMINE_NASAL,
        dose_mg="56.0",
        starts_at=session.starts_at + timedelta(days=3),
    )
    screening = screening_row(result=Result.NEEDS_REVIEW)
    Intake.objects.filter(pk=screening.intake_id).update(patient=patient)
    Screening.objects.filter(pk=screening.pk).update(patient=patient)
    alert = ClinicalAlert.objects.create(
        patient=patient, kind=ClinicalAlert.Kind.PHQ9_ITEM9, source_kind="intake", source_id=1
    )
    staff_task = StaffTask.objects.create(
        patient=patient, role=StaffTask.Role.FRONT_DESK, title="Book the first session"
    )
    plan_patient = approved_patient()  # weighed: an active plan of mg/kg doses
    plan_patient.home_location = austin
    plan_patient.save(update_fields=["home_location"])
    found = {
        "patient": patient,
        "intake": Intake.objects.get(pk=screening.intake_id),
        "alert": alert,
        "screening": screening,
        "staff_task": staff_task,
        "plan": active_plan(clinician_user, patient=plan_patient),
        "session": session,
        "esketamine_session": esketamine,
        "survey": answered_survey(by=clinician_user, patient=patient),
        "followup_task": followup_task(patient=patient),
        "failed_message": failed_message(patient=patient),
    }
    TreatmentChair.objects.update(location=austin)
    return found


def _answer(client, route, record):
    """The URL's answer to a GET, or to an empty POST where it takes only POSTs (a GET answers
    405, or goes back to the page the form is on: ``treatments.views.post_or_back``)."""
    url = route.url(object_pk=record.pk)
    response = client.get(url)
    if response.status_code in (302, 405):
        response = client.post(url, {})
    return url, response.status_code


@pytest.mark.parametrize("route", PATIENT_ROUTES, ids=[r.label for r in PATIENT_ROUTES])
def test_staff_of_another_location_get_404(
    chain, client, staff_of_el_paso, el_paso, records, route
):
    working_in(client, staff_of_el_paso, el_paso)

    url, status = _answer(client, route, records[RECORD_OF[route.label]])

    assert status == 404, f"{url}: El Paso's staff got {status} for an Austin patient's record"


@pytest.mark.parametrize("route", PATIENT_ROUTES, ids=[r.label for r in PATIENT_ROUTES])
def test_staff_assigned_to_the_patients_location_too_get_the_page(
    chain, client, staff_of_el_paso, austin, el_paso, records, route
):
    StaffLocation.objects.create(user=staff_of_el_paso, location=austin)
    # Working in El Paso today: Austin's patients are still theirs.
    working_in(client, staff_of_el_paso, el_paso)

    url, status = _answer(client, route, records[RECORD_OF[route.label]])

    assert status in (200, 302, 400), f"{url}: got {status}"


@pytest.mark.parametrize("route", PATIENT_ROUTES, ids=[r.label for r in PATIENT_ROUTES])
def test_chain_wide_staff_get_the_page(chain, client, staff_of_el_paso, el_paso, records, route):
    staff_of_el_paso.user_permissions.add(Permission.objects.get(codename="chain_wide_access"))
    working_in(client, staff_of_el_paso, el_paso)

    url, status = _answer(client, route, records[RECORD_OF[route.label]])

    assert status in (200, 302, 400), f"{url}: got {status}"


@pytest.mark.parametrize("route", PATIENT_ROUTES, ids=[r.label for r in PATIENT_ROUTES])
def test_with_one_clinic_every_member_of_staff_gets_the_page(
    client, staff_of_el_paso, records, route
):
    sign_in(client, staff_of_el_paso)

    url, status = _answer(client, route, records[RECORD_OF[route.label]])

    assert status in (200, 302, 400), f"{url}: got {status}"


def test_a_session_at_the_location_shows_a_patient_of_another(
    chain, client, staff_of_el_paso, el_paso, records
):
    """A patient of Austin booked in El Paso is El Paso's patient too."""
    patient = records["patient"]
    chair = records["session"].chair
    chair.location = el_paso  # the chair moves to El Paso, with its sessions
    chair.save()
    working_in(client, staff_of_el_paso, el_paso)

    response = client.get(reverse("intake:patient_detail", args=[patient.pk]))

    assert response.status_code == 200


def test_a_patient_without_a_home_location_is_the_first_locations(
    chain, client, staff_of_el_paso, austin, el_paso
):
    Location.objects.exclude(pk__in=[austin.pk, el_paso.pk]).update(active=False)
    patient = PatientFactory(home_location=None)
    working_in(client, staff_of_el_paso, el_paso)
    url = reverse("intake:patient_detail", args=[patient.pk])

    assert client.get(url).status_code == 404
    StaffLocation.objects.create(user=staff_of_el_paso, location=austin)
    assert client.get(url).status_code == 200


# --- The list and the search -----------------------------------------------------------------


def _listed(response) -> list[str]:
    return [row.mrn for row in response.context["patients"]]


@pytest.mark.parametrize("query", ["Austinite", "Austinite, J", "mrn", "birth"])
def test_the_search_finds_only_the_locations_patients(
    chain, client, staff_of_el_paso, austin, el_paso, query
):
    born = timezone.localdate().replace(year=1980)
    same = {"legal_last_name": "Austinite", "legal_first_name": "Jo", "date_of_birth": born}
    theirs = PatientFactory(**same, home_location=el_paso)
    other = PatientFactory(**same, home_location=austin)
    text = {"mrn": other.mrn, "birth": born.isoformat()}.get(query, query)
    working_in(client, staff_of_el_paso, el_paso)

    listed = _listed(client.post(reverse("intake:patient_list"), {"q": text}))

    assert other.mrn not in listed
    if query != "mrn":
        assert listed == [theirs.mrn]


def test_the_recent_patients_are_the_locations(chain, client, staff_of_el_paso, austin, el_paso):
    theirs = PatientFactory(home_location=el_paso)
    PatientFactory(home_location=austin)
    working_in(client, staff_of_el_paso, el_paso)

    assert _listed(client.get(reverse("intake:patient_list"))) == [theirs.mrn]


def test_with_one_clinic_the_search_finds_everyone(client, staff_of_el_paso, austin, el_paso):
    PatientFactory(legal_last_name="Austinite", home_location=el_paso)
    PatientFactory(legal_last_name="Austinite", home_location=austin)
    sign_in(client, staff_of_el_paso)

    response = client.post(reverse("intake:patient_list"), {"q": "Austinite"})

    assert len(_listed(response)) == 2


def test_a_patient_registered_while_working_in_a_location_is_its_patient(
    chain, client, staff_of_el_paso, el_paso
):
    working_in(client, staff_of_el_paso, el_paso)

    response = client.post(reverse("intake:patient_register"), MARIA)

    assert response.status_code == 302
    assert Patient.objects.get(legal_last_name="Delgado").home_location == el_paso


def test_a_patient_registered_outside_a_location_belongs_to_the_first(db, front_desk_user):
    patient = patient_register(
        created_by=front_desk_user,
        details={
            "legal_first_name": "Una",
            "legal_last_name": "Primera",
            "date_of_birth": date(1990, 5, 1),
            "sex_at_birth": "female",
        },
        allow_duplicate=True,
    )

    assert patient.home_location == Location.objects.filter(active=True).first()


# --- What it costs -----------------------------------------------------------------------------

RULE = 'FROM "intake_patientlocation"'


def _queries(client, url) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return [query["sql"] for query in captured.captured_queries]


@pytest.mark.parametrize(
    "page, record",
    [
        ("intake:patient_detail", "patient"),
        ("followups:patient_chart", "patient"),
        ("treatments:session_detail", "session"),
        ("followups:survey_detail", "survey"),
    ],
)
def test_the_rule_costs_at_most_one_query_in_a_chain_and_none_with_one_clinic(
    settings, client, staff_of_el_paso, austin, records, page, record
):
    """One clinic: no query reads the rule. A chain: exactly one query applies it (the page's own
    read of the patient, or one check), besides the middleware's read of the user's
    locations."""
    StaffLocation.objects.create(user=staff_of_el_paso, location=austin)
    url = reverse(page, args=[records[record].pk])
    sign_in(client, staff_of_el_paso)
    one_clinic = _queries(client, url)
    settings.CLINIC_CHAIN = True
    working_in(client, staff_of_el_paso, austin)
    in_a_chain = _queries(client, url)

    assert not [sql for sql in one_clinic if RULE in sql]
    assert len([sql for sql in in_a_chain if RULE in sql]) == 1
    assert len(in_a_chain) - len(one_clinic) <= 2


# --- The admin ----------------------------------------------------------------------------------

ADMIN_TABLES = {
    "intake_patient": "patient",
    "intake_intake": "intake",
    "intake_clinicalalert": "alert",
    "treatments_screening": "screening",
    "treatments_stafftask": "staff_task",
    "treatments_treatmentsession": "session",
    "followups_survey": "survey",
    "followups_outboxentry": "failed_message",
}


@pytest.fixture
def admin_of_el_paso(admin_user, el_paso):
    StaffLocation.objects.create(user=admin_user, location=el_paso)
    return admin_user


def test_the_admins_patient_list_and_page_hide_another_locations_patient(
    chain, client, admin_of_el_paso, el_paso, records
):
    patient = records["patient"]
    theirs = PatientFactory(home_location=el_paso)
    sign_in(client, admin_of_el_paso)

    listed = client.get(reverse("admin:intake_patient_changelist"))
    page = client.get(reverse("admin:intake_patient_change", args=[patient.pk]))
    history = client.get(reverse("admin:intake_patient_history", args=[patient.pk]))

    shown = [row.pk for row in listed.context["cl"].result_list]
    assert shown == [theirs.pk]
    assert page.status_code == 404
    assert history.status_code == 404
    assert client.get(reverse("admin:intake_patient_change", args=[theirs.pk])).status_code == 200


def test_the_audit_trail_shows_the_locations_patients_entries_only(
    chain, client, admin_of_el_paso, el_paso, records
):
    austin_patient = records["patient"]
    theirs = PatientFactory(home_location=el_paso, legal_last_name="Pasoan")
    for patient, city in ((austin_patient, "Round Rock"), (theirs, "Socorro")):
        patient.city = city
        patient.save()  # an audit entry about each
    sign_in(client, admin_of_el_paso)

    listed = client.get(reverse("admin:auditlog_logentry_changelist"), {"all": ""})

    about = {
        (entry.additional_data or {}).get("patient_id")
        for entry in listed.context["cl"].result_list
    }
    assert theirs.pk in about
    assert austin_patient.pk not in about
    assert "Austinite" not in listed.text
    assert None in about  # entries about no patient (the staff, the locations) stay
    # An Austin patient's entry answers as an entry that does not exist.
    entry = LogEntry.objects.filter(additional_data__patient_id=austin_patient.pk).latest("pk")
    hidden = client.get(reverse("admin:auditlog_logentry_change", args=[entry.pk]))
    missing = client.get(reverse("admin:auditlog_logentry_change", args=[999999]))
    assert (hidden.status_code, hidden.get("Location")) == (
        missing.status_code,
        missing.get("Location"),
    )
    assert "Austinite" not in hidden.text


def test_the_admins_patient_pages_are_unchanged_with_one_clinic(client, admin_of_el_paso, records):
    sign_in(client, admin_of_el_paso)
    patient = records["patient"]

    assert client.get(reverse("admin:intake_patient_change", args=[patient.pk])).status_code == 200
    missing = client.get(reverse("admin:intake_patient_change", args=[999999]))
    assert missing.status_code == 302  # Django's "perhaps it was deleted?"


@pytest.mark.parametrize("table", ADMIN_TABLES)
def test_every_patient_data_table_of_the_admin_is_cut_to_the_locations_patients(
    chain, austin, records, table
):
    """The clinical tables are a superuser's, who is chain-wide by definition: each table's
    rows are asked of its admin for a member of staff of another location."""
    app_label, model_name = table.split("_", 1)
    model_admin = next(
        a
        for m, a in admin.site._registry.items()
        if m._meta.app_label == app_label and m._meta.model_name == model_name
    )
    user = UserFactory(username="elpasoan", role=FRONT_DESK)
    StaffLocation.objects.create(
        user=user, location=Location.objects.create(name="Elsewhere", display_order=3)
    )
    request = RequestFactory().get("/admin/")
    request.user = user
    record = records[ADMIN_TABLES[table]]

    assert not model_admin.get_queryset(request).filter(pk=record.pk).exists()
    StaffLocation.objects.create(user=user, location=austin)
    request = RequestFactory().get("/admin/")
    request.user = user
    assert model_admin.get_queryset(request).filter(pk=record.pk).exists()

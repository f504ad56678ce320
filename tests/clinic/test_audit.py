"""The audit trail: who created, changed, deleted or looked at patient data, when and from where;
append-only; browsed by clinic admins by patient and by staff member. And no patient data in
the application log."""

import logging
from decimal import Decimal

import pytest
from auditlog.models import LogEntry
from auditlog.signals import accessed
from django.apps import apps
from django.contrib import admin
from django.contrib.auth.models import AnonymousUser
from django.http import HttpResponse
from django.test import Client
from django.urls import reverse

from clinic.audit import AuditlogMiddleware, record_access
from intake.models import Patient, PatientMeasurement
from intake.services.patients import patient_record_measurement
from tests.conftest import sign_in
from tests.factories import PatientFactory

ACTION = LogEntry.Action
FRONT_DESK_IP = "203.0.113.7"
CLINICIAN_IP = "198.51.100.23"
AUDIT_URL = reverse("admin:auditlog_logentry_changelist")

NEW_PATIENT = {
    "legal_first_name": "Maria",
    "legal_last_name": "Delgado",
    "date_of_birth": "1985-04-23",
    "sex_at_birth": "female",
    "mobile": "(512) 555-0143",
    "email": "maria.delgado@example.com",
    "preferred_contact": "sms",
    "consent_sms": "on",
    "city": "Austin",
    "state": "TX",
    "weight_lb": "154",
}


def entries_for(obj) -> list[LogEntry]:
    return list(LogEntry.objects.get_for_object(obj).order_by("timestamp", "pk"))


@pytest.fixture
def superuser_client(client, django_user_model):
    root = django_user_model.objects.create_superuser("root", "root@example.com", "x" * 16)
    return sign_in(client, root)


# --- What is recorded -------------------------------------------------------------------------


def test_registration_is_recorded_with_who_and_where(front_desk, front_desk_user):
    front_desk.post("/patients/new/", NEW_PATIENT, REMOTE_ADDR=FRONT_DESK_IP)

    patient = Patient.objects.get()
    [created] = entries_for(patient)
    assert created.action == ACTION.CREATE
    assert created.actor == front_desk_user
    assert created.remote_addr == FRONT_DESK_IP
    assert created.additional_data == {"patient_id": patient.pk, "mrn": patient.mrn}
    assert created.changes_dict["legal_last_name"] == ["None", "Delgado"]
    # The weight typed at registration is its own audited record, tied to the patient.
    [weighed] = entries_for(patient.measurements.get())
    assert weighed.action == ACTION.CREATE
    assert weighed.actor == front_desk_user
    assert weighed.additional_data == {"patient_id": patient.pk}


def test_an_edit_records_the_changed_fields_only(front_desk, front_desk_user, patient):
    data = {
        "legal_first_name": "Jane",
        "legal_last_name": "Rivera",
        "date_of_birth": patient.date_of_birth.isoformat(),
        "sex_at_birth": patient.sex_at_birth,
        "mobile": str(patient.mobile),
        "email": "jane.rivera@example.org",
        "preferred_contact": "sms",
        "consent_sms": "on",
        "consent_email": "on",
        "city": "Round Rock",
        "state": "TX",
    }
    old_email = patient.email

    response = front_desk.post(
        reverse("intake:patient_edit", args=[patient.pk]), data, REMOTE_ADDR=FRONT_DESK_IP
    )

    assert response.status_code == 302
    [updated] = [entry for entry in entries_for(patient) if entry.action == ACTION.UPDATE]
    assert updated.changes_dict == {
        "email": [old_email, "jane.rivera@example.org"],
        "city": ["Austin", "Round Rock"],
    }
    assert updated.actor == front_desk_user
    assert updated.remote_addr == FRONT_DESK_IP


def test_saving_unchanged_details_records_no_update(front_desk, patient):
    data = {
        "legal_first_name": "Jane",
        "legal_last_name": "Rivera",
        "date_of_birth": patient.date_of_birth.isoformat(),
        "sex_at_birth": patient.sex_at_birth,
        "mobile": str(patient.mobile),
        "email": patient.email,
        "preferred_contact": "sms",
        "consent_sms": "on",
        "consent_email": "on",
        "city": "Austin",
        "state": "TX",
    }

    front_desk.post(reverse("intake:patient_edit", args=[patient.pk]), data)

    assert not [entry for entry in entries_for(patient) if entry.action == ACTION.UPDATE]


def test_a_measurement_is_recorded_against_the_patient(clinician, clinician_user, patient):
    clinician.post(
        reverse("intake:measurement_add", args=[patient.pk]),
        {"weight_lb": "176.4", "height_in": "65"},
        REMOTE_ADDR=CLINICIAN_IP,
    )

    measurement = PatientMeasurement.objects.get()
    [entry] = entries_for(measurement)
    assert entry.action == ACTION.CREATE
    assert entry.actor == clinician_user
    assert entry.remote_addr == CLINICIAN_IP
    assert entry.additional_data == {"patient_id": patient.pk}
    assert entry.changes_dict["weight_kg"] == ["None", "80.0"]


def test_opening_the_patient_page_is_recorded(clinician, clinician_user, patient):
    response = clinician.get(
        reverse("intake:patient_detail", args=[patient.pk]), REMOTE_ADDR=CLINICIAN_IP
    )

    assert response.status_code == 200
    [access] = [entry for entry in entries_for(patient) if entry.action == ACTION.ACCESS]
    assert access.actor == clinician_user
    assert access.remote_addr == CLINICIAN_IP
    assert access.additional_data["patient_id"] == patient.pk


def test_the_patient_page_shown_again_after_a_measurement_error_is_recorded(
    front_desk, front_desk_user, patient
):
    front_desk.post(reverse("intake:measurement_add", args=[patient.pk]), {"weight_lb": "x"})

    [access] = [entry for entry in entries_for(patient) if entry.action == ACTION.ACCESS]
    assert access.actor == front_desk_user


@pytest.mark.parametrize("persona", ["clinic_admin", "outsider"])
def test_a_refused_page_records_no_access(request, persona, patient):
    client = request.getfixturevalue(persona)

    assert client.get(reverse("intake:patient_detail", args=[patient.pk])).status_code == 403
    assert not LogEntry.objects.filter(action=ACTION.ACCESS).exists()


def test_opening_a_patient_in_the_admin_is_recorded(clinic_admin, admin_user, patient):
    response = clinic_admin.get(
        reverse("admin:intake_patient_change", args=[patient.pk]), REMOTE_ADDR=FRONT_DESK_IP
    )

    assert response.status_code == 200
    [access] = [entry for entry in entries_for(patient) if entry.action == ACTION.ACCESS]
    assert access.actor == admin_user
    assert access.remote_addr == FRONT_DESK_IP


def test_deleting_a_patient_is_recorded_with_their_measurements(
    superuser_client, django_user_model, patient
):
    measurement = patient_record_measurement(
        patient=patient, recorded_by=None, weight_kg=Decimal("70.0")
    )
    patient_pk, measurement_pk = patient.pk, measurement.pk

    response = superuser_client.post(
        reverse("admin:intake_patient_delete", args=[patient.pk]), {"post": "yes"}
    )

    assert response.status_code == 302
    assert not Patient.objects.exists()
    deleted = LogEntry.objects.filter(action=ACTION.DELETE)
    assert {(entry.content_type.model, int(entry.object_pk)) for entry in deleted} == {
        ("patient", patient_pk),
        ("patientmeasurement", measurement_pk),
    }
    assert {entry.additional_data["patient_id"] for entry in deleted} == {patient_pk}
    assert {entry.actor.username for entry in deleted} == {"root"}


# --- Browsing the trail -----------------------------------------------------------------------


@pytest.fixture
def busy_day(front_desk_user, clinician_user, patient):
    """Jane and Omar are registered; the front desk opens Jane; a clinician opens Omar and
    weighs him (each on their own browser, not the test's client)."""
    omar = PatientFactory(legal_first_name="Omar", legal_last_name="Haddad")
    desk = sign_in(Client(), front_desk_user)
    desk.get(reverse("intake:patient_detail", args=[patient.pk]))
    doctor = sign_in(Client(), clinician_user)
    doctor.get(reverse("intake:patient_detail", args=[omar.pk]), REMOTE_ADDR=CLINICIAN_IP)
    doctor.post(reverse("intake:measurement_add", args=[omar.pk]), {"weight_lb": "200"})
    return {"jane": patient, "omar": omar}


def _listed(response) -> set[int]:
    assert response.status_code == 200
    return {entry.pk for entry in response.context["cl"].result_list}


def test_clinic_admin_filters_the_trail_by_patient(busy_day, client, admin_user):
    jane, omar = busy_day["jane"], busy_day["omar"]
    sign_in(client, admin_user)

    response = client.get(AUDIT_URL, {"patient": omar.pk})

    omar_entries = set(
        LogEntry.objects.filter(additional_data__patient_id=omar.pk).values_list("pk", flat=True)
    )
    assert len(omar_entries) == 3  # registered, viewed, weighed
    assert _listed(response) == omar_entries
    text = response.content.decode()
    assert omar.mrn in text
    assert jane.mrn not in text


def test_the_trail_is_searched_by_mrn_without_the_mrn_in_any_url(busy_day, client, admin_user):
    omar = busy_day["omar"]
    sign_in(client, admin_user)

    redirect = client.post(AUDIT_URL + "search/", {"q": omar.mrn})

    assert redirect.status_code == 302
    assert omar.mrn not in redirect["Location"] and "q=" not in redirect["Location"]
    response = client.get(redirect["Location"])
    found = _listed(response)
    of_omar = LogEntry.objects.filter(additional_data__patient_id=omar.pk)
    assert found and found <= set(of_omar.values_list("pk", flat=True))
    assert found == set(of_omar.filter(additional_data__mrn=omar.mrn).values_list("pk", flat=True))
    # A search typed into the URL is not run: the whole trail is listed, not Omar's alone.
    typed = client.get(AUDIT_URL, {"q": omar.mrn})
    assert _listed(typed) > found


def test_clinic_admin_filters_the_trail_by_staff_member(
    busy_day, client, admin_user, front_desk_user
):
    jane, omar = busy_day["jane"], busy_day["omar"]
    sign_in(client, admin_user)

    response = client.get(AUDIT_URL, {"actor": front_desk_user.pk})

    [only] = LogEntry.objects.filter(actor=front_desk_user)
    assert _listed(response) == {only.pk}
    assert only.action == ACTION.ACCESS
    text = response.content.decode()
    assert jane.mrn in text
    assert omar.mrn not in text
    # The staff filter offers every member of staff by name.
    assert "Frances Desk" in text
    assert "Casey Carter" in text


def test_clinic_admin_reads_an_entry(busy_day, client, admin_user, clinician_user):
    sign_in(client, admin_user)
    entry = LogEntry.objects.get(action=ACTION.ACCESS, actor=clinician_user)

    response = client.get(reverse("admin:auditlog_logentry_change", args=[entry.pk]))

    assert response.status_code == 200
    text = response.content.decode()
    assert "drcarter" in text  # who
    assert CLINICIAN_IP in text  # from where
    assert busy_day["omar"].mrn in text  # which record
    assert 'name="_save"' not in text


@pytest.mark.parametrize("persona", ["front_desk", "clinician", "outsider"])
def test_other_staff_cannot_see_the_trail(request, persona, busy_day):
    client = request.getfixturevalue(persona)

    response = client.get(AUDIT_URL, {"patient": busy_day["jane"].pk}, follow=True)

    assert response.status_code == 403
    assert busy_day["jane"].mrn not in response.content.decode()


# --- Append-only ------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["clinic_admin", "superuser_client"])
def test_nobody_can_change_or_delete_an_entry_in_the_admin(request, persona, busy_day):
    client = request.getfixturevalue(persona)
    entry = LogEntry.objects.filter(action=ACTION.ACCESS).first()
    entries = LogEntry.objects.count()
    before = (entry.action, entry.actor_id, entry.remote_addr, entry.changes, entry.timestamp)
    change_url = reverse("admin:auditlog_logentry_change", args=[entry.pk])
    delete_url = reverse("admin:auditlog_logentry_delete", args=[entry.pk])

    assert client.post(change_url, {"action": "0", "remote_addr": "10.0.0.1"}).status_code == 403
    assert client.get(delete_url).status_code == 403
    assert client.post(delete_url, {"post": "yes"}).status_code == 403
    listing = client.get(AUDIT_URL)
    assert 'name="action"' not in listing.content.decode()  # no bulk "delete selected"
    client.post(AUDIT_URL, {"action": "delete_selected", "_selected_action": [entry.pk]})
    assert client.get(reverse("admin:auditlog_logentry_add")).status_code == 403

    entry.refresh_from_db()
    assert (entry.action, entry.actor_id, entry.remote_addr, entry.changes, entry.timestamp) == (
        before
    )
    assert LogEntry.objects.count() == entries


def test_staff_accounts_are_deactivated_not_deleted(superuser_client, busy_day, front_desk_user):
    delete_url = reverse("admin:auth_user_delete", args=[front_desk_user.pk])

    assert superuser_client.post(delete_url, {"post": "yes"}).status_code == 403
    assert LogEntry.objects.filter(actor=front_desk_user).exists()


# --- Admin for every model --------------------------------------------------------------------


def test_every_model_of_the_clinic_apps_has_an_admin():
    project_models = [
        model
        for label in ("clinic", "intake", "treatments", "followups")
        for model in apps.get_app_config(label).get_models()
    ]
    assert Patient in project_models
    missing = [model._meta.label for model in project_models if model not in admin.site._registry]
    assert missing == []
    for model in project_models:
        model_admin = admin.site._registry[model]
        assert model_admin.search_fields, model._meta.label
        assert model_admin.list_filter, model._meta.label


# --- No patient data in the application log ---------------------------------------------------


def test_the_application_log_holds_no_patient_data(caplog, front_desk, clinician_user):
    caplog.set_level(logging.DEBUG)

    front_desk.post("/patients/new/", NEW_PATIENT)
    patient = Patient.objects.get()
    front_desk.post("/patients/new/", NEW_PATIENT)  # the duplicate warning
    front_desk.post("/patients/new/", {**NEW_PATIENT, "email": "maria@", "postal_code": "7"})
    front_desk.get(reverse("intake:patient_detail", args=[patient.pk]))
    front_desk.post(reverse("intake:measurement_add", args=[patient.pk]), {"weight_lb": "x"})
    front_desk.post(reverse("intake:patient_list"), {"q": "Delgado"})
    front_desk.post(reverse("intake:patient_list"), {"q": "04/23/1985"})
    front_desk.get(reverse("intake:patient_detail", args=[patient.pk + 1000]))
    sign_in(front_desk, clinician_user)
    front_desk.get(reverse("intake:patient_detail", args=[patient.pk]))

    logged = caplog.text + "\n".join(str(record.args) for record in caplog.records)
    for detail in (
        "Maria",
        "Delgado",
        "1985-04-23",
        "04/23/1985",
        "555-0143",
        "5550143",
        "maria.delgado",
        "maria@",
        patient.mrn,
    ):
        assert detail not in logged


# --- clinic.audit.record_access writes what auditlog's own access receiver writes ------------


def _row(entry: LogEntry) -> dict:
    return {
        field.attname: getattr(entry, field.attname)
        for field in LogEntry._meta.concrete_fields
        if field.attname not in ("id", "timestamp")
    }


def _both_ways(request, patient):
    """A view recording the access both ways, behind the clinic's auditlog middleware as in
    settings."""

    def view(request):
        accessed.send(sender=Patient, instance=patient)
        record_access(request, patient)
        return HttpResponse()

    AuditlogMiddleware(view)(request)
    theirs, ours = LogEntry.objects.filter(action=ACTION.ACCESS).order_by("pk")
    return theirs, ours


def test_an_access_entry_is_the_row_auditlog_itself_writes(rf, clinician_user, patient):
    request = rf.get("/", REMOTE_ADDR=CLINICIAN_IP, HTTP_X_FORWARDED_PORT="50123")
    request.user = clinician_user

    theirs, ours = _both_ways(request, patient)

    assert _row(ours) == _row(theirs)
    assert ours.actor == clinician_user
    assert ours.actor_email == clinician_user.email
    # Straight from the browser: X-Forwarded-Port is the client's word, not believed.
    assert (ours.remote_addr, ours.remote_port) == (CLINICIAN_IP, None)
    assert ours.object_repr == str(patient)
    assert ours.additional_data == {"patient_id": patient.pk, "mrn": patient.mrn}
    assert abs(ours.timestamp - theirs.timestamp).total_seconds() < 5


def test_a_forwarded_address_and_correlation_id_are_kept_as_auditlog_keeps_them(
    rf, clinician_user, patient, settings
):
    settings.AUDITLOG_CID_HEADER = "x-request-id"
    settings.CLINIC_TRUSTED_PROXIES = ["10.0.0.0/24"]
    request = rf.get(
        "/",
        REMOTE_ADDR="10.0.0.2",
        HTTP_X_FORWARDED_FOR=f"{FRONT_DESK_IP}, 10.0.0.1",
        HTTP_X_FORWARDED_PORT="50123",
        HTTP_X_REQUEST_ID="req-42",
    )
    request.user = clinician_user

    theirs, ours = _both_ways(request, patient)

    assert _row(ours) == _row(theirs)
    assert (ours.remote_addr, ours.remote_port, ours.cid) == (FRONT_DESK_IP, 50123, "req-42")


def test_an_anonymous_request_is_recorded_without_an_actor(rf, patient):
    request = rf.get("/", REMOTE_ADDR=CLINICIAN_IP)
    request.user = AnonymousUser()

    theirs, ours = _both_ways(request, patient)

    assert _row(ours) == _row(theirs)
    assert ours.actor is None


def test_an_unsaved_record_is_not_recorded(rf, db):
    record_access(rf.get("/"), Patient(legal_first_name="Not", legal_last_name="Saved"))

    assert not LogEntry.objects.exists()

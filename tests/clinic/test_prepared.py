"""Prepared queries: compiled once, then the same rows as the queryset gives, for any values."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from clinic.prepared import Prepared, PreparedRecord, run_sql
from intake.models import Intake, Patient, PatientMeasurement
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db


def _measurements(patient):
    return (
        PatientMeasurement.objects.filter(patient_id=patient)
        .order_by("-recorded_at", "-id")
        .values("weight_kg", "height_cm", "recorded_at")
    )


@pytest.fixture
def two_patients():
    now = timezone.now()
    first, second = PatientFactory(), PatientFactory()
    for days, weight in ((3, "70.5"), (1, "71.0")):
        PatientMeasurement.objects.create(
            patient=first, recorded_at=now - timedelta(days=days), weight_kg=Decimal(weight)
        )
    PatientMeasurement.objects.create(
        patient=second, recorded_at=now, weight_kg=Decimal("88.2"), height_cm=Decimal("180.0")
    )
    return first, second


def test_the_rows_are_the_querysets_rows_for_each_value(two_patients):
    prepared = Prepared(_measurements, patient=int)

    for patient in two_patients:
        rows = prepared.all(patient=patient.pk)
        assert rows == list(_measurements(patient.pk))
    first_rows = prepared.all(patient=two_patients[0].pk)
    assert [row["weight_kg"] for row in first_rows] == [Decimal("71.0"), Decimal("70.5")]
    assert all(timezone.is_aware(row["recorded_at"]) for row in first_rows)
    assert prepared.all(patient=0) == []


def test_values_list_and_flat_rows(two_patients):
    first, second = two_patients
    pairs = Prepared(
        lambda patient: (
            PatientMeasurement.objects.filter(patient_id=patient)
            .order_by("recorded_at")
            .values_list("weight_kg", "patient__mrn")
        ),
        patient=int,
    )
    mrns = Prepared(
        lambda name: (
            Patient.objects.filter(legal_last_name=name)
            .order_by("mrn")
            .values_list("mrn", flat=True)
        ),
        name=str,
    )

    assert pairs.all(patient=first.pk) == [
        (Decimal("70.5"), first.mrn),
        (Decimal("71.0"), first.mrn),
    ]
    assert mrns.first(name=second.legal_last_name) == (
        Patient.objects.filter(legal_last_name=second.legal_last_name)
        .order_by("mrn")
        .values_list("mrn", flat=True)
        .first()
    )
    assert mrns.first(name="No such name") is None


def test_json_columns_read_as_the_orm_reads_them(patient):
    Intake.objects.create(patient=patient, flags=["si_positive"], completed_steps=["about"])
    prepared = Prepared(
        lambda patient: Intake.objects.filter(patient_id=patient).values("flags")[:1],
        patient=int,
    )

    assert prepared.first(patient=patient.pk) == {"flags": ["si_positive"]}


def test_the_queryset_is_built_once_and_each_call_is_one_query(
    two_patients, django_assert_num_queries
):
    built = []

    def build(patient):
        built.append(patient)
        return _measurements(patient)

    prepared = Prepared(build, patient=int)
    prepared.all(patient=two_patients[0].pk)
    with django_assert_num_queries(1):
        prepared.all(patient=two_patients[1].pk)

    assert len(built) == 1


def test_a_value_the_sql_does_not_take_as_a_parameter_is_refused(patient):
    ignored = Prepared(lambda patient: Patient.objects.values("mrn"), patient=int)
    models = Prepared(lambda patient: Patient.objects.filter(pk=patient), patient=int)

    with pytest.raises(ImproperlyConfigured, match="do not reach the SQL"):
        ignored.all(patient=patient.pk)
    with pytest.raises(ImproperlyConfigured, match="values"):
        models.all(patient=patient.pk)
    with pytest.raises(TypeError):
        Prepared(_measurements, patient=float)
    with pytest.raises(TypeError):
        Prepared(_measurements, patient=int).all(person=patient.pk)


def test_hand_written_sql_takes_named_values_and_percent_signs(two_patients):
    first, _ = two_patients
    sql = (
        "SELECT COUNT(*), 'a 100%%' FROM intake_patientmeasurement"
        " WHERE patient_id = %(patient)s AND weight_kg > %(over)s AND patient_id = %(patient)s"
    )

    assert run_sql(sql, {"patient": first.pk, "over": 70}) == [(2, "a 100%")]
    assert run_sql(sql, {"patient": first.pk, "over": 70.8}) == [(1, "a 100%")]


@pytest.mark.postgres
def test_only_reads_are_prepared_on_the_server(patient):
    with pytest.raises(ImproperlyConfigured, match="Only SELECT"):
        run_sql("DELETE FROM intake_patient WHERE id = %(pk)s", {"pk": patient.pk})
    assert Patient.objects.filter(pk=patient.pk).exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_on_postgresql_the_statement_is_prepared_once_per_database_session(
    two_patients, django_assert_num_queries
):
    from django.db import connection

    prepared = Prepared(_measurements, patient=int)
    prepared.all(patient=two_patients[0].pk)
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM pg_prepared_statements WHERE statement LIKE %s", ["%$1%"])
        names = [row[0] for row in cursor.fetchall()]
    assert any(name.startswith("clinic_") for name in names)

    # Later runs are the EXECUTE alone: one query, and the same rows as the queryset.
    with django_assert_num_queries(1) as captured:
        rows = prepared.all(patient=two_patients[1].pk)
    assert captured.captured_queries[0]["sql"].startswith("EXECUTE clinic_")
    assert rows == list(_measurements(two_patients[1].pk))

    # A new database session prepares it again.
    connection.close()
    assert prepared.all(patient=two_patients[1].pk) == rows


@pytest.mark.postgres  # SQLite's in-memory test database shares one connection across threads
def test_each_thread_runs_its_own_connections_statement(two_patients):
    import threading

    from django.db import connections

    prepared = Prepared(_measurements, patient=int)
    mine = prepared.all(patient=two_patients[0].pk)
    seen = []

    def other_thread():
        theirs = connections["default"]
        seen.append((prepared._statement().connection is theirs, theirs is connections_main))
        theirs.close()

    connections_main = connections["default"]
    thread = threading.Thread(target=other_thread)
    thread.start()
    thread.join()

    assert seen == [(True, False)]
    assert prepared._statement().connection is connections_main
    assert prepared.all(patient=two_patients[0].pk) == mine


# --- PreparedRecord: an instance and what it follows, as select_related loads them -----------


def _fields(instance) -> dict:
    return {f.attname: getattr(instance, f.attname) for f in instance._meta.concrete_fields}


@pytest.fixture
def issued_link(front_desk_user):
    from intake.services.questionnaires import intake_link_issue

    patient = PatientFactory(mobile="+15125550143", created_by=front_desk_user)
    return intake_link_issue(patient=patient, channel="screen", created_by=front_desk_user).link


def test_a_record_is_what_select_related_loads(issued_link, django_assert_num_queries):
    from intake.models import IntakeLink

    record = PreparedRecord(
        lambda pk: IntakeLink.objects.filter(pk=pk), related=("intake__patient",), pk=int
    )
    expected = IntakeLink.objects.select_related("intake__patient").get(pk=issued_link.pk)
    record.first(pk=issued_link.pk)  # compiled

    with django_assert_num_queries(1):
        link = record.first(pk=issued_link.pk)
        patient = link.intake.patient

    assert _fields(link) == _fields(expected)
    assert _fields(link.intake) == _fields(expected.intake)
    assert _fields(patient) == _fields(expected.intake.patient)
    assert patient.mobile.as_e164 == "+15125550143"
    assert not link._state.adding and link._state.db == "default"
    assert record.first(pk=0) is None


def test_a_null_relation_is_none_and_a_set_one_is_loaded(issued_link, front_desk_user):
    from intake.models import IntakeLink

    record = PreparedRecord(
        lambda pk: IntakeLink.objects.filter(pk=pk),
        related=("revoked_by", "created_by"),
        pk=int,
    )

    link = record.first(pk=issued_link.pk)

    assert link.revoked_by is None and link.revoked_by_id is None
    assert link.created_by == front_desk_user
    assert link.created_by.username == front_desk_user.username


def test_a_loaded_record_saves_as_one_read_from_the_database(issued_link):
    from intake.models import IntakeLink

    record = PreparedRecord(lambda pk: IntakeLink.objects.filter(pk=pk), pk=int)
    link = record.first(pk=issued_link.pk)
    link.failed_attempts = 2
    link.save(update_fields=["failed_attempts"])

    assert IntakeLink.objects.get(pk=issued_link.pk).failed_attempts == 2
    assert IntakeLink.objects.count() == 1

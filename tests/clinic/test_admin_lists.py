"""The admin's lists of the big tables (the outbox, surveys, patients, tasks, the audit trail)
as a clinic admin uses them (a superuser, for the clinical ones the clinic admin does not see):
the right rows, searches by MRN and name prefix, and the same work per page however large the
clinic grows."""

from datetime import timedelta
from urllib.parse import parse_qsl, urlparse

import pytest
from auditlog.models import LogEntry
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from clinic.admin import CappedCountPaginator
from followups.models import OutboxEntry
from tests.conftest import sign_in
from tests.factories import PatientFactory, UserFactory
from tests.treatments.sessions import booked_session
from treatments.models import StaffTask, TreatmentSession

OUTBOX = "/admin/followups/outboxentry/"
PATIENTS = "/admin/intake/patient/"
TASKS = "/admin/treatments/stafftask/"
SESSIONS = "/admin/treatments/treatmentsession/"


def _outbox_entry(patient, *, hours: int, status: str = OutboxEntry.Status.SENT) -> OutboxEntry:
    return OutboxEntry.objects.create(
        patient=patient,
        purpose=OutboxEntry.Purpose.APPOINTMENT_REMINDER,
        offset_label=f"{hours}h",
        idempotency_key=f"reminder:{patient.pk}:{hours}",
        status=status,
        channel=OutboxEntry.Channel.SMS,
        due_at=timezone.now() + timedelta(hours=hours),
    )


@pytest.fixture
def superuser(db):
    """The clinical lists' reader in the admin (the clinic admin never sees them)."""
    return sign_in(Client(), UserFactory(username="root", is_superuser=True, is_staff=True))


def _search(client, url: str, term: str, **filters):
    """A search as the admin's search box sends it: POSTed, then the list opened at the URL it
    redirects to, which carries a key and never the term."""
    response = client.post(url + "search/", {"q": term, **filters})
    assert response.status_code == 302
    location = urlparse(response["Location"])
    assert location.path == url
    assert set(dict(parse_qsl(location.query))) == {"qk", *filters}
    return client.get(response["Location"])


# The lists the clinic admin reads; the others are clinical, read by a superuser alone.
CLINIC_ADMIN_LISTS = {OUTBOX, PATIENTS, "/admin/followups/surveylink/", "/admin/auditlog/logentry/"}


def _reader(request, url: str):
    path = url.partition("?")[0]
    return request.getfixturevalue("clinic_admin" if path in CLINIC_ADMIN_LISTS else "superuser")


def _list_url(client, url: str) -> str:
    """``url`` as the admin opens it: a "?q=" search POSTed first, for the list's URL with the
    key that stands for the term."""
    path, _, query = url.partition("?")
    params = dict(parse_qsl(query))
    if "q" not in params:
        return url
    return client.post(path + "search/", params)["Location"]


def _shown(response, model: str) -> list[int]:
    """The ids of the rows a changelist shows, top to bottom."""
    return [obj.pk for obj in response.context["cl"].result_list if obj._meta.model_name == model]


@pytest.mark.django_db
def test_outbox_lists_entries_in_due_order(clinic_admin):
    patient = PatientFactory()
    later, sooner = _outbox_entry(patient, hours=48), _outbox_entry(patient, hours=2)

    response = clinic_admin.get(OUTBOX)

    assert response.status_code == 200
    assert _shown(response, "outboxentry") == [sooner.pk, later.pk]
    assert "2 outbox" in response.content.decode()


@pytest.mark.django_db
def test_outbox_search_finds_a_patients_entries_by_mrn_typed_in_any_case(clinic_admin):
    rivera, other = PatientFactory(legal_last_name="Rivera"), PatientFactory()
    mine = _outbox_entry(rivera, hours=2)
    _outbox_entry(other, hours=3)

    for typed in (rivera.mrn, rivera.mrn.lower(), "riv"):
        response = _search(clinic_admin, OUTBOX, typed)
        assert _shown(response, "outboxentry") == [mine.pk], typed
    # A piece from the middle of an MRN is not a search for it (that reads every row).
    assert _shown(_search(clinic_admin, OUTBOX, rivera.mrn[3:]), "outboxentry") == []


@pytest.mark.django_db
def test_outbox_status_filter_shows_only_that_status(clinic_admin):
    patient = PatientFactory()
    failed = _outbox_entry(patient, hours=2, status=OutboxEntry.Status.FAILED)
    _outbox_entry(patient, hours=3)

    response = clinic_admin.get(OUTBOX, {"status__exact": "failed"})

    assert _shown(response, "outboxentry") == [failed.pk]


@pytest.mark.django_db
def test_a_count_past_the_cap_says_more_than(clinic_admin, monkeypatch):
    monkeypatch.setattr(CappedCountPaginator, "CAP", 2)
    monkeypatch.setattr("followups.admin.OutboxEntryAdmin.list_per_page", 1)
    rivera, nguyen = PatientFactory(legal_last_name="Rivera"), PatientFactory()
    for hours in (1, 2, 3):
        _outbox_entry(rivera, hours=hours)
    _outbox_entry(nguyen, hours=4)

    page = clinic_admin.get(OUTBOX).content.decode()
    searched = _search(clinic_admin, OUTBOX, "riv").content.decode()
    under_the_cap = _search(clinic_admin, OUTBOX, nguyen.mrn).content.decode()

    assert "More than 2 outbox" in page
    assert "More than 2 results" in searched
    assert "1 result" in under_the_cap and "More than" not in under_the_cap


@pytest.mark.django_db
def test_patient_search_matches_the_start_of_a_name_or_a_whole_mrn(clinic_admin):
    smith = PatientFactory(legal_last_name="Smith", legal_first_name="Jane")
    PatientFactory(legal_last_name="Goldsmith", legal_first_name="Ann")
    PatientFactory(legal_last_name="Nguyen", legal_first_name="Smitha")

    def found(query: str) -> set[str]:
        response = _search(clinic_admin, PATIENTS, query)
        return {p.legal_last_name for p in response.context["cl"].result_list}

    assert found("smith") == {"Smith", "Nguyen"}  # last name, or first name, starting so
    assert found("smith, jane") == {"Smith"}
    assert found(smith.mrn.lower()) == {"Smith"}
    assert "start of a last, first or preferred name" in clinic_admin.get(PATIENTS).content.decode()


@pytest.mark.django_db
def test_patients_are_listed_in_name_order(clinic_admin):
    for last, first in [
        ("rivera", "Zoe"),
        ("Adams", "Bo"),
        ("Rivera", "Ann"),
        ("de la Cruz", "Al"),
    ]:
        PatientFactory(legal_last_name=last, legal_first_name=first)

    response = clinic_admin.get(PATIENTS)

    names = [(p.legal_last_name, p.legal_first_name) for p in response.context["cl"].result_list]
    # Upper-cased, as the app's lists sort names (intake.selectors.name_sort_key).
    assert names == [("Adams", "Bo"), ("de la Cruz", "Al"), ("Rivera", "Ann"), ("rivera", "Zoe")]


@pytest.mark.django_db
def test_staff_tasks_are_listed_newest_first(superuser):
    patient = PatientFactory()
    tasks = [
        StaffTask.objects.create(
            patient=patient, role="front_desk", title=f"Call {n}", due_at=timezone.now()
        )
        for n in range(3)
    ]

    response = superuser.get(TASKS)

    assert _shown(response, "stafftask") == [task.pk for task in reversed(tasks)]


@pytest.mark.django_db
def test_audit_trail_lists_newest_first(clinic_admin, patient):
    entries = list(LogEntry.objects.order_by("pk"))
    assert entries  # registering the patient was audited

    response = clinic_admin.get("/admin/auditlog/logentry/")

    assert _shown(response, "logentry")[0] == entries[-1].pk


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    [
        "/admin/intake/intake/",  # intake answers: not the clinic admin's to read
        "/admin/treatments/planversion/",
        "/admin/treatments/vitalsreading/",
    ],
)
def test_hidden_records_stay_forbidden_to_the_clinic_admin(clinic_admin, url):
    assert clinic_admin.get(url).status_code == 403


@pytest.mark.django_db
def test_front_desk_cannot_open_the_outbox_list(front_desk):
    assert front_desk.get(OUTBOX, follow=True).status_code == 403


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    [
        OUTBOX,
        OUTBOX + "?q=riv",
        PATIENTS,
        PATIENTS + "?q=riv",
        TASKS,
        "/admin/followups/survey/",
        "/admin/followups/surveylink/",
        "/admin/intake/patientmeasurement/",
        "/admin/treatments/screening/",
        "/admin/treatments/treatmentplan/",
        "/admin/auditlog/logentry/",
    ],
)
def test_a_page_costs_the_same_queries_as_the_clinic_grows(db, request, url):
    reader = _reader(request, url)
    opened = _list_url(reader, url)

    def queries() -> int:
        reader.get(opened)  # the session and permission caches settle
        with CaptureQueriesContext(connection) as executed:
            assert reader.get(opened).status_code == 200
        return len(executed)

    def grow(n: int) -> None:
        for _ in range(n):
            patient = PatientFactory(legal_last_name="Rivera")
            _outbox_entry(patient, hours=2)
            StaffTask.objects.create(
                patient=patient, role="front_desk", title="Call", due_at=timezone.now()
            )

    grow(1)
    few = queries()
    grow(12)
    assert queries() == few


BIG_TABLES = (
    "followups_outboxentry",
    "followups_survey",
    "followups_surveylink",
    "intake_patient",
    "intake_patientmeasurement",
    "treatments_stafftask",
    "treatments_screening",
    "treatments_treatmentplan",
    "treatments_treatmentsession",
    "auditlog_logentry",
)


@pytest.mark.postgres
@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    [
        OUTBOX,
        OUTBOX + "?q=KC-ABCDEFG",
        OUTBOX + "?q=riv",
        OUTBOX + "?status__exact=failed",
        OUTBOX + "?task_kind__exact=integration",
        "/admin/followups/survey/",
        "/admin/followups/survey/?status__exact=scheduled",
        "/admin/followups/survey/?q=KC-ABCDEFG",
        "/admin/followups/surveylink/",
        "/admin/followups/surveylink/?q=KC-ABCDEFG",
        PATIENTS,
        PATIENTS + "?q=smith",
        PATIENTS + "?q=KC-ABCDEFG",
        "/admin/intake/patientmeasurement/",
        TASKS,
        TASKS + "?q=KC-ABCDEFG",
        "/admin/treatments/screening/",
        "/admin/treatments/treatmentplan/",
        "/admin/treatments/treatmentsession/",
        "/admin/treatments/treatmentsession/?q=KC-ABCDEFG",
        "/admin/auditlog/logentry/",
        "/admin/auditlog/logentry/?action__exact=3",
    ],
)
def test_a_big_tables_list_is_read_from_an_index(db, request, url):
    reader = _reader(request, url)
    patient = PatientFactory()
    _outbox_entry(patient, hours=2)
    opened = _list_url(reader, url)
    with CaptureQueriesContext(connection) as executed:
        assert reader.get(opened).status_code == 200

    with connection.cursor() as cursor:
        # With sequential scans priced out, the plan shows whether an index *can* serve it.
        cursor.execute("SET LOCAL enable_seqscan = off")
        # And with sorting priced out, whether an index can give a page in the list's order.
        cursor.execute("SET LOCAL enable_sort = off")
        for query in executed:
            if not query["sql"].startswith("SELECT") or not any(
                table in query["sql"] for table in BIG_TABLES
            ):
                continue
            sql = query["sql"]
            if "ORDER BY" in sql and "LIMIT" not in sql:
                sql += " LIMIT 100"  # a list of one page reads it all; a big one, a page
            cursor.execute(f"EXPLAIN {sql}")
            plan = "\n".join(row[0] for row in cursor.fetchall())
            for table in BIG_TABLES:
                assert f"Seq Scan on {table}" not in plan, (sql, plan)
            if "?" not in url and "ORDER BY" in sql:
                # An unfiltered page is read in the list's order, not sorted: at most the
                # ties of an index's order are (an incremental sort).
                assert "Sort Key" not in plan or "Presorted Key" in plan, plan


@pytest.mark.django_db
def test_session_search_finds_every_session_given_from_a_lot_for_a_recall(
    superuser, clinician_user
):
    # One chair: a session every three hours, as they may not overlap.
    recalled, other = (
        [
            booked_session(by=clinician_user, starts_at=timezone.now() - timedelta(hours=3 * n))
            for n in (1, 2)
        ],
        booked_session(by=clinician_user, starts_at=timezone.now() - timedelta(hours=9)),
    )
    TreatmentSession.objects.filter(pk__in=[s.pk for s in recalled]).update(lot_number="LOT-2401")
    TreatmentSession.objects.filter(pk=other.pk).update(lot_number="LOT-2402")

    response = _search(superuser, SESSIONS, " LOT-2401 ")

    assert sorted(_shown(response, "treatmentsession")) == sorted(s.pk for s in recalled)
    # A patient's MRN still finds that patient's sessions.
    response = _search(superuser, SESSIONS, other.patient.mrn)
    assert _shown(response, "treatmentsession") == [other.pk]

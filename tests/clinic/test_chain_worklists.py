"""A chain of clinics (CLINIC_CHAIN, issue 26): the worklists and the home panels show the
location the member of staff works in. The task list, the alerts, the intake queue, the
screening worklist and the follow-up worklist list the working location's patients' rows (home
there, or a session at its chairs); the sessions to sign and the session alerts list the
sessions at its chairs, whoever's patient; "today" on the follow-up worklist is the location's
day. Switching location (the picker) switches the lists. One clinic is unchanged (the tests of
those pages run with the chain off)."""

from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from clinic.models import Location, StaffLocation
from followups.models import OutboxEntry
from intake.access import at_working_location
from intake.models import ClinicalAlert, Intake, Patient
from tests.conftest import sign_in
from tests.factories import PatientFactory
from tests.followups.worklist_data import answered_survey, failed_message, followup_task
from tests.treatments.booking import chair
from tests.treatments.sessions import booked_session
from treatments.models import Screening, SessionEvent, TreatmentSession
from treatments.screening_rules import RULESET_VERSION, Result

pytestmark = pytest.mark.django_db

CENTRAL = ZoneInfo("America/Chicago")
# A Tuesday at noon in Austin, 11:00 in El Paso: the same day in both.
NOON = datetime(2026, 12, 1, 12, 0, tzinfo=CENTRAL)

HOME = reverse("home")
PICK = reverse("location_pick")
TASKS = reverse("treatments:task_list")
ALERTS = reverse("intake:alert_list")
QUEUE = reverse("intake:intake_queue")
SCREENING = reverse("treatments:screening_worklist")
TO_SIGN = reverse("treatments:sessions_to_sign")
WORKLIST = reverse("followups:worklist")
FRONT_DESK_WORKLIST = f"{WORKLIST}?tasks=front_desk"


@pytest.fixture
def at_noon():
    with time_machine.travel(NOON, tick=False):
        yield NOON


@pytest.fixture
def austin(settings):
    settings.CLINIC_CHAIN = True
    return Location.objects.create(name="Austin", time_zone="America/Chicago", display_order=1)


@pytest.fixture
def el_paso(austin):
    return Location.objects.create(name="El Paso", time_zone="America/Denver", display_order=2)


@pytest.fixture
def desk(front_desk_user, austin, el_paso):
    """The front desk, assigned to both locations, working in Austin."""
    return _working(front_desk_user, austin, el_paso)


@pytest.fixture
def doctor(clinician_user, austin, el_paso):
    """A clinician, assigned to both locations, working in Austin."""
    return _working(clinician_user, austin, el_paso)


def _working(user, *locations) -> Client:
    for location in locations:
        StaffLocation.objects.create(user=user, location=location)
    client = sign_in(Client(), user)
    work_at(client, locations[0])
    return client


def work_at(client: Client, location: Location) -> None:
    response = client.post(PICK, {"location": str(location.pk)})
    assert response.status_code == 302


def tag(location: Location) -> str:
    """The word in the last names of a location's patients: "Austin", "Elpaso"."""
    return location.name.replace(" ", "").capitalize()


def resident(location: Location, kind: str, **fields) -> Patient:
    return PatientFactory(
        home_location=location, legal_last_name=f"{kind}{tag(location)}", **fields
    )


def session_at(location: Location, patient: Patient, *, by, starts_at, **fields):
    """A session of ``patient`` at a chair of ``location`` (a chair of its own)."""
    session = booked_session(by=by, patient=patient, starts_at=starts_at)
    session.chair = chair(f"{location.name} chair {session.pk}", location=location)
    for name, value in fields.items():
        setattr(session, name, value)
    session.save()
    return session


def pending_screening(patient: Patient, *, result: Result = Result.NEEDS_REVIEW) -> Screening:
    intake = Intake.objects.create(
        patient=patient, status=Intake.Status.SUBMITTED, submitted_at=NOON - timedelta(hours=2)
    )
    return Screening.objects.create(
        patient=patient,
        intake=intake,
        result=result.value,
        reasons=[],
        ruleset_version=RULESET_VERSION,
        failed_treatments=[],
        created_at=NOON - timedelta(hours=2),
    )


def rows_at(location: Location, *, by, elsewhere: Location) -> None:
    """One row of every list at ``location``. A session at its chairs is of a patient whose
    home is ``elsewhere``: a session's lists follow the chair, not the patient."""
    followup_task(patient=resident(location, "Task"), due_at=NOON - timedelta(hours=2))
    followup_task(
        patient=resident(location, "Review"),
        kind=OutboxEntry.TaskKind.MAINTENANCE_REVIEW,
        due_at=NOON - timedelta(hours=1),
    )
    alerted = resident(location, "Alert")
    ClinicalAlert.objects.create(
        patient=alerted,
        kind=ClinicalAlert.Kind.PHQ9_ITEM9,
        source_kind="intake",
        source_id=alerted.pk,
    )
    Intake.objects.create(patient=resident(location, "Intake"), status=Intake.Status.INVITED)
    pending_screening(resident(location, "Screen"))
    answered_survey(
        by=by, patient=resident(location, "Survey"), completed_at=NOON - timedelta(hours=1)
    )
    failed_message(patient=resident(location, "Failed"), due_at=NOON - timedelta(hours=3))
    # At its chairs, of patients living elsewhere.
    signed_off = session_at(
        location,
        PatientFactory(home_location=elsewhere, legal_last_name=f"Sign{tag(location)}"),
        by=by,
        starts_at=NOON - timedelta(days=1),
        status=TreatmentSession.Status.COMPLETED,
    )
    SessionEvent.objects.create(
        session=signed_off,
        kind=SessionEvent.Kind.ADVERSE_EVENT,
        description=f"Nausea at {location.name}",
        recorded_by=by,
        occurred_at=NOON - timedelta(days=1, hours=-1),
    )
    session_at(
        location,
        PatientFactory(home_location=elsewhere, legal_last_name=f"Chair{tag(location)}"),
        by=by,
        starts_at=NOON - timedelta(minutes=5),
        status=TreatmentSession.Status.CHECKED_IN,
        fasting_hours=Decimal("2"),
        clear_liquids_hours=Decimal("2"),
    )


@pytest.fixture
def both(at_noon, austin, el_paso, clinician_user):
    rows_at(austin, by=clinician_user, elsewhere=el_paso)
    rows_at(el_paso, by=clinician_user, elsewhere=austin)


def shows(response, location: Location, *kinds: str) -> bool:
    """Whether the page names the location's patients of each kind, and not the other's."""
    assert response.status_code == 200
    content = response.content.decode()
    return all(f"{kind}{tag(location)}" in content for kind in kinds)


def lists_only(client: Client, url: str, here: Location, there: Location, *kinds: str) -> None:
    response = client.get(url)
    assert shows(response, here, *kinds), (url, here.name)
    content = response.content.decode()
    for kind in kinds:
        assert f"{kind}{tag(there)}" not in content, (url, kind, there.name)


# --- The lists --------------------------------------------------------------------------------


def test_the_front_desk_lists_are_the_working_locations(both, desk, austin, el_paso):
    for here, there in ((austin, el_paso), (el_paso, austin)):
        work_at(desk, here)
        lists_only(desk, TASKS, here, there, "Task")
        lists_only(desk, QUEUE, here, there, "Intake", "Screen")
        lists_only(desk, FRONT_DESK_WORKLIST, here, there, "Task")


def test_the_clinicians_lists_are_the_working_locations(both, doctor, austin, el_paso):
    for here, there in ((austin, el_paso), (el_paso, austin)):
        work_at(doctor, here)
        lists_only(doctor, ALERTS, here, there, "Alert")
        lists_only(doctor, SCREENING, here, there, "Screen")
        lists_only(doctor, WORKLIST, here, there, "Survey", "Review")
        lists_only(doctor, TASKS, here, there, "Review")


def test_sessions_to_sign_are_those_at_the_locations_chairs(both, doctor, austin, el_paso):
    """Austin's session of a patient living in El Paso is signed from Austin."""
    response = doctor.get(TO_SIGN)
    names = [session.patient.legal_last_name for session in response.context["unsigned"].rows]
    assert names == ["SignAustin"]
    assert response.context["unsigned"].total == 1
    work_at(doctor, el_paso)
    response = doctor.get(TO_SIGN)
    names = [session.patient.legal_last_name for session in response.context["unsigned"].rows]
    assert names == ["SignElpaso"]


def test_acknowledged_alerts_are_the_working_locations_too(
    at_noon, doctor, clinician_user, austin, el_paso
):
    for location in (austin, el_paso):
        ClinicalAlert.objects.create(
            patient=resident(location, "Seen"),
            kind=ClinicalAlert.Kind.SCORE_WORSE,
            urgent=False,
            source_kind="survey",
            source_id=location.pk,
            acknowledged_at=NOON - timedelta(hours=1),
            acknowledged_by=clinician_user,
        )
    response = doctor.get(ALERTS)
    assert [a.patient.legal_last_name for a in response.context["acknowledged"]] == ["SeenAustin"]


# --- The home panels --------------------------------------------------------------------------


def panels(client: Client) -> dict[str, dict]:
    response = client.get(HOME)
    assert response.status_code == 200
    return {panel["title"]: panel for panel in response.context["panels"]}


def numbers(panel: dict) -> list[int]:
    return [count["count"] for count in panel["counts"]]


def item_texts(panel: dict) -> list[str]:
    texts = [item["text"] for item in panel.get("items", [])]
    return texts + [item["text"] for group in panel.get("groups", []) for item in group["items"]]


def test_the_front_desks_panels_count_the_working_location(both, desk, austin, el_paso):
    for here in (austin, el_paso):
        work_at(desk, here)
        shown = panels(desk)
        # Invited, opened, in progress, submitted, expired, revoked: one invited, one submitted.
        assert numbers(shown["Intake"]) == [1, 0, 0, 1, 0, 0]
        assert numbers(shown["Tasks"]) == [1]
        assert sum(numbers(shown["Follow-ups to book"])) == 1
        overdue = shown["Overdue"]
        assert numbers(overdue) == [0, 0, 1]
        assert [text.split()[-1] for text in item_texts(overdue)] == [f"Failed{tag(here)}"]


def test_the_clinicians_panels_count_the_working_location(both, doctor, austin, el_paso):
    for here in (austin, el_paso):
        work_at(doctor, here)
        shown = panels(doctor)
        assert numbers(shown["Alerts"]) == [1, 0, 0]
        assert numbers(shown["Intakes to review"]) == [1]
        assert sum(numbers(shown["Screenings to review"])) == 1
        assert numbers(shown["Sessions to sign"]) == [1]
        # The survey answered today and the maintenance review due today.
        assert numbers(shown["Follow-ups"]) == [0, 2, 0]
        assert numbers(shown["Maintenance reviews"]) == [1]
        alerts = shown["Session alerts"]
        assert numbers(alerts) == [0, 1, 1]
        assert sorted(text.split()[-1] for text in item_texts(alerts)) == [
            f"Chair{tag(here)}",
            f"Sign{tag(here)}",
        ]


# --- "Today" is the location's day --------------------------------------------------------------


def test_the_follow_up_worklists_today_is_the_locations_day(desk, austin, el_paso):
    """At 11:30 p.m. in El Paso it is already tomorrow in Austin (the clinic's settings' zone):
    a call due at 10 p.m. El Paso time is due today there, not overdue."""
    mountain = ZoneInfo("America/Denver")
    late = datetime(2026, 12, 1, 23, 30, tzinfo=mountain)
    followup_task(
        patient=resident(el_paso, "Task"),
        due_at=datetime(2026, 12, 1, 22, 0, tzinfo=mountain),
    )
    with time_machine.travel(late, tick=False):
        work_at(desk, el_paso)
        worklist = desk.get(FRONT_DESK_WORKLIST).context["worklist"]
    assert worklist.today.isoformat() == "2026-12-01"
    assert [item.patient.legal_last_name for item in worklist.section("due-today").items] == [
        "TaskElpaso"
    ]
    assert worklist.section("overdue").items == []


# --- Cost: the same queries however many rows --------------------------------------------------


def _queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def test_the_lists_cost_the_same_queries_as_rows_grow(
    both, desk, doctor, austin, el_paso, clinician_user
):
    pages = [
        (desk, TASKS),
        (desk, FRONT_DESK_WORKLIST),
        (desk, QUEUE),
        (desk, HOME),
        (doctor, ALERTS),
        (doctor, SCREENING),
        (doctor, WORKLIST),
        (doctor, TO_SIGN),
        (doctor, HOME),
    ]
    few = [_queries(client, url) for client, url in pages]
    for _ in range(4):
        rows_at(austin, by=clinician_user, elsewhere=el_paso)
        rows_at(el_paso, by=clinician_user, elsewhere=austin)
    many = [_queries(client, url) for client, url in pages]
    assert many == few
    # The rows did grow: Austin's five tasks, none of El Paso's.
    response = desk.get(TASKS)
    assert response.context["open_tasks"].total == 5


# --- The helper ---------------------------------------------------------------------------------


def test_one_clinic_rows_are_unchanged_without_a_query(rf, django_assert_num_queries):
    request = rf.get("/")
    request.workplace = None
    tasks = ClinicalAlert.objects.all()
    with django_assert_num_queries(0):
        assert at_working_location(request, tasks) is tasks

"""The staff home page: panels contributed by the apps, grouped by role. The front desk's day
(arrivals, what is overdue, follow-ups to book, new inquiries, the intake queue, today's
sessions chair by chair); the clinician's (alerts by kind, session alerts, sessions to sign,
screenings and intakes to review, follow-ups and maintenance reviews). Every count links to the
list behind it, and the page costs the same number of queries however much data there is."""

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.test import RequestFactory
from django.urls import reverse
from django.utils.html import escape

from clinic import home
from clinic.roles import CLINICIAN, FRONT_DESK
from intake.models import ClinicalAlert, ConsultationRequest
from intake.services.questionnaires import alert_raise
from tests.conftest import sign_in
from tests.factories import PatientFactory, UserFactory
from tests.followups.worklist_data import NOON, TaskKind, failed_message, followup_task
from tests.intake.intakes import intakes_in_every_state, issue, submitted_intake
from tests.treatments.booking import active_plan, chair
from tests.treatments.sessions import checked_in, completed_session, pre_dose
from treatments.models import SessionEvent, StaffTask, TreatmentSession

pytestmark = pytest.mark.clinic_day

HOME_URL = reverse("home")
QUEUE_URL = reverse("intake:intake_queue")
BOARD_URL = reverse("treatments:chair_board")
ALERTS_URL = reverse("intake:alert_list")
WORKLIST_URL = reverse("followups:worklist")
FRONT_DESK_WORKLIST = f"{WORKLIST_URL}?tasks=front_desk"


def panel(page: str, title: str) -> str:
    match = re.search(
        rf'<section class="card[^"]*" aria-labelledby="panel-[\w-]+">\s*<div class="card-body">\s*'
        rf"<h2[^>]*>{re.escape(escape(title))}</h2>.*?</section>",
        page,
        re.S,
    )
    assert match, f"no {title!r} panel"
    return match.group(0)


def has_panel(page: str, title: str) -> bool:
    return re.search(rf"<h2[^>]*>{re.escape(escape(title))}</h2>", page) is not None


def count_row(panel_html: str, label: str) -> re.Match:
    """A count's row: its link (which says the count first, for a screen reader), then the
    number people see."""
    match = re.search(
        r'<a class="col stretched-link" href="(?P<url>[^"]*)"><span class="visually-hidden">'
        rf"(?P<spoken>[^<]*)</span>{re.escape(label)}</a>\s*"
        r'<span aria-hidden="true" class="(?P<classes>[^"]*)">(?P<count>\d+)</span>'
        r'\s*(?P<badge><span aria-hidden="true" class="col-auto"><span class="badge[^"]*">'
        r"Urgent</span></span>)?",
        panel_html,
    )
    assert match, f"no {label!r} count"
    return match


def count_in(panel_html: str, label: str) -> int:
    return int(count_row(panel_html, label)["count"])


def link_of(panel_html: str, label: str) -> str:
    return count_row(panel_html, label)["url"].replace("&amp;", "&")


def is_marked_urgent(panel_html: str, label: str) -> bool:
    """Urgent in words (a badge people see, and in what a screen reader says), not only red."""
    row = count_row(panel_html, label)
    said = "urgent" in row["spoken"]
    assert said == bool(row["badge"]) == ("text-danger" in row["classes"])
    return said


def session_at(by, *, hour: int, minute: int = 0, chair_name: str = "Chair 1", patient=None):
    """A session today (NOON's day) at the hour, 40 minutes long, on the named chair."""
    plan = active_plan(by=by, patient=patient)
    starts_at = NOON.replace(hour=hour, minute=minute)
    return TreatmentSession.objects.create(
        patient=plan.patient,
        plan=plan,
        plan_version=plan.versions.get(),
        chair=chair(chair_name),
        starts_at=starts_at,
        ends_at=starts_at + timedelta(minutes=40),
        booked_by=by,
    )


def inquiry(status=ConsultationRequest.Status.NEW) -> ConsultationRequest:
    return ConsultationRequest.objects.create(
        first_name="Maria",
        last_name="Delgado",
        date_of_birth=datetime(1985, 4, 23, tzinfo=UTC).date(),
        email="maria.delgado@example.com",
        mobile="+15125550143",
        concerns=["depression"],
        consent_to_contact=True,
        status=status,
    )


def raise_alert(patient, kind, source_id: int) -> ClinicalAlert:
    return alert_raise(patient_id=patient.pk, kind=kind, source_kind="test", source_id=source_id)


@pytest.fixture
def at_noon():
    with time_machine.travel(NOON, tick=False):
        yield NOON


# --- The registry -----------------------------------------------------------------------------


@pytest.fixture
def registry(monkeypatch):
    """An empty registry for the test, so the apps' own panels stay as they are."""
    monkeypatch.setattr(home, "_panels", {})
    return home


def test_panels_come_in_order_and_empty_ones_are_left_out(registry, rf: RequestFactory):
    registry.register_panel("second", lambda request: {"title": "Second"}, order=20)
    registry.register_panel("nothing", lambda request: None, order=5)
    registry.register_panel("first", lambda request: {"title": "First", "urgent": True}, order=10)

    shown = registry.panels_for(rf.get("/"))

    assert [p["title"] for p in shown] == ["First", "Second"]
    assert shown[0] == {"name": "first", **home.PANEL_DEFAULTS, "title": "First", "urgent": True}
    assert shown[0]["counts"] == [] and shown[0]["link"] is None and shown[0]["audience"] is None


def test_registering_again_replaces_the_panel(registry, rf):
    # AppConfig.ready() may run more than once (tests, management commands).
    registry.register_panel("intake", lambda request: {"title": "Old"})
    registry.register_panel("intake", lambda request: {"title": "New"})

    assert [p["title"] for p in registry.panels_for(rf.get("/"))] == ["New"]

    registry.unregister_panel("intake")
    assert registry.panels_for(rf.get("/")) == []


def test_each_panel_sees_the_request(registry, rf):
    registry.register_panel("path", lambda request: {"title": request.path})

    assert registry.panels_for(rf.get("/somewhere/"))[0]["title"] == "/somewhere/"


def test_a_read_two_panels_share_is_made_once_a_request(registry, rf):
    made = []

    def read():
        made.append(1)
        return {"expired": len(made)}

    registry.register_panel("one", lambda r: {"title": str(home.once(r, read)["expired"])})
    registry.register_panel("two", lambda r: {"title": str(home.once(r, read)["expired"])})

    assert [p["title"] for p in registry.panels_for(rf.get("/"))] == ["1", "1"]
    assert [p["title"] for p in registry.panels_for(rf.get("/"))] == ["2", "2"]  # a new request


def test_the_apps_register_their_panels():
    assert {
        "intake-queue",
        "intake-alerts",
        "intake-review",
        "intake-inquiries",
        "treatments-arrivals",
        "treatments-sessions-today",
        "treatments-session-alerts",
        "followups-overdue",
        "followups-to-book",
        "followups-maintenance",
    } <= set(home._panels)


def test_clinic_does_not_import_the_apps():
    """clinic sits below the apps (STYLE.md): the registry is how they reach the home page."""
    import ast
    from pathlib import Path

    import clinic

    for path in Path(clinic.__file__).parent.glob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module:
                assert not node.module.startswith(("intake", "treatments", "followups")), path
            if isinstance(node, ast.Import):
                for alias in node.names:
                    assert not alias.name.startswith(("intake", "treatments", "followups")), path


# --- Whose page ---------------------------------------------------------------------------------

FRONT_DESK_PANELS = (
    "Arrivals",
    "Overdue",
    "Follow-ups to book",
    "New inquiries",
    "Intake",
    "Tasks",
    "Today's sessions",
)
CLINICIAN_PANELS = (
    "Alerts",
    "Session alerts",
    "Sessions to sign",
    "REMS monitoring forms due",
    "Screenings to review",
    "Intakes to review",
    "Follow-ups",
    "Maintenance reviews",
)


def test_the_front_desk_sees_its_panels_in_order_and_no_clinical_ones(front_desk):
    page = front_desk.get(HOME_URL).content.decode()

    positions = [page.index(f">{escape(title)}</h2>") for title in FRONT_DESK_PANELS]
    assert positions == sorted(positions)
    for title in CLINICIAN_PANELS:
        assert not has_panel(page, title), title
    # One role: the part of the page is named for screen readers only.
    assert '<h2 class="visually-hidden" id="home-front-desk">Front desk</h2>' in page


def test_the_clinician_sees_its_panels_in_order_and_no_front_desk_ones(clinician):
    page = clinician.get(HOME_URL).content.decode()

    positions = [page.index(f">{title}</h2>") for title in CLINICIAN_PANELS]
    assert positions == sorted(positions)
    for title in FRONT_DESK_PANELS:
        assert not has_panel(page, title), title


def test_a_person_with_both_roles_sees_both_parts_front_desk_first(client, db):
    both = UserFactory(username="pat", role=FRONT_DESK)
    both.groups.add(Group.objects.get(name=CLINICIAN))

    response = sign_in(client, both).get(HOME_URL)
    page = response.content.decode()

    front = page.index('<h2 class="h4 mb-0" id="home-front-desk">Front desk</h2>')
    clinical = page.index('<h2 class="h4 mb-0" id="home-clinical">Clinical</h2>')
    assert front < page.index(">Arrivals</h2>") < clinical < page.index(">Alerts</h2>")
    sections = response.context["sections"]
    assert [s["title"] for s in sections] == ["Front desk", "Clinical"]
    assert {p["title"] for p in sections[0]["panels"]} == set(FRONT_DESK_PANELS)
    assert {p["title"] for p in sections[1]["panels"]} == set(CLINICIAN_PANELS)


def test_a_clinic_admin_goes_to_the_administration(clinic_admin):
    assert clinic_admin.get(HOME_URL)["Location"] == reverse("admin:index")


# --- The front desk -----------------------------------------------------------------------------


def test_the_intake_queue_counts_each_state_linked_to_its_tab(front_desk, front_desk_user):
    intakes_in_every_state(front_desk_user)
    issue(PatientFactory(), front_desk_user)  # a second invited intake

    intake = panel(front_desk.get(HOME_URL).content.decode(), "Intake")

    expected = {
        "Invited": 2,
        "Opened": 1,
        "In progress": 1,
        "Submitted": 1,
        "Expired": 1,
        "Revoked": 1,
    }
    for label, count in expected.items():
        assert count_in(intake, label) == count
    assert link_of(intake, "Invited") == f"{QUEUE_URL}?status=invited"
    assert link_of(intake, "In progress") == f"{QUEUE_URL}?status=in_progress"
    assert f'href="{QUEUE_URL}">Open the intake queue' in intake


def test_the_screen_reader_hears_the_count_first(front_desk, front_desk_user):
    issue(PatientFactory(), front_desk_user)

    intake = panel(front_desk.get(HOME_URL).content.decode(), "Intake")

    assert count_row(intake, "Invited")["spoken"] == "1: "


def test_arrivals_count_who_is_still_to_come_who_is_late_and_who_is_checked_in(
    front_desk, front_desk_user, at_noon
):
    session_at(front_desk_user, hour=9, chair_name="Chair 1")  # late
    session_at(front_desk_user, hour=14, chair_name="Chair 1")
    checked_in(session_at(front_desk_user, hour=11, chair_name="Chair 2"), by=front_desk_user)
    cancelled = session_at(front_desk_user, hour=15, chair_name="Chair 2")
    TreatmentSession.objects.filter(pk=cancelled.pk).update(status="cancelled")
    tomorrow = session_at(front_desk_user, hour=10, chair_name="Chair 3")
    TreatmentSession.objects.filter(pk=tomorrow.pk).update(
        starts_at=tomorrow.starts_at + timedelta(days=1),
        ends_at=tomorrow.ends_at + timedelta(days=1),
    )

    arrivals = panel(front_desk.get(HOME_URL).content.decode(), "Arrivals")

    assert count_in(arrivals, "Still to arrive today") == 2
    assert count_in(arrivals, "Not arrived, past their start time") == 1
    assert is_marked_urgent(arrivals, "Not arrived, past their start time")
    assert count_in(arrivals, "Checked in") == 1
    assert not is_marked_urgent(arrivals, "Checked in")
    assert link_of(arrivals, "Still to arrive today") == BOARD_URL
    assert "border-danger" in arrivals and "Needs action now" in arrivals


def test_nobody_late_is_not_drawn_as_urgent(front_desk, front_desk_user, at_noon):
    session_at(front_desk_user, hour=14)

    arrivals = panel(front_desk.get(HOME_URL).content.decode(), "Arrivals")

    assert count_in(arrivals, "Not arrived, past their start time") == 0
    assert not is_marked_urgent(arrivals, "Not arrived, past their start time")
    assert "border-danger" not in arrivals and "Needs action now" not in arrivals


def test_todays_sessions_are_shown_chair_by_chair_with_check_in_for_the_booked(
    front_desk, front_desk_user, at_noon
):
    chair("Chair 3")  # free all day
    leo = PatientFactory(legal_first_name="Leo", legal_last_name="Marsh")
    booked = session_at(front_desk_user, hour=14, chair_name="Chair 1", patient=leo)
    ana = PatientFactory(legal_first_name="Ana", legal_last_name="Ruiz")
    here = session_at(front_desk_user, hour=11, chair_name="Chair 2", patient=ana)
    checked_in(here, by=front_desk_user)
    cancelled = session_at(front_desk_user, hour=9, chair_name="Chair 1")
    TreatmentSession.objects.filter(pk=cancelled.pk).update(status="cancelled")

    board = panel(front_desk.get(HOME_URL).content.decode(), "Today's sessions")

    assert count_in(board, "Booked today") == 2
    assert link_of(board, "Booked today") == BOARD_URL
    assert f'href="{BOARD_URL}">Open the chair board' in board
    chairs = re.findall(r"<h3[^>]*>([^<]+)</h3>", board)
    assert chairs == ["Chair 1", "Chair 2", "Chair 3"]
    chair_1 = board[board.index(">Chair 1</h3>") : board.index(">Chair 2</h3>")]
    session_url = reverse("treatments:session_detail", args=[booked.pk])
    assert "14:00" in chair_1 and f'<a href="{session_url}">Leo Marsh</a>' in chair_1
    assert ">Booked</span>" in chair_1
    assert f'href="{session_url}#check-in">Check in' in chair_1
    assert cancelled.patient.full_name not in board
    chair_2 = board[board.index(">Chair 2</h3>") : board.index(">Chair 3</h3>")]
    assert "Ana Ruiz" in chair_2 and ">Checked in</span>" in chair_2
    here_url = reverse("treatments:session_detail", args=[here.pk])
    assert f"{here_url}#check-in" not in chair_2
    assert "No sessions." in board[board.index(">Chair 3</h3>") :]


def test_names_on_the_board_are_escaped(front_desk, front_desk_user, at_noon):
    patient = PatientFactory(legal_first_name="<b>Bo</b>", legal_last_name="O'Neil & Co")
    session_at(front_desk_user, hour=14, chair_name="Chair 1", patient=patient)

    board = panel(front_desk.get(HOME_URL).content.decode(), "Today's sessions")

    assert "<b>Bo</b>" not in board
    assert escape("<b>Bo</b> O'Neil & Co") in board  # the link's text and the check-in's words


def test_a_chain_with_many_free_chairs_lists_only_the_chairs_in_use(
    front_desk, front_desk_user, at_noon
):
    for number in range(3, 13):
        chair(f"Chair {number}")  # ten chairs free all day
    session_at(front_desk_user, hour=14, chair_name="Chair 1")
    session_at(front_desk_user, hour=15, chair_name="Chair 2")

    board = panel(front_desk.get(HOME_URL).content.decode(), "Today's sessions")

    chairs = re.findall(r"<h3[^>]*>([^<]+)</h3>", board)
    assert chairs == ["Chair 1", "Chair 2", "Other chairs"]
    assert "10 chairs have no sessions today." in board
    assert "No sessions." not in board


def test_new_inquiries_are_counted_and_linked_to_their_tab(front_desk):
    inquiry()
    inquiry()
    inquiry(status=ConsultationRequest.Status.CLOSED)

    inquiries = panel(front_desk.get(HOME_URL).content.decode(), "New inquiries")

    assert count_in(inquiries, "Waiting for a reply") == 2
    assert (
        link_of(inquiries, "Waiting for a reply") == f"{reverse('intake:inquiry_list')}?status=new"
    )


def test_follow_ups_to_book_count_the_outbox_tasks_on_the_front_desks_list(
    front_desk, clinician_user, at_noon
):
    followup_task(kind=TaskKind.INTEGRATION_BOOKING)
    followup_task(kind=TaskKind.INTEGRATION_BOOKING, due_at=NOON - timedelta(days=2))
    followup_task(kind=TaskKind.FOLLOWUP_BOOKING)
    followup_task(kind=TaskKind.PHONE_FOLLOWUP, due_at=NOON + timedelta(hours=3))
    followup_task(kind=TaskKind.PHONE_FOLLOWUP, due_at=NOON + timedelta(days=2))  # not yet
    done = followup_task(kind=TaskKind.FOLLOWUP_BOOKING)
    StaffTask.objects.filter(pk=done.pk).update(status=StaffTask.Status.DONE)
    followup_task(kind=TaskKind.MAINTENANCE_REVIEW)  # the clinician's

    to_book = panel(front_desk.get(HOME_URL).content.decode(), "Follow-ups to book")

    assert count_in(to_book, "Book an integration appointment") == 2
    assert count_in(to_book, "Book a follow-up appointment") == 1
    assert count_in(to_book, "Phone follow-up: survey not answered") == 1
    assert link_of(to_book, "Book an integration appointment") == FRONT_DESK_WORKLIST


def test_overdue_items_are_urgent_and_link_to_their_lists(front_desk, front_desk_user, at_noon):
    followup_task(kind=TaskKind.PHONE_FOLLOWUP, due_at=NOON - timedelta(days=1))
    followup_task(kind=TaskKind.FOLLOWUP_BOOKING, due_at=NOON - timedelta(days=3))
    followup_task(kind=TaskKind.FOLLOWUP_BOOKING, due_at=NOON - timedelta(hours=1))  # today
    intakes_in_every_state(front_desk_user)
    late = PatientFactory(legal_first_name="Rosa", legal_last_name="Park", mobile="+15125550177")
    failed_message(patient=late)
    failed_message(patient=PatientFactory(), due_at=NOON - timedelta(days=9))  # long gone

    overdue = panel(front_desk.get(HOME_URL).content.decode(), "Overdue")

    assert count_in(overdue, "Follow-up tasks overdue") == 2
    assert link_of(overdue, "Follow-up tasks overdue") == f"{FRONT_DESK_WORKLIST}#overdue"
    assert count_in(overdue, "Intake links expired unanswered") == 1
    assert link_of(overdue, "Intake links expired unanswered") == f"{QUEUE_URL}?status=expired"
    assert count_in(overdue, "Messages that failed to send") == 1
    assert link_of(overdue, "Messages that failed to send") == "#failed-messages"
    for label in ("Follow-up tasks overdue", "Messages that failed to send"):
        assert is_marked_urgent(overdue, label)
    assert "border-danger" in overdue
    # Who to call: the patient's messages, and their number.
    failed = overdue[overdue.index('id="failed-messages"') :]
    log = reverse("followups:communication_log", args=[late.pk])
    assert f'<a href="{log}">Rosa Park</a>' in failed
    assert "Appointment reminder by text message" in failed
    assert 'href="tel:+15125550177"' in failed


def test_nothing_overdue_is_calm(front_desk):
    overdue = panel(front_desk.get(HOME_URL).content.decode(), "Overdue")

    assert count_in(overdue, "Follow-up tasks overdue") == 0
    assert not is_marked_urgent(overdue, "Follow-up tasks overdue")
    assert "border-danger" not in overdue
    assert "None in the last 7 days." in overdue


def test_more_failed_messages_than_the_list_shows_are_counted(front_desk, at_noon):
    for hours in range(7):
        failed_message(patient=PatientFactory(), due_at=NOON - timedelta(hours=hours + 1))

    overdue = panel(front_desk.get(HOME_URL).content.decode(), "Overdue")

    assert count_in(overdue, "Messages that failed to send") == 7
    assert "And 2 more." in overdue


# --- The clinician ------------------------------------------------------------------------------


def test_alerts_are_counted_by_kind_and_self_harm_is_urgent(clinician, clinician_user):
    patients = PatientFactory.create_batch(3)
    for source_id, patient in enumerate(patients):
        raise_alert(patient, ClinicalAlert.Kind.PHQ9_ITEM9, source_id)
    raise_alert(patients[0], ClinicalAlert.Kind.SCORE_WORSE, 10)
    raise_alert(patients[1], ClinicalAlert.Kind.SEVERE_SIDE_EFFECT, 11)
    raise_alert(patients[2], ClinicalAlert.Kind.SEVERE_SIDE_EFFECT, 12)
    ClinicalAlert.objects.filter(source_id=0).update(
        acknowledged_at=NOON, acknowledged_by=clinician_user, acknowledgement_note="Called"
    )

    alerts = panel(clinician.get(HOME_URL).content.decode(), "Alerts")

    item9 = "Thoughts of self-harm (PHQ-9 item 9)"
    assert count_in(alerts, item9) == 2
    assert is_marked_urgent(alerts, item9)
    assert count_in(alerts, "Scores worse than before treatment") == 1
    assert not is_marked_urgent(alerts, "Scores worse than before treatment")
    assert count_in(alerts, "Severe side effects reported") == 2
    assert link_of(alerts, item9) == ALERTS_URL
    assert "border-danger" in alerts


def test_no_open_self_harm_alert_is_not_drawn_as_urgent(clinician):
    alerts = panel(clinician.get(HOME_URL).content.decode(), "Alerts")

    assert count_in(alerts, "Thoughts of self-harm (PHQ-9 item 9)") == 0
    assert "border-danger" not in alerts


def test_intakes_to_review_are_the_recent_submitted_ones(clinician, front_desk_user):
    now = datetime(2026, 3, 10, 15, tzinfo=UTC)
    with time_machine.travel(now - timedelta(days=45), tick=False):
        submitted_intake(PatientFactory(), front_desk_user)  # too long ago to be "to review"
    with time_machine.travel(now - timedelta(days=2), tick=False):
        submitted_intake(PatientFactory(), front_desk_user)
        submitted_intake(PatientFactory(), front_desk_user)

    with time_machine.travel(now, tick=False):
        review = panel(clinician.get(HOME_URL).content.decode(), "Intakes to review")

    assert count_in(review, "Submitted in the last 30 days") == 2
    assert link_of(review, "Submitted in the last 30 days") == f"{QUEUE_URL}?status=submitted"


def test_a_raised_blood_pressure_waiting_for_a_decision_is_urgent(
    clinician, clinician_user, at_noon
):
    def at_the_dose(hour: int, chair_name: str, **vitals) -> TreatmentSession:
        patient = PatientFactory(legal_first_name="Ben", legal_last_name="Ode", sex_at_birth="male")
        session = session_at(clinician_user, hour=hour, chair_name=chair_name, patient=patient)
        checked_in(session, by=clinician_user)
        pre_dose(session, by=clinician_user, **vitals)
        return session

    raised = at_the_dose(11, "Chair 2", systolic=168, diastolic=96)
    decided = at_the_dose(11, "Chair 3", systolic=170)
    TreatmentSession.objects.filter(pk=decided.pk).update(bp_gate_decision="proceed")
    at_the_dose(10, "Chair 4")

    alerts = panel(clinician.get(HOME_URL).content.decode(), "Session alerts")

    label = "Blood pressure above the gate: decision waiting"
    assert count_in(alerts, label) == 1
    assert is_marked_urgent(alerts, label)
    assert link_of(alerts, label) == "#bp-decisions"
    waiting = alerts[alerts.index('id="bp-decisions"') : alerts.index('id="adverse-events"')]
    url = reverse("treatments:session_detail", args=[raised.pk])
    assert f'<a href="{url}#pre-dose">Ben Ode</a>' in waiting
    assert "Chair 2 · baseline 168/96" in waiting
    assert "border-danger" in alerts


def test_adverse_events_of_the_last_week_are_counted_and_listed(clinician, clinician_user, at_noon):
    session = completed_session(by=clinician_user, starts_at=NOON - timedelta(days=2))
    for days, description in ((1, "Laryngospasm, resolved"), (8, "Too long ago")):
        SessionEvent.objects.create(
            session=session,
            kind=SessionEvent.Kind.ADVERSE_EVENT,
            description=description,
            occurred_at=NOON - timedelta(days=days),
            escalated=True,
            recorded_by=clinician_user,
        )
    SessionEvent.objects.create(
        session=session,
        kind=SessionEvent.Kind.SIDE_EFFECT,
        effect=SessionEvent.Effect.NAUSEA,
        severity=SessionEvent.Severity.MILD,
        occurred_at=NOON - timedelta(days=1),
        recorded_by=clinician_user,
    )

    alerts = panel(clinician.get(HOME_URL).content.decode(), "Session alerts")

    assert count_in(alerts, "Adverse events in the last 7 days") == 1
    assert link_of(alerts, "Adverse events in the last 7 days") == "#adverse-events"
    events = alerts[alerts.index('id="adverse-events"') :]
    url = reverse("treatments:session_detail", args=[session.pk])
    assert f'href="{url}#events">{session.patient.full_name}</a>' in events
    assert "Laryngospasm, resolved" in events and "Too long ago" not in events
    assert "border-danger" not in alerts  # nothing waiting for a decision


def test_maintenance_reviews_due_are_counted(clinician, at_noon):
    followup_task(kind=TaskKind.MAINTENANCE_REVIEW, due_at=NOON - timedelta(days=3))
    followup_task(kind=TaskKind.MAINTENANCE_REVIEW)
    followup_task(kind=TaskKind.MAINTENANCE_REVIEW, due_at=NOON + timedelta(days=3))  # not yet
    followup_task(kind=TaskKind.PHONE_FOLLOWUP, role=StaffTask.Role.CLINICIAN)

    reviews = panel(clinician.get(HOME_URL).content.decode(), "Maintenance reviews")

    assert count_in(reviews, "Maintenance reviews due") == 2
    assert link_of(reviews, "Maintenance reviews due") == WORKLIST_URL


def test_sessions_to_sign_are_counted(clinician, clinician_user):
    completed_session(by=clinician_user)

    to_sign = panel(clinician.get(HOME_URL).content.decode(), "Sessions to sign")

    assert count_in(to_sign, "Waiting for a signature") == 1
    assert link_of(to_sign, "Waiting for a signature") == reverse("treatments:sessions_to_sign")


# --- What the page costs ------------------------------------------------------------------------


def front_desk_day(by, how_many: int) -> None:
    """Something in every front-desk panel, ``how_many`` times over."""
    for index in range(how_many):
        intakes_in_every_state(by)
        inquiry()
        followup_task(kind=TaskKind.INTEGRATION_BOOKING, patient=PatientFactory())
        followup_task(
            kind=TaskKind.PHONE_FOLLOWUP, due_at=NOON - timedelta(days=2), patient=PatientFactory()
        )
        failed_message(patient=PatientFactory(), due_at=NOON - timedelta(hours=index + 1))
        for hour, chair_name in ((9, f"Chair {index}a"), (13, f"Chair {index}b")):
            session_at(by, hour=hour, chair_name=chair_name)
        checked_in(session_at(by, hour=11, chair_name=f"Chair {index}a"), by=by)


@pytest.mark.parametrize("how_many", [1, 4])
def test_the_front_desk_home_costs_the_same_however_much_is_going_on(
    front_desk, front_desk_user, django_assert_num_queries, how_many, at_noon
):
    front_desk_day(front_desk_user, how_many)
    front_desk.get(HOME_URL)  # warm-up

    # session, user, TOTP device, roles; arrivals (one aggregate); overdue: the front desk's
    # outbox tasks (one aggregate, shared with "Follow-ups to book"), the intake queue counts
    # (two counts read from indexes, shared with the intake queue panel), failed messages (one
    # query with their total); new inquiries; open tasks; the chairs' locations (which one the
    # person works in), today's sessions and the chairs
    with django_assert_num_queries(14):
        response = front_desk.get(HOME_URL)
    page = response.content.decode()
    assert count_in(panel(page, "Follow-ups to book"), "Book an integration appointment") == (
        how_many
    )
    assert count_in(panel(page, "Today's sessions"), "Booked today") == 3 * how_many


def clinician_day(by, how_many: int) -> None:
    """Something in every clinician panel, ``how_many`` times over."""
    for index in range(how_many):
        patient = PatientFactory(sex_at_birth="male")
        raise_alert(patient, ClinicalAlert.Kind.PHQ9_ITEM9, index)
        raise_alert(patient, ClinicalAlert.Kind.SCORE_WORSE, index)
        session = checked_in(
            session_at(by, hour=9 + index, chair_name=f"Chair {index}", patient=patient), by=by
        )
        pre_dose(session, by=by, systolic=170)
        SessionEvent.objects.create(
            session=session,
            kind=SessionEvent.Kind.ADVERSE_EVENT,
            description="Vomiting with aspiration risk",
            occurred_at=NOON - timedelta(hours=1),
            escalated=True,
            recorded_by=by,
        )
        completed_session(by=by, starts_at=NOON - timedelta(days=1, hours=3 * index))
        followup_task(kind=TaskKind.MAINTENANCE_REVIEW, patient=PatientFactory())


@pytest.mark.parametrize("how_many", [1, 4])
def test_the_clinician_home_costs_the_same_however_much_is_going_on(
    clinician, clinician_user, django_assert_num_queries, how_many, at_noon
):
    clinician_day(clinician_user, how_many)
    clinician.get(HOME_URL)  # warm-up

    # session, user, TOTP device, roles; alerts by kind (one aggregate); session alerts: the
    # blood-pressure decisions waiting, the adverse events (one query with their total);
    # sessions to sign; REMS monitoring forms due (two queries: how many, and the first five;
    # one query with a window total made PostgreSQL read every completed esketamine session to
    # return five); screenings to review (one aggregate); intakes to review; follow-ups (tasks,
    # surveys: two aggregates); maintenance reviews due; the controlled-substance discrepancies
    # open (one query with their total) and whether today's end-of-day count is due (one
    # query: stock on the shelf and no count today; noon is a clinic day)
    with django_assert_num_queries(17):
        response = clinician.get(HOME_URL)
    page = response.content.decode()
    alerts = panel(page, "Session alerts")
    assert count_in(alerts, "Blood pressure above the gate: decision waiting") == how_many
    assert count_in(alerts, "Adverse events in the last 7 days") == how_many
    assert count_in(panel(page, "Maintenance reviews"), "Maintenance reviews due") == how_many

"""The front desk's day in a real browser at desktop size (issue 21): a session on the chair board
in every hour it occupies; the session page's links to the patient, the plan and the board; the
task to book a plan once it is active; required check-in fields, a stage's address opened again,
and a check-in on a session someone else cancelled; the audit trail in clinic time. axe finds
nothing serious on any page visited."""

import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import give_authenticator, log_in, screenshot
from tests.browser.test_accessibility import serious_violations
from tests.factories import PatientFactory, UserFactory
from tests.treatments.booking import active_plan, book_session, chair, clinic_time
from tests.treatments.plans import approved_patient, draft_plan
from tests.treatments.sessions import booked_session
from treatments.services.booking import session_cancel
from treatments.services.plans import plan_activate

pytestmark = pytest.mark.clinic_day  # Monday 11/23/2026 09:00, the clock ticking


def _plan_for(patient, by):
    """An active IV plan starting on Tuesday 12/01/2026 (sessions of 100 minutes)."""
    return active_plan(by=by, patient=patient, start_date=date(2026, 12, 1))


def test_the_board_shows_a_session_in_each_hour_it_occupies(page, live_server, front_desk_user):
    chair("Chair 1")
    patient = PatientFactory(legal_first_name="Ana", legal_last_name="Soto")
    book_session(
        booked_by=front_desk_user,
        starts_at=clinic_time(2026, 12, 1, 9),
        plan=_plan_for(patient, front_desk_user),
    )

    log_in(page, live_server, front_desk_user)
    page.goto(f"{live_server.url}/board/?date=2026-12-01")
    expect(page.get_by_role("heading", name="Chair board")).to_be_visible()

    nine = page.get_by_role("row").filter(has=page.get_by_role("rowheader", name="09:00"))
    ten = page.get_by_role("row").filter(has=page.get_by_role("rowheader", name="10:00"))
    eleven = page.get_by_role("row").filter(has=page.get_by_role("rowheader", name="11:00"))
    expect(nine.get_by_role("link", name="Ana Soto", exact=True)).to_be_visible()
    expect(nine).to_contain_text("09:00\N{EN DASH}10:40")
    expect(ten).to_contain_text("Ana Soto continues until 10:40")
    expect(eleven).not_to_contain_text("Ana Soto")
    screenshot(page, "front-desk-board-continues")
    assert serious_violations(page) == []


def test_the_session_page_links_to_the_patient_the_plan_and_the_board(
    page, live_server, front_desk_user
):
    chair("Chair 1")
    patient = PatientFactory(legal_first_name="Ana", legal_last_name="Soto")
    session = book_session(
        booked_by=front_desk_user,
        starts_at=clinic_time(2026, 12, 1, 9),
        plan=_plan_for(patient, front_desk_user),
    )

    log_in(page, live_server, front_desk_user)
    session_url = f"{live_server.url}/sessions/{session.pk}/"
    page.goto(session_url)
    expect(page.get_by_role("heading", name="Session for Ana Soto")).to_be_visible()
    assert serious_violations(page) == []

    links = page.get_by_role("navigation", name="Related pages")
    links.get_by_role("link", name="The plan's schedule").click()
    expect(page.get_by_role("link", name="Book sessions")).to_be_visible()
    assert serious_violations(page) == []

    page.go_back()
    links.get_by_role("link", name="Chair board of 12/01/2026").click()
    expect(page.get_by_role("heading", name="Chair board")).to_be_visible()
    expect(page.get_by_text("Tuesday, 12/01/2026")).to_be_visible()

    page.go_back()
    links.get_by_role("link", name="Patient summary").click()
    expect(page.get_by_role("heading", name="Ana Soto")).to_be_visible()
    assert serious_violations(page) == []


def test_the_front_desk_books_an_activated_plan_from_its_task(
    page, live_server, front_desk_user, clinician_user
):
    chair("Chair 1")
    patient = approved_patient(last_name="Okafor")
    plan = draft_plan(
        clinician_user,
        patient=patient,
        sessions_planned=2,
        span_weeks=1,
        start_date=date(2026, 11, 30),
    )
    name = patient.full_name

    log_in(page, live_server, front_desk_user)
    page.goto(f"{live_server.url}/patients/{patient.pk}/")
    expect(page.get_by_text("Approved: waiting for the clinician's plan.")).to_be_visible()
    # The intake is submitted: no new link is offered.
    expect(page.get_by_role("button", name="Send intake link")).to_have_count(0)
    expect(page.get_by_text("The intake is submitted: no link is needed.")).to_be_visible()
    assert serious_violations(page) == []

    plan_activate(plan=plan, user=clinician_user)

    page.goto(f"{live_server.url}/tasks/")
    task = page.get_by_role("article", name="Book the treatment plan's sessions")
    expect(task).to_contain_text(name)
    expect(task).to_contain_text("IV infusion: 2 sessions from 11/30/2026.")
    assert serious_violations(page) == []
    # The patient's page links to the booking too; the task leads there straight.
    task.get_by_role("link", name=name, exact=True).click()
    expect(page.get_by_role("link", name="Book the treatment plan's sessions")).to_be_visible()
    page.go_back()
    task.get_by_role("link", name=f"Book the sessions of {name}'s plan").click()
    expect(page.get_by_role("heading", name=re.compile(r"Booked \(0 of 2\)"))).to_be_visible()
    page.get_by_role("button", name="Book all 2").click()
    expect(page.get_by_role("heading", name=re.compile(r"Booked \(2 of 2\)"))).to_be_visible()

    page.goto(f"{live_server.url}/tasks/")
    expect(page.get_by_role("article", name="Book the treatment plan's sessions")).to_have_count(0)
    done = page.get_by_role("row").filter(has_text="Book the treatment plan's sessions")
    expect(done).to_contain_text("All 2 sessions booked.")
    assert serious_violations(page) == []


def test_check_in_marks_its_required_fields_and_survives_a_reload_and_a_cancellation(
    page, live_server, front_desk_user, clinician_user
):
    patient = PatientFactory(legal_first_name="Ana", legal_last_name="Soto")
    session = booked_session(by=front_desk_user, patient=patient)

    log_in(page, live_server, front_desk_user)
    page.goto(f"{live_server.url}/sessions/{session.pk}/")
    check_in = page.get_by_role("region", name="Check-in")
    for label in ("Escort or ride home (name)", "Escort's phone", "The patient confirms"):
        expect(check_in.get_by_label(label)).to_have_attribute("required", "")
    expect(check_in.get_by_label("Lot number")).to_have_count(0)  # the clinician's, not here
    assert serious_violations(page) == []

    # Refused: the page at the form's address says what is missing...
    check_in.get_by_role("button", name="Check in").click()
    expect(page.get_by_text("Name the escort or ride home.", exact=True)).to_be_visible()
    expect(page.get_by_text("Confirm that the patient has fasted.", exact=True)).to_be_visible()
    assert serious_violations(page) == []
    # ...and that address opened again comes back to the session page, not a blank 405.
    assert page.url.endswith(f"/sessions/{session.pk}/check-in/")
    page.goto(page.url)
    expect(page).to_have_url(f"{live_server.url}/sessions/{session.pk}/")
    expect(page.get_by_role("heading", name="Session for Ana Soto")).to_be_visible()

    # Meanwhile a clinician cancels the session; this page still shows the form.
    session_cancel(session=session, reason="Called in sick", user=clinician_user)
    check_in = page.get_by_role("region", name="Check-in")
    check_in.get_by_label("Escort or ride home (name)").fill("Sam Rivera")
    check_in.get_by_label("Escort's phone").fill("512-555-0199")
    check_in.get_by_label("The patient confirms").check()
    check_in.get_by_role("button", name="Check in").click()

    expect(page.get_by_role("alert")).to_contain_text(
        re.compile(
            r"This session was cancelled by Casey Carter on 11/23/2026 at \d\d:\d\d: "
            r"nothing was changed\."
        )
    )
    expect(page.get_by_text("Cancelled", exact=True)).to_be_visible()
    screenshot(page, "front-desk-stale-check-in")
    assert serious_violations(page) == []


def test_the_audit_trail_shows_a_sessions_times_in_clinic_time(
    browser, live_server, admin_user, front_desk_user
):
    starts = datetime(2026, 11, 24, 9, 1, tzinfo=ZoneInfo("America/Chicago"))  # 15:01 UTC
    session = booked_session(by=front_desk_user, starts_at=starts)

    # A context of its own: axe's checks apply inline styles, which the admin's CSP blocks and
    # reports on the console (the page fixture fails on any such report; without axe the admin
    # pages report none).
    context = browser.new_context(
        viewport={"width": 1280, "height": 900}, locale="en-US", timezone_id="America/Chicago"
    )
    try:
        page = context.new_page()
        log_in(page, live_server, admin_user, device=give_authenticator(admin_user))
        page.get_by_role("link", name="Audit trail").click()
        row = page.get_by_role("row").filter(
            has_text=f"Session {session.pk} for patient {session.patient_id} at 2026-11-24 09:01"
        )
        expect(row).to_have_count(1)
        assert serious_violations(page) == []
        row.get_by_role("link").first.click()
        # A session is a clinical record: the Clinic admin sees what changed, not the values.
        changes = page.get_by_role("table").filter(has_text="Starts at")
        expect(changes).to_contain_text("(clinical value withheld)")
        expect(changes).not_to_contain_text("15:01")
        entry_url = page.url
    finally:
        context.close()

    # A superuser reads the values, in clinic time.
    superuser = UserFactory(username="root", is_superuser=True, is_staff=True)
    context = browser.new_context(
        viewport={"width": 1280, "height": 900}, locale="en-US", timezone_id="America/Chicago"
    )
    try:
        page = context.new_page()
        log_in(page, live_server, superuser, device=give_authenticator(superuser))
        page.goto(entry_url)
        changes = page.get_by_role("table").filter(has_text="Starts at")
        expect(changes).to_contain_text("11/24/2026 09:01")
        expect(changes).to_contain_text("11/24/2026 11:01")
        expect(changes).not_to_contain_text("15:01")
        screenshot(page, "admin-audit-entry-clinic-time")
        assert serious_violations(page) == []
    finally:
        context.close()

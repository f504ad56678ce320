"""The home pages in a real browser. The front desk signs in and sees today's sessions with a
booked one (and its check-in), the arrivals, a new inquiry and a follow-up to book, and follows
a count to its list; the clinician signs in and sees an item-9 alert (marked urgent in words), a
session to sign and a maintenance review due, and follows one. axe finds nothing serious, and
at phone width nothing runs off the side of the screen.
"""

import re
from datetime import timedelta

from django.utils import timezone
from playwright.sync_api import expect

from intake.models import ClinicalAlert, ConsultationRequest
from intake.services.questionnaires import alert_raise
from tests.browser.conftest import give_authenticator, log_in, screenshot
from tests.browser.test_accessibility import serious_violations
from tests.factories import PatientFactory
from tests.followups.worklist_data import TaskKind, followup_task
from tests.treatments.booking import active_plan, chair
from tests.treatments.sessions import completed_session
from treatments.models import TreatmentSession


def fits_the_screen(page) -> bool:
    """Nothing wider than the viewport: no sideways scrolling on a phone."""
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def front_desk_day(by) -> TreatmentSession:
    """A session booked for now on Chair 1, a new inquiry and a follow-up to book."""
    chair("Chair 2")
    patient = PatientFactory(legal_first_name="Leo", legal_last_name="Marsh")
    plan = active_plan(by=by, patient=patient)
    starts_at = timezone.localtime().replace(second=0, microsecond=0)
    session = TreatmentSession.objects.create(
        patient=patient,
        plan=plan,
        plan_version=plan.versions.get(),
        chair=chair("Chair 1"),
        starts_at=starts_at,
        ends_at=starts_at + timedelta(minutes=40),
        booked_by=by,
    )
    ConsultationRequest.objects.create(
        first_name="Maria",
        last_name="Delgado",
        date_of_birth=timezone.localdate() - timedelta(days=365 * 40),
        email="maria.delgado@example.com",
        mobile="+15125550143",
        concerns=["depression"],
        consent_to_contact=True,
    )
    followup_task(
        kind=TaskKind.INTEGRATION_BOOKING,
        patient=PatientFactory(legal_first_name="Nora", legal_last_name="Quinn"),
        due_at=timezone.now() - timedelta(hours=1),
    )
    return session


def test_the_front_desk_sees_its_day_and_follows_a_count(page, live_server, front_desk_user):
    session = front_desk_day(front_desk_user)

    log_in(page, live_server, front_desk_user)

    expect(page.get_by_role("heading", name="Welcome, Frances")).to_be_visible()
    board = page.get_by_role("region", name="Today's sessions")
    expect(board.get_by_role("heading", name="Chair 1")).to_be_visible()
    expect(board.get_by_role("link", name="Leo Marsh", exact=True)).to_be_visible()
    expect(board.get_by_text("Booked", exact=True)).to_be_visible()
    expect(board.get_by_text("No sessions.")).to_be_visible()  # Chair 2
    arrivals = page.get_by_role("region", name="Arrivals")
    expect(
        arrivals.get_by_role("link", name=re.compile(r"^1: Still to arrive today"))
    ).to_be_visible()
    inquiries = page.get_by_role("region", name="New inquiries")
    expect(inquiries.get_by_role("link", name="1: Waiting for a reply")).to_be_visible()
    to_book = page.get_by_role("region", name="Follow-ups to book")
    expect(to_book.get_by_role("link", name="1: Book an integration appointment")).to_be_visible()
    screenshot(page, "home-front-desk")
    assert serious_violations(page) == []

    # The count leads to the worklist that holds the task.
    to_book.get_by_role("link", name="1: Book an integration appointment").click()
    expect(page.get_by_role("heading", name="Follow-ups", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="Nora Quinn", exact=True)).to_be_visible()
    expect(page.get_by_role("row").filter(has_text="Nora Quinn")).to_contain_text(
        "Book an integration appointment"
    )

    # Back home, the booked session's check-in is one click away.
    page.go_back()
    board.get_by_role("link", name=re.compile("Check in Leo Marsh")).click()
    expect(page).to_have_url(re.compile(rf"/sessions/{session.pk}/#check-in$"))
    expect(page.get_by_role("button", name="Check in")).to_be_visible()


def test_the_front_desk_home_works_at_phone_width(phone_page, live_server, front_desk_user):
    front_desk_day(front_desk_user)

    log_in(phone_page, live_server, front_desk_user)

    board = phone_page.get_by_role("region", name="Today's sessions")
    expect(board.get_by_role("link", name="Leo Marsh", exact=True)).to_be_visible()
    assert fits_the_screen(phone_page)
    screenshot(phone_page, "home-front-desk-phone")
    to_book = phone_page.get_by_role("region", name="Follow-ups to book")
    to_book.get_by_role("link", name="1: Book an integration appointment").click()
    expect(phone_page.get_by_role("link", name="Nora Quinn", exact=True)).to_be_visible()


def clinician_day(by) -> TreatmentSession:
    """An open item-9 alert, a discharged session to sign, and a maintenance review due."""
    worried = PatientFactory(legal_first_name="Jane", legal_last_name="Rivera")
    alert_raise(
        patient_id=worried.pk,
        kind=ClinicalAlert.Kind.PHQ9_ITEM9,
        source_kind="survey",
        source_id=1,
    )
    session = completed_session(
        by=by,
        patient=PatientFactory(
            legal_first_name="Omar", legal_last_name="Haddad", sex_at_birth="male"
        ),
    )
    followup_task(
        kind=TaskKind.MAINTENANCE_REVIEW,
        patient=PatientFactory(legal_first_name="Iris", legal_last_name="Cole"),
        due_at=timezone.now() - timedelta(hours=1),
    )
    return session


def test_the_clinician_sees_what_needs_them_and_follows_a_count(page, live_server, clinician_user):
    clinician_day(clinician_user)

    log_in(page, live_server, clinician_user, device=give_authenticator(clinician_user))

    alerts = page.get_by_role("region", name="Alerts", exact=True)
    item9 = alerts.get_by_role("link", name="1, urgent: Thoughts of self-harm (PHQ-9 item 9)")
    expect(item9).to_be_visible()
    expect(alerts.get_by_text("Urgent", exact=True)).to_be_visible()
    expect(alerts.get_by_text("Needs action now")).to_be_visible()
    to_sign = page.get_by_role("region", name="Sessions to sign")
    expect(to_sign.get_by_role("link", name="1: Waiting for a signature")).to_be_visible()
    reviews = page.get_by_role("region", name="Maintenance reviews")
    expect(reviews.get_by_role("link", name="1: Maintenance reviews due")).to_be_visible()
    screenshot(page, "home-clinician")
    assert serious_violations(page) == []

    to_sign.get_by_role("link", name="1: Waiting for a signature").click()
    expect(page.get_by_role("heading", name=re.compile("to sign", re.I)).first).to_be_visible()
    expect(page.get_by_text("Omar Haddad")).to_be_visible()

    page.go_back()
    item9.click()
    expect(page.get_by_role("article").filter(has_text="Jane Rivera")).to_contain_text(
        "Thoughts of self-harm (PHQ-9 item 9)"
    )


def test_the_clinician_home_works_at_phone_width(phone_page, live_server, clinician_user):
    clinician_day(clinician_user)

    log_in(phone_page, live_server, clinician_user, device=give_authenticator(clinician_user))

    reviews = phone_page.get_by_role("region", name="Maintenance reviews")
    expect(reviews.get_by_role("link", name="1: Maintenance reviews due")).to_be_visible()
    assert fits_the_screen(phone_page)
    screenshot(phone_page, "home-clinician-phone")
    reviews.get_by_role("link", name="1: Maintenance reviews due").click()
    expect(phone_page.get_by_role("link", name="Iris Cole", exact=True)).to_be_visible()
    # The worklist's table scrolls inside its box; the page itself does not.
    assert fits_the_screen(phone_page)

"""The esketamine REMS in a real browser: on a phone, the clinician follows the home page's
urgent "REMS monitoring forms due" to the list and the session's form, and marks it submitted;
at a desk, records a patient's enrollment from the patient page after a refused date. axe finds
nothing serious, and at phone width nothing runs off the side of the screen.
"""

import re
from datetime import timedelta

from django.utils import timezone
from playwright.sync_api import expect

from tests.browser.conftest import log_in, screenshot
from tests.browser.test_accessibility import serious_violations
from tests.browser.test_home_pages import fits_the_screen
from tests.factories import PatientFactory
from tests.treatments.sessions import booked_session
from treatments.dosing import Route
from treatments.models import RemsEnrollment, RemsFormSubmission, TreatmentSession


def form_due(by, *, days_ago: int) -> TreatmentSession:
    """A discharged esketamine session given ``days_ago`` days ago, its form not submitted."""
    given_at = timezone.now() - timedelta(days=days_ago)
    patient = PatientFactory(legal_first_name="Iris", legal_last_name="Cole", sex_at_birth="male")
    session = booked_session(
        by=by,
        route=Route.ESKETAMINE_NASAL,
        dose_mg="56",
        starts_at=given_at - timedelta(minutes=15),
        patient=patient,
    )
    TreatmentSession.objects.filter(pk=session.pk).update(
        status=TreatmentSession.Status.COMPLETED,
        drug="esketamine",
        route_given=Route.ESKETAMINE_NASAL,
        dose_given_mg=56,
        lot_number="LOT-E-1",
        administration_started_at=given_at,
        discharged_at=given_at + timedelta(minutes=105),
    )
    return session


def test_the_clinician_submits_an_urgent_form_on_a_phone(phone_page, live_server, clinician_user):
    page = phone_page
    session = form_due(clinician_user, days_ago=6)

    log_in(page, live_server, clinician_user)

    panel = page.get_by_role("region", name="REMS monitoring forms due")
    expect(panel.get_by_text("Needs action now")).to_be_visible()
    expect(panel.get_by_text("Urgent", exact=True)).to_be_visible()
    panel.get_by_role("link", name="1: Forms to submit").click()

    expect(page.get_by_role("heading", name="REMS monitoring forms due")).to_be_visible()
    expect(page.get_by_role("row", name=re.compile("Cole, Iris"))).to_contain_text("1 day left")
    assert fits_the_screen(page)
    screenshot(page, "rems-forms-due-phone")
    assert serious_violations(page) == []

    page.get_by_role("link", name=re.compile("Open the form of Iris Cole")).click()
    status = page.get_by_role("region", name="Form status")
    expect(status).to_contain_text("To submit")
    expect(status).to_contain_text("HCS-0000000")
    date_field = status.get_by_label("Date submitted to the REMS")
    expect(date_field).to_have_value(timezone.localdate().isoformat())
    assert fits_the_screen(page)
    screenshot(page, "rems-form-status-phone")
    assert serious_violations(page) == []

    status.get_by_role("button", name="Mark as submitted").click()

    expect(page.get_by_text("Monitoring form marked as submitted.")).to_be_visible()
    expect(page.get_by_role("region", name="Form status")).to_contain_text(
        f"Submitted on {timezone.localdate():%m/%d/%Y} by Casey Carter"
    )
    assert RemsFormSubmission.objects.filter(session=session).exists()


def test_the_clinician_records_an_enrollment_from_the_patient_page(
    page, live_server, clinician_user
):
    session = booked_session(
        by=clinician_user, route=Route.ESKETAMINE_NASAL, dose_mg="56", rems_enrolled=False
    )
    today = timezone.localdate()

    log_in(page, live_server, clinician_user)
    page.goto(f"{live_server.url}/patients/{session.patient_id}/")
    card = page.get_by_role("region", name="Esketamine REMS")
    expect(card).to_contain_text("Not enrolled: an esketamine session cannot be dosed")
    card.get_by_role("link", name="Record the REMS enrollment").click()

    expect(page.get_by_role("combobox", name=re.compile("^Prescriber"))).to_have_value(
        str(clinician_user.pk)
    )
    page.get_by_label("Date the patient signed the enrollment form").fill(today.isoformat())
    page.get_by_label("Date the prescriber signed the enrollment form").fill(today.isoformat())
    page.get_by_label("Date enrolled in the REMS").fill((today - timedelta(days=1)).isoformat())
    page.get_by_role("button", name="Record the enrollment").click()

    expect(page.get_by_role("alert")).to_contain_text("Date enrolled in the REMS")
    refusal = page.get_by_text("The enrollment cannot be before either signature")
    expect(refusal.last).to_be_visible()
    screenshot(page, "rems-enrollment-refused")
    assert serious_violations(page) == []
    # What was typed is kept; the one date is corrected.
    expect(page.get_by_label("Date the patient signed the enrollment form")).to_have_value(
        today.isoformat()
    )
    page.get_by_label("Date enrolled in the REMS").fill(today.isoformat())
    page.get_by_role("button", name="Record the enrollment").click()

    expect(page.get_by_text("REMS enrollment recorded.")).to_be_visible()
    card = page.get_by_role("region", name="Esketamine REMS")
    expect(card).to_contain_text("Enrolled")
    expect(card).to_contain_text("Casey Carter")
    assert RemsEnrollment.objects.filter(patient_id=session.patient_id).exists()

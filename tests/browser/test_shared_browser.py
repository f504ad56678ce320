"""A patient's link opened in a browser where a staff member is signed in (the front desk's
computer, a clinician checking the link): the staff member is signed out first, the page says
so, and the patient goes on with no staff access."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import log_in, screenshot
from tests.browser.test_accessibility import serious_violations
from tests.factories import PatientFactory
from tests.followups.surveys import link_path, sent_survey
from tests.intake.intakes import issue

pytestmark = pytest.mark.django_db(transaction=True)


def _intake_link(front_desk_user, clinician_user):
    patient = PatientFactory(created_by=front_desk_user)
    return front_desk_user, patient, issue(patient, front_desk_user).path, "About you"


def _survey_link(front_desk_user, clinician_user):
    survey, token = sent_survey(by=clinician_user)
    return clinician_user, survey.patient, link_path(token), "Overall, how are you feeling today?"


@pytest.mark.parametrize("link_kind", [_intake_link, _survey_link], ids=["intake", "survey"])
def test_a_patient_link_opened_in_a_staff_browser_leaves_no_staff_access(
    page, live_server, front_desk_user, clinician_user, link_kind
):
    staff, patient, path, first_question = link_kind(front_desk_user, clinician_user)
    log_in(page, live_server, staff)
    page.goto(f"{live_server.url}/patients/")
    expect(page.get_by_role("heading", name="Patients", exact=True)).to_be_visible()

    page.goto(live_server.url + path)

    expect(
        page.get_by_role("heading", name="You were signed out of the staff account")
    ).to_be_visible()
    expect(
        page.get_by_text("You were signed out of the staff account to open this patient's link")
    ).to_be_visible()
    assert serious_violations(page) == []
    screenshot(page, f"staff-signed-out-{link_kind.__name__.strip('_')}")

    page.get_by_role("link", name="Continue").click()
    expect(page).to_have_url(re.compile(r"/confirm/$"))
    assert serious_violations(page) == []
    page.get_by_label("Your date of birth").fill(patient.date_of_birth.isoformat())
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_text(first_question).first).to_be_visible()
    assert serious_violations(page) == []

    # The patient, in the same browser, tries a staff page: it asks to sign in.
    page.goto(f"{live_server.url}/patients/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next="))
    expect(page.get_by_role("heading", name="Staff sign in")).to_be_visible()
    assert serious_violations(page) == []

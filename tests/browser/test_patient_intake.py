"""A patient completes their intake on a phone, from the link the front desk gave them."""

import re
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from intake.models import ClinicalAlert
from intake.questionnaire import SCREENING_QUESTIONS, TREATMENTS
from intake.scoring import GAD7_ITEMS, PHQ9_ITEMS
from tests.browser.conftest import PHONE, give_authenticator, log_in, screenshot
from tests.browser.test_accessibility import serious_violations
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db(transaction=True)


def _choose(page, question: str, answer: str) -> None:
    """Tick an answer inside the radio group whose legend is the question."""
    page.get_by_role("group", name=question).get_by_label(answer, exact=True).check()


def _continue(page) -> None:
    page.get_by_role("button", name="Save and continue").click()


def _confirm_birth_date(page, patient) -> None:
    page.get_by_label("Your date of birth").fill(patient.date_of_birth.isoformat())
    page.get_by_role("button", name="Continue").click()


@pytest.fixture
def patient(front_desk_user):
    return PatientFactory(
        legal_first_name="Jane",
        legal_last_name="Rivera",
        email="jane@example.com",
        mobile="+15125550143",
        created_by=front_desk_user,
    )


def test_a_patient_completes_the_intake_on_a_phone(
    browser, page, phone_page, live_server, patient, front_desk_user, clinician_user
):
    # The front desk shows the link on screen for the clinic's tablet.
    desk = page
    log_in(desk, live_server, front_desk_user)
    desk.goto(f"{live_server.url}/patients/{patient.pk}/")
    card = desk.get_by_role("region", name="Intake")
    card.get_by_label("Show on screen").check()
    card.get_by_role("button", name="Send intake link").click()
    link_path = urlsplit(desk.get_by_label("Intake link").input_value()).path

    page = phone_page
    page.goto(live_server.url + link_path)
    expect(page).to_have_url(re.compile(r"/intake/confirm/$"))  # the token has left the URL

    page.get_by_label("Your date of birth").fill("1901-01-01")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_text("4 tries left").first).to_be_visible()
    _confirm_birth_date(page, patient)

    # Step 1: details come from the record; a mistake is shown beside its field, nothing lost.
    expect(page.get_by_role("heading", name="About you")).to_be_visible()
    expect(page.get_by_label("Email")).to_have_value("jane@example.com")
    page.get_by_label("Street address").fill("12 Oak Street")
    page.get_by_label("City").fill("Austin")
    page.get_by_label("State").select_option("TX")
    page.get_by_label("ZIP code").fill("7870")
    page.get_by_label("Emergency contact's name").fill("Sam Rivera")
    page.get_by_label("Their relationship to you").fill("Spouse")
    page.get_by_label("Their phone number").fill("(512) 555-0144")
    page.get_by_label("Height: feet").fill("5")
    page.get_by_label("Height: inches").fill("6")
    page.get_by_label("Weight (pounds)").fill("154")
    _continue(page)
    expect(page.get_by_text("Enter a 5-digit ZIP code, e.g. 78701.").first).to_be_visible()
    expect(page.get_by_label("Emergency contact's name")).to_have_value("Sam Rivera")
    screenshot(page, "intake-phone-about-error")
    assert serious_violations(page) == []
    page.get_by_label("ZIP code").fill("78701")
    _continue(page)

    # Step 2: history, then the patient closes the browser.
    expect(page.get_by_role("heading", name="Mental-health history")).to_be_visible()
    assert serious_violations(page) == []
    page.get_by_label("Generalized anxiety disorder", exact=True).check()
    page.get_by_label("Generalized anxiety disorder: year diagnosed").fill("2015")
    for _code, label in TREATMENTS:
        _choose(page, label, "Tried: it did not help")
    _choose(page, "Have you ever stayed in hospital for your mental health?", "No")
    _continue(page)
    expect(page.get_by_role("heading", name="Symptoms and goals")).to_be_visible()
    page.context.close()

    # Later, a new browser: the link again, the date of birth again, and they are back.
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    page.goto(live_server.url + link_path)
    _confirm_birth_date(page, patient)
    expect(page.get_by_role("heading", name="Symptoms and goals")).to_be_visible()
    page.get_by_role("button", name="Back").click()
    expect(page.get_by_label("Generalized anxiety disorder: year diagnosed")).to_have_value("2015")
    _continue(page)

    page.get_by_label("Constant or hard-to-control worry").check()
    page.get_by_label("In your own words, what is hardest for you right now?").fill("Worry.")
    _continue(page)

    for _code, question in SCREENING_QUESTIONS:
        _choose(page, question, "No")
    _choose(page, "Are you allergic to any medicines?", "No")
    _continue(page)

    page.get_by_label("Medication", exact=True).first.fill("Sertraline")
    page.get_by_label("Dose").first.fill("100 mg")
    _continue(page)

    # The questionnaires: item 9 above "Not at all" shows crisis resources at once.
    crisis = page.get_by_role("alert").filter(has_text="Call or text 988")
    expect(crisis).to_be_hidden()
    for number, item in enumerate(GAD7_ITEMS, start=1):
        _choose(page, f"{number}. {item}", "More than half the days")
    for number, item in enumerate(PHQ9_ITEMS, start=1):
        _choose(page, f"{number}. {item}", "Several days")
    expect(crisis).to_be_visible()
    screenshot(page, "intake-phone-item9")
    assert serious_violations(page) == []
    _choose(page, "If you checked off any problems", "Somewhat difficult")
    _continue(page)
    expect(page.get_by_text("A clinician at the clinic has been told")).to_be_visible()
    assert ClinicalAlert.objects.filter(patient=patient, kind="phq9_item9").count() == 1

    page.get_by_label("I have read the consent to treatment above and I agree to it.").check()
    page.get_by_label("I have read the privacy notice.").check()
    page.get_by_label("Type your full legal name to sign").fill("Jane Rivera")
    _continue(page)

    expect(page.get_by_role("heading", name="Review and submit")).to_be_visible()
    expect(page.get_by_text("Sertraline").first).to_be_visible()
    page.get_by_label("The answers above are true and complete").check()
    screenshot(page, "intake-phone-review")
    assert serious_violations(page) == []
    page.get_by_role("button", name="Submit my forms").click()
    expect(
        page.get_by_role("heading", name="Thank you, your forms are with the clinic")
    ).to_be_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"]

    context.close()

    # The clinician sees the scores, with item 9 flagged.
    desk.context.clear_cookies()
    log_in(desk, live_server, clinician_user, device=give_authenticator(clinician_user))
    desk.get_by_role("navigation", name="Main").get_by_role("link", name="Intakes").click()
    desk.get_by_role("link", name="Review intake of Jane Rivera").click()
    scores = desk.get_by_role("region", name="Scores")
    expect(scores).to_contain_text("14")
    expect(scores).to_contain_text("Moderate")
    expect(scores).to_contain_text("9")
    expect(desk.get_by_role("region", name="Flagged items")).to_contain_text("item 9")
    screenshot(desk, "intake-clinician-scores")

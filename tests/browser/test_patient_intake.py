"""A patient completes their intake on a phone, from the link the front desk gave them."""

import re
from decimal import Decimal
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from intake.models import ClinicalAlert
from intake.questionnaire import DIAGNOSES, SCREENING_QUESTIONS, TREATMENTS
from intake.scoring import GAD7_ITEMS, PHQ9_ITEMS
from intake.services.patients import patient_record_measurement
from tests.browser.conftest import (
    ARTIFACTS,
    PAGE_WAIT_MS,
    PHONE,
    give_authenticator,
    log_in,
    screenshot,
)
from tests.browser.test_accessibility import axe_as_shown, serious_violations
from tests.factories import PatientFactory
from tests.intake.intakes import answer_steps, issue, open_link

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


# --- Issue 21: the patient's phone ---------------------------------------------------------------

ITEM9 = f"9. {PHQ9_ITEMS[8]}"
DIFFICULTY = "If you checked off any problems"
# The contrast ratio (WCAG) of a control's outline against what is behind it: the first
# ancestor with a background colour, blended over white where it is see-through.
OUTLINE_CONTRAST = """(control) => {
  const rgba = (colour) => {
    const [r, g, b, a = 1] = colour.match(/[\\d.]+/g).map(Number);
    return { r, g, b, a };
  };
  const over = (top, under) => ({
    r: top.r * top.a + under.r * (1 - top.a),
    g: top.g * top.a + under.g * (1 - top.a),
    b: top.b * top.a + under.b * (1 - top.a),
    a: 1,
  });
  const luminance = ({ r, g, b }) => {
    const linear = (v) => {
      v /= 255;
      return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
    };
    return 0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b);
  };
  let background = { r: 255, g: 255, b: 255, a: 1 };
  for (let node = control.parentElement; node; node = node.parentElement) {
    const colour = rgba(getComputedStyle(node).backgroundColor);
    if (colour.a > 0) {
      background = over(colour, background);
      break;
    }
  }
  const style = getComputedStyle(control);
  if (style.borderTopStyle === "none" || parseFloat(style.borderTopWidth) === 0) return 0;
  const outline = over(rgba(style.borderTopColor), background);
  const [light, dark] = [luminance(outline), luminance(background)].sort((a, b) => b - a);
  return (light + 0.05) / (dark + 0.05);
}"""


def _intake_on_phone(phone, live_server, patient, front_desk_user, *, until: str) -> str:
    """The patient's intake answered up to the step ``until`` (on another device), then opened
    on the phone from its link. Returns the link's path."""
    issued = issue(patient, front_desk_user)
    answer_steps(open_link(issued), patient, until=until)
    phone.goto(live_server.url + issued.path)
    _confirm_birth_date(phone, patient)
    return issued.path


def _answer_questionnaires_but_item9(page) -> None:
    for number, item in enumerate(GAD7_ITEMS, start=1):
        _choose(page, f"{number}. {item}", "Several days")
    for number, item in enumerate(PHQ9_ITEMS[:8], start=1):
        _choose(page, f"{number}. {item}", "Not at all")


def _crisis(page):
    return page.get_by_role("alert").filter(has_text="Call or text 988")


def _between(page, box, above: str, below: str) -> None:
    """``box`` is drawn right after the question ``above`` and before the question ``below``."""
    top = page.get_by_role("group", name=above).bounding_box()
    middle = box.bounding_box()
    bottom = page.get_by_role("group", name=below).bounding_box()
    assert top["y"] + top["height"] <= middle["y"] < middle["y"] + middle["height"] <= bottom["y"]


def test_crisis_resources_appear_beside_item_9_the_moment_it_is_ticked_on_a_phone(
    phone_page, live_server, patient, front_desk_user
):
    page = phone_page
    _intake_on_phone(page, live_server, patient, front_desk_user, until="questionnaires")
    expect(page.get_by_role("heading", name="How you have been feeling")).to_be_visible()
    crisis = _crisis(page)
    expect(crisis).to_be_hidden()
    _answer_questionnaires_but_item9(page)

    # The worst case: the answer at the very bottom of the screen when it is ticked.
    several_days = page.get_by_role("group", name=ITEM9).get_by_label("Several days", exact=True)
    several_days.evaluate("radio => radio.scrollIntoView({block: 'end'})")
    several_days.check()
    expect(crisis).to_be_in_viewport(ratio=1)
    expect(several_days).to_be_in_viewport()
    expect(crisis).to_contain_text("911")
    _between(page, crisis, ITEM9, DIFFICULTY)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / "intake-phone-item9-screen.png")  # the screen, as seen
    assert serious_violations(page) == []

    page.get_by_role("group", name=ITEM9).get_by_label("Not at all", exact=True).check()
    expect(crisis).to_be_hidden()
    page.get_by_role("group", name=ITEM9).get_by_label("Nearly every day", exact=True).check()
    expect(crisis).to_be_in_viewport()


def test_without_javascript_the_crisis_resources_show_beside_item_9_after_save(
    browser, live_server, patient, front_desk_user
):
    context = browser.new_context(viewport=PHONE, java_script_enabled=False)
    context.set_default_timeout(PAGE_WAIT_MS)
    page = context.new_page()
    _intake_on_phone(page, live_server, patient, front_desk_user, until="questionnaires")
    crisis = _crisis(page)
    first_gad7 = f"1. {GAD7_ITEMS[0]}"  # left unanswered at first
    for number, item in enumerate(GAD7_ITEMS[1:], start=2):
        _choose(page, f"{number}. {item}", "Several days")
    for number, item in enumerate(PHQ9_ITEMS[:8], start=1):
        _choose(page, f"{number}. {item}", "Not at all")
    _choose(page, ITEM9, "More than half the days")
    expect(crisis).to_be_hidden()  # no script to show it before the page is sent

    _continue(page)  # an item is not answered yet: the step comes back, answers kept
    expect(page.get_by_text("Choose how often you were bothered by").first).to_be_visible()
    expect(crisis).to_be_visible()
    expect(crisis).to_contain_text("When you continue, a clinician at the clinic will be told")
    _between(page, crisis, ITEM9, DIFFICULTY)
    expect(
        page.get_by_role("group", name=ITEM9).get_by_label("More than half the days", exact=True)
    ).to_be_checked()
    assert axe_as_shown(browser, page) == []

    # Answered back to "Not at all", the resources are not shown after Save either.
    _choose(page, ITEM9, "Not at all")
    _continue(page)
    expect(page.get_by_text("Choose how often you were bothered by").first).to_be_visible()
    expect(crisis).to_be_hidden()

    _choose(page, first_gad7, "Several days")
    _choose(page, ITEM9, "Several days")
    _choose(page, DIFFICULTY, "Somewhat difficult")
    _continue(page)
    expect(page.get_by_role("heading", name="Consent", exact=True)).to_be_visible()
    expect(crisis).to_be_in_viewport()
    expect(crisis).to_contain_text("A clinician at the clinic has been told")
    assert axe_as_shown(browser, page) == []
    context.close()


def test_height_and_weight_already_recorded_are_filled_in_and_the_patients_own_answers_win(
    phone_page, live_server, patient, front_desk_user
):
    patient_record_measurement(
        patient=patient,
        recorded_by=front_desk_user,
        weight_kg=Decimal("69.9"),  # 154 lb
        height_cm=Decimal("167.6"),  # 5 ft 6 in
    )
    page = phone_page
    _intake_on_phone(page, live_server, patient, front_desk_user, until="about")
    expect(page.get_by_role("heading", name="About you")).to_be_visible()
    expect(page.get_by_label("Height: feet")).to_have_value("5")
    expect(page.get_by_label("Height: inches")).to_have_value("6")
    expect(page.get_by_label("Weight (pounds)")).to_have_value("154")
    assert serious_violations(page) == []

    page.get_by_label("Street address").fill("12 Oak Street")
    page.get_by_label("City").fill("Austin")
    page.get_by_label("State").select_option("TX")
    page.get_by_label("ZIP code").fill("78701")
    page.get_by_label("Emergency contact's name").fill("Sam Rivera")
    page.get_by_label("Their relationship to you").fill("Spouse")
    page.get_by_label("Their phone number").fill("(512) 555-0144")
    page.get_by_label("Weight (pounds)").fill("149")
    _continue(page)
    expect(page.get_by_role("heading", name="Mental-health history")).to_be_visible()
    page.get_by_role("button", name="Back").click()
    expect(page.get_by_label("Weight (pounds)")).to_have_value("149")
    expect(page.get_by_label("Height: feet")).to_have_value("5")


def test_radios_and_checkboxes_have_a_visible_outline_and_diagnoses_are_easy_to_tap(
    phone_page, live_server, patient, front_desk_user
):
    page = phone_page
    _intake_on_phone(page, live_server, patient, front_desk_user, until="history")
    expect(page.get_by_role("heading", name="Mental-health history")).to_be_visible()
    radio = page.get_by_role("group", name=TREATMENTS[0][1]).get_by_label("Not tried")
    diagnosis = page.get_by_label("Generalized anxiety disorder", exact=True)
    for control in (radio, diagnosis):
        assert control.evaluate(OUTLINE_CONTRAST) >= 3

    for _code, label in DIAGNOSES:
        checkbox = page.get_by_role("checkbox", name=label, exact=True)
        box = checkbox.bounding_box()
        assert box["width"] >= 24 and box["height"] >= 24, (label, box)
        text = page.get_by_text(label, exact=True).bounding_box()
        assert text["x"] >= box["x"] + box["width"], label  # to the right of its checkbox...
        assert text["y"] < box["y"] + box["height"] and box["y"] < text["y"] + text["height"]
    diagnosis.check()
    assert diagnosis.evaluate(OUTLINE_CONTRAST) >= 3
    screenshot(page, "intake-phone-history")
    assert serious_violations(page) == []


def test_the_consent_texts_read_on_the_page_not_in_a_scrolling_box(
    phone_page, live_server, patient, front_desk_user
):
    page = phone_page
    _intake_on_phone(page, live_server, patient, front_desk_user, until="consent")
    expect(page.get_by_role("heading", name="Consent", exact=True)).to_be_visible()
    for name in ("Consent to treatment", "Privacy notice"):
        region = page.get_by_role("region", name=name)
        expect(region).to_be_visible()
        scrolling_boxes = region.evaluate(
            """(region) => [region, ...region.querySelectorAll("*")].filter((node) => {
                const overflow = getComputedStyle(node).overflowY;
                return (overflow === "auto" || overflow === "scroll")
                  && node.scrollHeight > node.clientHeight;
            }).length"""
        )
        assert scrolling_boxes == 0, name
    agree = page.get_by_label("I have read the consent to treatment above and I agree to it.")
    assert agree.evaluate(OUTLINE_CONTRAST) >= 3
    screenshot(page, "intake-phone-consent")
    assert serious_violations(page) == []


def test_error_messages_say_what_to_enter_and_keep_what_was_typed(
    phone_page, live_server, patient, front_desk_user
):
    page = phone_page
    _intake_on_phone(page, live_server, patient, front_desk_user, until="about")
    page.get_by_label("Street address").fill("12 Oak Street")
    page.get_by_label("City").fill("")
    page.get_by_label("Height: inches").fill("6")
    page.get_by_label("Weight (pounds)").fill("1500")
    _continue(page)
    summary = page.get_by_role("alert").filter(has_text="Please check")
    expect(summary).to_be_visible()
    expect(summary).to_contain_text("Enter your height in feet")
    expect(summary).to_contain_text("Enter a weight between 70 and 700 lb")
    expect(summary).to_contain_text("Enter your city or town.")
    expect(summary).not_to_contain_text("This field is required")
    expect(page.get_by_label("Street address")).to_have_value("12 Oak Street")
    expect(page.get_by_label("Weight (pounds)")).to_have_value("1500")
    assert serious_violations(page) == []

    page.get_by_label("Height: feet").fill("66")  # inches typed as feet
    page.get_by_label("Weight (pounds)").fill("154")
    _continue(page)
    expect(summary).to_contain_text("Enter your height in feet, from 4 to 7")
    expect(summary).not_to_contain_text("Enter a weight between")


def test_questionnaire_errors_say_how_to_answer(phone_page, live_server, patient, front_desk_user):
    page = phone_page
    _intake_on_phone(page, live_server, patient, front_desk_user, until="questionnaires")
    _choose(page, f"1. {GAD7_ITEMS[0]}", "Several days")
    _continue(page)
    summary = page.get_by_role("alert").filter(has_text="Please check")
    expect(summary).to_contain_text(f"2. {GAD7_ITEMS[1]}: Choose how often you were bothered by")
    expect(summary).not_to_contain_text("This field is required")
    expect(
        page.get_by_role("group", name=f"1. {GAD7_ITEMS[0]}").get_by_label("Several days")
    ).to_be_checked()
    assert serious_violations(page) == []

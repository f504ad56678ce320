"""A patient answers the 24-hour check-in on their phone from the text the sweep sent; the
clinician finds it on the follow-up worklist, escalated first because of the item-9 answer,
and in the patient's record."""

import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.test import Client
from django.utils import timezone
from playwright.sync_api import expect

from clinic.notifications.sms import LocmemSMSBackend
from followups.models import Survey
from followups.services.outbox import outbox_sweep
from intake.scoring import GAD7_ITEMS, PHQ9_ITEMS
from tests.browser.conftest import PAGE_WAIT_MS, PHONE, give_authenticator, log_in, screenshot
from tests.browser.test_accessibility import axe_as_shown, serious_violations
from tests.followups.surveys import CHECKIN_ANSWERS, SCORES_ANSWERS, link_path, sent_survey
from tests.treatments.sessions import completed_session

pytestmark = pytest.mark.django_db(transaction=True)


def _choose(page, question: str, answer: str) -> None:
    """Tick an answer in the radio group whose legend is the question."""
    page.get_by_role("group", name=question).get_by_label(answer, exact=True).check()


def _tap(page, question: str, answer: str) -> None:
    """Tap an answer drawn as a button (the radio is under its label)."""
    group = page.get_by_role("group", name=question)
    group.get_by_text(answer, exact=True).click()
    expect(group.get_by_label(answer, exact=True)).to_be_checked()


def _check_in_up_to_the_last_step(phone, live_server, clinician_user, settings):
    """The 24-hour check-in's text sent by the sweep, opened on the phone and answered up to
    the anxiety questions since the treatment (the GAD-7's items, not the GAD-7: ticked, not
    yet saved). Returns the patient."""
    settings.CLINIC_QUIET_HOURS = ""  # the test runs at any hour
    LocmemSMSBackend.outbox.clear()
    session = completed_session(by=clinician_user)
    patient = session.patient
    # A day later the sweep sends the check-in by text (the patient's preference).
    report = outbox_sweep(now=timezone.now() + timedelta(days=1, minutes=1))
    assert report.sent == 1
    (text,) = [m.body for m in LocmemSMSBackend.outbox if m.to == patient.mobile.as_e164]
    link = re.search(r"https?://\S+", text).group(0)

    phone.goto(live_server.url + urlsplit(link).path)
    expect(phone).to_have_url(re.compile(r"/survey/confirm/$"))  # the token left the URL
    phone.get_by_label("Your date of birth").fill(patient.date_of_birth.isoformat())
    phone.get_by_role("button", name="Continue").click()

    _tap(phone, "Overall, how are you feeling today?", "4")
    for effect in (
        "Nausea or vomiting", "Dizziness or unsteadiness", "Headache",
        "Feeling disconnected or unreal (lasting)", "Drowsiness or tiredness",
        "Anxiety or agitation", "Pain or burning when passing urine",
        "Blurred or double vision", "Other",
    ):  # fmt: skip
        _tap(phone, effect, "Mild" if effect == "Headache" else "None")
    assert serious_violations(phone) == []
    phone.get_by_role("button", name="Save and continue").click()

    for number, item in enumerate(GAD7_ITEMS, start=1):
        _choose(phone, f"{number}. {item}", "Several days")
    return patient


def test_the_24_hour_check_in_answered_on_a_phone_reaches_the_clinician(
    page, phone_page, live_server, clinician_user, settings
):
    phone = phone_page
    patient = _check_in_up_to_the_last_step(phone, live_server, clinician_user, settings)
    phone.get_by_role("button", name="Save and continue").click()

    safety = phone.get_by_role("group", name=re.compile("better off dead"))
    safety.get_by_label("Several days", exact=True).check()
    crisis = phone.get_by_role("alert").filter(has_text="You don't have to face this alone")
    expect(crisis).to_be_visible()  # crisis resources as soon as it is ticked
    screenshot(phone, "followup-survey-safety-phone")
    phone.get_by_role("button", name="Send my answers").click()
    expect(phone.get_by_role("heading", name=re.compile("Thank you"))).to_be_visible()
    expect(phone.get_by_role("link", name="988").first).to_be_visible()
    expect(crisis).to_contain_text("has been told")
    expect(phone.get_by_text(re.compile(r"GAD-7|score", re.I))).to_have_count(0)

    # The clinician's follow-up worklist: the survey is escalated, first on the page.
    log_in(page, live_server, clinician_user, device=give_authenticator(clinician_user))
    page.get_by_role("link", name="Follow-ups").first.click()
    escalations = page.get_by_role("region", name=re.compile(r"^Escalations"))
    row = escalations.get_by_role("row").filter(has_text=patient.full_name)
    expect(row).to_contain_text("24h")
    # The check-in's anxiety since the treatment, without the GAD-7's name or band.
    expect(row).to_contain_text("24-hour anxiety check-in 7 of 21")
    expect(row).not_to_contain_text("GAD-7")
    expect(row).to_contain_text("item 9")
    assert serious_violations(page) == []
    screenshot(page, "followup-worklist-escalation")

    # ...and in the patient's record.
    page.goto(f"{live_server.url}/patients/{patient.pk}/")
    card = page.get_by_role("region", name="Follow-ups")
    expect(card).to_contain_text("Escalated survey to review")
    expect(card).to_contain_text("24-hour anxiety check-in 7 of 21")


def test_crisis_resources_show_when_the_answer_is_ticked_before_the_script_arrives(
    phone_page, live_server, clinician_user, settings
):
    phone = phone_page
    _check_in_up_to_the_last_step(phone, live_server, clinician_user, settings)
    # A slow connection: the page's script is held back until after the answer is ticked.
    held = []
    phone.route("**/crisis.js", lambda route: held.append(route))
    phone.get_by_role("button", name="Save and continue").click()

    safety = phone.get_by_role("group", name=re.compile("better off dead"))
    safety.get_by_label("Several days", exact=True).check()
    crisis = phone.get_by_role("alert").filter(has_text="You don't have to face this alone")
    expect(crisis).to_be_hidden()
    assert len(held) == 1
    held[0].continue_()

    expect(crisis).to_be_visible()


# --- Issue 21: the patient's phone ---------------------------------------------------------------

ITEM9 = re.compile("better off dead")


def _survey_on_phone(phone, live_server, clinician_user, *, content: str, until: str) -> Survey:
    """A survey of this content sent after a session, answered up to the step ``until`` (on
    another device), then opened on the phone from its link."""
    survey, token = sent_survey(by=clinician_user, content=content)
    device = Client()
    device.get(link_path(token))
    device.post("/survey/confirm/", {"date_of_birth": survey.patient.date_of_birth.isoformat()})
    steps = CHECKIN_ANSWERS if content == Survey.Content.CHECKIN else SCORES_ANSWERS
    for slug, answers in steps:
        if slug == until:
            break
        response = device.post(f"/survey/step/{slug}/", {**answers, "action": "next"})
        assert response.status_code == 302, slug
    phone.goto(live_server.url + link_path(token))
    phone.get_by_label("Your date of birth").fill(survey.patient.date_of_birth.isoformat())
    phone.get_by_role("button", name="Continue").click()
    return survey


def _crisis(page):
    return page.get_by_role("alert").filter(has_text="You don't have to face this alone")


def test_the_safety_question_shows_the_crisis_resources_on_screen_and_hides_them_again(
    phone_page, live_server, clinician_user
):
    phone = phone_page
    _survey_on_phone(
        phone, live_server, clinician_user, content=Survey.Content.CHECKIN, until="safety"
    )
    safety = phone.get_by_role("group", name=ITEM9)
    crisis = _crisis(phone)
    expect(crisis).to_be_hidden()
    several_days = safety.get_by_label("Several days", exact=True)
    several_days.evaluate("radio => radio.scrollIntoView({block: 'end'})")
    several_days.check()
    expect(crisis).to_be_in_viewport(ratio=1)
    expect(crisis).to_contain_text("988")
    expect(several_days).to_be_in_viewport()
    assert serious_violations(phone) == []

    safety.get_by_label("Not at all", exact=True).check()
    expect(crisis).to_be_hidden()


def test_without_javascript_the_phq9_shows_the_crisis_resources_beside_item_9_after_send(
    browser, live_server, clinician_user
):
    context = browser.new_context(viewport=PHONE, java_script_enabled=False)
    context.set_default_timeout(PAGE_WAIT_MS)
    phone = context.new_page()
    _survey_on_phone(
        phone, live_server, clinician_user, content=Survey.Content.SCORES, until="phq9"
    )
    expect(phone.get_by_role("heading", name="Mood")).to_be_visible()
    crisis = _crisis(phone)
    for number, item in enumerate(PHQ9_ITEMS[:8], start=1):
        _choose(phone, f"{number}. {item}", "Not at all")
    _choose(phone, ITEM9, "Nearly every day")
    expect(crisis).to_be_hidden()

    phone.get_by_role("button", name="Send my answers").click()  # the difficulty is missing
    expect(phone.get_by_text("Choose how difficult these problems have made").first).to_be_visible()
    expect(crisis).to_be_visible()
    item9 = phone.get_by_role("group", name=ITEM9).bounding_box()
    box = crisis.bounding_box()
    difficulty = phone.get_by_role("group", name=re.compile("If you checked off")).bounding_box()
    assert item9["y"] + item9["height"] <= box["y"] < box["y"] + box["height"] <= difficulty["y"]
    assert axe_as_shown(browser, phone) == []
    context.close()


def test_the_survey_pages_use_the_neutral_sender_name(
    phone_page, live_server, clinician_user, settings
):
    phone = phone_page
    survey, token = sent_survey(by=clinician_user, content=Survey.Content.SCORES)
    neutral = settings.CLINIC_MESSAGE_NAME

    def shows_only_the_neutral_name():
        expect(phone).to_have_title(re.compile(re.escape(neutral)))
        expect(phone.get_by_role("banner")).to_have_text(neutral)
        expect(phone.locator("body")).not_to_contain_text(settings.CLINIC_NAME)
        expect(phone.locator("body")).not_to_contain_text(re.compile("ketamine", re.I))
        assert "ketamine" not in phone.title().lower()
        assert serious_violations(phone) == []

    phone.goto(live_server.url + link_path(token))
    expect(phone.get_by_label("Your date of birth")).to_be_visible()
    shows_only_the_neutral_name()
    phone.get_by_label("Your date of birth").fill(survey.patient.date_of_birth.isoformat())
    phone.get_by_role("button", name="Continue").click()
    expect(phone.get_by_role("heading", name="Anxiety")).to_be_visible()
    shows_only_the_neutral_name()

    # Survey errors say what to choose, and keep what was chosen.
    _choose(phone, f"1. {GAD7_ITEMS[0]}", "Several days")
    phone.get_by_role("button", name="Save and continue").click()
    summary = phone.get_by_role("alert").filter(has_text="Please check")
    expect(summary).to_contain_text(f"2. {GAD7_ITEMS[1]}: Choose how often you were bothered by")
    expect(summary).not_to_contain_text("This field is required")
    expect(
        phone.get_by_role("group", name=f"1. {GAD7_ITEMS[0]}").get_by_label("Several days")
    ).to_be_checked()
    shows_only_the_neutral_name()

    for number, item in enumerate(GAD7_ITEMS, start=1):
        _choose(phone, f"{number}. {item}", "Not at all")
    phone.get_by_role("button", name="Save and continue").click()
    for number, item in enumerate(PHQ9_ITEMS, start=1):
        _choose(phone, f"{number}. {item}", "Not at all")
    phone.get_by_role("button", name="Send my answers").click()
    expect(phone.get_by_role("heading", name=re.compile("Thank you"))).to_be_visible()
    shows_only_the_neutral_name()

    # A link that no longer works says so under the same name.
    phone.context.clear_cookies()
    phone.goto(f"{live_server.url}{link_path('not-a-real-token')}")
    expect(phone.get_by_role("heading").first).to_be_visible()
    shows_only_the_neutral_name()


def test_the_check_in_errors_say_what_to_choose(phone_page, live_server, clinician_user):
    phone = phone_page
    _survey_on_phone(
        phone, live_server, clinician_user, content=Survey.Content.CHECKIN, until="feeling"
    )
    _tap(phone, "Headache", "Mild")
    phone.get_by_role("button", name="Save and continue").click()
    summary = phone.get_by_role("alert").filter(has_text="Please check")
    expect(summary).to_contain_text(
        "Overall, how are you feeling today?: Choose a number from 0 (very bad) to 10 (very good)."
    )
    expect(summary).to_contain_text("Nausea or vomiting: Choose how bad it has been, or “None”.")
    expect(summary).not_to_contain_text("This field is required")
    expect(phone.get_by_role("group", name="Headache").get_by_label("Mild")).to_be_checked()
    assert serious_violations(phone) == []

"""A patient answers the 24-hour check-in on their phone from the text the sweep sent; the
clinician finds it on the follow-up worklist, escalated first because of the item-9 answer,
and in the patient's record."""

import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from clinic.notifications.sms import LocmemSMSBackend
from followups.services.outbox import outbox_sweep
from intake.scoring import GAD7_ITEMS
from tests.browser.conftest import give_authenticator, log_in, screenshot
from tests.browser.test_accessibility import serious_violations
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

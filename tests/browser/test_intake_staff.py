"""The staff side of the intake in a real browser: the front desk shows a link on screen for the
tablet, then revokes it from the queue; a clinician follows an urgent alert to the submitted
intake, reads the scores and flags, and acknowledges the alert. axe finds nothing serious."""

import re
from urllib.parse import urlparse

from playwright.sync_api import expect

from tests.browser.conftest import give_authenticator, log_in, screenshot
from tests.browser.test_accessibility import serious_violations
from tests.intake.intakes import submitted_intake


def main_nav(page):
    return page.get_by_role("navigation", name="Main")


def test_front_desk_shows_a_link_on_screen_then_revokes_it_from_the_queue(
    browser, page, live_server, front_desk_user, patient
):
    log_in(page, live_server, front_desk_user)
    home_panel = page.get_by_role("region", name="Intake", exact=True)
    expect(home_panel.get_by_role("listitem").filter(has_text="Invited")).to_contain_text("0")
    page.goto(f"{live_server.url}/patients/{patient.pk}/")
    card = page.get_by_role("region", name="Intake")
    expect(card).to_contain_text("No intake link has been sent yet.")
    card.get_by_label("Show on screen").check()
    card.get_by_role("button", name="Send intake link").click()

    expect(page.get_by_role("heading", name="Intake link for Jane Rivera")).to_be_visible()
    expect(page.get_by_role("img", name="QR code of the intake link")).to_be_visible()
    link = page.get_by_label("Intake link").input_value()
    assert link.startswith("http") and "/i/" in link
    screenshot(page, "intake-link-on-screen")
    assert serious_violations(page) == []
    page.get_by_role("link", name="Done").click()

    expect(page.get_by_role("region", name="Intake")).to_contain_text("Invited")
    screenshot(page, "patient-intake-card")
    assert serious_violations(page) == []
    main_nav(page).get_by_role("link", name="Home").click()
    expect(home_panel.get_by_role("listitem").filter(has_text="Invited")).to_contain_text("1")
    screenshot(page, "front-desk-home")
    main_nav(page).get_by_role("link", name="Intakes").click()
    expect(page.get_by_role("heading", name="Intake queue")).to_be_visible()
    row = page.get_by_role("row").filter(has_text="Rivera, Jane")
    expect(row).to_contain_text("Invited")
    screenshot(page, "intake-queue")
    assert serious_violations(page) == []
    row.get_by_role("button", name="Revoke").click()
    expect(
        page.get_by_role("heading", name="Revoke the intake link for Jane Rivera?")
    ).to_be_visible()
    page.get_by_role("button", name="Revoke link").click()

    expect(page.get_by_role("status")).to_contain_text("The intake link for Jane Rivera is revoked")
    expect(page.get_by_role("row").filter(has_text="Rivera, Jane")).to_contain_text("Link revoked")

    patient_context = browser.new_context()
    try:
        patient_page = patient_context.new_page()
        # The link is built on CLINIC_BASE_URL; here the site is the live server.
        patient_page.goto(live_server.url + urlparse(link).path)
        expect(
            patient_page.get_by_role("heading", name="This link is no longer active")
        ).to_be_visible()
    finally:
        patient_context.close()


def test_clinician_follows_an_alert_to_the_scores_and_acknowledges_it(
    page, live_server, clinician_user, front_desk_user, patient
):
    submitted_intake(
        patient,
        front_desk_user,
        changes={
            "medical": {"screen_high_blood_pressure": "yes"},
            "questionnaires": {"phq9_9": "1"},
        },
    )
    log_in(page, live_server, clinician_user, device=give_authenticator(clinician_user))

    alerts = page.get_by_role("region", name="Alerts", exact=True)
    expect(
        alerts.get_by_role("link", name="1, urgent: Thoughts of self-harm (PHQ-9 item 9)")
    ).to_be_visible()
    alerts.get_by_role("link", name="Open alerts").click()

    alert = page.get_by_role("article").filter(has_text="Jane Rivera")
    expect(alert).to_contain_text("Thoughts of self-harm (PHQ-9 item 9)")
    assert serious_violations(page) == []
    alert.get_by_role("link", name="the intake questionnaire").click()

    expect(page.get_by_role("heading", name="Intake of Jane Rivera")).to_be_visible()
    scores = page.get_by_role("region", name="Scores")
    expect(scores).to_contain_text("GAD-7 (anxiety)")
    expect(scores).to_contain_text("14")
    expect(scores).to_contain_text("PHQ-9 (depression)")
    expect(scores).to_contain_text("Several days (1)")
    flagged = page.get_by_role("region", name="Flagged items")
    expect(flagged).to_contain_text("PHQ-9 item 9 (thoughts of self-harm): Several days")
    expect(flagged).to_contain_text("Do you have high blood pressure? Yes")
    screenshot(page, "intake-clinician-view")
    assert serious_violations(page) == []

    main_nav(page).get_by_role("link", name="Alerts").click()
    page.get_by_role("button", name="Acknowledge alert for Jane Rivera").click()
    expect(page.get_by_text("Write a short note of what was done.")).to_be_visible()
    page.get_by_label("What was done").fill("Called patient, safety plan reviewed")
    page.get_by_role("button", name="Acknowledge alert for Jane Rivera").click()

    expect(page.get_by_role("status")).to_contain_text("Alert for Jane Rivera acknowledged.")
    expect(page.get_by_text("No open alerts.")).to_be_visible()
    done = page.get_by_role("table").get_by_role("row").filter(has_text="Jane Rivera")
    expect(done).to_contain_text("Called patient, safety plan reviewed")
    expect(done).to_contain_text("Casey Carter")
    screenshot(page, "alerts-acknowledged")


def test_the_intake_page_links_to_its_screening_and_its_alert(
    page, live_server, clinician_user, front_desk_user, patient
):
    intake = submitted_intake(patient, front_desk_user, changes={"questionnaires": {"phq9_9": "2"}})
    log_in(page, live_server, clinician_user, device=give_authenticator(clinician_user))
    page.goto(f"{live_server.url}/intakes/{intake.pk}/")

    expect(page.get_by_role("heading", name="Intake of Jane Rivera")).to_be_visible()
    alerts = page.get_by_role("region", name="Alerts from this intake")
    expect(alerts).to_contain_text("Not acknowledged")
    expect(alerts).to_contain_text("Thoughts of self-harm (PHQ-9 item 9)")
    screening = page.get_by_role("region", name="Screening")
    expect(screening).to_contain_text("Rules suggested")
    expect(screening).to_contain_text("Pending review")
    assert serious_violations(page) == []

    alerts.get_by_role("link", name=re.compile("Open the alert")).click()
    alert = page.get_by_role("article").filter(has_text="Jane Rivera")
    expect(alert).to_contain_text("Thoughts of self-harm (PHQ-9 item 9)")
    alert.get_by_label("What was done").fill("Called patient, safety plan reviewed")
    alert.get_by_role("button", name="Acknowledge alert for Jane Rivera").click()
    expect(page.get_by_role("status")).to_contain_text("Alert for Jane Rivera acknowledged.")

    page.goto(f"{live_server.url}/intakes/{intake.pk}/")
    expect(alerts).to_contain_text("Acknowledged")
    expect(alerts).to_contain_text("Called patient, safety plan reviewed")
    screening.get_by_role("link", name="Open the screening").click()
    expect(page.get_by_role("heading", name="Screening of Jane Rivera")).to_be_visible()
    assert serious_violations(page) == []


def test_registration_refuses_a_weight_no_adult_has(page, live_server, front_desk_user):
    log_in(page, live_server, front_desk_user)
    page.goto(f"{live_server.url}/patients/new/")
    page.get_by_label("Weight (lb)").fill("900")
    page.get_by_label("Height (in)").fill("170")
    page.get_by_role("button", name="Register patient").click()

    weight = page.get_by_label("Weight (lb)")
    expect(weight).to_have_attribute("aria-invalid", "true")
    expect(weight).to_have_value("900")
    expect(page.get_by_text("Enter a weight between 70 and 700 lb").first).to_be_visible()
    expect(page.get_by_label("Height (in)")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_text("Enter a height between 48 and 90 in").first).to_be_visible()
    assert serious_violations(page) == []

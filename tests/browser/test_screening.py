"""Candidacy screening in a real browser: a clinician opens the worklist, reviews a patient
screened "Not a candidate", approves anyway (refused until a justification is written) and
signs; the determination is then locked and marked as an override. The front desk sees only
"Approved" on the patient's page, and is refused the screening pages. axe finds nothing serious.
"""

import re

from playwright.sync_api import expect

from tests.browser.conftest import DESKTOP, give_authenticator, log_in, screenshot
from tests.browser.test_accessibility import serious_violations
from tests.treatments.screenings import screened, screening_row
from treatments.screening_rules import Result

JUSTIFICATION = "One drug-induced episode in 2009, none since; her psychiatrist supports treatment."
PSYCHOSIS_QUESTION = "Have you ever been diagnosed with psychosis or schizophrenia"


def main_nav(page):
    return page.get_by_role("navigation", name="Main")


def test_clinician_overrides_not_a_candidate_and_the_front_desk_sees_only_the_status(
    browser, page, live_server, clinician_user, front_desk_user
):
    flagged = screened(
        front_desk_user,
        legal_first_name="Nora",
        legal_last_name="Quinn",
        changes={"medical": {"screen_psychosis": "yes"}},
    )
    screening_row(result=Result.ELIGIBLE, last_name="Abbott")  # waiting longer, not flagged
    log_in(page, live_server, clinician_user, device=give_authenticator(clinician_user))

    to_review = page.get_by_role("region", name="Screenings to review")
    expect(to_review.get_by_role("listitem").filter(has_text="Not a candidate")).to_contain_text(
        "1"
    )
    main_nav(page).get_by_role("link", name="Screening", exact=True).click()

    expect(page.get_by_role("heading", name="Screening worklist")).to_be_visible()
    rows = page.get_by_role("table").get_by_role("row")
    expect(rows.nth(1)).to_contain_text("Quinn, Nora")  # flagged first (row 0: the headings)
    expect(rows.nth(1)).to_contain_text("Not a candidate")
    expect(rows.nth(1)).to_contain_text("History of psychosis or schizophrenia")
    expect(rows.nth(1)).to_contain_text("6 failed treatments")
    expect(rows.nth(2)).to_contain_text("Abbott")
    screenshot(page, "screening-worklist")
    assert serious_violations(page) == []
    rows.nth(1).get_by_role("link", name="Review screening of Nora Quinn").click()

    expect(page.get_by_role("heading", name="Screening of Nora Quinn")).to_be_visible()
    reasons = page.get_by_role("region", name=re.compile(r"^Reasons"))
    expect(reasons).to_contain_text("Absolute contraindication")
    expect(reasons).to_contain_text("History of psychosis or schizophrenia")
    expect(reasons).to_contain_text(f"Intake: “{PSYCHOSIS_QUESTION}")
    expect(page.get_by_role("region", name="Treatment resistance")).to_contain_text(
        "6 failed adequate treatments"
    )
    page.get_by_role("group", name="Decision").get_by_label("Approve for treatment").check()
    page.get_by_role("button", name="Sign determination").click()

    justification = page.get_by_label(re.compile(r"Justification for overriding"))
    expect(justification).to_have_attribute("aria-invalid", "true")
    error = page.locator(f"#{justification.get_attribute('aria-describedby').split()[-1]}")
    expect(error).to_contain_text("needs a written justification")
    approve = page.get_by_role("group", name="Decision").get_by_label("Approve for treatment")
    expect(approve).to_be_checked()
    screenshot(page, "screening-override-needs-justification")
    assert serious_violations(page) == []
    justification.fill(JUSTIFICATION)
    page.get_by_role("button", name="Sign determination").click()

    expect(page.get_by_role("status").first).to_contain_text(
        "Signed: approved for treatment, overriding “Not a candidate”."
    )
    determination = page.get_by_role("region", name="Determination")
    expect(determination).to_contain_text("Signed and locked")
    expect(determination).to_contain_text("Override of Not a candidate")
    expect(determination).to_contain_text(JUSTIFICATION)
    expect(determination).to_contain_text("Casey Carter")
    expect(page.get_by_role("button", name="Sign determination")).to_have_count(0)
    screenshot(page, "screening-signed-override")
    assert serious_violations(page) == []

    desk = browser.new_context(viewport=DESKTOP, locale="en-US", timezone_id="America/Chicago")
    try:
        desk_page = desk.new_page()
        log_in(desk_page, live_server, front_desk_user)
        desk_page.goto(f"{live_server.url}/patients/{flagged.patient_id}/")
        card = desk_page.get_by_role("region", name="Screening")
        expect(card).to_contain_text("Approved")
        body = desk_page.locator("main")
        for clinical in ("psychosis", "Not a candidate", "contraindication", JUSTIFICATION):
            expect(body).not_to_contain_text(clinical)
        screenshot(desk_page, "screening-front-desk-status")
        assert serious_violations(desk_page) == []

        refused = desk_page.goto(f"{live_server.url}/screening/")
        assert refused.status == 403
        expect(
            desk_page.get_by_role("heading", name="You don't have access to this page")
        ).to_be_visible()
        refused = desk_page.goto(f"{live_server.url}/screening/{flagged.pk}/")
        assert refused.status == 403
    finally:
        desk.close()


def test_the_clinic_admin_reads_the_rules_from_the_admin(page, live_server, admin_user):
    log_in(page, live_server, admin_user, device=give_authenticator(admin_user))
    page.goto(f"{live_server.url}/admin/")
    page.get_by_role("link", name="Screening rules").first.click()

    expect(page.get_by_role("heading", name="Screening rules")).to_be_visible()
    not_a_candidate = page.get_by_role("region", name="Leading to Not a candidate")
    expect(not_a_candidate).to_contain_text("History of psychosis or schizophrenia")
    expect(page.get_by_role("region", name="Thresholds")).to_contain_text("180/110")
    screenshot(page, "screening-rules")
    assert serious_violations(page) == []


def test_the_front_desk_calls_the_patient_and_marks_the_task_done(
    page, live_server, front_desk_user, clinician_user
):
    from treatments.services.screening import screening_determine

    screening = screened(front_desk_user, legal_first_name="Nora", legal_last_name="Quinn")
    screening_determine(
        screening=screening,
        decision="more_info",
        info_request="Ask her for the letter from her cardiologist.",
        info_route="front_desk",
        signed_by=clinician_user,
    )
    log_in(page, live_server, front_desk_user)

    tasks = page.get_by_role("region", name="Tasks")
    expect(tasks.get_by_role("listitem").filter(has_text="Open tasks")).to_contain_text("1")
    main_nav(page).get_by_role("link", name="Tasks").click()
    task = page.get_by_role("article").filter(has_text="Nora Quinn")
    expect(task).to_contain_text("Ask her for the letter from her cardiologist.")
    task.get_by_role("button", name=re.compile("Mark done")).click()
    expect(page.get_by_text("Write a short note of what was done.").first).to_be_visible()
    screenshot(page, "front-desk-tasks")
    assert serious_violations(page) == []
    page.get_by_label("What was done").fill("Called; the letter comes by fax tomorrow")
    page.get_by_role("button", name=re.compile("Mark done")).click()

    expect(page.get_by_role("status")).to_contain_text("Task for Nora Quinn marked done.")
    expect(page.get_by_text("No open tasks.")).to_be_visible()
    done = page.get_by_role("table").get_by_role("row").filter(has_text="Nora Quinn")
    expect(done).to_contain_text("Called; the letter comes by fax tomorrow")


def test_thoughts_of_self_harm_come_first_and_approval_waits_for_the_acknowledgement(
    page, live_server, clinician_user, front_desk_user
):
    screening_row(result=Result.NOT_A_CANDIDATE, last_name="Abbott")  # flagged, waiting longer
    screened(
        front_desk_user,
        legal_first_name="Ada",
        legal_last_name="Lane",
        changes={"questionnaires": {"phq9_9": "1"}},
    )
    log_in(page, live_server, clinician_user, device=give_authenticator(clinician_user))
    page.goto(f"{live_server.url}/screening/")

    rows = page.get_by_role("table").get_by_role("row")
    expect(rows.nth(1)).to_contain_text("Lane, Ada")
    expect(rows.nth(1)).to_contain_text("Self-harm: PHQ-9 item 9 Several days")
    expect(rows.nth(2)).to_contain_text("Abbott")
    assert serious_violations(page) == []
    rows.nth(1).get_by_role("link", name="Review screening of Ada Lane").click()

    expect(page.get_by_role("heading", name="Screening of Ada Lane")).to_be_visible()
    page.get_by_role("group", name="Decision").get_by_label("Approve for treatment").check()
    page.get_by_role("button", name="Sign determination").click()
    expect(page.get_by_role("alert").first).to_contain_text(
        "Acknowledge the PHQ-9 item 9 alert (thoughts of self-harm) before approving"
    )
    alert = page.get_by_role("group", name="Acknowledge the self-harm alert before approving")
    expect(alert).to_contain_text("Thoughts of self-harm (PHQ-9 item 9)")
    assert serious_violations(page) == []
    alert.get_by_label("What was done").fill("Called patient, safety plan reviewed")
    alert.get_by_role("button", name="Acknowledge the alert").click()

    expect(page.get_by_role("status").first).to_contain_text("Alert for Ada Lane acknowledged.")
    expect(page.get_by_role("heading", name="Screening of Ada Lane")).to_be_visible()
    expect(alert).to_have_count(0)
    page.get_by_role("group", name="Decision").get_by_label("Approve for treatment").check()
    page.get_by_role("button", name="Sign determination").click()

    expect(page.get_by_role("status").first).to_contain_text("Signed: approved for treatment.")
    result = page.get_by_role("region", name="Result")
    expect(result).to_contain_text("Outcome: Approved")
    expect(result).to_contain_text("Rules suggested: Needs clinician review")
    expect(result).not_to_contain_text("Status:")
    expect(page.get_by_role("button", name="Record findings and screen again")).to_have_count(0)
    expect(page.get_by_role("heading", name="Record assessment findings")).to_have_count(0)
    screenshot(page, "screening-signed-after-acknowledgement")
    assert serious_violations(page) == []


def test_findings_are_typed_in_pounds_and_inches_with_the_kilograms_shown_beside(
    page, live_server, clinician_user, front_desk_user
):
    screening = screened(front_desk_user, legal_first_name="Ray", legal_last_name="Cole")
    log_in(page, live_server, clinician_user, device=give_authenticator(clinician_user))
    page.goto(f"{live_server.url}/screening/{screening.pk}/")

    findings = page.get_by_role("region", name="Record assessment findings")
    # A weight in kilograms beside a height in centimetres is refused with what to type.
    findings.get_by_label("Weight (lb)").fill("75")
    findings.get_by_label("Height (in)").fill("170")
    findings.get_by_role("button", name="Record findings and screen again").click()
    height = page.get_by_label("Height (in)")
    expect(height).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_text("Enter a height between 48 and 90 in").first).to_be_visible()
    assert serious_violations(page) == []

    page.get_by_label("Weight (lb)").fill("165")
    expect(page.get_by_text("= 74.8 kg")).to_be_visible()
    height.fill("66")
    expect(page.get_by_text("= 167.6 cm")).to_be_visible()
    page.get_by_label("Blood pressure, systolic (mmHg)").fill("122")
    page.get_by_label("Blood pressure, diastolic (mmHg)").fill("78")
    page.get_by_role("button", name="Record findings and screen again").click()

    expect(page.get_by_role("status").first).to_contain_text("Screened again")
    recorded = page.get_by_role("region", name="Assessment findings", exact=True)
    expect(recorded).to_contain_text("74.8 kg (165 lb)")
    expect(recorded).to_contain_text("167.6 cm (5 ft 6 in)")
    expect(recorded).to_contain_text("26.6")  # not the 50.8 of 165 typed as kilograms
    assert serious_violations(page) == []

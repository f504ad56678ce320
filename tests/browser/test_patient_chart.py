"""A clinician opens a patient's chart from the patient page: the GAD-7 and PHQ-9 charts are
images named by what they show, the table under them lists the same scores, and the timeline
shows the sessions and check-in surveys (the latest events, with a link to all of them).
Legible on a desktop and on a phone."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from followups.chart import panel as chart_panel
from followups.chart import timeline as chart_timeline
from intake import patient_panels
from tests.browser.conftest import ARTIFACTS, PHONE, give_authenticator, log_in, screenshot
from tests.browser.test_accessibility import serious_violations
from tests.followups.test_chart import intake_score, session_at, survey_after
from tests.followups.worklist_data import sent_message

pytestmark = pytest.mark.django_db(transaction=True)

PHQ9_11 = [2, 2, 1, 1, 1, 1, 1, 2, 0]
PHQ9_4 = [1, 1, 1, 1, 0, 0, 0, 0, 0]
GAD7_7 = [1, 1, 1, 1, 1, 1, 1]
GAD7_4 = [1, 1, 1, 1, 0, 0, 0]


@pytest.fixture
def chart_card(monkeypatch):
    """The card registered (as FollowupsConfig.ready does), on a copy of the registry that is
    put back afterwards."""
    monkeypatch.setattr(patient_panels, "_panels", dict(patient_panels._panels))
    chart_panel.register()


def test_a_clinician_reads_the_chart_from_the_patient_page(
    page, live_server, clinician_user, patient, chart_card
):
    now = timezone.now()
    intake_score(patient, at=now - timedelta(days=30), instrument="gad7", total=16, band="Severe")
    intake_score(
        patient, at=now - timedelta(days=30), instrument="phq9", total=18, band="Moderately severe"
    )
    sessions = [
        session_at(
            patient, by=clinician_user, starts_at=now - timedelta(days=days), status="completed"
        )
        for days in (21, 18, 15, 12)
    ]
    survey_after(sessions[-1], completed_at=now - timedelta(days=10), gad7=GAD7_7, phq9=PHQ9_11)
    survey_after(
        sessions[-1],
        completed_at=now - timedelta(days=2),
        gad7=GAD7_4,
        phq9=PHQ9_4,
        offset_label="7d",
    )

    log_in(page, live_server, clinician_user, device=give_authenticator(clinician_user))
    page.goto(f"{live_server.url}/patients/{patient.pk}/")
    page.get_by_role("link", name="Open the chart").click()

    expect(page.get_by_role("heading", name="Chart: Jane Rivera")).to_be_visible()
    gad7 = page.get_by_role("img", name=re.compile(r"^GAD-7 totals over time: 3 scores"))
    expect(gad7).to_be_visible()
    expect(gad7).to_have_accessible_name(re.compile(r"baseline 16; response at .*remission at"))
    expect(page.get_by_role("img", name=re.compile(r"^PHQ-9 totals over time"))).to_be_visible()
    expect(page.get_by_text("Current status: In remission").first).to_be_visible()

    table = page.get_by_role("table", name=re.compile("Every GAD-7, PHQ-9 and 24-hour anxiety"))
    rows = table.get_by_role("row")
    expect(rows).to_have_count(1 + 6)
    expect(rows.filter(has_text="GAD-7").filter(has_text="Baseline")).to_contain_text("16")
    expect(rows.filter(has_text="GAD-7").filter(has_text="Remission")).to_contain_text("4")
    # PHQ-9 11 is 39% below the baseline 18: not a response; 4 is both.
    expect(rows.filter(has_text="PHQ-9").filter(has_text="Response")).to_have_count(1)

    timeline = page.get_by_role("region", name="Timeline")
    expect(timeline.get_by_text("Completed, Chart chair").first).to_be_visible()
    survey = timeline.get_by_role("listitem").filter(has_text="Check-in survey (7d after)")
    expect(survey).to_contain_text("Answered: GAD-7 4 (Minimal), PHQ-9 4 (Minimal)")
    expect(survey.get_by_role("link", name=re.compile("^Open the check-in survey"))).to_be_visible()

    assert serious_violations(page) == []
    screenshot(page, "patient-chart-desktop")

    page.set_viewport_size(PHONE)
    expect(gad7).to_be_visible()
    box = gad7.bounding_box()
    assert box["width"] <= PHONE["width"]
    assert box["height"] > 150  # drawn to scale, not squashed
    assert serious_violations(page) == []
    screenshot(page, "patient-chart-phone")
    gad7.screenshot(path=ARTIFACTS / "patient-chart-phone-gad7.png")  # at its real size


def test_a_long_history_shows_the_latest_events_and_opens_the_full_timeline(
    page, live_server, clinician_user, patient
):
    now = timezone.now()
    count = chart_timeline.TIMELINE_LIMIT + 5
    for number in range(count):
        sent_message(patient=patient, due_at=now - timedelta(days=number + 1), key=f"m{number}")

    log_in(page, live_server, clinician_user, device=give_authenticator(clinician_user))
    page.goto(f"{live_server.url}/patients/{patient.pk}/chart/")

    timeline = page.get_by_role("region", name="Timeline")
    expect(timeline.get_by_role("listitem")).to_have_count(chart_timeline.TIMELINE_LIMIT)
    screenshot(page, "patient-chart-latest-events")
    timeline.get_by_role("link", name="Show the full timeline").click()

    expect(timeline.get_by_role("listitem")).to_have_count(count)
    timeline.get_by_role("link", name="Show the latest events only").click()
    expect(timeline.get_by_role("listitem")).to_have_count(chart_timeline.TIMELINE_LIMIT)

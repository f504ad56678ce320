"""A whole IV session in a real browser: the front desk books it on the plan's booking page,
finds it on the chair board and checks the patient in (seeing no clinical data); the clinician
records the checks and baseline vitals, the dose (drawn from a vial in stock), a vitals reading
(flagged when out of range), the infusion's stop time, a resolved reading an hour later, the
discharge, and signs the note, which then locks. axe finds nothing serious on the session page.
An IV discharge is refused 30 minutes after the infusion ends and allowed after 60, the clock
moved as the patient is observed.
"""

import re
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from playwright.sync_api import expect

from tests.browser.conftest import give_authenticator, log_in, screenshot
from tests.browser.test_accessibility import serious_violations
from tests.conftest import CLINIC_DAY
from tests.factories import PatientFactory
from tests.treatments.booking import active_plan, chair
from tests.treatments.ledger import stocked
from tests.treatments.sessions import administered, booked_session, checked_in, pre_dose
from treatments.models import TreatmentSession


@pytest.fixture
def clinic_clock():
    """Monday 09:00 in the clinic, the clock ticking on; a test moves it forward with
    ``_wait``, as the patient is observed."""
    with time_machine.travel(CLINIC_DAY, tick=True) as clock:
        yield clock


def _wait(page, clock, minutes: int) -> None:
    """Let ``minutes`` pass, the clinician looking at the page every ten minutes (the sign-in
    stays within its idle limit)."""
    for _ in range(minutes // 10):
        clock.shift(timedelta(minutes=10))
        page.reload()


def test_a_whole_iv_session_from_check_in_to_a_signed_note(
    page, live_server, clinician_user, second_clinician_user, front_desk_user, clinic_clock
):
    patient = PatientFactory(legal_first_name="Leo", legal_last_name="Marsh", sex_at_birth="male")
    # A vial delivered to the clinic's stock, the dose to be drawn from it.
    stocked(by=clinician_user, checked_by=second_clinician_user, labels=("K-001",))
    plan = active_plan(by=clinician_user, patient=patient, start_date=timezone.localdate())
    chair("Chair 1")
    chair("Chair 2")

    # The front desk books the first session of the series for now, on Chair 2.
    log_in(page, live_server, front_desk_user)
    page.goto(f"{live_server.url}/plans/{plan.pk}/book/")
    first = page.get_by_role("group", name="Session 1")
    now = timezone.localtime()
    first.get_by_label("Date").fill(now.strftime("%Y-%m-%d"))
    # A few minutes ahead: a session is never booked in the past.
    first.get_by_label("Start time").fill((now + timedelta(minutes=5)).strftime("%H:%M"))
    first.get_by_label("Chair").select_option(label="Chair 2")
    first.get_by_role("button", name="Book session 1").click()
    expect(page.get_by_role("heading", name=re.compile(r"Booked \(1 of 6\)"))).to_be_visible()
    session = TreatmentSession.objects.get(patient=patient)
    assert session.chair.name == "Chair 2"

    # On today's chair board the session is in Chair 2's column; the front desk opens it.
    page.get_by_role("link", name="Chair board").first.click()
    screenshot(page, "chair-board")
    page.get_by_role("link", name=re.compile("Marsh")).first.click()
    url = f"{live_server.url}/sessions/{session.pk}/"
    expect(page).to_have_url(url)

    # The front desk checks the patient in.
    expect(page.get_by_role("heading", name=re.compile("Session for"))).to_be_visible()
    page.get_by_role("button", name="Check in").click()
    expect(page.get_by_label("Escort or ride home (name)")).to_have_attribute(
        "aria-invalid", "true"
    )
    page.get_by_label("Escort or ride home (name)").fill("Sam Marsh")
    page.get_by_label("Escort's phone").fill("512-555-0142")
    page.get_by_label("The patient confirms they have fasted as instructed").check()
    page.get_by_role("button", name="Check in").click()
    expect(page.get_by_role("status").first).to_contain_text("Checked in.")
    expect(page.get_by_text("Checked in", exact=True)).to_be_visible()
    expect(page.get_by_text("Before the dose")).to_have_count(0)
    assert serious_violations(page) == []

    # The clinician takes over.
    page.context.clear_cookies()
    log_in(page, live_server, clinician_user, device=give_authenticator(clinician_user))
    page.goto(url)
    _record_before_the_dose(page, hours_since_food="7")
    expect(page.get_by_role("status").first).to_contain_text("baseline vitals")

    # The dose is drawn from the vial picked, exactly: nothing to waste, no witness asked.
    dose = page.get_by_label("Dose given (mg)").input_value()
    pick_container(page, "Container drawn from", "K-001")
    page.get_by_label("Amount drawn from it").fill(dose)
    page.get_by_role("button", name="Record the administration").click()
    expect(page.get_by_role("status").first).to_contain_text("Monitoring has started")
    administration = page.get_by_role("region", name="Administration")
    drawn = re.escape(dose.removesuffix(".0"))
    expect(administration).to_contain_text(re.compile(rf"Administered from K-001\s*{drawn} mg"))
    expect(administration).not_to_contain_text("Wasted")

    _type_vitals(page, systolic="166", diastolic="92", heart_rate="84", spo2="97", sedation="4")
    vitals = page.get_by_role("table", name=re.compile("Vitals after the dose"))
    expect(vitals.get_by_role("row").nth(1)).to_contain_text("Systolic BP high (166)")
    screenshot(page, "session-monitoring")
    assert serious_violations(page) == []

    # The 40-minute infusion ends; an hour later the vitals are back in range, sedation and
    # dissociation resolved, and the patient can go home.
    _wait(page, clinic_clock, 40)
    page.get_by_role("button", name="Record the stop time").click()
    expect(page.get_by_role("status").first).to_contain_text("Recorded the infusion's stop")
    _wait(page, clinic_clock, 60)
    _add_vitals(page, timezone.localtime().strftime("%H:%M"))
    _discharge(page, at=timezone.localtime().strftime("%H:%M"))
    expect(page.get_by_role("status").first).to_contain_text("Discharged")

    page.get_by_role("button", name="Sign the note").click()
    signature = page.get_by_role("region", name="Signature")
    expect(signature).to_contain_text("Signed and locked")
    expect(page.get_by_role("button", name="Add the reading")).to_have_count(0)
    page.get_by_label("Addendum").fill("Escort confirmed arrival home by phone.")
    page.get_by_role("button", name="Add the addendum").click()
    expect(page.get_by_role("region", name="Addenda")).to_contain_text("Escort confirmed")
    screenshot(page, "session-signed")
    assert serious_violations(page) == []


def test_an_iv_discharge_is_refused_30_minutes_after_the_infusion_and_allowed_after_60(
    page, live_server, clinician_user, clinic_clock
):
    # Monday 09:00 in the clinic; the clock is moved forward ten minutes at a time, as the
    # clinician takes the vitals (the sign-in stays within its idle limit).
    clock = clinic_clock
    now = timezone.now()
    patient = PatientFactory(legal_first_name="Ian", legal_last_name="Vale", sex_at_birth="male")
    session = booked_session(
        by=clinician_user, patient=patient, starts_at=now - timedelta(minutes=50)
    )
    checked_in(session, by=clinician_user)
    pre_dose(session, by=clinician_user)
    administered(session, by=clinician_user, started_at=now - timedelta(minutes=40))

    log_in(page, live_server, clinician_user, device=give_authenticator(clinician_user))
    page.goto(f"{live_server.url}/sessions/{session.pk}/")
    discharge = page.get_by_role("region", name="Observation and discharge")
    expect(discharge).to_contain_text("not known until the infusion's stop time")
    page.get_by_label("Infusion stop time").fill("09:00")
    page.get_by_role("button", name="Record the stop time").click()
    expect(page.get_by_role("status").first).to_contain_text("Recorded the infusion's stop")
    expect(discharge).to_contain_text("Earliest discharge 10:00")

    for at in ("09:10", "09:20", "09:30"):
        clock.shift(timedelta(minutes=10))
        _add_vitals(page, at)
    _discharge(page, at="09:30")
    expect(page.get_by_role("alert")).to_contain_text(
        "An IV infusion needs at least 60 minutes of observation after it ends "
        "(about 30 minutes left)."
    )
    expect(discharge).to_contain_text("Earliest discharge 10:00")

    for at in ("09:40", "09:50", "10:00"):
        clock.shift(timedelta(minutes=10))
        _add_vitals(page, at)
    _discharge(page, at="10:00")
    expect(page.get_by_role("status").first).to_contain_text("Discharged")
    expect(discharge).to_contain_text("10:00")
    session.refresh_from_db()
    assert session.status == TreatmentSession.Status.COMPLETED
    assert timezone.localtime(session.discharged_at).strftime("%H:%M") == "10:00"


def pick_container(page, field: str, label: str) -> None:
    """Choose a container in ``field`` by its label ("K-001"), as the clinician reads it at the
    start of the option (the strength, what is left, lot and expiry follow)."""
    select = page.get_by_label(field)
    option = select.get_by_role("option", name=re.compile(f"^{re.escape(label)} · "))
    select.select_option(label=option.text_content())


def _type_vitals(
    page,
    *,
    systolic: str,
    diastolic: str,
    heart_rate: str,
    spo2: str,
    sedation: str,
    dissociation: str | None = None,
    at: str | None = None,
) -> None:
    """A vitals reading typed into the monitoring form, as the clinician enters it."""
    form = page.locator("form").filter(has=page.get_by_role("button", name="Add the reading"))
    if at is not None:
        form.get_by_label("Time").first.fill(at)
    form.get_by_label("Systolic (mmHg)").fill(systolic)
    form.get_by_label("Diastolic (mmHg)").fill(diastolic)
    form.get_by_label("Heart rate").fill(heart_rate)
    form.get_by_label("SpO2 (%)").fill(spo2)
    form.get_by_label("Resp. rate").fill("14")
    form.get_by_label("Sedation (MOAA/S)").select_option(sedation)
    if dissociation is not None:
        form.get_by_label("Dissociation (CADSS-6, 0-24)").fill(dissociation)
    form.get_by_role("button", name="Add the reading").click()


def _add_vitals(page, at: str) -> None:
    """A full set of vitals in the normal ranges, sedation and dissociation resolved."""
    _type_vitals(
        page, systolic="124", diastolic="80", heart_rate="74", spo2="98", sedation="5",
        dissociation="0", at=at,
    )  # fmt: skip
    vitals = page.get_by_role("table", name=re.compile("Vitals after the dose"))
    expect(vitals.get_by_role("row", name=re.compile(f"^{at}"))).to_be_visible()


def _discharge(page, *, at: str) -> None:
    for criterion in ("Activity", "Respiration", "Circulation", "Consciousness", "O2 saturation"):
        page.get_by_role("group", name=criterion).get_by_label(re.compile(r"^2: ")).check()
    page.get_by_label("The escort is present").check()
    page.get_by_label("Discharge time").fill(at)
    page.get_by_label("Discharge instructions given: no driving until the next day").check()
    page.get_by_role("button", name="Discharge", exact=True).click()


TABLET = {"width": 1024, "height": 768}


@pytest.fixture
def tablet_page(browser, request):
    from tests.browser.conftest import _open_page

    yield from _open_page(browser, request, TABLET)


def test_on_a_tablet_each_stage_says_what_it_waits_for_and_no_flag_is_cut_off(
    tablet_page, live_server, clinician_user, clinic_clock
):
    page = tablet_page
    now = timezone.now()
    patient = PatientFactory(legal_first_name="Tia", legal_last_name="Moss", sex_at_birth="male")
    session = booked_session(by=clinician_user, patient=patient, starts_at=now)
    checked_in(session, by=clinician_user)
    log_in(page, live_server, clinician_user, device=give_authenticator(clinician_user))
    page.goto(f"{live_server.url}/sessions/{session.pk}/")

    before = page.get_by_role("region", name="Before the dose")
    expect(before).to_contain_text(
        "Dosing waits for: consent confirmed as current; the baseline vitals."
    )
    assert serious_violations(page) == []

    # Fasted two hours only: the dose now waits for a decision on the fasting alone.
    _record_before_the_dose(page, hours_since_food="2")
    expect(before).to_contain_text("Dosing waits for: a decision on the fasting.")
    fasting = page.get_by_role("form", name="Fasting decision")
    fasting.get_by_label("Proceed with the dose").check()
    fasting.get_by_label("Reason").fill("Light breakfast, low aspiration risk; discussed.")
    fasting.get_by_role("button", name="Record the fasting decision").click()
    expect(page.get_by_role("status").first).to_be_visible()
    expect(before).not_to_contain_text("Dosing waits for")
    assert serious_violations(page) == []

    # Dosed five minutes ago, the infusion still running: discharge waits for its end.
    administered(session, by=clinician_user, started_at=timezone.now() - timedelta(minutes=5))
    page.reload()
    discharge = page.get_by_role("region", name="Observation and discharge")
    expect(discharge).to_contain_text(
        "Discharge waits for: the infusion's stop time; a full set of vitals after the dose."
    )

    _type_vitals(page, systolic="166", diastolic="92", heart_rate="84", spo2="88", sedation="4")

    table = page.get_by_role("table", name=re.compile("Vitals after the dose"))
    flag = table.get_by_text("SpO2 low (88)")
    expect(flag).to_be_visible()
    # The whole badge shows: its text is not clipped inside the badge, nor the badge by the
    # scrolling box around the table.
    assert flag.evaluate("badge => badge.scrollWidth <= badge.clientWidth")
    scroller = page.get_by_role("region", name="Vitals after the dose, scrolls sideways")
    box, frame = flag.bounding_box(), scroller.bounding_box()
    assert frame["x"] <= box["x"] and box["x"] + box["width"] <= frame["x"] + frame["width"]
    # Reached by the keyboard too (axe: scrollable-region-focusable).
    scroller.focus()
    expect(scroller).to_be_focused()
    expect(scroller).to_have_attribute("tabindex", "0")
    expect(discharge).to_contain_text("Discharge waits for: the infusion's stop time")
    screenshot(page, "session-tablet-monitoring")
    assert serious_violations(page) == []


def _record_before_the_dose(page, *, hours_since_food: str) -> None:
    """The pre-dose checks with in-range baseline vitals, as the clinician types them."""
    page.get_by_label("Consent is current").check()
    page.get_by_label("Hours since food").fill(hours_since_food)
    page.get_by_label("Hours since clear liquids").fill("3")
    page.get_by_role("group", name="Benzodiazepine or other sedative taken today").get_by_label(
        "No"
    ).check()
    page.get_by_label("Blood pressure, systolic (mmHg)").fill("124")
    page.get_by_label("Blood pressure, diastolic (mmHg)").fill("80")
    page.get_by_label("Heart rate (per minute)").fill("72")
    page.get_by_label("SpO2 (%)").fill("98")
    page.get_by_label("Respiratory rate (per minute)").fill("14")
    page.get_by_role("button", name="Record before the dose").click()

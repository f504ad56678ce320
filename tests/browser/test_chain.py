"""A chain of clinics in a real browser (issue 26): a front-desk member assigned to Austin and El
Paso signs in and is asked where they work; at Austin they see Austin's chair board and
arrivals only; they switch from the header's "Change" link to El Paso and see El Paso's board,
its session at 10:00 Mountain time (11:00 in Austin). axe finds nothing serious on the picker,
the home page or either board."""

import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from clinic.models import Location, StaffLocation
from tests.browser.conftest import log_in, screenshot
from tests.browser.test_accessibility import serious_violations
from tests.factories import PatientFactory
from tests.treatments.booking import active_plan, book_session, chair

pytestmark = pytest.mark.clinic_day  # Monday 11/23/2026 09:00 Central, the clock ticking

CHICAGO = ZoneInfo("America/Chicago")
DENVER = ZoneInfo("America/Denver")
ONE_TO_ARRIVE = re.compile(r"^1: Still to arrive today")
WEEKDAYS_9_TO_5 = dict.fromkeys(("mon", "tue", "wed", "thu", "fri"), "09:00-17:00")


def _location(name: str, zone: str, order: int, dea: str) -> Location:
    return Location.objects.create(
        name=name,
        time_zone=zone,
        opening_hours=WEEKDAYS_9_TO_5,
        dea_registration=dea,
        display_order=order,
    )


def _booked_today(*, at: Location, first: str, last: str, starts_at: datetime, by):
    """A patient whose home is ``at``, booked today on the location's chair."""
    patient = PatientFactory(legal_first_name=first, legal_last_name=last, home_location=at)
    plan = active_plan(by=by, patient=patient, start_date=date(2026, 11, 23))
    on_chair = chair(f"{at.name} chair 1", location=at, room="Main room")
    return book_session(booked_by=by, starts_at=starts_at, plan=plan, on_chair=on_chair)


def test_a_front_desk_member_of_two_locations_picks_one_and_switches(
    page, live_server, front_desk_user, settings
):
    settings.CLINIC_CHAIN = True
    austin = _location("Austin", "America/Chicago", 0, "FK1234563")
    el_paso = _location("El Paso", "America/Denver", 1, "FE5432101")
    for location in (austin, el_paso):
        StaffLocation.objects.create(user=front_desk_user, location=location)
    _booked_today(
        at=austin, first="Ana", last="Soto",
        starts_at=datetime(2026, 11, 23, 10, 0, tzinfo=CHICAGO), by=front_desk_user,
    )  # fmt: skip
    _booked_today(
        at=el_paso, first="Luis", last="Ortega",
        starts_at=datetime(2026, 11, 23, 10, 0, tzinfo=DENVER), by=front_desk_user,
    )  # fmt: skip

    # Signed in, they are asked where they work before anything else.
    log_in(page, live_server, front_desk_user)
    expect(page.get_by_role("heading", name="Choose your location")).to_be_visible()
    where = page.get_by_role("group", name="Where are you working?")
    expect(where.get_by_role("radio")).to_have_count(2)
    assert serious_violations(page) == []
    screenshot(page, "chain-location-pick")
    where.get_by_label("Austin").check()
    page.get_by_role("button", name="Work here").click()

    # Austin: the header says so; the home page's arrivals count Austin's patient only.
    expect(page.get_by_text("You are working at Austin.")).to_be_visible()
    header = page.locator("#current-location")
    expect(header).to_contain_text("Austin")
    arrivals = page.get_by_role("region", name="Arrivals")
    expect(
        arrivals.get_by_role("link", name=re.compile(r"^1: Still to arrive today"))
    ).to_be_visible()
    assert serious_violations(page) == []
    screenshot(page, "chain-home-austin")

    page.goto(f"{live_server.url}/board/")
    expect(page.get_by_role("heading", name="Chair board")).to_be_visible()
    expect(page.get_by_role("link", name="Ana Soto", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="Luis Ortega", exact=True)).to_have_count(0)
    expect(page.get_by_text("El Paso chair 1")).to_have_count(0)
    ten = page.get_by_role("row").filter(has=page.get_by_role("rowheader", name="10:00"))
    expect(ten.get_by_role("link", name="Ana Soto", exact=True)).to_be_visible()
    assert serious_violations(page) == []
    screenshot(page, "chain-board-austin")

    # Switched from the header: the picker again, back to the board, now El Paso's.
    page.get_by_role("link", name="Change location").click()
    expect(page.get_by_role("heading", name="Choose your location")).to_be_visible()
    expect(page.get_by_label("Austin")).to_be_checked()
    page.get_by_label("El Paso").check()
    page.get_by_role("button", name="Work here").click()

    expect(page.get_by_text("You are working at El Paso.")).to_be_visible()
    expect(page.get_by_role("heading", name="Chair board")).to_be_visible()
    expect(header).to_contain_text("El Paso")
    expect(page.get_by_role("link", name="Luis Ortega", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="Ana Soto", exact=True)).to_have_count(0)
    expect(page.get_by_text("Austin chair 1")).to_have_count(0)
    # Booked for 10:00 Mountain time (11:00 in Austin): the board reads El Paso's clock.
    ten = page.get_by_role("row").filter(has=page.get_by_role("rowheader", name="10:00"))
    expect(ten.get_by_role("link", name="Luis Ortega", exact=True)).to_be_visible()
    assert serious_violations(page) == []
    screenshot(page, "chain-board-el-paso")

    page.goto(f"{live_server.url}/")
    arrivals = page.get_by_role("region", name="Arrivals")
    expect(
        arrivals.get_by_role("link", name=re.compile(r"^1: Still to arrive today"))
    ).to_be_visible()
    expect(page.get_by_text("Ana Soto")).to_have_count(0)

"""The plan's booking page in a real browser: the series proposed on open days and on a free
chair, a session past closing time refused beside its row in words, then booked once moved."""

import re
from datetime import date

import pytest
from playwright.sync_api import expect

from clinic.models import Location
from tests.browser.conftest import log_in, screenshot
from tests.factories import PatientFactory
from tests.treatments.booking import active_plan, book_session, chair, clinic_time

pytestmark = pytest.mark.clinic_day  # Monday 11/23/2026 09:00, the clock ticking


def test_the_front_desk_books_a_proposed_session_after_a_refusal_in_words(
    page, live_server, front_desk_user
):
    chair("Chair 1")
    chair("Chair 2", display_order=2)
    patient = PatientFactory(legal_first_name="Ana", legal_last_name="Soto")
    # Starts on a Sunday: the clinic is closed, the series begins on the Monday.
    plan = active_plan(
        by=front_desk_user, patient=patient, sessions_planned=3, start_date=date(2026, 11, 29)
    )
    book_session(booked_by=front_desk_user, starts_at=clinic_time(2026, 11, 30, 8, 30))

    log_in(page, live_server, front_desk_user)
    page.goto(f"{live_server.url}/plans/{plan.pk}/book/")
    first = page.get_by_role("group", name="Session 1")
    # Chair 1 is taken at 09:00 that Monday: Chair 2 is proposed.
    expect(first.get_by_label("Date")).to_have_value("2026-11-30")
    expect(first.get_by_label("Start time")).to_have_value("09:00")
    expect(first.get_by_label("Chair")).to_have_value(str(chair("Chair 2").pk))

    # Moved to Saturday 17:00 by hand: 100 minutes would run past closing.
    first.get_by_label("Date").fill("2026-12-05")
    first.get_by_label("Start time").fill("17:00")
    first.get_by_role("button", name="Book session 1").click()
    refused = page.get_by_role("group", name="Session 1").get_by_role("alert")
    expect(refused).to_have_text(
        "The clinic is open 08:00\N{EN DASH}18:00 on Saturdays; this session would end at 18:40."
    )
    screenshot(page, "booking-refused-after-closing")

    page.get_by_role("group", name="Session 1").get_by_label("Start time").fill("16:00")
    page.get_by_role("group", name="Session 1").get_by_role("button", name="Book session 1").click()
    expect(page.get_by_role("heading", name=re.compile(r"Booked \(1 of 3\)"))).to_be_visible()
    expect(page.get_by_role("status")).to_have_text(
        "Booked 1 session: 12/05/2026 16:00\N{EN DASH}17:40 on Chair 2."
    )


def test_the_front_desk_of_a_chain_picks_the_location_whose_chairs_the_board_shows(
    page, live_server, front_desk_user
):
    # More chairs than one board shows, at four locations: the board shows one at a time.
    places = {}
    for room in range(1, 5):
        places[room] = Location.objects.create(
            name=f"Room {room}", time_zone="America/Chicago", display_order=room
        )
        for n in range(1, 5):
            chair(f"Room {room} chair {n}", location=places[room], display_order=room * 10 + n)
    patient = PatientFactory(legal_first_name="Ana", legal_last_name="Soto")
    plan = active_plan(by=front_desk_user, patient=patient, start_date=date(2026, 11, 30))
    book_session(
        booked_by=front_desk_user,
        plan=plan,
        starts_at=clinic_time(2026, 11, 30, 9),
        on_chair=chair("Room 3 chair 2"),
    )

    log_in(page, live_server, front_desk_user)
    page.goto(f"{live_server.url}/board/?date=2026-11-30")
    expect(page.get_by_role("columnheader", name="Room 1 chair 1")).to_be_visible()
    expect(page.get_by_role("link", name="Ana Soto", exact=True)).to_have_count(0)

    page.get_by_label("Location").select_option("Room 3")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_role("columnheader", name="Room 3 chair 2")).to_be_visible()
    expect(page.get_by_role("columnheader", name="Room 1 chair 1")).to_have_count(0)
    expect(page.get_by_role("link", name="Ana Soto", exact=True)).to_be_visible()
    screenshot(page, "board-one-location")

    # The next day keeps the room chosen.
    page.get_by_role("link", name="Next day").click()
    expect(page.get_by_label("Location")).to_have_value(str(places[3].pk))
    expect(page.get_by_role("columnheader", name="Room 3 chair 1")).to_be_visible()

"""A clinic with many chairs over several locations (issue 24): the chair board and the chair
pickers of the booking pages show one location's chairs at a time, chosen in a labelled select
and remembered for the person; a small clinic sees every chair and no select. Each page costs
the same queries however many chairs, locations and sessions the clinic has."""

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from clinic.models import Location
from tests.treatments.booking import active_plan, book_session, chair, clinic_time
from treatments.selectors.booking import ALL_CHAIRS_UP_TO, chair_scope
from treatments.views.booking import CHAIR_LOCATION_KEY

pytestmark = [pytest.mark.clinic_day, pytest.mark.django_db]

BOARD = reverse("treatments:chair_board")
TUESDAY = "2026-12-01"


def place(name: str) -> Location:
    """A location of the clinic (one clinic: CLINIC_CHAIN off), after the installation's own."""
    number = int(name.split()[-1]) if name.split()[-1].isdigit() else 0
    location, _ = Location.objects.get_or_create(
        name=name, defaults={"time_zone": "America/Chicago", "display_order": 10 + number}
    )
    return location


def chairs_in(locations: int, per_location: int = 4) -> dict[str, list]:
    """``per_location`` chairs in each of ``locations`` locations, in display order."""
    rooms = {}
    for room in range(1, locations + 1):
        location = place(f"Room {room}")
        rooms[f"Room {room}"] = [
            chair(f"Room {room} chair {n}", location=location, display_order=room * 10 + n)
            for n in range(1, per_location + 1)
        ]
    return rooms


def pk_of(name: str) -> str:
    return str(Location.objects.get(name=name).pk)


def fill(by, chairs, *, count: int, day: date = date(2026, 12, 1)) -> None:
    """``count`` sessions back to back from 08:00 over ``chairs``."""
    for index in range(count):
        starts = clinic_time(day.year, day.month, day.day, 8) + timedelta(
            minutes=100 * (index // len(chairs))
        )
        book_session(booked_by=by, starts_at=starts, on_chair=chairs[index % len(chairs)])


def at_nine(by, on_chair):
    """A session on Tuesday 12/01/2026 at 09:00 on ``on_chair``."""
    return book_session(booked_by=by, starts_at=clinic_time(2026, 12, 1, 9), on_chair=on_chair)


def column_names(response) -> list[str]:
    return [c.name for c in response.context["board"].chairs]


# --- Which chairs a page shows ----------------------------------------------------------------


def test_a_small_clinic_sees_every_chair_and_no_location_select(front_desk):
    # The demo: three chairs, each in its own room.
    for n, room in enumerate(("Willow room", "Cedar room", "Bluebonnet room"), start=1):
        chair(f"Chair {n}", location=place(room), display_order=n)

    response = front_desk.get(BOARD, {"date": TUESDAY})

    assert column_names(response) == ["Chair 1", "Chair 2", "Chair 3"]
    assert 'name="location"' not in response.text
    assert chair_scope().location is None


def test_many_chairs_in_one_location_are_all_shown_without_a_select(front_desk):
    (chairs,) = chairs_in(1, per_location=ALL_CHAIRS_UP_TO + 2).values()

    response = front_desk.get(BOARD, {"date": TUESDAY})

    assert column_names(response) == [c.name for c in chairs]
    assert 'name="location"' not in response.text


def test_the_board_shows_the_first_location_then_the_one_chosen_and_remembers_it(
    front_desk, front_desk_user
):
    rooms = chairs_in(4)
    at_nine(front_desk_user, rooms["Room 3"][0])

    first = front_desk.get(BOARD, {"date": TUESDAY})
    assert column_names(first) == [c.name for c in rooms["Room 1"]]
    assert first.context["board"].session_count == 0
    assert '<label class="form-label small mb-0" for="board-location">Location</label>' in (
        first.text
    )
    assert first.text.count("<option ") == 4

    room_3 = pk_of("Room 3")
    chosen = front_desk.get(BOARD, {"date": TUESDAY, "location": room_3})
    assert column_names(chosen) == [c.name for c in rooms["Room 3"]]
    assert chosen.context["board"].session_count == 1
    assert f'<option value="{room_3}" selected>Room 3</option>' in chosen.text
    # The day links keep the location.
    assert f'href="?date=2026-12-02&amp;location={room_3}"' in chosen.text
    assert front_desk.session[CHAIR_LOCATION_KEY] == int(room_3)

    # The next day, without asking: the location chosen last.
    later = front_desk.get(BOARD, {"date": "2026-12-02"})
    assert column_names(later) == [c.name for c in rooms["Room 3"]]


def test_a_chair_with_no_location_yet_is_shown_with_the_first_locations(front_desk):
    rooms = chairs_in(4)
    unplaced = chair("Chair from before locations", display_order=1)

    first = front_desk.get(BOARD, {"date": TUESDAY})
    other = front_desk.get(BOARD, {"date": TUESDAY, "location": pk_of("Room 2")})

    assert column_names(first) == [unplaced.name, *(c.name for c in rooms["Room 1"])]
    assert unplaced.name not in column_names(other)


def test_a_location_no_chair_has_is_not_kept(front_desk):
    rooms = chairs_in(4)

    nowhere = place("Nowhere")  # a location without chairs
    response = front_desk.get(BOARD, {"date": TUESDAY, "location": str(nowhere.pk)})

    assert column_names(response) == [c.name for c in rooms["Room 1"]]
    assert CHAIR_LOCATION_KEY not in front_desk.session


def test_a_retired_chair_shows_on_its_locations_board_on_a_day_it_has_a_session(
    front_desk, front_desk_user
):
    rooms = chairs_in(4)
    retired = rooms["Room 2"][0]
    at_nine(front_desk_user, retired)
    retired.active = False
    retired.save(update_fields=["active"])

    tuesday = front_desk.get(BOARD, {"date": TUESDAY, "location": pk_of("Room 2")})
    wednesday = front_desk.get(BOARD, {"date": "2026-12-02", "location": pk_of("Room 2")})

    assert retired.name in column_names(tuesday)
    assert "(not in use)" in tuesday.text
    assert retired.name not in column_names(wednesday)


def test_the_board_costs_the_same_queries_for_few_or_many_chairs_and_sessions(
    front_desk, front_desk_user, django_assert_num_queries
):
    rooms = chairs_in(4)
    fill(front_desk_user, rooms["Room 1"], count=3)
    front_desk.get(BOARD, {"date": TUESDAY})  # warm up: session, user, roles

    with CaptureQueriesContext(connection) as few:
        response = front_desk.get(BOARD, {"date": TUESDAY})
    assert response.context["board"].session_count == 3
    # session, user, TOTP device, roles, the chairs' locations, the chairs, the day's sessions
    assert len(few.captured_queries) == 7

    for chairs in chairs_in(20).values():
        fill(front_desk_user, chairs, count=12, day=date(2026, 12, 2))
    with django_assert_num_queries(len(few.captured_queries)):
        response = front_desk.get(BOARD, {"date": "2026-12-02"})
    assert response.context["board"].session_count == 12
    assert len(response.context["board"].chairs) == 4


# --- The booking pages' chair pickers ----------------------------------------------------------


def chair_choices(form) -> list[str]:
    return [label for _, label in form.fields["chair"].choices]


def test_the_series_is_proposed_on_the_chosen_locations_chairs(front_desk, front_desk_user):
    rooms = chairs_in(4)
    plan = active_plan(by=front_desk_user, sessions_planned=3, start_date=date(2026, 12, 1))
    url = reverse("treatments:plan_book", args=[plan.pk])

    first = front_desk.get(url)
    chosen = front_desk.get(url, {"location": pk_of("Room 2")})

    room_1 = [c.name for c in rooms["Room 1"]]
    room_2 = [c.name for c in rooms["Room 2"]]
    assert all(chair_choices(form) == room_1 for _, form in first.context["rows"])
    assert all(chair_choices(form) == room_2 for _, form in chosen.context["rows"])
    assert [form.initial["chair"] for _, form in chosen.context["rows"]] == [
        rooms["Room 2"][0].pk
    ] * 3
    assert '<label class="form-label small mb-0" for="plan-book-location">Location</label>' in (
        chosen.text
    )
    # The booking form posts back to the location shown.
    assert f'method="post" action="?location={pk_of("Room 2")}"' in chosen.text


def test_booking_on_a_location_goes_back_to_it(front_desk, front_desk_user):
    rooms = chairs_in(4)
    plan = active_plan(by=front_desk_user, sessions_planned=3, start_date=date(2026, 12, 1))
    url = reverse("treatments:plan_book", args=[plan.pk])
    target = rooms["Room 2"][1]
    data = {
        "row-0-starts_on": "2026-12-01",
        "row-0-starts_at_time": "10:00",
        "row-0-chair": str(target.pk),
        "book_row": "1",
    }

    response = front_desk.post(f"{url}?location={pk_of('Room 2')}", data)

    assert response.status_code == 302
    assert response.url == f"{url}?location={pk_of('Room 2')}"
    assert plan.sessions.get().chair == target


def test_the_booking_page_costs_the_same_queries_for_few_or_many_chairs(
    front_desk, front_desk_user, django_assert_num_queries
):
    chairs_in(4)
    plan = active_plan(by=front_desk_user, sessions_planned=6, start_date=date(2026, 12, 1))
    url = reverse("treatments:plan_book", args=[plan.pk])
    front_desk.get(url)  # warm up

    with CaptureQueriesContext(connection) as few:
        response = front_desk.get(url)
    assert len(response.context["rows"]) == 6

    rooms = chairs_in(25)
    fill(front_desk_user, rooms["Room 1"], count=12)
    with django_assert_num_queries(len(few.captured_queries)):
        response = front_desk.get(url)
    assert len(response.context["rows"]) == 6
    assert chair_choices(response.context["rows"][0][1]) == [c.name for c in rooms["Room 1"]]


def test_rescheduling_offers_the_sessions_own_location_first(front_desk, front_desk_user):
    rooms = chairs_in(4)
    session = at_nine(front_desk_user, rooms["Room 3"][2])
    url = reverse("treatments:booking_manage", args=[session.pk])

    own = front_desk.get(url)
    other = front_desk.get(url, {"location": pk_of("Room 4")})

    assert chair_choices(own.context["slot_form"]) == [c.name for c in rooms["Room 3"]]
    # Another location's chairs, the session's own chair first (it keeps it unless changed).
    assert chair_choices(other.context["slot_form"]) == [
        rooms["Room 3"][2].name,
        *(c.name for c in rooms["Room 4"]),
    ]
    assert f"{BOARD}?date=2026-12-01&amp;location={pk_of('Room 3')}" in own.text
    assert f'action="{url}"' in other.text  # the location select shows this page again


def test_a_reschedule_to_another_locations_chair_through_the_page(front_desk, front_desk_user):
    rooms = chairs_in(4)
    session = at_nine(front_desk_user, rooms["Room 3"][0])
    target = rooms["Room 4"][1]

    response = front_desk.post(
        reverse("treatments:booking_reschedule", args=[session.pk])
        + f"?location={pk_of('Room 4')}",
        {"starts_on": "2026-12-01", "starts_at_time": "13:00", "chair": target.pk},
    )

    assert response.status_code == 302
    session.refresh_from_db()
    assert (session.chair, session.starts_at) == (target, clinic_time(2026, 12, 1, 13))


def test_the_manage_page_costs_the_same_queries_for_few_or_many_chairs(
    front_desk, front_desk_user, django_assert_num_queries
):
    rooms = chairs_in(4)
    session = at_nine(front_desk_user, rooms["Room 1"][0])
    url = reverse("treatments:booking_manage", args=[session.pk])
    front_desk.get(url)  # warm up

    with CaptureQueriesContext(connection) as few:
        front_desk.get(url)

    chairs_in(25)
    with django_assert_num_queries(len(few.captured_queries)):
        response = front_desk.get(url)
    assert chair_choices(response.context["slot_form"]) == [c.name for c in rooms["Room 1"]]


def test_the_home_page_board_shows_the_location_chosen_on_the_chair_board(
    front_desk, front_desk_user
):
    rooms = chairs_in(4)
    today = date(2026, 11, 23)  # the clinic day of the marker
    for room in ("Room 1", "Room 3"):
        book_session(
            booked_by=front_desk_user,
            starts_at=clinic_time(today.year, today.month, today.day, 13),
            on_chair=rooms[room][0],
        )
    home = reverse("home")

    first = front_desk.get(home).text
    assert "Today&#x27;s sessions at Room 1" in first or "Today's sessions at Room 1" in first
    assert "Room 1 chair 1" in first and "Room 3 chair 1" not in first

    front_desk.get(BOARD, {"location": pk_of("Room 3")})
    chosen = front_desk.get(home).text
    assert "Room 3 chair 1" in chosen and "Room 1 chair 1" not in chosen

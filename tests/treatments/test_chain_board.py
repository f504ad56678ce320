"""A chain of clinics (CLINIC_CHAIN, issue 26) on the front desk's pages: the chair board, the
booking pages and the home page's board and arrivals show the location the person works in;
booking refuses a chair of a location they are not assigned to, and a session outside the
chair's location's opening hours, read in its time zone. One clinic is unchanged (the tests of
test_booking*.py run with the chain off)."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from clinic.models import Location, StaffLocation
from tests.factories import PatientFactory
from tests.treatments.booking import active_plan, book_session, chair, clinic_time
from treatments.models import TreatmentSession
from treatments.services.booking import session_book, session_reschedule

pytestmark = [pytest.mark.clinic_day, pytest.mark.django_db]

BOARD = reverse("treatments:chair_board")
HOME = reverse("home")
PICK = reverse("location_pick")
DENVER = ZoneInfo("America/Denver")
TUESDAY = date(2026, 12, 1)
# El Paso keeps shorter hours than the clinic's settings (08:00-18:00), in Mountain time.
EL_PASO_HOURS = dict.fromkeys(("mon", "tue", "wed", "thu", "fri"), "10:00-16:00")


@pytest.fixture
def austin(settings):
    settings.CLINIC_CHAIN = True
    # No hours of its own: the clinic's settings apply.
    return Location.objects.create(name="Austin", time_zone="America/Chicago", display_order=1)


@pytest.fixture
def el_paso(austin):
    return Location.objects.create(
        name="El Paso",
        time_zone="America/Denver",
        opening_hours=EL_PASO_HOURS,
        display_order=2,
    )


@pytest.fixture
def chairs(austin, el_paso):
    return {
        austin: [chair(f"Austin {n}", location=austin, display_order=n) for n in (1, 2)],
        el_paso: [chair(f"El Paso {n}", location=el_paso, display_order=n) for n in (1, 2)],
    }


def assign(user, *locations):
    for location in locations:
        StaffLocation.objects.get_or_create(user=user, location=location)


def work_at(client, location):
    response = client.post(PICK, {"location": str(location.pk)})
    assert response.status_code == 302


def column_names(response) -> list[str]:
    return [c.name for c in response.context["board"].chairs]


def panel(response, title_start: str) -> dict:
    return next(p for p in response.context["panels"] if p["title"].startswith(title_start))


def plan_at(location, by, **fields):
    return active_plan(
        by=by, patient=PatientFactory(home_location=location), start_date=TUESDAY, **fields
    )


def book_at(location, by, on_chair, starts_at):
    return book_session(
        booked_by=by,
        starts_at=starts_at,
        plan=active_plan(
            by=by,
            patient=PatientFactory(home_location=location),
            start_date=starts_at.date(),
        ),
        on_chair=on_chair,
    )


# --- The board and the home page: the location worked in ----------------------------------------


def test_the_board_shows_the_working_locations_chairs_then_the_others_after_switching(
    front_desk, front_desk_user, austin, el_paso, chairs
):
    assign(front_desk_user, austin, el_paso)
    book_at(austin, front_desk_user, chairs[austin][0], clinic_time(2026, 12, 1, 9))
    book_at(el_paso, front_desk_user, chairs[el_paso][1], clinic_time(2026, 12, 1, 12))
    work_at(front_desk, austin)

    at_austin = front_desk.get(BOARD, {"date": "2026-12-01"})

    assert column_names(at_austin) == ["Austin 1", "Austin 2"]
    assert at_austin.context["board"].session_count == 1
    assert 'name="location"' not in at_austin.text  # no select: the header says where
    assert "open 08:00\N{EN DASH}18:00" in at_austin.text

    work_at(front_desk, el_paso)
    at_el_paso = front_desk.get(BOARD, {"date": "2026-12-01"})

    assert column_names(at_el_paso) == ["El Paso 1", "El Paso 2"]
    assert at_el_paso.context["board"].session_count == 1
    # El Paso's hours, and its session at 12:00 Chicago time shown at 11:00 Mountain.
    assert (
        "open 10:00\N{EN DASH}16:00" in at_el_paso.text
        and "times are El Paso time" in at_el_paso.text
    )
    assert [row.hour.hour for row in at_el_paso.context["board"].rows][:2] == [10, 11]
    assert "11:00\N{EN DASH}12:40" in at_el_paso.text


def test_the_home_page_shows_the_working_locations_sessions_and_arrivals(
    front_desk, front_desk_user, austin, el_paso, chairs
):
    assign(front_desk_user, austin, el_paso)
    today = date(2026, 11, 23)  # the clinic day of the marker, 09:00 in Chicago
    austin_session = book_at(
        austin, front_desk_user, chairs[austin][0], clinic_time(2026, 11, 23, 13)
    )
    for hour in (12, 14):
        book_at(el_paso, front_desk_user, chairs[el_paso][0], clinic_time(2026, 11, 23, hour))
    assert austin_session.starts_at.date() == today
    work_at(front_desk, austin)

    home = front_desk.get(HOME)

    arrivals = panel(home, "Arrivals")
    assert arrivals["counts"][0]["count"] == 1
    board = panel(home, "Today's sessions")
    assert board["title"] == "Today's sessions at Austin"
    assert [group["title"] for group in board["groups"]] == ["Austin 1", "Austin 2"]
    assert austin_session.patient.full_name in home.text

    work_at(front_desk, el_paso)
    home = front_desk.get(HOME)

    assert panel(home, "Arrivals")["counts"][0]["count"] == 2
    board = panel(home, "Today's sessions")
    assert board["title"] == "Today's sessions at El Paso"
    assert [group["title"] for group in board["groups"]] == ["El Paso 1", "El Paso 2"]
    assert [item["lead"] for item in board["groups"][0]["items"]] == ["11:00", "13:00"]
    assert austin_session.patient.full_name not in home.text


# --- Booking ------------------------------------------------------------------------------------


def test_the_booking_pages_offer_the_working_locations_chairs_only(
    front_desk, front_desk_user, austin, el_paso, chairs
):
    assign(front_desk_user, austin, el_paso)
    plan = plan_at(el_paso, front_desk_user, sessions_planned=2)
    session = book_at(austin, front_desk_user, chairs[austin][1], clinic_time(2026, 12, 1, 9))
    work_at(front_desk, el_paso)

    page = front_desk.get(reverse("treatments:plan_book", args=[plan.pk]))
    manage = front_desk.get(reverse("treatments:booking_manage", args=[session.pk]))

    for _, form in page.context["rows"]:
        assert [label for _, label in form.fields["chair"].choices] == ["El Paso 1", "El Paso 2"]
    assert 'name="location"' not in page.text
    # The series starts at El Paso's opening (10:00 Mountain), not the clinic's 09:00.
    assert page.context["rows"][0][1].initial["starts_at_time"].hour == 10
    # Moving a session: its own chair first, then the working location's.
    assert [label for _, label in manage.context["slot_form"].fields["chair"].choices] == [
        "Austin 2",
        "El Paso 1",
        "El Paso 2",
    ]


def test_a_chair_of_a_location_not_theirs_is_refused(
    front_desk, front_desk_user, clinician_user, austin, el_paso, chairs
):
    assign(front_desk_user, austin)
    plan = plan_at(austin, front_desk_user, sessions_planned=2)
    elsewhere = chairs[el_paso][0]

    # Through the page: the chair is not one it offers.
    response = front_desk.post(
        reverse("treatments:plan_book", args=[plan.pk]),
        {
            "row-0-starts_on": "2026-12-01",
            "row-0-starts_at_time": "11:00",
            "row-0-chair": str(elsewhere.pk),
            "book_row": "1",
        },
    )
    assert response.status_code == 400
    assert not plan.sessions.exists()

    # Through the service, whoever calls it.
    starts_at = datetime(2026, 12, 1, 11, tzinfo=DENVER)
    with pytest.raises(ValidationError) as refused:
        session_book(plan=plan, chair=elsewhere, starts_at=starts_at, booked_by=front_desk_user)
    assert refused.value.messages == [
        "That chair is at El Paso, where you are not assigned to work: choose a chair of your "
        "location."
    ]
    session = session_book(
        plan=plan, chair=chairs[austin][0], starts_at=starts_at, booked_by=front_desk_user
    )
    with pytest.raises(ValidationError, match="not assigned to work"):
        session_reschedule(
            session=session, starts_at=starts_at, chair=elsewhere, user=front_desk_user
        )

    # A clinician working at El Paso books there (a patient may be booked at any location).
    assign(clinician_user, el_paso)
    other = session_book(
        plan=plan,
        chair=elsewhere,
        starts_at=starts_at + timedelta(days=1),
        booked_by=clinician_user,
    )
    assert other.chair == elsewhere


def test_a_session_outside_the_locations_hours_in_its_zone_is_refused(
    front_desk, front_desk_user, austin, el_paso, chairs
):
    assign(front_desk_user, el_paso)  # their only location: no question asked
    plan = plan_at(el_paso, front_desk_user, sessions_planned=2)
    url = reverse("treatments:plan_book", args=[plan.pk])

    def book(at: str):
        return front_desk.post(
            url,
            {
                "row-0-starts_on": "2026-12-01",
                "row-0-starts_at_time": at,
                "row-0-chair": str(chairs[el_paso][0].pk),
                "book_row": "1",
            },
        )

    # 09:00 in El Paso is 10:00 in Chicago, inside the clinic's settings but not El Paso's.
    refused = book("09:00")
    assert refused.status_code == 400
    form = refused.context["rows"][0][1]
    assert form.non_field_errors() == [
        "El Paso is open 10:00\N{EN DASH}16:00 on Tuesdays; this session would start at 09:00. "
        "(Times are El Paso time, MST.)"
    ]
    # A session of 100 minutes from 15:00 would end after El Paso's closing.
    assert "would end at 16:40" in book("15:00").context["rows"][0][1].non_field_errors()[0]
    assert not plan.sessions.exists()

    assert book("10:00").status_code == 302
    assert plan.sessions.get().starts_at == datetime(2026, 12, 1, 10, tzinfo=DENVER)

    # Closed days are El Paso's too (the clinic's settings open on Saturdays).
    with pytest.raises(ValidationError, match="El Paso is closed on Saturdays"):
        session_book(
            plan=plan,
            chair=chairs[el_paso][1],
            starts_at=datetime(2026, 12, 5, 11, tzinfo=DENVER),
            booked_by=front_desk_user,
        )


def test_with_one_clinic_a_locations_own_hours_change_nothing(
    settings, front_desk_user, austin, el_paso, chairs
):
    settings.CLINIC_CHAIN = False
    plan = plan_at(el_paso, front_desk_user, sessions_planned=2)

    # The clinic's settings (08:00-18:00 Chicago), whatever the location row says.
    session = session_book(
        plan=plan,
        chair=chairs[el_paso][0],
        starts_at=clinic_time(2026, 12, 1, 8),
        booked_by=front_desk_user,
    )
    assert session.status == TreatmentSession.Status.BOOKED


# --- What a page costs --------------------------------------------------------------------------


def fill(location, by, on_chairs, *, count: int, day: date) -> None:
    for index in range(count):
        starts = clinic_time(day.year, day.month, day.day, 10) + timedelta(
            minutes=100 * (index // len(on_chairs))
        )
        book_at(location, by, on_chairs[index % len(on_chairs)], starts)


def test_the_board_and_home_cost_the_same_queries_as_chairs_and_locations_grow(
    front_desk, front_desk_user, austin, el_paso, chairs, django_assert_num_queries
):
    assign(front_desk_user, austin, el_paso)
    work_at(front_desk, austin)
    today = date(2026, 11, 23)
    fill(austin, front_desk_user, chairs[austin], count=2, day=today)
    front_desk.get(BOARD)  # warm up: session, user, roles
    front_desk.get(HOME)

    with CaptureQueriesContext(connection) as board_few:
        response = front_desk.get(BOARD)
    assert response.context["board"].session_count == 2
    with CaptureQueriesContext(connection) as home_few:
        front_desk.get(HOME)

    for number in range(3, 13):
        location = Location.objects.create(
            name=f"Location {number}", time_zone="America/Phoenix", display_order=number
        )
        assign(front_desk_user, location)
        more = [chair(f"Location {number} chair {n}", location=location) for n in range(1, 5)]
        fill(location, front_desk_user, more, count=4, day=today)
    more_here = [chair(f"Austin {n}", location=austin, display_order=n) for n in range(3, 9)]
    fill(austin, front_desk_user, more_here, count=12, day=today)

    with django_assert_num_queries(len(board_few.captured_queries)):
        response = front_desk.get(BOARD)
    assert response.context["board"].session_count == 14
    assert len(response.context["board"].chairs) == 8
    with django_assert_num_queries(len(home_few.captured_queries)):
        home = front_desk.get(HOME)
    assert panel(home, "Arrivals")["counts"][0]["count"] == 14


# --- The chair admin ----------------------------------------------------------------------------


def test_the_chair_admin_places_a_chair_at_a_location_and_filters_by_it(
    clinic_admin, austin, el_paso, chairs
):
    add = reverse("admin:treatments_treatmentchair_add")
    page = clinic_admin.get(add)
    assert page.status_code == 200
    assert '<select name="location"' in page.text and 'name="room"' in page.text

    # A new chair is placed somewhere.
    unplaced = clinic_admin.post(add, {"name": "El Paso 3", "room": "Mesa", "display_order": 3})
    assert unplaced.status_code == 200 and "This field is required" in unplaced.text
    response = clinic_admin.post(
        add,
        {
            "name": "El Paso 3",
            "location": str(el_paso.pk),
            "room": "Mesa",
            "active": "on",
            "display_order": 3,
        },
    )
    assert response.status_code == 302

    listing = clinic_admin.get(
        reverse("admin:treatments_treatmentchair_changelist"), {"location__id__exact": el_paso.pk}
    )
    shown = [chair.name for chair in listing.context["cl"].result_list]
    assert shown == ["El Paso 1", "El Paso 2", "El Paso 3"]

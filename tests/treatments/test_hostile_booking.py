"""A booking for 01/01/0001 or 12/31/9999 (issue 23): the date is refused beside the field and
nothing is booked, instead of a server error in the reminder schedule."""

import html

import pytest
from django.test import Client
from django.urls import reverse

from tests.conftest import sign_in
from tests.treatments.booking import active_plan, chair, clinic_time
from treatments.models import TreatmentSession
from treatments.services import booking as services

pytestmark = [pytest.mark.clinic_day, pytest.mark.django_db]


@pytest.fixture
def desk(front_desk_user):
    """The front desk's browser, where a server error fails the test instead of raising."""
    return sign_in(Client(raise_request_exception=False), front_desk_user)


@pytest.fixture
def plan(front_desk_user, patient):
    chair("Chair 1")
    return active_plan(by=front_desk_user, patient=patient, sessions_planned=2)


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31"])
def test_booking_a_session_at_the_ends_of_the_calendar_is_refused_beside_the_date(desk, plan, day):
    response = desk.post(
        reverse("treatments:plan_book", args=[plan.pk]),
        {"row-0-starts_on": day, "row-0-starts_at_time": "10:00",
         "row-0-chair": str(chair().pk), "book_row": "1"},
    )  # fmt: skip

    assert response.status_code in (200, 400)
    assert "Enter a date between 01/01/2000 and 11/23/2031." in html.unescape(response.text)
    assert not TreatmentSession.objects.exists()


def test_rescheduling_to_year_1_is_refused_and_the_session_stays(desk, front_desk_user, plan):
    starts_at = clinic_time(2026, 12, 1, 10)
    session = services.session_book(
        plan=plan, chair=chair(), starts_at=starts_at, booked_by=front_desk_user
    )

    response = desk.post(
        reverse("treatments:booking_reschedule", args=[session.pk]),
        {"starts_on": "0001-01-01", "starts_at_time": "10:00", "chair": session.chair_id},
    )

    assert response.status_code == 400
    assert "Enter a date between 01/01/2000 and 11/23/2031." in html.unescape(response.text)
    session.refresh_from_db()
    assert session.starts_at == starts_at

"""Where a member of staff works (CLINIC_CHAIN): the picker, the header, switching, the
location's time zone; and one clinic (the default) exactly as before."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone

from clinic.locations import LOCATION_SESSION_KEY, LocationMiddleware
from clinic.models import Location, StaffLocation

pytestmark = pytest.mark.django_db


@pytest.fixture
def chain(settings):
    settings.CLINIC_CHAIN = True
    austin = Location.objects.create(name="Austin", time_zone="America/Chicago")
    el_paso = Location.objects.create(name="El Paso", time_zone="America/Denver", display_order=1)
    return austin, el_paso


def _assign(user, *locations):
    for location in locations:
        StaffLocation.objects.get_or_create(user=user, location=location)


def test_one_clinic_shows_no_location_and_asks_nothing(front_desk, django_assert_num_queries):
    page = front_desk.get(reverse("home"))
    assert page.status_code == 200
    assert 'id="current-location"' not in page.content.decode()
    assert front_desk.get(reverse("location_pick")).status_code == 404


def test_someone_with_two_locations_is_asked_where_they_work(front_desk, front_desk_user, chain):
    austin, el_paso = chain
    _assign(front_desk_user, austin, el_paso)

    response = front_desk.get(reverse("treatments:chair_board"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("location_pick"))

    page = front_desk.get(response.url).content.decode()
    assert "Where are you working?" in page and "El Paso" in page
    response = front_desk.post(
        response.url, {"location": str(el_paso.pk), "next": reverse("treatments:chair_board")}
    )
    assert response.status_code == 302 and response.url == reverse("treatments:chair_board")
    assert front_desk.session[LOCATION_SESSION_KEY] == el_paso.pk
    page = front_desk.get(reverse("home")).content.decode()
    assert 'id="current-location"' in page and "El Paso" in page and ">Change<" in page


def test_times_are_shown_in_the_locations_zone(front_desk, front_desk_user, chain, rf):
    _austin, el_paso = chain
    _assign(front_desk_user, el_paso)

    response = front_desk.get(reverse("home"))

    # The only location: no question, no "Change".
    page = response.content.decode()
    assert response.status_code == 200
    assert "El Paso" in page and ">Change<" not in page
    # The request runs in Mountain time, and the zone is put back after it.
    request = rf.get("/")
    request.user = front_desk_user
    request.session = {}
    seen = []
    LocationMiddleware(lambda r: seen.append(timezone.get_current_timezone_name()))(request)
    assert seen == ["America/Denver"]
    assert request.workplace.location == el_paso
    assert timezone.get_current_timezone_name() == "America/Chicago"


def test_a_location_not_theirs_cannot_be_chosen(front_desk, front_desk_user, chain):
    austin, el_paso = chain
    _assign(front_desk_user, austin)

    response = front_desk.post(reverse("location_pick"), {"location": str(el_paso.pk)})

    assert response.status_code == 200  # the form again, with the choice refused
    assert "Select a valid choice" in response.content.decode()
    assert LOCATION_SESSION_KEY not in front_desk.session


def test_chain_wide_staff_may_work_anywhere(clinician, clinician_user, chain):
    _austin, _el_paso = chain
    clinician_user.user_permissions.add(Permission.objects.get(codename="chain_wide_access"))

    page = clinician.get(reverse("location_pick")).content.decode()

    assert "Austin" in page and "El Paso" in page


def test_staff_assigned_nowhere_are_told_so(front_desk, chain):
    response = front_desk.get(reverse("home"))
    assert response.status_code == 302
    page = front_desk.get(response.url)
    assert page.status_code == 403
    assert "You are not assigned to a location" in page.content.decode()

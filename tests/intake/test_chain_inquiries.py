"""Consultation requests in a chain of clinics: the public form asks which location (when there
are several to choose from), the request records it, and the front desk's queue shows the
requests for the location they work at. With one clinic, no question and no filter."""

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client

from clinic.locations import LOCATION_SESSION_KEY, default_location
from clinic.models import Location, StaffLocation
from intake.models import ConsultationRequest
from intake.services.inquiries import inquiry_register_patient
from tests.conftest import sign_in
from tests.intake.test_inquiries import (
    MARIA,
    QUEUE_URL,
    REQUEST_URL,
    STAMP,
    InquiryFactory,
    queue_names,
)

pytestmark = pytest.mark.django_db

Status = ConsultationRequest.Status
LEGEND = re.compile(r"<legend[^>]*>\s*Which location\?")


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(
        datetime(2026, 3, 2, 10, 0, tzinfo=ZoneInfo("America/Chicago")), tick=False
    ) as clock:
        yield clock


@pytest.fixture
def chain(settings):
    """A chain of two: Austin and El Paso (the location the migration made is closed)."""
    settings.CLINIC_CHAIN = True
    Location.objects.update(active=False)
    austin = Location.objects.create(
        name="Austin", address="100 Congress Ave, Austin TX", time_zone="America/Chicago"
    )
    el_paso = Location.objects.create(
        name="El Paso", address="200 Mesa St, El Paso TX", time_zone="America/Denver"
    )
    return austin, el_paso


def send(client, clock, **changes):
    response = client.get(REQUEST_URL)
    assert response.status_code == 200
    stamp = STAMP.search(response.text).group(1)
    clock.shift(60)
    data = {**MARIA, "form_stamp": stamp, **changes}
    return client.post(REQUEST_URL, {k: v for k, v in data.items() if v is not None})


# --- The public form --------------------------------------------------------------------------


def test_a_chain_of_several_asks_which_location_as_a_radio_group(client, chain):
    austin, el_paso = chain

    text = client.get(REQUEST_URL).text

    assert LEGEND.search(text), "the locations are grouped under a legend"
    fieldset = re.search(r'id="div_id_location".*?</fieldset>', text, re.S).group(0)
    radios = re.findall(r'<input type="radio"[^>]* name="location" value="(\d+)"', fieldset)
    assert radios == [str(austin.pk), str(el_paso.pk)]
    assert "Austin, 100 Congress Ave, Austin TX" in fieldset
    assert "El Paso, 200 Mesa St, El Paso TX" in fieldset
    assert re.search(r'name="location"[^>]*required', fieldset)


def test_the_request_records_the_location_chosen(client, chain, clock):
    _, el_paso = chain

    response = send(client, clock, location=str(el_paso.pk))

    assert response.status_code == 302
    assert ConsultationRequest.objects.get().location == el_paso


@pytest.mark.parametrize("chosen", [None, "", "999999"], ids=["missing", "empty", "unknown"])
def test_a_request_without_a_location_is_refused_beside_the_question(client, chain, clock, chosen):
    response = send(client, clock, location=chosen)

    assert response.status_code == 400
    assert "Choose the location you would like to go to." in response.text
    assert 'value="Maria"' in response.text  # what was typed is kept
    assert not ConsultationRequest.objects.exists()


def test_a_closed_location_is_not_offered_nor_taken(client, chain, clock):
    closed = Location.objects.create(name="Lubbock", time_zone="America/Chicago", active=False)

    assert "Lubbock" not in client.get(REQUEST_URL).text
    response = send(client, clock, location=str(closed.pk))
    assert response.status_code == 400
    assert not ConsultationRequest.objects.exists()


def test_a_chain_of_one_asks_nothing_and_the_request_is_that_locations(client, chain, clock):
    austin, el_paso = chain
    el_paso.active = False
    el_paso.save(update_fields=["active"])

    assert not LEGEND.search(client.get(REQUEST_URL).text)
    response = send(client, clock)

    assert response.status_code == 302
    assert ConsultationRequest.objects.get().location == austin


def test_one_clinic_asks_nothing_and_the_request_is_the_installations(
    client, settings, clock, django_assert_num_queries
):
    settings.CLINIC_CHAIN = False
    Location.objects.create(name="Elsewhere", time_zone="America/Denver", display_order=9)

    # No location is read to show the form.
    with django_assert_num_queries(0):
        text = client.get(REQUEST_URL).text
    assert "Which location?" not in text
    assert "Elsewhere" not in text
    response = send(client, clock)

    assert response.status_code == 302
    assert ConsultationRequest.objects.get().location == default_location()


# --- The front desk's queue -------------------------------------------------------------------


@pytest.fixture
def requests_at_both(chain):
    austin, el_paso = chain
    InquiryFactory(first_name="Ana", last_name="Austin", location=austin)
    InquiryFactory(
        first_name="Held", last_name="Austin", location=austin, status=Status.HELD,
        held_reason="too_fast",
    )  # fmt: skip
    InquiryFactory(first_name="Eli", last_name="Paso", location=el_paso)
    InquiryFactory(
        first_name="Done", last_name="Paso", location=el_paso, status=Status.CLOSED,
        close_reason="spam",
    )  # fmt: skip
    return chain


def working_at(user, location: Location, *, also: tuple[Location, ...] = ()) -> Client:
    for place in (location, *also):
        StaffLocation.objects.create(user=user, location=place)
    client = sign_in(Client(), user)
    session = client.session
    session[LOCATION_SESSION_KEY] = location.pk
    session.save()
    return client


def test_the_queue_shows_the_requests_for_the_location_worked_in(front_desk_user, requests_at_both):
    austin, _ = requests_at_both
    at_austin = working_at(front_desk_user, austin)

    response = at_austin.get(QUEUE_URL)

    assert queue_names(response) == ["Austin, Ana", "Austin, Held"]
    # The tabs count this location's requests only.
    assert re.search(r"New\s*<span[^>]*>\s*1\s*</span>", response.text)
    assert "Paso" not in response.text
    closed = at_austin.get(QUEUE_URL, {"status": "closed"})
    assert queue_names(closed) == []


def test_switching_location_switches_the_queue(front_desk_user, requests_at_both):
    austin, el_paso = requests_at_both
    client = working_at(front_desk_user, el_paso, also=(austin,))

    assert queue_names(client.get(QUEUE_URL)) == ["Paso, Eli"]
    assert queue_names(client.get(QUEUE_URL, {"status": "closed"})) == ["Paso, Done"]
    client.post("/location/", {"location": austin.pk})
    assert queue_names(client.get(QUEUE_URL)) == ["Austin, Ana", "Austin, Held"]


def test_another_locations_request_answers_404(front_desk_user, requests_at_both):
    austin, _ = requests_at_both
    at_austin = working_at(front_desk_user, austin)
    theirs = ConsultationRequest.objects.get(first_name="Eli")
    ours = ConsultationRequest.objects.get(first_name="Ana")

    assert at_austin.get(f"{QUEUE_URL}{ours.pk}/").status_code == 200
    assert at_austin.get(f"{QUEUE_URL}{theirs.pk}/").status_code == 404
    refused = at_austin.post(f"{QUEUE_URL}{theirs.pk}/close/", {"close_reason": "spam"})
    assert refused.status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == Status.NEW


def test_the_home_panel_counts_the_locations_requests(front_desk_user, requests_at_both):
    austin, _ = requests_at_both

    text = working_at(front_desk_user, austin).get("/").text

    counts = re.findall(
        r'<span class="visually-hidden">(\d+): </span>(Waiting for a reply|Held for a check)', text
    )
    assert counts == [("1", "Waiting for a reply"), ("1", "Held for a check")]


@pytest.mark.parametrize("how_many", [3, 30])
def test_the_chain_queue_query_count_is_constant(
    front_desk_user, chain, django_assert_num_queries, how_many
):
    austin, el_paso = chain
    InquiryFactory.create_batch(how_many, location=austin)
    InquiryFactory.create_batch(how_many, location=el_paso)
    client = working_at(front_desk_user, austin)
    client.get(QUEUE_URL)  # warm-up

    # As with one clinic (session, user, TOTP device, roles, the counts, the page), and the
    # location middleware's: the user's permissions (chain-wide?), twice, and their locations.
    with django_assert_num_queries(6 + 3):
        response = client.get(QUEUE_URL)

    assert len(queue_names(response)) == min(how_many, 20)


def test_a_patient_registered_from_a_request_is_at_its_location(front_desk_user, requests_at_both):
    _, el_paso = requests_at_both
    inquiry = ConsultationRequest.objects.get(first_name="Eli")

    patient = inquiry_register_patient(
        inquiry=inquiry,
        user=front_desk_user,
        details={
            "legal_first_name": "Eli", "legal_last_name": "Paso",
            "date_of_birth": inquiry.date_of_birth, "email": inquiry.email,
            "mobile": inquiry.mobile, "sex_at_birth": "female",
        },
    )  # fmt: skip

    assert patient.home_location == el_paso

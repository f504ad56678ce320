"""A NUL byte sent into the intake's drafts and the public consultation form (issue 23): no
server error (PostgreSQL's jsonb refuses ``\\u0000``), the draft saved without it, the rest of
the typing kept, and a message beside the field when the step is checked.
Run once on PostgreSQL too (DATABASE_URL), where jsonb is what refused the byte."""

import html

import pytest
from django.test import Client

from clinic.text_input import CONTROL_CHARACTER_MESSAGE
from intake.models import ConsultationRequest, Intake
from tests.intake.answers import MEDICATIONS
from tests.intake.conftest import complete_steps, open_link
from tests.intake.test_inquiries import MARIA, REQUEST_URL, VISITOR_IP, open_form

pytestmark = pytest.mark.django_db


@pytest.fixture
def device(issued_link, patient):
    """The patient's browser, where a server error fails the test instead of raising."""
    return open_link(Client(raise_request_exception=False), issued_link, patient.date_of_birth)


def _intake(patient) -> Intake:
    return Intake.objects.get(patient=patient)


def _page(response) -> str:
    return html.unescape(response.content.decode())


def test_back_with_a_nul_in_a_text_answer_and_a_checkbox_saves_the_draft_without_it(
    device, patient
):
    complete_steps(device, patient, until="history")

    response = device.post(
        "/intake/step/history/",
        {
            "diagnoses": ["gad", "\x00"],
            "since_gad": "2015",
            "hospitalisation_details": "Two weeks\x00 in 2019",
            "action": "back",
        },
    )

    assert response.status_code == 302 and response["Location"] == "/intake/step/about/"
    draft = _intake(patient).answers["history"]
    assert draft["hospitalisation_details"] == "Two weeks in 2019"
    assert "\x00" not in "".join(draft["diagnoses"]) and "gad" in draft["diagnoses"]
    shown = _page(device.get("/intake/step/history/"))
    assert "Two weeks in 2019" in shown and 'value="2015"' in shown


def test_add_row_with_a_nul_keeps_every_row_typed_and_saves_without_it(device, patient):
    complete_steps(device, patient, until="medications")

    response = device.post(
        "/intake/step/medications/",
        {**MEDICATIONS, "meds-0-name": "Sertra\x00line", "meds-1-name": "Ibuprofen",
         "no_medications": "\x00", "action": "add_row"},
    )  # fmt: skip

    assert response.status_code == 200
    page = _page(response)
    assert 'value="Sertraline"' in page and 'value="Ibuprofen"' in page
    assert 'name="meds-5-name"' in page  # three more rows
    draft = _intake(patient).answers["medications"]
    assert draft["meds-0-name"] == "Sertraline" and draft["meds-1-name"] == "Ibuprofen"


def test_next_with_a_nul_says_so_beside_the_field_and_keeps_the_other_answers(device, patient):
    complete_steps(device, patient, until="symptoms")

    response = device.post(
        "/intake/step/symptoms/",
        {
            "symptoms": ["worry", "\x00"],
            "symptoms_details": "I can't\x00 sleep",
            "goals_details": "Sleep through the night",
            "action": "next",
        },
    )

    assert response.status_code == 200
    page = _page(response)
    assert CONTROL_CHARACTER_MESSAGE in page
    assert "Select a valid choice." in page
    assert "Sleep through the night" in page
    assert "symptoms" not in _intake(patient).completed_steps


def test_a_nul_in_the_consultation_request_is_refused_beside_the_field():
    visitor = Client(raise_request_exception=False)
    stamp = open_form(visitor)

    response = visitor.post(
        REQUEST_URL,
        {**MARIA, "form_stamp": stamp, "last_name": "Del\x00gado", "concerns": ["\x00"]},
        REMOTE_ADDR=VISITOR_IP,
    )

    assert response.status_code == 400  # the form again, with its errors
    page = _page(response)
    assert CONTROL_CHARACTER_MESSAGE in page
    assert 'value="Maria"' in page and "Low for two years" in page  # the rest is kept
    assert not ConsultationRequest.objects.exists()


def test_a_date_of_birth_in_year_1_on_the_consultation_request_is_refused():
    visitor = Client(raise_request_exception=False)
    stamp = open_form(visitor)

    response = visitor.post(
        REQUEST_URL,
        {**MARIA, "form_stamp": stamp, "date_of_birth": "0001-01-01"},
        REMOTE_ADDR=VISITOR_IP,
    )

    assert response.status_code == 400
    assert "Enter a date of birth after 1900." in _page(response)
    assert not ConsultationRequest.objects.exists()

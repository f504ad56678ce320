"""A NUL byte in a follow-up survey's answers (issue 23): "Back" saves the draft without it,
"Next" says so beside the field; never a server error (PostgreSQL's jsonb refuses it)."""

import html

import pytest
from django.test import Client

from clinic.text_input import CONTROL_CHARACTER_MESSAGE
from tests.followups.surveys import FEELING, sent_survey
from tests.followups.test_survey_pages import open_survey, step_url

pytestmark = pytest.mark.django_db


@pytest.fixture
def survey_and_device(clinician_user):
    survey, token = sent_survey(by=clinician_user)
    return survey, open_survey(Client(raise_request_exception=False), token, survey)


def test_back_with_a_nul_in_an_answer_saves_the_draft_without_it(survey_and_device):
    survey, device = survey_and_device
    typed = {**FEELING, "feeling": "\x00", "side_other": "mild", "side_other_detail": "Ra\x00sh"}

    response = device.post(step_url("feeling"), {**typed, "action": "back"})

    assert response.status_code == 302
    survey.refresh_from_db()
    draft = survey.answers["feeling"]
    assert draft["side_other_detail"] == "Rash" and draft["side_nausea"] == "mild"
    assert draft["feeling"] == ""
    assert "Rash" in html.unescape(device.get(step_url("feeling")).content.decode())


def test_next_with_a_nul_says_so_beside_the_field_and_keeps_the_rest(survey_and_device):
    survey, device = survey_and_device
    typed = {**FEELING, "side_other": "mild", "side_other_detail": "Ra\x00sh"}

    response = device.post(step_url("feeling"), {**typed, "action": "next"})

    assert response.status_code == 200
    assert CONTROL_CHARACTER_MESSAGE in html.unescape(response.content.decode())
    survey.refresh_from_db()
    assert "feeling" not in survey.completed_steps

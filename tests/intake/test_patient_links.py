"""The patient's side of an intake link: token exchange, date-of-birth check, lock, session."""

import html
from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from intake.models import IntakeLink
from intake.services.questionnaires import intake_link_issue, intake_link_revoke
from tests.conftest import sign_in

pytestmark = pytest.mark.django_db


def text(response) -> str:
    return html.unescape(response.content.decode())


def test_the_token_is_exchanged_for_a_session_and_leaves_the_url(client, issued_link):
    response = client.get(issued_link.path)

    assert response.status_code == 302
    assert response["Location"] == "/intake/confirm/"
    assert issued_link.token not in response["Location"]
    assert response["Referrer-Policy"] == "no-referrer"
    page = client.get("/intake/confirm/")
    assert "confirm your date of birth" in text(page)
    assert issued_link.token not in text(page)


def test_only_a_hash_of_the_token_is_stored(issued_link):
    link = IntakeLink.objects.get()
    assert issued_link.token not in link.token_hash
    assert len(issued_link.token) >= 40  # 32 random bytes, URL-safe


def test_the_right_date_of_birth_opens_the_questionnaire(client, issued_link, patient):
    client.get(issued_link.path)
    response = client.post("/intake/confirm/", {"date_of_birth": patient.date_of_birth.isoformat()})
    assert response["Location"] == "/intake/"
    page = client.get("/intake/", follow=True)
    assert page.status_code == 200
    assert "About you" in text(page)
    link = IntakeLink.objects.get()
    assert link.first_opened_at is not None
    assert link.intake.status == "opened"


def test_a_wrong_date_of_birth_says_how_many_tries_are_left(client, issued_link, patient):
    client.get(issued_link.path)
    response = client.post("/intake/confirm/", {"date_of_birth": "1901-01-01"})
    assert response.status_code == 200
    assert "doesn't match our records. 4 tries left" in text(response)
    assert client.get("/intake/step/about/").status_code == 302  # still not let in


def test_five_wrong_dates_of_birth_lock_the_link_even_for_the_right_one(
    client, issued_link, patient
):
    client.get(issued_link.path)
    for _ in range(4):
        client.post("/intake/confirm/", {"date_of_birth": "1901-01-01"})
    response = client.post("/intake/confirm/", {"date_of_birth": "1901-01-01"})
    assert response.status_code == 403
    assert "This link is locked" in text(response)

    fresh = Client()
    response = fresh.get(issued_link.path)
    assert response.status_code == 403
    assert "This link is locked" in text(response)
    assert IntakeLink.objects.get().locked_at is not None


def test_a_malformed_date_is_a_message_not_a_try(client, issued_link):
    client.get(issued_link.path)
    response = client.post("/intake/confirm/", {"date_of_birth": "1985-02-30"})
    assert "Enter a real date" in text(response)
    assert IntakeLink.objects.get().failed_attempts == 0


@pytest.mark.parametrize(
    ("setup", "status", "title"),
    [
        ("unknown", 404, "This link doesn't work"),
        ("expired", 410, "This link has expired"),
        ("revoked", 410, "This link is no longer active"),
    ],
)
def test_unusable_links_refuse_with_a_clear_page(
    client, patient, front_desk_user, setup, status, title
):
    issued = intake_link_issue(patient=patient, channel="screen", created_by=front_desk_user)
    path = issued.path
    if setup == "unknown":
        path = path.replace(issued.token, "x" * len(issued.token))
    elif setup == "revoked":
        intake_link_revoke(intake=issued.link.intake, revoked_by=front_desk_user)
    with time_machine.travel(timezone.now() + timedelta(days=8 if setup == "expired" else 0)):
        response = client.get(path)
    assert response.status_code == status
    assert title in text(response)
    assert response["Referrer-Policy"] == "no-referrer"


def test_a_link_revoked_mid_session_stops_working(patient_client, issued_link, front_desk_user):
    intake_link_revoke(intake=issued_link.link.intake, revoked_by=front_desk_user)
    response = patient_client.get("/intake/step/about/")
    assert response.status_code == 410
    assert "no longer active" in text(response)


def test_the_patient_session_ends_after_thirty_idle_minutes(patient_client):
    assert patient_client.get("/intake/step/about/").status_code == 200
    with time_machine.travel(timezone.now() + timedelta(minutes=31)):
        response = patient_client.get("/intake/step/about/")
    assert response.status_code == 403
    assert "Please open your link again" in text(response)


def test_questionnaire_pages_need_a_verified_link(client, issued_link):
    assert client.get("/intake/step/about/").status_code == 403
    client.get(issued_link.path)  # token seen, date of birth not yet confirmed
    assert client.get("/intake/step/about/")["Location"] == "/intake/confirm/"


def test_a_new_link_replaces_the_old_one_for_the_same_intake(patient, front_desk_user, client):
    first = intake_link_issue(patient=patient, channel="screen", created_by=front_desk_user)
    second = intake_link_issue(patient=patient, channel="screen", created_by=front_desk_user)
    assert first.link.intake_id == second.link.intake_id
    assert client.get(first.path).status_code == 410
    assert client.get(second.path).status_code == 302


# --- A staff member signed in in the same browser ---------------------------------------------

STAFF_PAGE = "/patients/"
SIGNED_OUT = "You were signed out of the staff account to open this patient's link"


def test_opening_a_link_in_a_staff_browser_signs_the_staff_member_out(
    front_desk, issued_link, patient
):
    assert front_desk.get(STAFF_PAGE).status_code == 200

    response = front_desk.get(issued_link.path)

    assert response.status_code == 200
    assert SIGNED_OUT in text(response)
    assert 'href="/intake/confirm/"' in text(response)  # the patient goes on from here
    assert response["Referrer-Policy"] == "no-referrer"
    assert front_desk.get(STAFF_PAGE)["Location"].startswith("/accounts/login/")
    confirmed = front_desk.post(
        "/intake/confirm/", {"date_of_birth": patient.date_of_birth.isoformat()}
    )
    assert confirmed["Location"] == "/intake/"
    assert front_desk.get("/intake/step/about/").status_code == 200


def test_an_unusable_link_in_a_staff_browser_signs_the_staff_member_out_too(
    front_desk, issued_link, front_desk_user
):
    intake_link_revoke(intake=issued_link.link.intake, revoked_by=front_desk_user)

    response = front_desk.get(issued_link.path)

    assert response.status_code == 410
    assert "no longer active" in text(response)
    assert SIGNED_OUT in text(response)
    assert front_desk.get(STAFF_PAGE)["Location"].startswith("/accounts/login/")


def test_staff_signing_in_during_a_patients_intake_are_signed_out_before_its_pages(
    patient_client, front_desk_user
):
    sign_in(patient_client, front_desk_user)  # Django keeps the patient's keys at a sign-in

    response = patient_client.get("/intake/step/about/")

    assert response.status_code == 200
    assert "You were signed out of the staff account" in text(response)
    assert "open the link from the clinic's message again" in text(response)
    assert patient_client.get(STAFF_PAGE)["Location"].startswith("/accounts/login/")
    assert "Please open your link again" in text(patient_client.get("/intake/step/about/"))


def test_staff_signing_in_before_the_date_of_birth_are_signed_out_too(
    client, issued_link, patient, front_desk_user
):
    client.get(issued_link.path)
    sign_in(client, front_desk_user)

    response = client.post("/intake/confirm/", {"date_of_birth": patient.date_of_birth.isoformat()})

    assert "You were signed out of the staff account" in text(response)
    assert client.get(STAFF_PAGE)["Location"].startswith("/accounts/login/")
    assert client.get("/intake/step/about/").status_code == 403

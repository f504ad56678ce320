"""The patient's side of a check-in survey: the link, the date of birth, the steps, sending."""

import html
import re
from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.test import Client
from django.utils import timezone

from followups.models import Survey, SurveyLink
from followups.services import surveys as survey_services
from intake.models import Assessment, ClinicalAlert
from intake.services.questionnaires import intake_link_issue
from tests.conftest import sign_in
from tests.followups.surveys import (
    CHECKIN_ANSWERS,
    FEELING,
    PHQ9,
    SAFETY,
    SCORES_ANSWERS,
    issue_survey_link,
    link_path,
    sent_survey,
)

pytestmark = pytest.mark.django_db

CONFIRM = "/survey/confirm/"
RESUME = "/survey/"
DONE = "/survey/done/"


def step_url(slug: str) -> str:
    return f"/survey/step/{slug}/"


def text(response) -> str:
    return html.unescape(response.content.decode())


def open_survey(client: Client, token: str, survey: Survey) -> Client:
    """What the patient does: open the link, confirm their date of birth."""
    client.get(link_path(token))
    response = client.post(CONFIRM, {"date_of_birth": survey.patient.date_of_birth.isoformat()})
    assert response.status_code == 302, text(response)[:2000]
    return client


def answer_steps(client: Client, steps, *, until: str | None = None):
    response = None
    for slug, data in steps:
        if slug == until:
            break
        response = client.post(step_url(slug), {**data, "action": "next"})
        assert response.status_code == 302, (slug, text(response)[:3000])
    return response


def checked(page: str, name: str, value: str) -> bool:
    """Whether the radio ``name`` = ``value`` is chosen on the page."""
    for tag in re.findall(r"<input[^>]*>", page):
        if f'name="{name}"' in tag and f'value="{value}"' in tag:
            return " checked" in tag
    raise AssertionError(f"no radio {name}={value} on the page")


@pytest.fixture
def checkin(clinician_user):
    return sent_survey(by=clinician_user)


@pytest.fixture
def survey(checkin):
    return checkin[0]


@pytest.fixture
def token(checkin):
    return checkin[1]


@pytest.fixture
def patient_client(survey, token):
    return open_survey(Client(), token, survey)


# --- The link and the date of birth -------------------------------------------------------------


def test_the_token_is_exchanged_for_a_session_and_leaves_the_url(client, token):
    response = client.get(link_path(token))

    assert response.status_code == 302
    assert response["Location"] == CONFIRM
    assert response["Referrer-Policy"] == "no-referrer"
    page = client.get(CONFIRM)
    assert "please confirm your date of birth" in text(page)
    assert token not in text(page)


def test_the_right_date_of_birth_starts_the_survey_at_its_first_step(client, survey, token):
    client.get(link_path(token))

    response = client.post(CONFIRM, {"date_of_birth": survey.patient.date_of_birth.isoformat()})

    assert response["Location"] == RESUME
    page = client.get(RESUME, follow=True)
    assert page.redirect_chain[-1][0] == step_url("feeling")
    assert "Overall, how are you feeling today?" in text(page)
    survey.refresh_from_db()
    assert survey.status == Survey.Status.IN_PROGRESS
    assert survey.started_at is not None
    assert SurveyLink.objects.get().first_opened_at is not None


def test_a_wrong_date_of_birth_counts_and_says_how_many_tries_are_left(client, token):
    client.get(link_path(token))

    response = client.post(CONFIRM, {"date_of_birth": "1901-01-01"})

    assert response.status_code == 200
    assert "doesn't match our records. 4 tries left" in text(response)
    assert SurveyLink.objects.get().failed_attempts == 1
    assert client.get(step_url("feeling")).status_code == 302  # still not let in


def test_five_wrong_dates_of_birth_lock_the_link_even_for_the_right_one(client, survey, token):
    client.get(link_path(token))
    for _ in range(4):
        client.post(CONFIRM, {"date_of_birth": "1901-01-01"})

    response = client.post(CONFIRM, {"date_of_birth": "1901-01-01"})

    assert response.status_code == 403
    assert "This link is locked" in text(response)
    assert SurveyLink.objects.get().locked_at is not None
    fresh = Client()
    response = fresh.get(link_path(token))
    assert response.status_code == 403
    assert "This link is locked" in text(response)
    survey.refresh_from_db()
    assert survey.status == Survey.Status.INVITED


@pytest.mark.parametrize(
    ("setup", "status", "title"),
    [
        ("unknown", 404, "This link doesn't work"),
        ("too_long", 404, "This link doesn't work"),
        ("expired", 410, "This link has expired"),
        ("cancelled", 410, "This link is no longer active"),
    ],
)
def test_unusable_links_refuse_with_a_clear_page(client, survey, token, setup, status, title):
    path = link_path(token)
    if setup == "unknown":
        path = link_path("x" * len(token))
    elif setup == "too_long":
        path = link_path(token + "x" * 100)
    elif setup == "cancelled":
        Survey.objects.filter(pk=survey.pk).update(status=Survey.Status.CANCELLED)
    days = settings.CLINIC_SURVEY_LINK_DAYS + 1 if setup == "expired" else 0

    with time_machine.travel(timezone.now() + timedelta(days=days)):
        response = client.get(path)

    assert response.status_code == status
    assert title in text(response)
    assert response["Referrer-Policy"] == "no-referrer"


def test_a_link_that_expires_mid_survey_stops_working(patient_client):
    SurveyLink.objects.update(expires_at=timezone.now() - timedelta(minutes=1))

    response = patient_client.get(step_url("feeling"))

    assert response.status_code == 410
    assert "This link has expired" in text(response)


def test_the_pages_need_the_link_session(client):
    response = client.get(step_url("feeling"))

    assert response.status_code == 403
    assert "Please open your link again" in text(response)


# --- A staff member signed in in the same browser ------------------------------------------------

STAFF_PAGE = "/patients/"
SIGNED_OUT = "You were signed out of the staff account to open this patient's link"


def test_opening_a_link_in_a_staff_browser_signs_the_staff_member_out(clinician, survey, token):
    assert clinician.get(STAFF_PAGE).status_code == 200

    response = clinician.get(link_path(token))

    assert response.status_code == 200
    assert SIGNED_OUT in text(response)
    assert f'href="{CONFIRM}"' in text(response)
    assert settings.CLINIC_MESSAGE_NAME in text(response)  # the survey's neutral sender name
    assert clinician.get(STAFF_PAGE)["Location"].startswith("/accounts/login/")
    confirmed = clinician.post(CONFIRM, {"date_of_birth": survey.patient.date_of_birth.isoformat()})
    assert confirmed["Location"] == RESUME
    assert clinician.get(step_url("feeling")).status_code == 200


def test_an_unusable_link_in_a_staff_browser_signs_the_staff_member_out_too(clinician, token):
    response = clinician.get(link_path("x" * len(token)))

    assert response.status_code == 404
    assert SIGNED_OUT in text(response)
    assert clinician.get(STAFF_PAGE)["Location"].startswith("/accounts/login/")


def test_staff_signing_in_during_a_patients_survey_are_signed_out_before_its_pages(
    patient_client, clinician_user
):
    sign_in(patient_client, clinician_user)  # Django keeps the patient's keys at a sign-in

    response = patient_client.get(step_url("feeling"))

    assert "You were signed out of the staff account" in text(response)
    assert "open the link from the clinic's message again" in text(response)
    assert patient_client.get(STAFF_PAGE)["Location"].startswith("/accounts/login/")
    assert "Please open your link again" in text(patient_client.get(step_url("feeling")))


# --- The steps -----------------------------------------------------------------------------------


def test_a_check_in_is_answered_step_by_step_and_sent(patient_client, survey):
    answer_steps(patient_client, CHECKIN_ANSWERS, until="anxiety")
    assert "Since your treatment, how often" in text(patient_client.get(step_url("anxiety")))
    answer_steps(patient_client, CHECKIN_ANSWERS[1:], until="safety")
    last = patient_client.get(step_url("safety"))
    assert "Send my answers" in text(last)
    assert "Thoughts that you would be better off dead" in text(last)

    response = patient_client.post(step_url("safety"), {**SAFETY, "action": "submit"})

    assert response["Location"] == DONE
    survey.refresh_from_db()
    assert survey.status == Survey.Status.COMPLETED
    assert survey.feeling == 7
    assert survey.safety_answer == 0
    assert survey.side_effects == [
        {"effect": "nausea", "severity": "mild"},
        {"effect": "headache", "severity": "moderate"},
        {"effect": "drowsiness", "severity": "mild"},
    ]
    # Asked since the treatment, the seven questions are not a GAD-7: their own instrument,
    # with a total and no severity band.
    anxiety = Assessment.objects.get(source_kind="survey", source_id=survey.pk)
    assert (anxiety.instrument, anxiety.total, anxiety.band) == ("anx_24h", 7, "")
    page = text(patient_client.get(DONE))
    assert "Thank you, your answers are with the clinic" in page
    assert "will look at your answers" in page
    assert "Mild" not in page and "GAD-7" not in page  # no scores for the patient
    assert 'id="crisis-resources"' not in page


def test_a_scores_survey_asks_the_gad7_and_the_phq9(clinician_user):
    survey, token = sent_survey(by=clinician_user, content=Survey.Content.SCORES)
    client = open_survey(Client(), token, survey)
    gad7_page = text(client.get(step_url("gad7")))
    assert "Over the last 2 weeks, how often have you been bothered by the following" in gad7_page
    assert "any of" not in gad7_page
    answer_steps(client, SCORES_ANSWERS, until="phq9")
    assert (
        "Over the last 2 weeks, how often have you been bothered by any of the following problems?"
        in text(client.get(step_url("phq9")))
    )

    response = client.post(step_url("phq9"), {**PHQ9, "action": "submit"})

    assert response["Location"] == DONE
    totals = dict(
        Assessment.objects.filter(source_kind="survey", source_id=survey.pk).values_list(
            "instrument", "total"
        )
    )
    assert totals == {"gad7": 7, "phq9": 8}
    assert Assessment.objects.get(instrument="phq9", source_id=survey.pk).difficulty == "somewhat"


def test_the_phq9_difficulty_is_needed_when_a_problem_was_ticked(clinician_user):
    survey, token = sent_survey(by=clinician_user, content=Survey.Content.SCORES)
    client = open_survey(Client(), token, survey)
    answer_steps(client, SCORES_ANSWERS, until="phq9")

    response = client.post(step_url("phq9"), {**PHQ9, "phq9_difficulty": "", "action": "submit"})

    assert response.status_code == 200
    assert "Please check the answer marked below" in text(response)
    survey.refresh_from_db()
    assert survey.status == Survey.Status.IN_PROGRESS


def test_bad_answers_are_kept_with_a_message_beside_the_field(patient_client, survey):
    answers = {**FEELING, "side_other": "moderate", "action": "next"}
    del answers["side_headache"]

    response = patient_client.post(step_url("feeling"), answers)

    assert response.status_code == 200
    page = text(response)
    assert "Please check 2 answers marked below" in page
    headache_error = re.search(r'id="id_side_headache_error"[^>]*>([^<]*)<', page)
    assert headache_error and headache_error.group(1) == "Choose how bad it has been, or “None”."
    assert "Tell us what the other side effect was." in page
    assert checked(page, "feeling", "7")
    assert checked(page, "side_nausea", "mild")
    assert checked(page, "side_other", "moderate")
    survey.refresh_from_db()
    assert survey.completed_steps == []


def test_back_keeps_unfinished_answers(patient_client, survey):
    answer_steps(patient_client, CHECKIN_ANSWERS, until="anxiety")

    response = patient_client.post(
        step_url("anxiety"), {"anxiety_1": "2", "anxiety_2": "3", "action": "back"}
    )

    assert response["Location"] == step_url("feeling")
    feeling = text(patient_client.get(step_url("feeling")))
    assert checked(feeling, "feeling", "7")
    page = text(patient_client.get(step_url("anxiety")))
    assert checked(page, "anxiety_1", "2")
    assert checked(page, "anxiety_2", "3")
    assert "Please check" not in page  # no errors until they press to continue
    survey.refresh_from_db()
    assert survey.completed_steps == ["feeling"]
    assert survey.answers["anxiety"] == {"anxiety_1": "2", "anxiety_2": "3"}


def test_only_the_steps_own_fields_are_saved(patient_client, survey):
    patient_client.post(
        step_url("feeling"), {**FEELING, "anxiety_1": "3", "status": "completed", "action": "next"}
    )

    survey.refresh_from_db()
    assert set(survey.answers) == {"feeling"}
    assert "anxiety_1" not in survey.answers["feeling"]
    assert survey.status == Survey.Status.IN_PROGRESS


def test_a_later_step_cannot_be_opened_before_the_earlier_ones(patient_client):
    response = patient_client.get(step_url("safety"))

    assert response["Location"] == step_url("feeling")


def test_opening_the_link_again_resumes_at_the_unfinished_step(patient_client, survey, token):
    answer_steps(patient_client, CHECKIN_ANSWERS, until="anxiety")
    patient_client.post(step_url("anxiety"), {"anxiety_1": "2", "action": "back"})

    later = open_survey(Client(), token, survey)
    page = later.get(RESUME, follow=True)

    assert page.redirect_chain[-1][0] == step_url("anxiety")
    assert checked(text(page), "anxiety_1", "2")


# --- After sending -------------------------------------------------------------------------------


def test_sending_twice_is_refused(patient_client, survey):
    answer_steps(patient_client, CHECKIN_ANSWERS)
    assessments = Assessment.objects.count()

    response = patient_client.post(step_url("safety"), {**SAFETY, "action": "submit"}, follow=True)

    assert response.redirect_chain[-1][0] == DONE
    assert "can't be changed now" in text(response)
    assert Assessment.objects.count() == assessments
    survey.refresh_from_db()
    with pytest.raises(survey_services.SurveyAlreadyAnswered):
        survey_services.survey_submit(survey=survey)
    first_step = survey_services.survey_reachable_step(survey=survey, slug="feeling")
    with pytest.raises(survey_services.SurveyAlreadyAnswered):
        survey_services.survey_step_save(
            survey=survey, step=first_step, data=FEELING, action="next"
        )


def test_after_sending_the_link_shows_the_done_page(patient_client, survey, token):
    answer_steps(patient_client, CHECKIN_ANSWERS)

    later = open_survey(Client(), token, survey)
    page = later.get(RESUME, follow=True)

    assert page.redirect_chain[-1][0] == DONE
    assert "Thank you, your answers are with the clinic" in text(page)


@pytest.mark.parametrize("answer", ["1", "3"])
def test_thoughts_of_self_harm_show_the_crisis_resources(patient_client, survey, answer):
    answer_steps(patient_client, CHECKIN_ANSWERS, until="safety")
    step_page = text(patient_client.get(step_url("safety")))
    assert re.search(r'<section id="crisis-resources"[^>]*\shidden>', step_page)  # until chosen

    patient_client.post(step_url("safety"), {"phq9_9": answer, "action": "submit"})

    page = text(patient_client.get(DONE))
    crisis = page[page.index('id="crisis-resources"') : page.index("</section>")]
    assert " hidden" not in crisis.split(">")[0]
    assert 'href="tel:988"' in crisis
    assert settings.CLINIC_PHONE in crisis
    assert "has been told" in crisis
    assert ClinicalAlert.objects.filter(
        source_kind="survey", source_id=survey.pk, kind=ClinicalAlert.Kind.PHQ9_ITEM9
    ).exists()


def test_phq9_item9_in_a_scores_survey_shows_the_crisis_resources(clinician_user):
    survey, token = sent_survey(by=clinician_user, content=Survey.Content.SCORES)
    client = open_survey(Client(), token, survey)
    answer_steps(client, [*SCORES_ANSWERS[:-1], ("phq9", {**PHQ9, "phq9_9": "2"})])

    page = text(client.get(DONE))

    assert 'id="crisis-resources"' in page
    assert settings.CLINIC_PHONE in page


# --- Cost ----------------------------------------------------------------------------------------


def test_the_step_page_query_count(patient_client, django_assert_num_queries):
    patient_client.get(step_url("feeling"))  # warm-up
    # the session, the link with its survey and patient
    with django_assert_num_queries(2):
        response = patient_client.get(step_url("feeling"))
    assert response.status_code == 200


def test_a_second_link_to_the_same_survey_works_too(survey, token):
    newer = issue_survey_link(survey)

    client = open_survey(Client(), newer, survey)

    assert client.get(RESUME)["Location"] == step_url("feeling")


# --- What the patient is told, and under which name (issue 21) -----------------------------------


def error_of(page: str, name: str) -> str:
    match = re.search(rf'id="id_{name}_error"[^>]*>(.*?)</div>', page, re.S)
    assert match, f"no error beside {name}"
    return " ".join(re.sub(r"<[^>]+>", " ", match.group(1)).split())


def test_missing_survey_answers_say_what_to_choose(patient_client, clinician_user):
    page = text(patient_client.post(step_url("feeling"), {"action": "next"}))
    assert error_of(page, "feeling") == "Choose a number from 0 (very bad) to 10 (very good)."
    assert error_of(page, "side_nausea") == "Choose how bad it has been, or “None”."

    answer_steps(patient_client, CHECKIN_ANSWERS, until="anxiety")
    page = text(patient_client.post(step_url("anxiety"), {"action": "next"}))
    assert error_of(page, "anxiety_1").startswith("Choose how often you were bothered by this")

    answer_steps(patient_client, CHECKIN_ANSWERS, until="safety")
    page = text(patient_client.post(step_url("safety"), {"action": "submit"}))
    assert error_of(page, "phq9_9").startswith("Choose how often you were bothered by this")
    assert "This field is required" not in page

    survey, token = sent_survey(by=clinician_user, content=Survey.Content.SCORES)
    client = open_survey(Client(), token, survey)
    answer_steps(client, SCORES_ANSWERS, until="phq9")
    page = text(client.post(step_url("phq9"), {**PHQ9, "phq9_difficulty": "", "action": "next"}))
    assert error_of(page, "phq9_difficulty").startswith("Choose how difficult these problems")


def test_the_crisis_resources_sit_beside_the_phq9_item_9_and_show_after_a_refused_send(
    clinician_user,
):
    survey, token = sent_survey(by=clinician_user, content=Survey.Content.SCORES)
    client = open_survey(Client(), token, survey)
    answer_steps(client, SCORES_ANSWERS, until="phq9")
    answers = {**PHQ9, "phq9_9": "3", "phq9_difficulty": ""}

    page = text(client.post(step_url("phq9"), {**answers, "action": "next"}))

    box = page.index('<section id="crisis-resources"')
    assert page.index('name="phq9_9"') < box < page.index('name="phq9_difficulty"')
    assert " hidden" not in page[box : page.index(">", box)]


def test_the_survey_pages_show_the_neutral_sender_name_not_the_clinics(client, survey, token):
    neutral, full = settings.CLINIC_MESSAGE_NAME, settings.CLINIC_NAME
    assert neutral != full

    def name_shown(response) -> str:
        page = text(response)
        assert full not in page and "ketamine" not in page.lower()
        return re.search(r"<title>[^<]*· ([^<]*)</title>", page).group(1)

    assert name_shown(client.get(link_path("not-a-real-token"))) == neutral
    assert name_shown(client.get(step_url("feeling"))) == neutral  # no session yet
    client.get(link_path(token))
    assert name_shown(client.get(CONFIRM)) == neutral
    open_survey(client, token, survey)
    assert name_shown(client.get(step_url("feeling"))) == neutral
    answer_steps(client, CHECKIN_ANSWERS)
    assert name_shown(client.get(DONE)) == neutral


def test_the_intake_pages_keep_the_clinics_name(patient):
    issued = intake_link_issue(patient=patient, channel="screen", created_by=None)
    client = Client()
    client.get(issued.path)
    page = text(client.get("/intake/confirm/"))
    assert f"· {settings.CLINIC_NAME}</title>" in page

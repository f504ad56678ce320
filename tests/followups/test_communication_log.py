"""A patient's communication log: what was sent, when, how, with what result; sending a failed
message again; and the surveys, with scores for clinicians only."""

from datetime import timedelta

import pytest
import time_machine
from auditlog.models import LogEntry
from django.urls import reverse

from followups.models import FollowUpCall, OutboxEntry

from .worklist_data import NOON, answered_survey, failed_message, followup_task, sent_message

SEVERE_GAD7 = [3, 3, 3, 3, 3, 2, 2]  # 19, Severe


@pytest.fixture(autouse=True)
def at_noon():
    with time_machine.travel(NOON, tick=False):
        yield


def log_url(patient) -> str:
    return reverse("followups:communication_log", args=[patient.pk])


def send_again_url(entry: OutboxEntry) -> str:
    return reverse("followups:send_again", args=[entry.pk])


def test_the_log_shows_each_message_newest_first_with_its_result(front_desk, patient):
    sent = sent_message(patient=patient, due_at=NOON - timedelta(days=2), key="invite")
    failed = failed_message(patient=patient, error="Number not in service")
    followup_task(patient=patient)

    page = front_desk.get(log_url(patient)).content.decode()

    assert "Appointment reminder (48 hours before)" in page
    assert "Number not in service" in page
    assert "Text message" in page
    assert "Task created" in page
    assert "Phone follow-up: survey not answered" in page
    assert page.index(failed.description) < page.index(sent.description)  # newest first
    assert page.count(">Send again<") == 1


def test_sending_a_failed_message_again_schedules_it(front_desk, patient):
    failed = failed_message(patient=patient)

    response = front_desk.post(send_again_url(failed), follow=True)

    failed.refresh_from_db()
    assert failed.status == OutboxEntry.Status.SCHEDULED
    assert failed.due_at == NOON
    assert failed.attempts == 0
    assert failed.last_error == ""
    assert "will be sent again" in response.content.decode()
    assert response.redirect_chain[-1][0] == log_url(patient)


def test_a_message_that_is_not_failed_is_not_sent_again(front_desk, patient):
    sent = sent_message(patient=patient, due_at=NOON - timedelta(days=1), key="sent")

    response = front_desk.post(send_again_url(sent), follow=True)

    sent.refresh_from_db()
    assert sent.status == OutboxEntry.Status.SENT
    assert "nothing to do" in response.content.decode()


def test_a_task_row_cannot_be_sent_again(front_desk, patient):
    task = followup_task(patient=patient)
    entry = OutboxEntry.objects.get(pk=task.source_id)
    OutboxEntry.objects.filter(pk=entry.pk).update(status=OutboxEntry.Status.FAILED)

    response = front_desk.post(send_again_url(entry))

    assert response.status_code == 404


def test_sending_again_is_a_post(front_desk, patient):
    failed = failed_message(patient=patient)

    response = front_desk.get(send_again_url(failed))

    assert response.status_code == 405
    failed.refresh_from_db()
    assert failed.status == OutboxEntry.Status.FAILED


def test_clinicians_see_survey_scores_and_the_front_desk_does_not(
    clinician, clinician_user, front_desk_user, client
):
    survey = answered_survey(by=clinician_user, gad7=SEVERE_GAD7, escalations=("item9",))
    url = log_url(survey.patient)

    clinician_page = clinician.get(url).content.decode()
    client.logout()
    from tests.conftest import sign_in

    front_desk_page = sign_in(client, front_desk_user).get(url).content.decode()

    assert "19 (Severe)" in clinician_page
    assert reverse("followups:survey_detail", args=[survey.pk]) in clinician_page
    assert "Escalated" in clinician_page
    assert "24h after the session" in front_desk_page
    assert "Answered" in front_desk_page
    for clinical in ("GAD-7", "PHQ-9", "Severe", "Escalated"):
        assert clinical not in front_desk_page


def test_the_calls_are_listed(front_desk, front_desk_user, patient):
    task = followup_task(patient=patient)
    FollowUpCall.objects.create(
        patient=patient,
        task=task,
        outcome=FollowUpCall.Outcome.WRONG_NUMBER,
        note="Number belongs to someone else",
        called_at=NOON - timedelta(hours=1),
        called_by=front_desk_user,
    )

    page = front_desk.get(log_url(patient)).content.decode()

    assert "Wrong or disconnected number" in page
    assert "Number belongs to someone else" in page


def test_opening_the_log_is_audited(front_desk, front_desk_user, patient):
    front_desk.get(log_url(patient))

    entry = LogEntry.objects.get_for_object(patient).get(action=LogEntry.Action.ACCESS)
    assert entry.actor == front_desk_user


@pytest.mark.parametrize("rows", [1, 5])
def test_the_log_costs_the_same_however_many_rows(
    clinician, clinician_user, patient, django_assert_num_queries, rows
):
    for number in range(rows):
        failed_message(
            patient=patient, due_at=NOON - timedelta(hours=number + 1), key=f"failed-{number}"
        )
        sent_message(patient=patient, due_at=NOON - timedelta(days=number + 1), key=f"s-{number}")
        task = followup_task(patient=patient, due_at=NOON - timedelta(minutes=number + 1))
        FollowUpCall.objects.create(
            patient=patient,
            task=task,
            outcome=FollowUpCall.Outcome.NO_ANSWER,
            called_at=NOON - timedelta(minutes=number + 1),
            called_by=clinician_user,
        )
        answered_survey(
            by=clinician_user,
            patient=patient,
            gad7=SEVERE_GAD7,
            offset_label=f"{number + 1}d",
        )
    clinician.get(log_url(patient))  # warm-up

    # session, user, TOTP device, roles, the patient, the ACCESS audit entry, the messages, the
    # calls with who called, the surveys with their scores
    with django_assert_num_queries(9):
        response = clinician.get(log_url(patient))

    assert response.content.decode().count(">Send again<") == rows

"""The outbox end to end: a real Celery beat and worker, on Redis and PostgreSQL, deliver a due
reminder; and with Redis down the clinic keeps working and nothing is lost or doubled.

The worker and beat are subprocesses with the production settings module (not the eager test
settings), the pytest test database and a private Redis of the test's own (so that stopping it
leaves the shared one alone). Their output is printed when a test fails."""

import json
import re
import time
from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.utils import timezone

from clinic.celery import app
from followups.models import OutboxEntry
from tests.conftest import sign_in
from tests.factories import UserFactory

from .outbox_helpers import CeleryProcesses, reminders_due_in, wait_until

pytestmark = [
    pytest.mark.redis,
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
]

Status = OutboxEntry.Status
# What a text seen on a lock screen must not say.
CLINICAL_WORDS = re.compile(
    r"\b(ketamine|esketamine|spravato|depression|depressive|anxiety|ptsd|diagnos\w*|dose|mg|"
    r"infusion|gad-7|phq-9|psychiatr\w*|suicid\w*)\b",
    re.IGNORECASE,
)


@pytest.fixture(autouse=True)
def reminder_settings(settings):
    settings.CLINIC_REMINDER_OFFSETS = ["2h"]
    settings.CLINIC_QUIET_HOURS = ""


@pytest.fixture
def celery_processes(redis_server, tmp_path):
    processes = CeleryProcesses(broker_url=redis_server.url, folder=tmp_path)
    try:
        yield processes
    finally:
        processes.stop()
        processes.dump()


@pytest.fixture
def desk():
    return UserFactory(username="outboxdesk")


def delivered(session) -> bool:
    return OutboxEntry.objects.filter(session=session, status=Status.SENT).exists()


def test_beat_and_a_worker_deliver_a_due_reminder(celery_processes, desk):
    celery_processes.start()
    celery_processes.wait_ready()
    (session,) = reminders_due_in(timedelta(seconds=2), booked_by=desk)

    wait_until(
        lambda: delivered(session) and celery_processes.sms_sent(),
        seconds=40,
        what="the reminder sent by beat and the worker",
    )

    (sms_file,) = celery_processes.sms_sent()
    sms = json.loads(sms_file.read_text())
    assert sms["to"] == session.patient.mobile.as_e164
    assert sms["body"].startswith(f"{django_settings.CLINIC_MESSAGE_NAME}: reminder of your")
    assert not CLINICAL_WORDS.search(sms["body"]), sms["body"]
    row = OutboxEntry.objects.get(session=session)
    assert (row.status, row.attempts, row.channel) == (Status.SENT, 1, OutboxEntry.Channel.SMS)


def test_with_redis_down_the_clinic_works_and_the_reminder_goes_once_it_is_back(
    redis_server, celery_processes, client, front_desk_user, monkeypatch
):
    # This process talks to the private Redis too, as the web app would, and does not run tasks
    # in-process.
    monkeypatch.setitem(app.conf, "broker_url", redis_server.url)
    monkeypatch.setitem(app.conf, "task_always_eager", False)
    monkeypatch.setattr(app, "_pool", None)
    celery_processes.start()
    celery_processes.wait_ready()
    wait_until(celery_processes.sweeps_done, seconds=20, what="a first sweep through Redis")

    redis_server.stop()

    started = time.monotonic()
    response = sign_in(client, front_desk_user).get("/")
    assert response.status_code == 200
    (session,) = reminders_due_in(timedelta(seconds=1), booked_by=front_desk_user)
    assert time.monotonic() - started < 5, "the web app waited on the missing broker"
    row = OutboxEntry.objects.get(session=session)
    assert row.status == Status.SCHEDULED
    # Due now, but nothing carries "sweep now" to the worker while the broker is away.
    time.sleep(max(0, (row.due_at - timezone.now()).total_seconds()) + 3)
    assert OutboxEntry.objects.get(pk=row.pk).status == Status.SCHEDULED
    assert not celery_processes.sms_sent()

    redis_server.start()
    wait_until(
        lambda: delivered(session) and celery_processes.sms_sent(),
        seconds=60,
        what="the reminder delivered after Redis came back",
    )

    assert len(celery_processes.sms_sent()) == 1
    row.refresh_from_db()
    assert (row.status, row.attempts) == (Status.SENT, 1)

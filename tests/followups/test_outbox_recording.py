"""The sweep records each send as it happens: the start just before the provider is called, the
outcome as soon as it returns, with what it leads to. A sweep told to stop between messages
puts the rest back at once; a stuck release never takes a row a live sweep is about to send;
the beat task's run is short and ends between messages when the worker shuts down."""

from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.db.models import QuerySet
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from clinic import celery as clinic_celery
from clinic.notifications.sms import LocmemSMSBackend
from followups import tasks
from followups.models import OutboxEntry
from followups.services.outbox import outbox_release_stuck, outbox_sweep
from tests.factories import UserFactory
from tests.treatments.sessions import completed_session

from .outbox_helpers import reminders_due_in

pytestmark = pytest.mark.django_db

Status = OutboxEntry.Status
Purpose = OutboxEntry.Purpose


@pytest.fixture(autouse=True)
def reminder_settings(settings):
    settings.CLINIC_REMINDER_OFFSETS = ["2h"]
    settings.CLINIC_QUIET_HOURS = ""
    settings.CLINIC_SMS_BACKEND = "clinic.notifications.sms.LocmemSMSBackend"
    settings.CLINIC_OUTBOX_STUCK_MINUTES = 10


@pytest.fixture
def sms_outbox():
    LocmemSMSBackend.outbox.clear()
    yield LocmemSMSBackend.outbox
    LocmemSMSBackend.outbox.clear()


@pytest.fixture
def desk():
    return UserFactory(username="outboxdesk")


@pytest.fixture
def due_later():
    """When the reminders booked by ``reminders_due_in(10 minutes)`` are due."""
    return timezone.now() + timedelta(minutes=11)


def rows() -> list[tuple[str, bool]]:
    return [
        (row.status, row.send_started_at is not None) for row in OutboxEntry.objects.order_by("id")
    ]


def numbers_texted(sms_outbox) -> list[str]:
    return sorted(message.to for message in sms_outbox)


def numbers_of(sessions) -> list[str]:
    return sorted(session.patient.mobile.as_e164 for session in sessions)


def test_each_send_is_recorded_as_it_happens(desk, sms_outbox, monkeypatch, due_later):
    reminders_due_in(timedelta(minutes=10), booked_by=desk, count=3)
    send = LocmemSMSBackend.send
    seen_during_the_second = []

    def looks_at_the_rows(backend, message):
        if len(sms_outbox) == 1:
            seen_during_the_second.extend(
                OutboxEntry.objects.order_by("id").values_list(
                    "status", "channel", "attempts", "send_started_at"
                )
            )
        send(backend, message)

    monkeypatch.setattr(LocmemSMSBackend, "send", looks_at_the_rows)
    with time_machine.travel(due_later, tick=False):
        report = outbox_sweep()

    assert report.sent == 3
    assert seen_during_the_second == [
        (Status.SENT, "sms", 1, due_later),  # recorded when its send returned
        (Status.SENDING, "sms", 1, due_later),  # in the provider's hands, and the channel known
        (Status.SENDING, "", 0, None),  # claimed, not tried yet
    ]


def test_a_sweep_told_to_stop_puts_the_rows_not_tried_back_at_once(desk, sms_outbox, due_later):
    sessions = reminders_due_in(timedelta(minutes=10), booked_by=desk, count=5)
    asked = []

    def after_two_messages() -> bool:
        asked.append(True)
        return len(sms_outbox) >= 2

    with time_machine.travel(due_later, tick=False):
        report = outbox_sweep(should_stop=after_two_messages)

    assert (report.claimed, report.sent, report.left) == (5, 2, 3)
    assert len(asked) == 2  # between messages, not before the first
    assert rows() == [(Status.SENT, True)] * 2 + [(Status.SCHEDULED, False)] * 3
    assert not OutboxEntry.objects.filter(claim_token__isnull=False).exists()
    with time_machine.travel(due_later + timedelta(seconds=5), tick=False):
        assert outbox_sweep().sent == 3
    assert numbers_texted(sms_outbox) == numbers_of(sessions)


def test_the_stuck_release_never_takes_a_row_a_live_sweep_is_about_to_send(
    desk, sms_outbox, due_later
):
    """Another sweep's release, with a clock that finds this sweep's claim stale, runs just
    before this sweep starts its first message: the rows go back to the queue, and this sweep,
    whose claim is gone, sends none of them. The next sweep sends each once."""
    sessions = reminders_due_in(timedelta(minutes=10), booked_by=desk, count=3)
    released = []

    def release_before_the_first_start(execute, sql, params, many, context):
        if sql.startswith("UPDATE") and '"send_started_at" = %s' in sql and not released:
            released.append(outbox_release_stuck(now=due_later + timedelta(minutes=11)))
        return execute(sql, params, many, context)

    with (
        time_machine.travel(due_later, tick=False),
        connection.execute_wrapper(release_before_the_first_start),
    ):
        report = outbox_sweep()

    assert released == [(3, 0)]  # three never-started rows back in the queue, none to review
    assert (report.claimed, report.sent, report.failed) == (3, 0, 0)
    assert not sms_outbox
    assert rows() == [(Status.SCHEDULED, False)] * 3
    with time_machine.travel(due_later + timedelta(seconds=5), tick=False):
        assert outbox_sweep().sent == 3
    assert numbers_texted(sms_outbox) == numbers_of(sessions)


def test_only_rows_started_long_ago_go_to_review(desk, due_later):
    reminders_due_in(timedelta(minutes=10), booked_by=desk, count=3)
    started, claimed_only, fresh = OutboxEntry.objects.order_by("id")
    long_ago = due_later - timedelta(minutes=11)
    OutboxEntry.objects.filter(pk=started.pk).update(
        status=Status.SENDING, claimed_at=long_ago, send_started_at=long_ago, channel="sms"
    )
    OutboxEntry.objects.filter(pk=claimed_only.pk).update(
        status=Status.SENDING, claimed_at=long_ago
    )
    # Claimed long ago, started just now: a live sweep's message in the provider's hands.
    OutboxEntry.objects.filter(pk=fresh.pk).update(
        status=Status.SENDING, claimed_at=long_ago, send_started_at=due_later
    )

    assert outbox_release_stuck(now=due_later) == (1, 1)

    started.refresh_from_db()
    assert (started.status, started.channel) == (Status.FAILED, "sms")
    assert started.last_error.startswith("Interrupted while sending")
    assert OutboxEntry.objects.get(pk=claimed_only.pk).status == Status.SCHEDULED
    assert OutboxEntry.objects.get(pk=fresh.pk).status == Status.SENDING


@pytest.mark.clinic_day
def test_a_sent_invitation_s_next_resend_is_written_with_its_outcome(
    clinician_user, sms_outbox, monkeypatch, settings
):
    """A worker killed on the next message cannot lose the re-send that the first one's
    success scheduled: they are one transaction."""
    settings.CLINIC_SURVEY_SCHEDULE = ["24h:checkin"]
    finished = timezone.now()
    for _ in range(2):
        completed_session(by=clinician_user, starts_at=finished - timedelta(hours=1))
    send = LocmemSMSBackend.send

    def dies_on_the_second(backend, message):
        if sms_outbox:
            monkeypatch.setattr(QuerySet, "update", dies)
            raise WorkerKilled
        send(backend, message)

    def dies(*args, **kwargs):
        raise WorkerKilled

    monkeypatch.setattr(LocmemSMSBackend, "send", dies_on_the_second)
    with (
        time_machine.travel(finished + timedelta(days=1, minutes=1), tick=False),
        pytest.raises(WorkerKilled),
    ):
        outbox_sweep()
    monkeypatch.undo()

    invitations = OutboxEntry.objects.filter(purpose=Purpose.SURVEY_INVITATION).order_by("id")
    assert [row.status for row in invitations] == [Status.SENT, Status.SENDING]
    (resend,) = OutboxEntry.objects.filter(purpose=Purpose.SURVEY_RESEND)
    assert (resend.survey_id, resend.status) == (invitations[0].survey_id, Status.SCHEDULED)


class WorkerKilled(BaseException):
    """A worker killed outright: nothing more is written."""


def test_the_queries_per_message_are_fixed(desk, sms_outbox, due_later):
    def queries_to_send(count: int, first_chair: int) -> int:
        reminders_due_in(
            timedelta(minutes=10), booked_by=desk, count=count, first_chair=first_chair
        )
        with (
            time_machine.travel(due_later, tick=False),
            CaptureQueriesContext(connection) as queries,
        ):
            assert outbox_sweep().sent == count
        return len(queries)

    one, four, nine = queries_to_send(1, 1), queries_to_send(4, 11), queries_to_send(9, 21)

    assert four - one == 3 * 2  # a start and an outcome per reminder
    assert nine - four == 5 * 2


def test_the_beat_task_stops_between_messages_when_the_worker_shuts_down(
    desk, sms_outbox, monkeypatch, due_later
):
    """A warm shutdown (SIGTERM on a deploy) in a worker running the task in its own process:
    the message in hand finishes, the rest go back to the queue and to another run."""
    sessions = reminders_due_in(timedelta(minutes=10), booked_by=desk, count=4)
    send = LocmemSMSBackend.send
    queued = []
    monkeypatch.setattr(tasks.sweep_outbox, "delay", lambda: queued.append(True))

    def shutdown_begins_during_the_first(backend, message):
        clinic_celery._note_worker_stopping()  # what celery's SIGTERM handler sends
        send(backend, message)

    monkeypatch.setattr(LocmemSMSBackend, "send", shutdown_begins_during_the_first)
    try:
        with time_machine.travel(due_later, tick=False):
            report = tasks.sweep_outbox.apply().get()
    finally:
        clinic_celery._worker_stopping.clear()

    assert (report["sent"], report["left"]) == (1, 3)
    assert queued == [True]
    assert rows() == [(Status.SENT, True)] + [(Status.SCHEDULED, False)] * 3
    monkeypatch.setattr(LocmemSMSBackend, "send", send)
    with time_machine.travel(due_later + timedelta(seconds=5), tick=False):
        assert tasks.sweep_outbox.apply().get()["sent"] == 3
    assert numbers_texted(sms_outbox) == numbers_of(sessions)

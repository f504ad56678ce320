"""The outbox never sends a message twice: not when two sweeps run at once (two beats, or a
sweep still running when the next starts), and not after a worker died in the middle of a send.

The race needs PostgreSQL and real threads, each with its own connection (closed at the
thread's end), released together by a barrier. Watching their SQL, the test then steers them
into the worst interleaving (both hold the same list of due rows; the first claims and reads its
rows back before the second claims), so the claim's conditional UPDATE is all that stands
between them and a double send. The interrupted send needs no threads and runs on SQLite too."""

import threading
import time
from datetime import timedelta

import pytest
import time_machine
from django.db import connection, connections
from django.db.models import QuerySet
from django.utils import timezone

from clinic.notifications.sms import LocmemSMSBackend
from followups.models import OutboxEntry
from followups.services.outbox import INTERRUPTED, SweepReport, outbox_sweep
from tests.factories import UserFactory

from .outbox_helpers import reminders_due_in

pytestmark = pytest.mark.django_db(transaction=True)

Status = OutboxEntry.Status


@pytest.fixture(autouse=True)
def reminder_settings(settings):
    settings.CLINIC_REMINDER_OFFSETS = ["2h"]
    settings.CLINIC_QUIET_HOURS = ""
    settings.CLINIC_SMS_BACKEND = "clinic.notifications.sms.LocmemSMSBackend"


@pytest.fixture
def sms_outbox():
    LocmemSMSBackend.outbox.clear()
    yield LocmemSMSBackend.outbox
    LocmemSMSBackend.outbox.clear()


@pytest.fixture
def desk():
    # No role group: the staff member only books (a transactional test flushes the groups).
    return UserFactory(username="outboxdesk")


class Choreography:
    """Steers two sweeps into the worst interleaving, by watching each one's SQL: both list the
    same due rows, then the first to claim also reads back what it claimed before the second
    may claim. Only the claim's condition on the status can keep the second away."""

    def __init__(self) -> None:
        self.listed = threading.Barrier(2)
        self.first_claim_read = threading.Event()
        self._lock = threading.Lock()
        self._first: int | None = None

    def __call__(self, execute, sql, params, many, context):
        me = threading.get_ident()
        is_claim = sql.startswith('UPDATE "followups_outboxentry"') and '"claimed_at" = %s' in sql
        if is_claim:
            with self._lock:
                self._first = self._first or me
            if self._first != me:
                assert self.first_claim_read.wait(timeout=10), "the first sweep never read"
        result = execute(sql, params, many, context)
        if sql.startswith("SELECT") and '"followups_outboxentry"' in sql:
            if '"due_at" <= %s' in sql and "LIMIT" in sql:
                self.listed.wait(timeout=10)  # the due rows, listed
            elif '"claim_token" = %s' in sql and self._first == me:
                self.first_claim_read.set()  # the first sweep holds its claimed rows
        return result


def sweep_twice_at_once(now) -> list[SweepReport | BaseException]:
    start, choreography = threading.Barrier(2), Choreography()
    outcomes: list[SweepReport | BaseException | None] = [None, None]

    def run(index: int) -> None:
        try:
            with connection.execute_wrapper(choreography):
                start.wait(timeout=10)
                outcomes[index] = outbox_sweep(now=now)
        except BaseException as error:  # the outcome is what the test looks at
            outcomes[index] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(index,)) for index in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a sweep hung (deadlock?)"
    return outcomes


@pytest.mark.postgres
def test_two_sweeps_at_once_send_each_reminder_exactly_once(desk, sms_outbox, monkeypatch):
    sessions = reminders_due_in(timedelta(minutes=10), booked_by=desk, count=20)
    send = LocmemSMSBackend.send

    def slow_send(backend, message):
        time.sleep(0.02)  # a provider's round trip: the first sweep is still sending
        send(backend, message)

    monkeypatch.setattr(LocmemSMSBackend, "send", slow_send)
    assert OutboxEntry.objects.filter(status=Status.SCHEDULED).count() == 20

    outcomes = sweep_twice_at_once(timezone.now() + timedelta(minutes=11))

    assert all(isinstance(outcome, SweepReport) for outcome in outcomes), outcomes
    assert sum(report.claimed for report in outcomes) == 20
    assert sum(report.sent for report in outcomes) == 20
    numbers = sorted(message.to for message in sms_outbox)
    assert numbers == sorted(session.patient.mobile.as_e164 for session in sessions)
    rows = OutboxEntry.objects.all()
    assert {(row.status, row.attempts) for row in rows} == {(Status.SENT, 1)}
    assert rows.count() == 20


class WorkerStopped(BaseException):
    """What a sweep sees when it is stopped mid-task (a warm shutdown, like SystemExit): not an
    Exception, so nothing on the way catches it."""


def test_a_sweep_stopped_midway_sends_nothing_twice_and_loses_nothing(
    desk, sms_outbox, monkeypatch
):
    reminders_due_in(timedelta(minutes=10), booked_by=desk, count=3)
    claimed_at = timezone.now() + timedelta(minutes=11)
    send = LocmemSMSBackend.send
    calls = []

    def stops_during_the_second_hand_over(backend, message):
        calls.append(message.to)
        if len(calls) == 2:
            raise WorkerStopped  # in the provider's hands: did it go? nobody knows
        send(backend, message)

    monkeypatch.setattr(LocmemSMSBackend, "send", stops_during_the_second_hand_over)
    with time_machine.travel(claimed_at, tick=False), pytest.raises(WorkerStopped):
        outbox_sweep()
    monkeypatch.setattr(LocmemSMSBackend, "send", send)

    statuses = list(OutboxEntry.objects.order_by("id").values_list("status", "last_error"))
    assert statuses == [
        (Status.SENT, ""),
        (Status.FAILED, INTERRUPTED),  # to review, never re-sent blind
        (Status.SCHEDULED, ""),  # not tried: back in the queue
    ]
    with time_machine.travel(claimed_at + timedelta(minutes=1), tick=False):
        report = outbox_sweep()
    assert (report.claimed, report.sent) == (1, 1)
    assert len(sms_outbox) == 2
    assert len({message.to for message in sms_outbox}) == 2


class WorkerKilled(BaseException):
    """A worker killed outright (SIGKILL, power loss): it writes nothing more."""


def test_a_worker_killed_mid_batch_leaves_only_the_message_in_flight_for_review(
    desk, sms_outbox, monkeypatch, settings
):
    settings.CLINIC_OUTBOX_STUCK_MINUTES = 10
    sessions = reminders_due_in(timedelta(minutes=10), booked_by=desk, count=4)
    claimed_at = timezone.now() + timedelta(minutes=11)
    send = LocmemSMSBackend.send

    def dies_after_the_second_hand_over(backend, message):
        send(backend, message)
        if len(sms_outbox) == 2:
            monkeypatch.setattr(QuerySet, "update", dies)  # no write after death
            raise WorkerKilled

    def dies(*args, **kwargs):
        raise WorkerKilled

    monkeypatch.setattr(LocmemSMSBackend, "send", dies_after_the_second_hand_over)
    with time_machine.travel(claimed_at, tick=False), pytest.raises(WorkerKilled):
        outbox_sweep()
    monkeypatch.undo()

    def statuses() -> list[tuple[str, bool]]:
        rows = OutboxEntry.objects.order_by("id")
        return [(row.status, row.send_started_at is not None) for row in rows]

    # The first was recorded as it went; the second is in the provider's hands; the last two
    # were claimed and never tried.
    assert statuses() == [
        (Status.SENT, True),
        (Status.SENDING, True),
        (Status.SENDING, False),
        (Status.SENDING, False),
    ]

    # The next sweeps, until the rows count as stuck: the rows are someone else's to finish.
    stuck_after = timedelta(minutes=settings.CLINIC_OUTBOX_STUCK_MINUTES)
    for later in (timedelta(minutes=1), stuck_after - timedelta(seconds=1)):
        with time_machine.travel(claimed_at + later, tick=False):
            report = outbox_sweep()
        assert (report.claimed, report.sent, report.interrupted, report.requeued) == (0, 0, 0, 0)

    with time_machine.travel(claimed_at + stuck_after + timedelta(minutes=1), tick=False):
        report = outbox_sweep()

    # The one in flight to review; the two never tried back in the queue, and sent now.
    assert (report.interrupted, report.requeued, report.claimed, report.sent) == (1, 2, 2, 2)
    assert [status for status, _ in statuses()] == [
        Status.SENT, Status.FAILED, Status.SENT, Status.SENT,
    ]  # fmt: skip
    assert OutboxEntry.objects.get(status=Status.FAILED).last_error == INTERRUPTED
    numbers = [message.to for message in sms_outbox]
    assert sorted(numbers) == sorted(session.patient.mobile.as_e164 for session in sessions)

"""A real worker stopped mid-drain, the way deploys and crashes stop it: a warm shutdown
(SIGTERM) ends the sweep within seconds with nothing left "sending", and a worker killed outright
(SIGKILL, with its pool processes) leaves at most the message each pool process had in the
provider's hands for review. Either way, after a new worker starts, every reminder has been
delivered exactly once or is in review: none twice, none lost.

``celery -A clinic worker`` (prefork, two pool processes, as in Procfile.dev) and ``beat`` run as
subprocesses on the pytest test database and a private Redis, with a test SMS provider that
takes 50-100 ms a message and records every delivery durably (tests/slow_sms.py), and a stuck
release after 6 s instead of 10 minutes. The numbers are printed (pytest -s) for docs/outbox.md.
"""

from collections import Counter
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from followups.models import OutboxEntry
from tests.factories import UserFactory
from tests.slow_sms import read_deliveries

from .outbox_helpers import CeleryProcesses, reminders_due_in, wait_until

pytestmark = [
    pytest.mark.redis,
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
]

Status = OutboxEntry.Status
POOL_PROCESSES = 2
STUCK_SECONDS = 6  # CLINIC_OUTBOX_STUCK_MINUTES=0.1 in the worker: the dead sweep's rows


@pytest.fixture(autouse=True)
def reminder_settings(settings):
    settings.CLINIC_REMINDER_OFFSETS = ["2h"]
    settings.CLINIC_QUIET_HOURS = ""


@pytest.fixture
def celery_processes(redis_server, tmp_path):
    processes = CeleryProcesses(
        broker_url=redis_server.url,
        folder=tmp_path,
        environment={
            "CLINIC_SMS_BACKEND": "tests.slow_sms.SlowRecordingSMSBackend",
            "CLINIC_OUTBOX_STUCK_MINUTES": str(STUCK_SECONDS / 60),
        },
        worker_options=("--pool=prefork", f"--concurrency={POOL_PROCESSES}"),
    )
    try:
        yield processes
    finally:
        processes.stop()
        processes.dump()


@pytest.fixture
def desk():
    return UserFactory(username="outboxdesk")


def due_reminders(count: int, desk) -> dict[str, int]:
    """``count`` reminders due now, a backlog (as after an outage, or a morning's reminders
    held by quiet hours): each patient's number and their reminder's id. Booked in one
    transaction (quicker), then all brought due at once."""
    with transaction.atomic():
        sessions = reminders_due_in(timedelta(minutes=10), booked_by=desk, count=count)
    reminders = OutboxEntry.objects.filter(session__in=sessions)
    assert reminders.update(due_at=timezone.now()) == count
    reminder_of = dict(reminders.values_list("session_id", "pk"))
    numbers = {session.patient.mobile.as_e164: reminder_of[session.pk] for session in sessions}
    assert len(numbers) == count  # one number per reminder
    return numbers


def delivered(processes: CeleryProcesses) -> list[str]:
    return read_deliveries(processes.sms_folder)


def statuses() -> Counter:
    return Counter(OutboxEntry.objects.values_list("status", flat=True))


def nothing_left_to_send() -> bool:
    return not OutboxEntry.objects.filter(status__in=[Status.SCHEDULED, Status.SENDING]).exists()


def tally(numbers: dict[str, int], deliveries: list[str]) -> dict[str, int]:
    """Delivered, in review, duplicates (a number delivered more than once) and silent misses
    (a reminder neither delivered and "sent" nor in review)."""
    times = Counter(deliveries)
    row_status = dict(OutboxEntry.objects.values_list("pk", "status"))
    in_review = [number for number, pk in numbers.items() if row_status[pk] == Status.FAILED]
    misses = [
        number
        for number, pk in numbers.items()
        if not (row_status[pk] == Status.SENT and times[number] == 1)
        and row_status[pk] != Status.FAILED
    ]
    return {
        "reminders": len(numbers),
        "delivered": len(set(deliveries)),
        "in review": len(in_review),
        "duplicates": sum(1 for count in times.values() if count > 1),
        "misses": len(misses),
        "strangers": len(set(deliveries) - set(numbers)),
    }


def test_a_warm_shutdown_mid_drain_stops_within_seconds_and_the_rest_goes_after_restart(
    celery_processes, desk
):
    celery_processes.start()  # starting while the reminders are booked
    numbers = due_reminders(100, desk)
    celery_processes.wait_ready()
    wait_until(lambda: len(delivered(celery_processes)) >= 20, seconds=30, what="20 reminders sent")

    took = celery_processes.terminate_worker(seconds=15)

    at_stop = statuses()
    sent_at_stop = len(delivered(celery_processes))
    print(f"\nwarm shutdown: worker exited {took:.1f} s after SIGTERM; {sent_at_stop} sent")
    assert took < 8, f"the worker took {took:.1f} s to stop"
    assert sent_at_stop < len(numbers), "the drain ended before the shutdown: nothing tested"
    assert at_stop[Status.SENDING] == 0  # the rows not tried went back to the queue
    assert at_stop[Status.FAILED] <= 1

    celery_processes.start_worker()
    celery_processes.wait_worker_ready()
    wait_until(nothing_left_to_send, seconds=40, what="the rest sent after the restart")

    numbers_after = tally(numbers, delivered(celery_processes))
    print(f"warm shutdown: {numbers_after}")
    assert numbers_after["duplicates"] == 0
    assert numbers_after["misses"] == 0
    assert numbers_after["strangers"] == 0
    assert numbers_after["in review"] <= 1
    assert numbers_after["delivered"] >= len(numbers) - 1


def test_a_worker_killed_mid_drain_sends_nothing_twice_and_loses_nothing(celery_processes, desk):
    celery_processes.start()  # starting while the reminders are booked
    numbers = due_reminders(150, desk)
    celery_processes.wait_ready()
    wait_until(lambda: len(delivered(celery_processes)) >= 60, seconds=30, what="60 reminders sent")
    killed = [celery_processes.processes["worker"].pid, *celery_processes.worker_pool_pids()]

    celery_processes.kill_worker()

    at_kill = statuses()
    sent_at_kill = len(delivered(celery_processes))
    print(f"\nSIGKILL: {len(killed)} processes killed after {sent_at_kill} sent; rows {at_kill}")
    assert sent_at_kill < len(numbers), "the drain ended before the kill: nothing tested"
    assert at_kill[Status.SENDING] > 0  # the dead sweeps' claims, for the stuck release

    celery_processes.start_worker()
    celery_processes.wait_worker_ready()
    wait_until(nothing_left_to_send, seconds=40, what="every reminder sent or in review")

    outcome = tally(numbers, delivered(celery_processes))
    print(f"SIGKILL: {outcome}")
    assert outcome["duplicates"] == 0
    assert outcome["misses"] == 0
    assert outcome["strangers"] == 0
    # At most the message each pool process had in the provider's hands.
    assert outcome["in review"] <= POOL_PROCESSES
    assert outcome["delivered"] >= len(numbers) - POOL_PROCESSES

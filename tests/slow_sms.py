"""A test SMS provider for the outbox's worker tests: each message takes 50-100 ms, like a real
provider's round trip, and every delivery is recorded durably as it happens, so that a worker
killed at any moment cannot lose the record of a message the "provider" already has.

Selected in a worker's environment: ``CLINIC_SMS_BACKEND=tests.slow_sms.SlowRecordingSMSBackend``
with ``CLINIC_SMS_FILE_PATH`` naming a folder; the deliveries are lines of ``deliveries.txt``
there (the number, then the worker process's id)."""

import os
import random
import time
from pathlib import Path

from django.conf import settings

from clinic.notifications.sms import SMSBackend, SMSMessage

DELIVERIES = "deliveries.txt"


def deliveries_file(folder: str | Path) -> Path:
    return Path(folder) / DELIVERIES


def read_deliveries(folder: str | Path) -> list[str]:
    """The numbers delivered to, one per delivery (a number twice is a duplicate)."""
    path = deliveries_file(folder)
    if not path.exists():
        return []
    return [line.split()[0] for line in path.read_text().splitlines() if line.strip()]


class SlowRecordingSMSBackend(SMSBackend):
    def send(self, message: SMSMessage) -> None:
        round_trip = random.uniform(0.05, 0.1)
        time.sleep(round_trip / 2)  # on the way to the provider
        folder = Path(settings.CLINIC_SMS_FILE_PATH)
        folder.mkdir(parents=True, exist_ok=True)
        # One write of one whole line with O_APPEND, then fsync: lines from several processes
        # never interleave, and a line written survives the writer being killed.
        descriptor = os.open(deliveries_file(folder), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(descriptor, f"{message.to} {os.getpid()}\n".encode())
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
        time.sleep(round_trip / 2)  # the provider's answer on its way back

"""SMS backends. Development writes messages to the console or a folder; tests keep them in
memory. A provider adapter implements ``send`` (see docs/outbox.md, "SMS provider")."""

import json
import sys
import threading
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path

from django.conf import settings
from django.utils import timezone


@dataclass(frozen=True)
class SMSMessage:
    to: str
    body: str


class SMSBackend:
    def send(self, message: SMSMessage) -> None:
        raise NotImplementedError


class ConsoleSMSBackend(SMSBackend):
    def send(self, message: SMSMessage) -> None:
        sys.stdout.write(f"SMS to {message.to}:\n{message.body}\n{'-' * 40}\n")
        sys.stdout.flush()


class FileSMSBackend(SMSBackend):
    """One JSON file per message in ``CLINIC_SMS_FILE_PATH``."""

    def send(self, message: SMSMessage) -> None:
        folder = Path(settings.CLINIC_SMS_FILE_PATH)
        folder.mkdir(parents=True, exist_ok=True)
        record = {**asdict(message), "sent_at": timezone.now().isoformat()}
        (folder / f"{timezone.now():%Y%m%d-%H%M%S}-{uuid.uuid4().hex[:8]}.json").write_text(
            json.dumps(record)
        )


class LocmemSMSBackend(SMSBackend):
    """Keeps messages in ``LocmemSMSBackend.outbox`` (tests)."""

    outbox: list[SMSMessage] = []
    _lock = threading.Lock()

    def send(self, message: SMSMessage) -> None:
        with self._lock:
            LocmemSMSBackend.outbox.append(message)

"""Shared setup for outbox tests: a sweep at a clinic time, the messages that went out, and
SMS backends that fail."""

from datetime import datetime

import time_machine
from django.core import mail

from clinic.notifications.sms import LocmemSMSBackend, SMSBackend
from followups.services.outbox import SweepReport, outbox_sweep


def sweep_at(moment: datetime) -> SweepReport:
    with time_machine.travel(moment, tick=False):
        return outbox_sweep()


def texts_to(number: str) -> list[str]:
    return [message.body for message in LocmemSMSBackend.outbox if message.to == number]


def clear_outboxes() -> None:
    LocmemSMSBackend.outbox.clear()
    mail.outbox.clear()


class BrokenSMSBackend(SMSBackend):
    """The provider is unreachable."""

    def send(self, message) -> None:
        raise ConnectionError("provider unreachable")


CLINICAL_WORDS = ("ketamine", "esketamine", "dose", "mg", "depress", "anxiety", "gad-7", "phq")

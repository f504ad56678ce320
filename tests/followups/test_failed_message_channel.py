"""A message in review says which channel it went by: on the front desk's home page (what is
overdue), the patient's communication log and the chart's timeline. One interrupted mid-send
by a worker that died names the channel it was handed over on; one that failed before a
channel was chosen (no consent on file) says so plainly."""

from datetime import timedelta

import pytest
import time_machine
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone

from clinic.notifications.sms import LocmemSMSBackend
from followups.models import OutboxEntry
from followups.services.outbox import outbox_sweep
from intake.models import Patient
from tests.conftest import sign_in

from .outbox_helpers import reminders_due_in

pytestmark = pytest.mark.django_db

Status = OutboxEntry.Status


@pytest.fixture(autouse=True)
def reminder_settings(settings):
    settings.CLINIC_REMINDER_OFFSETS = ["2h"]
    settings.CLINIC_QUIET_HOURS = ""
    settings.CLINIC_SMS_BACKEND = "clinic.notifications.sms.LocmemSMSBackend"
    settings.CLINIC_OUTBOX_STUCK_MINUTES = 10
    LocmemSMSBackend.outbox.clear()
    yield
    LocmemSMSBackend.outbox.clear()


class WorkerKilled(BaseException):
    """A worker killed outright: nothing more is written."""


@pytest.fixture
def in_review(front_desk_user, monkeypatch):
    """Two reminders in review: one interrupted mid-send (the worker died while the provider
    had it, and a later sweep found it stuck), one that no channel could carry. Returns the
    moment after, and the two rows."""
    interrupted, unreachable = reminders_due_in(
        timedelta(minutes=10), booked_by=front_desk_user, count=2
    )
    Patient.objects.filter(pk=unreachable.patient_id).update(consent_sms=False, consent_email=False)
    due_later = timezone.now() + timedelta(minutes=11)

    def dies_in_the_provider_s_hands(backend, message):
        monkeypatch.setattr(QuerySet, "update", dies)
        raise WorkerKilled

    def dies(*args, **kwargs):
        raise WorkerKilled

    monkeypatch.setattr(LocmemSMSBackend, "send", dies_in_the_provider_s_hands)
    with time_machine.travel(due_later, tick=False), pytest.raises(WorkerKilled):
        outbox_sweep()
    monkeypatch.undo()
    later = due_later + timedelta(minutes=11)
    with time_machine.travel(later, tick=False):
        assert outbox_sweep().interrupted == 1
    rows = OutboxEntry.objects.filter(status=Status.FAILED)
    assert rows.count() == 2
    return later, rows.get(session=interrupted), rows.get(session=unreachable)


def test_the_home_page_says_which_channel_a_message_in_review_went_by(
    client, front_desk_user, in_review
):
    later, interrupted, unreachable = in_review

    with time_machine.travel(later, tick=False):
        page = sign_in(client, front_desk_user).get(reverse("home")).content.decode()

    failed = page[page.index('id="failed-messages"') :]
    assert "Appointment reminder by text message, due" in failed
    assert "Appointment reminder, channel not chosen, due" in failed
    assert " by ," not in failed
    assert interrupted.patient.full_name in failed and unreachable.patient.full_name in failed


def test_the_log_and_the_chart_say_it_too(client, clinician_user, in_review):
    later, interrupted, unreachable = in_review
    signed_in = sign_in(client, clinician_user)

    with time_machine.travel(later, tick=False):
        log = signed_in.get(
            reverse("followups:communication_log", args=[interrupted.patient_id])
        ).content.decode()
        chart = signed_in.get(
            reverse("followups:patient_chart", args=[unreachable.patient_id])
        ).content.decode()

    assert "Text message" in log
    assert "Interrupted while sending" in log
    assert (
        "Appointment reminder (2 hours before): failed, channel not chosen "
        "(No text-message or email consent with a number or address on file)"
    ) in chart

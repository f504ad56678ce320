"""The messages intake and treatments ask for go through the outbox like every reminder: an
intake link (by the way staff chose) and the "please call us" after a decline (by the patient's
channel, in daytime). Each is a row written in the asking transaction and sent by the sweep the
request queues: once, with its outcome on the row (and, for a link, on the link, where the
intake's pages show it), retried with backoff, never sent after the link was replaced."""

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from auditlog.models import LogEntry
from django.conf import settings
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from clinic.notifications.sms import LocmemSMSBackend
from followups import tasks
from followups.models import OutboxEntry
from followups.services.outbox import outbox_sweep
from intake.models import IntakeLink
from tests.factories import PatientFactory
from tests.intake.intakes import issue
from tests.treatments.screenings import screened
from treatments.models import ScreeningDetermination, StaffTask
from treatments.services.screening import screening_determine

from .outbox_data import sweep_at

pytestmark = pytest.mark.django_db

Status = OutboxEntry.Status
Purpose = OutboxEntry.Purpose
CLINIC_TZ = ZoneInfo("America/Chicago")
DAYTIME = datetime(2026, 11, 23, 10, 0, tzinfo=CLINIC_TZ)
LINK_URL = re.compile(r"https?://\S+(/i/[A-Za-z0-9_-]{40,}/)")
BROKEN_SMS = "tests.followups.outbox_data.BrokenSMSBackend"
LOCMEM_SMS = "clinic.notifications.sms.LocmemSMSBackend"


@pytest.fixture(autouse=True)
def message_settings(settings):
    settings.CLINIC_MESSAGE_NAME = "Lone Star Wellness"
    settings.CLINIC_PHONE = "(512) 555-0100"
    settings.CLINIC_QUIET_HOURS = "21:00-08:00"
    settings.CLINIC_SMS_BACKEND = LOCMEM_SMS
    LocmemSMSBackend.outbox.clear()
    yield
    LocmemSMSBackend.outbox.clear()


@pytest.fixture
def daytime():
    with time_machine.travel(DAYTIME, tick=False):
        yield DAYTIME


def link_path(body: str) -> str:
    match = LINK_URL.search(body)
    assert match, f"no intake link in {body!r}"
    return match.group(1)


def opens_the_intake(path: str) -> bool:
    return Client().get(path).get("Location") == reverse("intake:confirm")


# --- The intake link --------------------------------------------------------------------------


def test_an_intake_link_by_email_is_sent_once_by_the_outbox(
    daytime, patient, front_desk_user, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):  # the sweep the request queued
        issued = issue(patient, front_desk_user, channel="email")

    [email] = mailoutbox
    url = f"{settings.CLINIC_BASE_URL.rstrip('/')}{link_path(email.body)}"
    assert email.to == [patient.email]
    assert email.subject == "Your forms from Lone Star Wellness"
    assert email.body == (  # the words of the message sent before the outbox, unchanged
        "Hello,\n\nLone Star Wellness has sent you forms to fill in before your visit. "
        f"Open this private link (it works for 7 days):\n\n{url}\n\n"
        "You will be asked to confirm your date of birth.\n\n"
        "If you weren't expecting this message, please call the clinic."
    )
    assert opens_the_intake(link_path(email.body))
    [row] = OutboxEntry.objects.all()
    assert (row.purpose, row.status, row.channel, row.attempts) == (
        Purpose.INTAKE_LINK,
        Status.SENT,
        "email",
        1,
    )
    assert row.intake_link_id == issued.link.pk and row.patient_id == patient.pk
    link = IntakeLink.objects.get()
    assert (link.sent_at, link.send_error) == (daytime, "")
    # The token is made as the message goes: the service hands none back for a sent link.
    assert issued.token is None

    # Another sweep, or the same task run again (a retry, a second worker), sends nothing more.
    assert outbox_sweep().claimed == 0
    assert tasks.sweep_outbox.apply().get()["sent"] == 0
    assert len(mailoutbox) == 1


def test_an_intake_link_by_text_message_is_sent_once_by_the_outbox(
    daytime, patient, front_desk_user, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        issue(patient, front_desk_user, channel="sms")
    outbox_sweep()

    [sms] = LocmemSMSBackend.outbox
    assert sms.to == patient.mobile.as_e164
    url = f"{settings.CLINIC_BASE_URL.rstrip('/')}{link_path(sms.body)}"
    assert sms.body == f"Lone Star Wellness: please fill in your forms before your visit: {url}"
    assert opens_the_intake(link_path(sms.body))
    assert mailoutbox == []
    assert OutboxEntry.objects.get().channel == "sms"
    assert IntakeLink.objects.get().sent_at == daytime


def test_a_link_is_sent_at_once_even_in_quiet_hours(
    patient, front_desk_user, django_capture_on_commit_callbacks
):
    # Staff asked for it now (as before the outbox): only automatic messages wait for morning.
    late = datetime(2026, 11, 23, 22, 30, tzinfo=CLINIC_TZ)
    with time_machine.travel(late, tick=False), django_capture_on_commit_callbacks(execute=True):
        issue(patient, front_desk_user, channel="sms")

    assert len(LocmemSMSBackend.outbox) == 1


def test_nothing_is_sent_when_the_issuing_transaction_rolls_back(
    daytime, patient, front_desk_user, mailoutbox
):
    with pytest.raises(RuntimeError), transaction.atomic():
        issue(patient, front_desk_user, channel="email")
        raise RuntimeError("the request failed after issuing the link")

    assert outbox_sweep().claimed == 0
    assert not OutboxEntry.objects.exists() and mailoutbox == []


def test_a_failed_send_shows_on_the_link_and_is_retried_once(
    settings, daytime, patient, front_desk_user, django_capture_on_commit_callbacks
):
    settings.CLINIC_SMS_BACKEND = BROKEN_SMS
    with django_capture_on_commit_callbacks(execute=True):
        issue(patient, front_desk_user, channel="sms")

    link = IntakeLink.objects.get()
    assert (link.sent_at, link.send_error) == (None, "SMS not sent: ConnectionError")
    row = OutboxEntry.objects.get()
    assert (row.status, row.attempts, row.last_error) == (
        Status.SCHEDULED,
        1,
        "SMS not sent: ConnectionError",
    )
    assert row.due_at == daytime + timedelta(minutes=settings.CLINIC_OUTBOX_RETRY_MINUTES)

    settings.CLINIC_SMS_BACKEND = LOCMEM_SMS  # the provider is back
    assert sweep_at(daytime + timedelta(minutes=1)).claimed == 0  # not before the retry's time
    report = sweep_at(row.due_at)
    sweep_at(row.due_at + timedelta(minutes=30))

    assert report.sent == 1
    [sms] = LocmemSMSBackend.outbox
    assert opens_the_intake(link_path(sms.body))
    link.refresh_from_db()
    assert (link.sent_at, link.send_error) == (row.due_at, "")


def test_a_link_replaced_before_its_retry_is_never_sent(
    settings, daytime, patient, front_desk_user, mailoutbox, django_capture_on_commit_callbacks
):
    settings.CLINIC_SMS_BACKEND = BROKEN_SMS
    with django_capture_on_commit_callbacks(execute=True):
        issue(patient, front_desk_user, channel="sms")
    settings.CLINIC_SMS_BACKEND = LOCMEM_SMS
    # The front desk saw "could not be sent" and sent a new link by email instead.
    with django_capture_on_commit_callbacks(execute=True):
        issue(patient, front_desk_user, channel="email")

    sweep_at(daytime + timedelta(hours=1))

    assert LocmemSMSBackend.outbox == []
    [email] = mailoutbox
    assert opens_the_intake(link_path(email.body))
    first, second = OutboxEntry.objects.order_by("id")
    assert (first.status, first.cancel_reason) == (Status.CANCELLED, "The link is revoked")
    assert second.status == Status.SENT


def test_a_link_that_keeps_failing_goes_to_review(
    settings, front_desk, patient, front_desk_user, django_capture_on_commit_callbacks
):
    settings.CLINIC_SMS_BACKEND = BROKEN_SMS
    settings.CLINIC_OUTBOX_MAX_ATTEMPTS = 2
    start = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        issue(patient, front_desk_user, channel="sms")
    sweep_at(start + timedelta(hours=1))

    row = OutboxEntry.objects.get()
    assert (row.status, row.attempts) == (Status.FAILED, 2)
    assert IntakeLink.objects.get().send_error == "SMS not sent: ConnectionError"
    assert not StaffTask.objects.exists()  # staff see it on the link and in the log
    log = front_desk.get(reverse("followups:communication_log", args=[patient.pk]))
    page = log.content.decode()
    assert "Intake link" in page and "Send again" in page


def test_a_link_that_can_no_longer_go_that_way_fails_with_the_reason(
    daytime, patient, front_desk_user
):
    issue(patient, front_desk_user, channel="sms")  # not swept yet
    patient.consent_sms = False  # the patient withdrew their consent to texts meanwhile
    patient.save(update_fields=["consent_sms"])

    report = outbox_sweep()

    reason = "The link cannot be sent this way: the patient has not agreed to text messages."
    assert (report.failed, report.sent) == (1, 0)
    assert OutboxEntry.objects.get().last_error == reason
    assert IntakeLink.objects.get().send_error == reason
    assert LocmemSMSBackend.outbox == []


def test_the_link_request_is_in_the_audit_trail_with_who_sent_it(
    front_desk, patient, front_desk_user, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        front_desk.post(reverse("intake:intake_link_send", args=[patient.pk]), {"channel": "sms"})

    entry = OutboxEntry.objects.get()
    [created] = LogEntry.objects.get_for_object(entry).filter(action=LogEntry.Action.CREATE)
    assert created.actor == front_desk_user
    assert created.additional_data == {"patient_id": patient.pk}
    assert created.changes_dict["purpose"][1] == Purpose.INTAKE_LINK


@pytest.mark.parametrize("links", [1, 4])
def test_sending_links_costs_a_fixed_number_of_queries_per_message(daytime, front_desk_user, links):
    for _ in range(links):
        issue(PatientFactory(), front_desk_user, channel="sms")

    with CaptureQueriesContext(connection) as queries:
        report = outbox_sweep()

    assert report.sent == links
    # A batch: the stuck release (2), the due rows, the claim, the claimed rows with their
    # links and intakes. A link: its new secret, the start, then the outcome and the link's
    # delivery in one transaction (here a savepoint and its release, inside the test's own).
    assert len(queries) == 5 + 6 * links


# --- "Please call us" after a decline ---------------------------------------------------------


def decline(screening, clinician_user) -> None:
    screening_determine(
        screening=screening,
        decision=ScreeningDetermination.Decision.DECLINE,
        signed_by=clinician_user,
        reason="Uncontrolled hypertension",
    )


def test_a_decline_sends_please_call_us_through_the_outbox(
    daytime, front_desk_user, clinician_user, mailoutbox, django_capture_on_commit_callbacks
):
    screening = screened(front_desk_user)
    LocmemSMSBackend.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        decline(screening, clinician_user)

    [sms] = LocmemSMSBackend.outbox
    assert sms.to == screening.patient.mobile.as_e164
    assert sms.body == (  # the words of the message sent before the outbox, unchanged
        "Lone Star Wellness: thank you for your forms. Please call us at (512) 555-0100 "
        "so we can talk about your next steps."
    )
    row = OutboxEntry.objects.get()
    assert (row.purpose, row.status, row.channel) == (Purpose.CALL_US, Status.SENT, "sms")
    assert row.description == "Please-call-us message"
    assert mailoutbox == []
    assert outbox_sweep().claimed == 0  # sent once


def test_a_decline_signed_in_the_evening_is_sent_in_the_morning(
    front_desk_user, clinician_user, django_capture_on_commit_callbacks
):
    screening = screened(front_desk_user)
    LocmemSMSBackend.outbox.clear()
    evening = datetime(2026, 11, 23, 21, 40, tzinfo=CLINIC_TZ)
    morning = datetime(2026, 11, 24, 8, 0, tzinfo=CLINIC_TZ)

    with (
        time_machine.travel(evening, tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        decline(screening, clinician_user)

    assert LocmemSMSBackend.outbox == []
    assert OutboxEntry.objects.get().due_at == morning
    sweep_at(morning)
    assert len(LocmemSMSBackend.outbox) == 1


def test_a_please_call_us_that_cannot_go_becomes_a_call_for_the_front_desk(
    settings, daytime, front_desk_user, clinician_user, django_capture_on_commit_callbacks
):
    settings.CLINIC_SMS_BACKEND = BROKEN_SMS
    settings.CLINIC_OUTBOX_MAX_ATTEMPTS = 2
    screening = screened(front_desk_user)
    with django_capture_on_commit_callbacks(execute=True):
        decline(screening, clinician_user)
    assert not StaffTask.objects.exists()  # retried first

    sweep_at(daytime + timedelta(minutes=10))  # the last attempt fails: a task is asked for
    sweep_at(daytime + timedelta(minutes=11))  # and created

    message, task_row = OutboxEntry.objects.order_by("id")
    assert (message.status, message.attempts) == (Status.FAILED, 2)
    assert task_row.task_kind == OutboxEntry.TaskKind.CALL_PATIENT
    [task] = StaffTask.objects.all()
    assert (task.title, task.role, task.patient_id) == (
        "Call the patient about their consultation",
        StaffTask.Role.FRONT_DESK,
        screening.patient_id,
    )

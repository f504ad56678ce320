"""The outbox: scheduling rows, cancelling them, and the sweep that sends what is due.

Every message to a patient (reminders, survey invitations, and the intake links and "please
call us" that intake and treatments ask for through ``intake.patient_messages``) and every
follow-up task is an ``OutboxEntry`` written in the transaction that caused it. Beat queues
``outbox_sweep`` (through ``followups.tasks``) every ``CLINIC_OUTBOX_SWEEP_SECONDS``, and a
message asked for from a page queues it at once (``services.patient_messages``):

1. due rows are claimed with one conditional UPDATE (``status = scheduled`` -> ``sending`` with
   this sweep's token). Each row changes once, so two sweeps never both hold it: on PostgreSQL
   the second UPDATE waits for the first and then finds the row no longer "scheduled"; SQLite
   runs one writer at a time;
2. what needs no message is settled at once, in bulk: a staff task created, a row cancelled as
   no longer needed, deferred past quiet hours, or failed for want of a channel;
3. each message is then sent in turn, and each send is recorded as it happens, in short
   autocommitted UPDATEs guarded by the claim token (a row taken away meanwhile is left
   alone): ``send_started_at`` and the channel just before the provider is called, then the
   outcome (sent, retried later with backoff, or failed) as soon as the call returns, in one
   transaction with what it leads to (the survey's next re-send, or the phone follow-up);
4. the sweep is asked between messages whether to stop (the task's few-second budget, a warm
   shutdown): the rows it has not tried go back to "scheduled" at once.

So a crash (a worker killed, a lost connection) leaves at most the one message in the
provider's hands unknown. A later sweep's ``outbox_release_stuck`` tells the two kinds of row a
dead sweep left "sending" apart: one never started goes back to the queue (it was never
tried), one started goes to review ("failed", saying it may or may not have reached the
patient), never re-sent blind.

Several sweeps may run at once (beat's next tick while a run drains a backlog, several
workers): they work on disjoint rows, since a row is claimed by one conditional UPDATE and each
send is started by another UPDATE that needs the claim still to be this sweep's. The stuck
release cannot take a row that a live sweep is about to send: a never-started row it puts back
fails that guard, so the live sweep skips it; and a started row counts as stuck only when it
was started longer ago than ``CLINIC_OUTBOX_STUCK_MINUTES``, which must be longer than the sweep
task's hard time limit (``followups.tasks``), so that no live sweep can still hold it.

The queries are fixed per batch plus fixed per message (two for a reminder); only the messages
themselves scale with the rows. The design and the kill test's numbers: docs/outbox.md.
"""

import logging
import secrets
import uuid
from collections.abc import Callable, Iterable
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from clinic.locations import chain_enabled
from clinic.models import Location
from clinic.notifications import NotificationError, send_email_message, send_sms_message
from intake.contact import patient_channel
from intake.models import IntakeLink
from intake.services.questionnaires import (
    intake_link_channel_refusal,
    intake_link_token_issue,
    token_digest,
)
from treatments.models import StaffTask, TreatmentSession

from .. import messages, timing_rules, timing_settings
from ..models import OutboxEntry, Survey, SurveyLink

logger = logging.getLogger(__name__)

Status = OutboxEntry.Status
Purpose = OutboxEntry.Purpose
TaskKind = OutboxEntry.TaskKind
Channel = OutboxEntry.Channel

INTERRUPTED = (
    "Interrupted while sending (the worker stopped): it may or may not have reached the "
    "patient. Check before sending it again."
)
TASK_ROLES = {
    TaskKind.INTEGRATION_BOOKING: StaffTask.Role.FRONT_DESK,
    TaskKind.FOLLOWUP_BOOKING: StaffTask.Role.FRONT_DESK,
    TaskKind.PHONE_FOLLOWUP: StaffTask.Role.FRONT_DESK,
    TaskKind.MAINTENANCE_REVIEW: StaffTask.Role.CLINICIAN,
    TaskKind.CALL_PATIENT: StaffTask.Role.FRONT_DESK,
}
TASK_DETAILS = {
    TaskKind.INTEGRATION_BOOKING: "Book the integration appointment that follows the session.",
    TaskKind.FOLLOWUP_BOOKING: "The treatment series has ended: book a follow-up visit.",
    TaskKind.PHONE_FOLLOWUP: (
        "The check-in survey was not answered after the reminders. Call the patient, ask how "
        "they are, and log the call."
    ),
    TaskKind.MAINTENANCE_REVIEW: "Review whether maintenance treatment is needed.",
    TaskKind.CALL_PATIENT: "",
}
MAX_RETRY_DELAY = timedelta(hours=6)
# What the sweep writes back for a claimed row once its outcome is known.
OUTCOME_FIELDS = [
    "status", "due_at", "attempts", "last_error", "channel", "claim_token", "sent_at",
    "cancelled_at", "cancel_reason",
]  # fmt: skip
TASK_SOURCE = "outbox"


# --- Writing rows ------------------------------------------------------------------------------


def task_entry(
    *, patient_id: int, kind: str, key: str, due_at: datetime, session=None, survey=None
) -> OutboxEntry:
    """An unsaved task row for a staff worklist (``outbox_schedule`` writes it)."""
    return OutboxEntry(
        patient_id=patient_id,
        purpose=Purpose.TASK,
        task_kind=kind,
        idempotency_key=key,
        due_at=due_at,
        session=session,
        survey=survey,
        channel=OutboxEntry.Channel.WORKLIST,
    )


def outbox_schedule(*, entries: Iterable[OutboxEntry]) -> int:
    """Add rows (call inside the transaction that causes them). A row whose idempotency key
    exists already is not written again; one cancelled earlier (an appointment moved away and
    back) is scheduled again."""
    entries = list(entries)
    if not entries:
        return 0
    OutboxEntry.objects.bulk_create(entries, ignore_conflicts=True)
    revived = 0
    by_key = {entry.idempotency_key: entry for entry in entries}
    for old in OutboxEntry.objects.filter(idempotency_key__in=by_key, status=Status.CANCELLED):
        wanted = by_key[old.idempotency_key]
        old.status, old.due_at = Status.SCHEDULED, wanted.due_at
        old.cancelled_at, old.cancel_reason = None, ""
        old.save(update_fields=["status", "due_at", "cancelled_at", "cancel_reason"])
        revived += 1
    return revived


def outbox_cancel(*, entries: QuerySet[OutboxEntry], reason: str) -> int:
    """Cancel the rows among ``entries`` that are still waiting to go."""
    return entries.filter(status=Status.SCHEDULED).update(
        status=Status.CANCELLED, cancelled_at=timezone.now(), cancel_reason=reason[:200]
    )


def outbox_send_again(*, entry: OutboxEntry, user) -> bool:
    """Staff ask for a failed message to be tried again (after checking with the patient when
    it was interrupted)."""
    return bool(
        OutboxEntry.objects.filter(pk=entry.pk, status=Status.FAILED).update(
            status=Status.SCHEDULED,
            due_at=timezone.now(),
            attempts=0,
            last_error="",
            claim_token=None,
            claimed_at=None,
            send_started_at=None,
        )
    )


# --- The sweep ---------------------------------------------------------------------------------


@dataclass
class SweepReport:
    batches: int = 0  # 1 when this sweep claimed rows; summed over a task's run
    claimed: int = 0
    sent: int = 0
    retried: int = 0
    failed: int = 0
    cancelled: int = 0
    deferred: int = 0
    tasks: int = 0
    # Claimed, not tried before the sweep was told to stop: back in the queue.
    left: int = 0
    # Left "sending" by a sweep that died: never tried (back in the queue), or in the
    # provider's hands when it died (to review).
    requeued: int = 0
    interrupted: int = 0

    def add(self, other: "SweepReport") -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass
class _Batch:
    now: datetime
    claim: uuid.UUID
    report: SweepReport
    zone: ZoneInfo | None = None  # the clinic's; in a chain, each row's location's (_zone)
    quiet: timing_rules.QuietHours | None = None
    to_task: list[OutboxEntry] = field(default_factory=list)
    to_send: list[tuple[OutboxEntry, str]] = field(default_factory=list)
    settled: list[OutboxEntry] = field(default_factory=list)
    follow_on: list[OutboxEntry] = field(default_factory=list)
    links: list[SurveyLink] = field(default_factory=list)
    urls: dict[int, str] = field(default_factory=dict)
    surveys_invited: dict[int, Survey] = field(default_factory=dict)


def outbox_release_stuck(*, now: datetime | None = None) -> tuple[int, int]:
    """Rows a sweep left "sending" longer than ``CLINIC_OUTBOX_STUCK_MINUTES`` ago (it died):
    those it never started go back to the queue, those it had handed to the provider go to
    review. Returns (requeued, interrupted)."""
    now = now or timezone.now()
    stuck_since = now - timedelta(minutes=settings.CLINIC_OUTBOX_STUCK_MINUTES)
    sending = OutboxEntry.objects.filter(status=Status.SENDING)
    # Never tried; or a task, whose work and "sent" are one transaction: an interrupted one did
    # nothing. A live sweep about to start one of these finds its claim gone and skips it.
    requeued = (
        sending.filter(claimed_at__lt=stuck_since)
        .filter(Q(purpose=Purpose.TASK) | Q(send_started_at__isnull=True))
        .update(status=Status.SCHEDULED, claim_token=None, claimed_at=None)
    )
    interrupted = (
        sending.filter(send_started_at__lt=stuck_since)
        .exclude(purpose=Purpose.TASK)
        .update(status=Status.FAILED, last_error=INTERRUPTED, claim_token=None)
    )
    if requeued:
        logger.warning("outbox: %s row(s) left unsent by a stopped sweep requeued", requeued)
    if interrupted:
        logger.warning("outbox: %s interrupted message(s) moved to review", interrupted)
    return requeued, interrupted


def outbox_sweep(
    *,
    now: datetime | None = None,
    batch_size: int | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> SweepReport:
    """Send one batch of due rows; see the module's docstring. Runs in autocommit: the claim
    commits before anything is sent, and each outcome as soon as it is known. ``should_stop``
    is asked between messages; once it says yes, the rest of the batch goes back to the
    queue."""
    now = now or timezone.now()
    report = SweepReport()
    report.requeued, report.interrupted = outbox_release_stuck(now=now)
    batch_size = batch_size or settings.CLINIC_OUTBOX_BATCH_SIZE
    due = list(
        OutboxEntry.objects.filter(status=Status.SCHEDULED, due_at__lte=now)
        .order_by("due_at", "id")
        .values_list("pk", flat=True)[:batch_size]
    )
    if not due:
        return report
    claim = uuid.uuid4()
    # Both conditions again: another sweep may have taken a row, or put it back for a retry
    # later, since the list above was read.
    OutboxEntry.objects.filter(pk__in=due, status=Status.SCHEDULED, due_at__lte=now).update(
        status=Status.SENDING, claim_token=claim, claimed_at=now, send_started_at=None
    )
    related = ["patient", "session", "survey", "intake_link__intake"]
    if chain_enabled():
        # Each message's location (its name, phone and clock), read in the same query.
        related += ["session__chair__location", "patient__home_location"]
    claimed = list(
        OutboxEntry.objects.filter(claim_token=claim, status=Status.SENDING).select_related(
            *related
        )
    )
    report.claimed = len(claimed)
    report.batches = 1 if claimed else 0
    batch = _Batch(
        now=now,
        claim=claim,
        report=report,
        zone=timing_settings.clinic_zone(),
        quiet=timing_settings.quiet_hours(),
    )
    for entry in claimed:
        entry.claim_token = None
        _sort(entry, batch)
    untried = len(batch.to_send)
    in_flight: OutboxEntry | None = None
    finished = False
    try:
        _settle(batch)
        _create_tasks(batch)
        _prepare_links(batch)
        for number, (entry, channel) in enumerate(batch.to_send):
            # Asked between messages: a sweep sends at least one, so a backlog always moves.
            if number and should_stop is not None and should_stop():
                break
            untried -= 1
            if not _start(entry, channel, batch):
                continue  # no longer this sweep's (the stuck release took it back)
            in_flight = entry
            _deliver(entry, channel, batch)
            _record(entry, batch)
            in_flight = None
        finished = not untried
    finally:
        # Told to stop between messages, or stopped part-way (time limit, a lost connection):
        # the rows not tried go back to the queue; the one in the provider's hands to review.
        if not finished:
            report.left = OutboxEntry.objects.filter(
                claim_token=claim, status=Status.SENDING, send_started_at__isnull=True
            ).update(status=Status.SCHEDULED, claim_token=None, claimed_at=None)
        if in_flight is not None:
            OutboxEntry.objects.filter(pk=in_flight.pk, claim_token=claim).update(
                status=Status.FAILED, last_error=INTERRUPTED, claim_token=None
            )
    return report


def _settle(batch: _Batch) -> None:
    """The claimed rows decided without sending (cancelled, deferred, failed for want of a
    channel), written at once with what they lead to. Only rows this sweep still holds."""
    if not batch.settled:
        return
    follow_on, batch.follow_on = batch.follow_on, []
    links = [entry for entry in batch.settled if entry.intake_link_id]
    with transaction.atomic() if follow_on or links else nullcontext():
        OutboxEntry.objects.filter(claim_token=batch.claim).bulk_update(
            batch.settled, OUTCOME_FIELDS
        )
        outbox_schedule(entries=follow_on)
        for entry in links:
            _note_on_link(entry)


def _start(entry: OutboxEntry, channel: str, batch: _Batch) -> bool:
    """Mark the row as handed to the provider, if this sweep still holds it."""
    return bool(
        OutboxEntry.objects.filter(
            pk=entry.pk, claim_token=batch.claim, status=Status.SENDING
        ).update(send_started_at=timezone.now(), channel=channel, attempts=entry.attempts + 1)
    )


def _record(entry: OutboxEntry, batch: _Batch) -> None:
    """One message's outcome, written as soon as its send returned, with what it leads to."""
    follow_on, batch.follow_on = batch.follow_on, []
    mine = OutboxEntry.objects.filter(pk=entry.pk, claim_token=batch.claim)
    outcome = {name: getattr(entry, name) for name in OUTCOME_FIELDS}
    if not follow_on and not entry.intake_link_id:
        mine.update(**outcome)
        return
    with transaction.atomic():
        if mine.update(**outcome):
            outbox_schedule(entries=follow_on)
            _note_on_link(entry)


def _note_on_link(entry: OutboxEntry) -> None:
    """An intake link's delivery, copied to the link, where the intake's pages show it:
    when it reached the provider, or why it did not (also while a retry waits)."""
    if not entry.intake_link_id:
        return
    if entry.status == Status.SENT:
        outcome = {"sent_at": entry.sent_at, "send_error": ""}
    elif entry.status in (Status.FAILED, Status.SCHEDULED) and entry.last_error:
        outcome = {"send_error": entry.last_error[:200]}
    else:
        return
    IntakeLink.objects.filter(pk=entry.intake_link_id).update(**outcome)


def _cancel(entry: OutboxEntry, reason: str, batch: _Batch) -> None:
    entry.status, entry.cancelled_at, entry.cancel_reason = Status.CANCELLED, batch.now, reason
    batch.report.cancelled += 1
    batch.settled.append(entry)


def _defer(entry: OutboxEntry, until: datetime, batch: _Batch) -> None:
    entry.status, entry.due_at = Status.SCHEDULED, until
    batch.report.deferred += 1
    batch.settled.append(entry)


def _fail(entry: OutboxEntry, error: str, batch: _Batch) -> None:
    entry.status, entry.last_error = Status.FAILED, error[:300]
    batch.report.failed += 1
    if entry.survey_id and entry.purpose != Purpose.TASK:
        batch.follow_on.append(_phone_task(entry, due_at=batch.now))
    if entry.purpose == Purpose.CALL_US:
        # The patient was not told to call: the front desk calls them instead.
        batch.follow_on.append(
            task_entry(
                patient_id=entry.patient_id,
                kind=TaskKind.CALL_PATIENT,
                key=f"{entry.idempotency_key}:task",
                due_at=batch.now,
            )
        )


def _phone_task(entry: OutboxEntry, *, due_at: datetime) -> OutboxEntry:
    return task_entry(
        patient_id=entry.patient_id,
        kind=TaskKind.PHONE_FOLLOWUP,
        key=f"survey:{entry.survey_id}:phone",
        due_at=due_at,
        session=entry.session,
        survey=entry.survey,
    )


def _location(entry: OutboxEntry) -> Location | None:
    """The location a message is from, in a chain: the session's (a reminder, a survey after
    it), else the patient's home location (an intake link, a request to call). None with one
    clinic."""
    if entry.session_id:
        return timing_settings.session_location(entry.session)
    return timing_settings.patient_location(entry.patient)


def _zone(entry: OutboxEntry, batch: _Batch) -> ZoneInfo:
    """The clock the row's quiet hours are read on: its location's in a chain."""
    location = _location(entry)
    return location.zone if location is not None else batch.zone


def _sort(entry: OutboxEntry, batch: _Batch) -> None:
    """Decide what happens to one claimed row: a task to create, a message to send now, or
    cancelled, deferred or failed without sending."""
    if entry.purpose == Purpose.TASK:
        survey = entry.survey
        if (
            entry.task_kind == TaskKind.PHONE_FOLLOWUP
            and survey
            and survey.status
            in (
                Survey.Status.COMPLETED,
                Survey.Status.CANCELLED,
            )
        ):
            _cancel(entry, "The survey was answered", batch)
        else:
            batch.to_task.append(entry)
        return
    if entry.purpose == Purpose.INTAKE_LINK:
        _sort_intake_link(entry, batch)
        return
    zone = _zone(entry, batch)
    in_quiet = batch.quiet is not None and batch.quiet.contains(batch.now, zone)
    if entry.purpose == Purpose.APPOINTMENT_REMINDER:
        session = entry.session
        if session.status != TreatmentSession.Status.BOOKED:
            _cancel(entry, f"The appointment is {session.get_status_display().lower()}", batch)
            return
        if session.starts_at - timing_rules.REMINDER_MIN_NOTICE <= batch.now:
            _cancel(entry, "Too close to the appointment to remind", batch)
            return
        if in_quiet:
            morning = timing_rules.quiet_end_after(batch.now, batch.quiet, zone)
            if morning <= session.starts_at - timing_rules.REMINDER_MIN_NOTICE:
                _defer(entry, morning, batch)
            else:
                _cancel(entry, "Quiet hours until too close to the appointment", batch)
            return
    elif entry.purpose == Purpose.CALL_US:
        if in_quiet:
            _defer(entry, timing_rules.quiet_end_after(batch.now, batch.quiet, zone), batch)
            return
    else:
        survey = entry.survey
        if survey.status in (Survey.Status.COMPLETED, Survey.Status.CANCELLED):
            _cancel(entry, f"The survey is {survey.get_status_display().lower()}", batch)
            return
        if survey.expires_at and survey.expires_at <= batch.now:
            _cancel(entry, "The survey has closed", batch)
            return
        if in_quiet:
            _defer(entry, timing_rules.quiet_end_after(batch.now, batch.quiet, zone), batch)
            return
    channel, why_not = patient_channel(entry.patient)
    if channel is None:
        entry.attempts += 1
        _fail(entry, why_not, batch)
        batch.settled.append(entry)
        return
    batch.to_send.append((entry, channel))


def _sort_intake_link(entry: OutboxEntry, batch: _Batch) -> None:
    """An intake link goes the way staff chose, at once, quiet hours or not (as before the
    outbox: they asked for it now, often with the patient on the phone), unless it no longer
    works or can no longer go that way."""
    link = entry.intake_link
    refusal = link.refusal(batch.now)
    if refusal:
        _cancel(entry, f"The link is {refusal}", batch)
        return
    if link.intake.is_submitted:
        _cancel(entry, "The forms are submitted", batch)
        return
    why_not = intake_link_channel_refusal(patient=entry.patient, channel=link.channel)
    if why_not:
        entry.attempts += 1
        _fail(entry, f"The link cannot be sent this way: {why_not}.", batch)
        batch.settled.append(entry)
        return
    batch.to_send.append((entry, link.channel))


def _create_tasks(batch: _Batch) -> None:
    if not batch.to_task:
        return
    with transaction.atomic():
        StaffTask.objects.bulk_create(
            [
                StaffTask(
                    patient_id=entry.patient_id,
                    role=TASK_ROLES[entry.task_kind],
                    title=entry.get_task_kind_display(),
                    details=TASK_DETAILS[entry.task_kind],
                    due_at=entry.due_at,
                    source_kind=TASK_SOURCE,
                    source_id=entry.pk,
                )
                for entry in batch.to_task
            ]
        )
        OutboxEntry.objects.filter(pk__in=[entry.pk for entry in batch.to_task]).update(
            status=Status.SENT, sent_at=batch.now, attempts=1, claim_token=None
        )
    for entry in batch.to_task:
        entry.status, entry.sent_at, entry.attempts = Status.SENT, batch.now, 1
    batch.report.tasks += len(batch.to_task)


def _prepare_links(batch: _Batch) -> None:
    """A new secret link for every survey or intake link message about to go (only its hash is
    stored)."""
    link_days = timedelta(days=settings.CLINIC_SURVEY_LINK_DAYS)
    for entry, channel in batch.to_send:
        if entry.intake_link_id:
            batch.urls[entry.pk] = intake_link_token_issue(link=entry.intake_link)
            continue
        survey = entry.survey
        if survey is None:
            continue
        if survey.expires_at is None:
            survey.status = Survey.Status.INVITED
            survey.invited_at = batch.now
            survey.expires_at = batch.now + link_days
            batch.surveys_invited[survey.pk] = survey
        token = secrets.token_urlsafe(32)
        batch.links.append(
            SurveyLink(
                survey=survey,
                channel=channel,
                token_hash=token_digest(token),
                expires_at=survey.expires_at,
            )
        )
        path = reverse("followups:survey_link_open", kwargs={"token": token})
        batch.urls[entry.pk] = settings.CLINIC_BASE_URL.rstrip("/") + path
    if batch.links:
        SurveyLink.objects.bulk_create(batch.links)
    if batch.surveys_invited:
        Survey.objects.bulk_update(
            batch.surveys_invited.values(), ["status", "invited_at", "expires_at"]
        )


def _message_for(entry: OutboxEntry, batch: _Batch) -> messages.PatientMessage:
    location = _location(entry)
    if entry.purpose == Purpose.APPOINTMENT_REMINDER:
        return messages.appointment_reminder(entry.session.starts_at, location=location)
    if entry.purpose == Purpose.INTAKE_LINK:
        return messages.intake_link(
            batch.urls[entry.pk],
            expires_at=entry.intake_link.expires_at,
            now=batch.now,
            location=location,
        )
    if entry.purpose == Purpose.CALL_US:
        return messages.please_call_us(location=location)
    return messages.survey_invitation(
        batch.urls[entry.pk], resend=entry.purpose == Purpose.SURVEY_RESEND, location=location
    )


def _deliver(entry: OutboxEntry, channel: str, batch: _Batch) -> None:
    entry.attempts += 1
    entry.channel = channel
    try:
        message = _message_for(entry, batch)
        if channel == Channel.EMAIL:
            send_email_message(to=entry.patient.email, subject=message.subject, body=message.body)
        else:
            send_sms_message(to=entry.patient.mobile.as_e164, body=message.sms)
    except SoftTimeLimitExceeded:
        raise  # the sweep's time is up: handled by the sweep, not a provider failure
    except Exception as error:  # the provider's or the network's; the row keeps the reason
        reason = str(error) if isinstance(error, NotificationError) else type(error).__name__
        logger.warning(
            "outbox entry %s not sent (attempt %s): %s", entry.pk, entry.attempts, reason
        )
        if entry.attempts >= settings.CLINIC_OUTBOX_MAX_ATTEMPTS:
            _fail(entry, reason, batch)
            return
        first_delay = timedelta(minutes=settings.CLINIC_OUTBOX_RETRY_MINUTES)
        delay = first_delay * 2 ** (entry.attempts - 1)
        entry.status = Status.SCHEDULED
        entry.due_at = batch.now + min(delay, MAX_RETRY_DELAY)
        entry.last_error = reason[:300]
        batch.report.retried += 1
        return
    entry.status, entry.sent_at, entry.last_error = Status.SENT, batch.now, ""
    batch.report.sent += 1
    if entry.survey_id:
        batch.follow_on.append(_next_after_survey_message(entry, batch))


def _next_after_survey_message(entry: OutboxEntry, batch: _Batch) -> OutboxEntry:
    """After an invitation or a re-send: the next re-send a day later, or, after the last one,
    the phone follow-up task."""
    sent_number = 0 if entry.purpose == Purpose.SURVEY_INVITATION else int(entry.offset_label)
    wait = timedelta(hours=settings.CLINIC_SURVEY_RESEND_HOURS)
    if sent_number >= settings.CLINIC_SURVEY_RESENDS:
        return _phone_task(entry, due_at=batch.now + wait)
    number = sent_number + 1
    return OutboxEntry(
        patient_id=entry.patient_id,
        purpose=Purpose.SURVEY_RESEND,
        offset_label=str(number),
        session_id=entry.session_id,
        survey_id=entry.survey_id,
        idempotency_key=f"survey:{entry.survey_id}:resend:{number}",
        due_at=timing_rules.patient_message_time(
            batch.now + wait, batch.quiet, _zone(entry, batch)
        ),
    )

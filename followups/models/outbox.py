"""The outbox: every message to a patient (reminders, survey invitations, intake links, "please
call us") and every follow-up task is a row here, written in the same transaction as the change
that caused it, and sent by the sweep when it falls due."""

from django.db import models

from intake import patient_messages
from intake.models import IntakeLink, Patient
from treatments.models import TreatmentSession


class OutboxEntry(models.Model):
    class Purpose(models.TextChoices):
        APPOINTMENT_REMINDER = "reminder", "Appointment reminder"
        SURVEY_INVITATION = "survey", "Check-in survey"
        SURVEY_RESEND = "survey_resend", "Check-in survey (reminder)"
        # Asked for by intake and treatments (intake/patient_messages.py).
        INTAKE_LINK = patient_messages.INTAKE_LINK, "Intake link"
        CALL_US = patient_messages.CALL_US, "Please-call-us message"
        TASK = "task", "Staff task"

    class TaskKind(models.TextChoices):
        INTEGRATION_BOOKING = "integration", "Book an integration appointment"
        FOLLOWUP_BOOKING = "followup_visit", "Book a follow-up appointment"
        PHONE_FOLLOWUP = "phone", "Phone follow-up: survey not answered"
        MAINTENANCE_REVIEW = "maintenance", "Maintenance review due"
        # A "please call us" message that could not go (no consent, or the provider failed).
        CALL_PATIENT = "call_patient", "Call the patient about their consultation"

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", "Scheduled"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    class Channel(models.TextChoices):
        EMAIL = "email", "Email"
        SMS = "sms", "Text message"
        WORKLIST = "worklist", "Staff worklist"

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="outbox_entries")
    purpose = models.CharField(max_length=16, choices=Purpose)
    task_kind = models.CharField(max_length=16, choices=TaskKind, blank=True)
    # "48h" before an appointment, "24h" after a session, "1" for the first re-send...
    offset_label = models.CharField(max_length=10, blank=True)
    session = models.ForeignKey(
        TreatmentSession,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="outbox_entries",
    )
    survey = models.ForeignKey(
        "followups.Survey",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="outbox_entries",
    )
    # An intake link's message: the link gets a fresh secret as it is sent, and its delivery
    # (sent_at, send_error) is copied to it for the intake's pages.
    intake_link = models.ForeignKey(
        IntakeLink,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="outbox_entries",
    )
    # What makes this message this message: a second write of the same one is refused.
    idempotency_key = models.CharField(max_length=120, unique=True)
    status = models.CharField(max_length=10, choices=Status, default=Status.SCHEDULED)
    due_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=300, blank=True)
    channel = models.CharField(max_length=10, choices=Channel, blank=True)
    claim_token = models.UUIDField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    # When this row was handed to the provider (set just before the call, by the sweep that
    # claimed it). A row "sending" without it was claimed but never tried.
    send_started_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["due_at", "id"]
        verbose_name = "outbox entry"
        verbose_name_plural = "outbox"
        indexes = [
            # The sweep: due rows still to send, oldest first.
            models.Index(
                fields=["due_at"],
                condition=models.Q(status="scheduled"),
                name="outbox_due",
            ),
            # Rows stuck in "sending" (a worker died mid-send).
            models.Index(
                fields=["claimed_at"],
                condition=models.Q(status="sending"),
                name="outbox_in_flight",
            ),
            models.Index(fields=["patient", "-due_at"], name="outbox_patient_log"),
            models.Index(fields=["session", "status"], name="outbox_session"),
            models.Index(fields=["survey", "status"], name="outbox_survey"),
            models.Index(fields=["status", "-due_at"], name="outbox_status"),
            # The admin's list, in due order (the sweep's outbox_due holds only scheduled rows).
            models.Index(fields=["due_at", "id"], name="outbox_admin_order"),
            # The admin's task filter: tasks are a few percent of rows, some kinds a handful.
            models.Index(
                fields=["task_kind", "due_at", "id"],
                condition=~models.Q(task_kind=""),
                name="outbox_task_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_purpose_display()} {self.offset_label} ({self.get_status_display()})"

    @property
    def description(self) -> str:
        """What it was, in the clinic's words, for the communication log."""
        if self.purpose == self.Purpose.TASK:
            return self.get_task_kind_display()
        return message_description(self.purpose, self.offset_label)

    def get_additional_data(self) -> dict:
        return {"patient_id": self.patient_id}


def message_description(purpose: str, offset_label: str) -> str:
    """What a message (not a task) was, in the clinic's words: ``OutboxEntry.description``
    from the two columns it reads, for lists that do not load the rows as models."""
    if purpose == OutboxEntry.Purpose.APPOINTMENT_REMINDER:
        return f"Appointment reminder ({_offset_words(offset_label)} before)"
    if purpose == OutboxEntry.Purpose.SURVEY_INVITATION:
        return f"Check-in survey ({_offset_words(offset_label)} after the session)"
    if purpose == OutboxEntry.Purpose.SURVEY_RESEND:
        return f"Check-in survey, reminder {offset_label}"
    return OutboxEntry.Purpose(purpose).label


def with_channel(text: str, channel: str) -> str:
    """``text`` and how it went: "... by text message", "... by email", or, when no channel
    was chosen (no consent on file), "..., channel not chosen"."""
    if not channel:
        return f"{text}, channel not chosen"
    label = dict(OutboxEntry.Channel.choices).get(channel, channel)
    return f"{text} by {label.lower()}"


def _offset_words(label: str) -> str:
    if not label:
        return ""
    number, unit = label[:-1], label[-1]
    words = {"m": "minute", "h": "hour", "d": "day", "w": "week"}.get(unit, unit)
    return f"{number} {words}{'' if number == '1' else 's'}"

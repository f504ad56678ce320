"""Check-in surveys after a session, the links that open them, and phone follow-ups."""

from django.conf import settings
from django.db import models

from intake.models import Patient, PatientLink
from treatments.models import StaffTask, TreatmentSession


class Survey(models.Model):
    """One check-in after one session ("24h", "7d", "14d" after it), answered from a link."""

    class Content(models.TextChoices):
        # How are you feeling, side effects, anxiety since the treatment (the GAD-7's items with
        # another recall period: not the GAD-7) and the safety question (PHQ-9 item 9).
        CHECKIN = "checkin", "Check-in (feeling, side effects, anxiety since the treatment)"
        # GAD-7 and PHQ-9.
        SCORES = "scores", "GAD-7 and PHQ-9"

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", "Scheduled"
        INVITED = "invited", "Invited"
        IN_PROGRESS = "in_progress", "In progress"
        COMPLETED = "completed", "Answered"
        CANCELLED = "cancelled", "Cancelled"

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="surveys")
    session = models.ForeignKey(TreatmentSession, on_delete=models.PROTECT, related_name="surveys")
    offset_label = models.CharField(max_length=10)
    content = models.CharField(max_length=10, choices=Content)
    status = models.CharField(max_length=12, choices=Status, default=Status.SCHEDULED)
    due_at = models.DateTimeField()
    invited_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    # Draft answers as the patient typed them, step by step; validated again on submit.
    answers = models.JSONField(default=dict, blank=True)
    completed_steps = models.JSONField(default=list, blank=True)
    feeling = models.PositiveSmallIntegerField(null=True, blank=True)
    # [{"effect": "nausea", "severity": "severe"}, ...]
    side_effects = models.JSONField(default=list, blank=True)
    safety_answer = models.PositiveSmallIntegerField(null=True, blank=True)
    # Why this answer needs a clinician first: "item9", "gad7_worse", "phq9_worse",
    # "severe_side_effect" (the check-in's anxiety questions are compared with nothing).
    escalations = models.JSONField(default=list, blank=True)
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    review_note = models.CharField(max_length=1000, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["due_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["session", "offset_label"], name="survey_once"),
        ]
        indexes = [
            models.Index(fields=["patient", "due_at"], name="survey_patient"),
            # The worklist: escalated answers first, oldest first; the calm ones, and every
            # count of what is left to review, from the index alone.
            models.Index(
                fields=["completed_at", "id"],
                condition=models.Q(status="completed", reviewed_at__isnull=True)
                & ~models.Q(escalations=[]),
                name="survey_escalated",
            ),
            models.Index(
                fields=["completed_at", "escalations"],
                condition=models.Q(status="completed", reviewed_at__isnull=True),
                name="survey_review_queue",
            ),
            models.Index(fields=["reviewed_at"], name="survey_reviewed"),
            # The admin's list in due order, and under a status filter (some are rare).
            models.Index(fields=["due_at", "id"], name="survey_admin_order"),
            models.Index(fields=["status", "due_at", "id"], name="survey_status_order"),
        ]

    def __str__(self) -> str:
        return f"Survey {self.pk} ({self.offset_label}, {self.get_status_display()})"

    @property
    def escalated(self) -> bool:
        return bool(self.escalations)

    def get_additional_data(self) -> dict:
        return {"patient_id": self.patient_id}


class SurveyLink(PatientLink):
    """A secret link to one survey, made when an invitation or re-send is sent."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="links")
    channel = models.CharField(max_length=8)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["survey", "-created_at"], name="surveylink_latest"),
            # The admin's list, newest first.
            models.Index(fields=["-created_at", "-id"], name="surveylink_recent"),
        ]

    def __str__(self) -> str:
        return f"Survey link {self.pk}"

    @property
    def patient(self):
        return self.survey.patient

    def get_additional_data(self) -> dict:
        return {"patient_id": self.survey.patient_id}


class FollowUpCall(models.Model):
    """A phone follow-up made by staff, with what came of it."""

    class Outcome(models.TextChoices):
        REACHED = "reached", "Spoke with the patient"
        VOICEMAIL = "voicemail", "Left a voicemail"
        NO_ANSWER = "no_answer", "No answer"
        WRONG_NUMBER = "wrong_number", "Wrong or disconnected number"

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="followup_calls")
    task = models.ForeignKey(
        StaffTask, on_delete=models.PROTECT, null=True, blank=True, related_name="calls"
    )
    outcome = models.CharField(max_length=16, choices=Outcome)
    note = models.CharField(max_length=1000, blank=True)
    called_at = models.DateTimeField()
    called_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-called_at", "-id"]
        indexes = [models.Index(fields=["patient", "-called_at"], name="call_patient")]

    def __str__(self) -> str:
        return f"Call {self.pk} ({self.get_outcome_display()})"

    def get_additional_data(self) -> dict:
        return {"patient_id": self.patient_id}

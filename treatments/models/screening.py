"""Candidacy screening: the clinician's assessment findings, the computed screening, the signed
determination, and tasks for staff."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from intake.models import Intake, Patient

from ..screening_rules import RESULT_LABELS, Result


class AssessmentFinding(models.Model):
    """What the clinician measured and noted at the assessment visit."""

    class PregnancyTest(models.TextChoices):
        NEGATIVE = "negative", "Negative"
        POSITIVE = "positive", "Positive"
        NOT_DONE = "not_done", "Not done"
        NOT_APPLICABLE = "not_applicable", "Not applicable"

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="findings")
    intake = models.ForeignKey(
        Intake, on_delete=models.PROTECT, null=True, blank=True, related_name="findings"
    )
    systolic = models.PositiveSmallIntegerField(
        "systolic blood pressure (mmHg)", null=True, blank=True
    )
    diastolic = models.PositiveSmallIntegerField(
        "diastolic blood pressure (mmHg)", null=True, blank=True
    )
    pulse = models.PositiveSmallIntegerField("pulse (per minute)", null=True, blank=True)
    weight_kg = models.DecimalField(max_digits=5, decimal_places=1, null=True, blank=True)
    height_cm = models.DecimalField(max_digits=4, decimal_places=1, null=True, blank=True)
    pregnancy_test = models.CharField(max_length=16, choices=PregnancyTest, blank=True)
    notes = models.CharField(max_length=2000, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["-recorded_at", "-id"]
        indexes = [models.Index(fields=["patient", "-recorded_at"], name="finding_latest")]

    def __str__(self) -> str:
        return f"Assessment findings {self.pk} for patient {self.patient_id}"

    @property
    def bmi(self) -> float | None:
        if not self.weight_kg or not self.height_cm:
            return None
        metres = float(self.height_cm) / 100
        return round(float(self.weight_kg) / (metres * metres), 1)

    def get_additional_data(self) -> dict:
        return {"patient_id": self.patient_id}


class Screening(models.Model):
    """One computed screening: the result, every reason with its evidence, and the rule-set
    version. New intake answers or findings make a new one; the history is kept."""

    class Status(models.TextChoices):
        """What the front desk sees: the status only, never the clinical reasons."""

        PENDING = "pending", "Pending review"
        APPROVED = "approved", "Approved"
        DECLINED = "declined", "Declined"
        MORE_INFO = "more_info", "More information needed"

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="screenings")
    intake = models.ForeignKey(Intake, on_delete=models.PROTECT, related_name="screenings")
    finding = models.ForeignKey(
        AssessmentFinding,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="screenings",
    )
    result = models.CharField(max_length=20, choices=[(r.value, RESULT_LABELS[r]) for r in Result])
    reasons = models.JSONField(default=list)
    ruleset_version = models.CharField(max_length=20)
    failed_treatments = models.JSONField(default=list)
    status = models.CharField(max_length=10, choices=Status, default=Status.PENDING)
    is_current = models.BooleanField(default=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["patient", "-created_at"], name="screening_history"),
            # The admin's list filtered by status, newest first.
            models.Index(fields=["status", "-id"], name="screening_status"),
            # The worklist: what its sort and its counts read of each waiting screening, read
            # from the index alone (the sort then reads each one's intake by key).
            models.Index(
                fields=["result", "created_at", "intake", "id"],
                condition=models.Q(is_current=True, status="pending"),
                name="screening_worklist_sort",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["patient"],
                condition=models.Q(is_current=True),
                name="one_current_screening",
            ),
        ]

    def __str__(self) -> str:
        return f"Screening {self.pk} ({self.get_result_display()})"

    @property
    def flagged(self) -> bool:
        return self.result != Result.ELIGIBLE

    def get_additional_data(self) -> dict:
        return {"patient_id": self.patient_id}


class ScreeningDetermination(models.Model):
    """A clinician's signed decision on one screening. Signed means locked: a change of mind
    needs a new screening."""

    class Decision(models.TextChoices):
        APPROVE = "approve", "Approve for treatment"
        DECLINE = "decline", "Decline"
        MORE_INFO = "more_info", "Request more information"

    class InfoRoute(models.TextChoices):
        PATIENT = "patient", "Ask the patient (a new intake step)"
        FRONT_DESK = "front_desk", "Ask the front desk (a task)"

    screening = models.OneToOneField(
        Screening, on_delete=models.PROTECT, related_name="determination"
    )
    decision = models.CharField(max_length=10, choices=Decision)
    reason = models.CharField("clinical reason", max_length=2000, blank=True)
    info_request = models.CharField("information needed", max_length=1000, blank=True)
    info_route = models.CharField(max_length=10, choices=InfoRoute, blank=True)
    is_override = models.BooleanField(default=False)
    override_justification = models.CharField(max_length=2000, blank=True)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    signed_at = models.DateTimeField()

    class Meta:
        ordering = ["-signed_at"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(is_override=True, override_justification=""),
                name="override_needs_justification",
            ),
        ]

    def __str__(self) -> str:
        signed_on = timezone.localdate(self.signed_at)
        return f"{self.get_decision_display()} by {self.signed_by_id} on {signed_on:%Y-%m-%d}"

    def get_additional_data(self) -> dict:
        return {"patient_id": self.screening.patient_id, "override": self.is_override}


class StaffTask(models.Model):
    """Something a member of staff must do for a patient (call them, book them)."""

    class Role(models.TextChoices):
        FRONT_DESK = "front_desk", "Front desk"
        CLINICIAN = "clinician", "Clinician"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        DONE = "done", "Done"
        CANCELLED = "cancelled", "Cancelled"

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="tasks")
    role = models.CharField(max_length=12, choices=Role)
    title = models.CharField(max_length=200)
    details = models.CharField(max_length=1000, blank=True)
    status = models.CharField(max_length=10, choices=Status, default=Status.OPEN)
    due_at = models.DateTimeField(null=True, blank=True)
    source_kind = models.CharField(max_length=20, blank=True)
    source_id = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    completed_at = models.DateTimeField(null=True, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    outcome = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["due_at", "created_at"]
        indexes = [
            # Covering (PostgreSQL): the home pages' counts by kind never read the table.
            models.Index(
                fields=["role", "status", "due_at"],
                include=["source_kind", "title"],
                name="task_worklist",
            ),
            models.Index(fields=["patient", "status"], name="task_patient"),
            # The follow-up worklist's Done section: the outbox's tasks done lately.
            models.Index(
                fields=["role", "completed_at"],
                condition=models.Q(source_kind="outbox", status="done"),
                name="task_outbox_done",
            ),
            # The task list's "Recently done", read in its order (every kind of task).
            models.Index(
                fields=["role", "-completed_at", "-id"],
                condition=models.Q(status="done"),
                name="task_done_latest",
            ),
        ]
        constraints = [
            # A task made from a follow-up outbox row is made once, however often it is swept.
            models.UniqueConstraint(
                fields=["source_kind", "source_id"],
                condition=models.Q(source_kind="outbox"),
                name="task_once_per_outbox_entry",
            ),
        ]

    def __str__(self) -> str:
        return f"Task {self.pk}: {self.title}"

    def get_additional_data(self) -> dict:
        return {"patient_id": self.patient_id}

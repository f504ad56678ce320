"""Treatment plans: every version kept, so the plan as it stood on any date can be shown."""

from django.conf import settings
from django.db import models

from intake.models import Patient

from ..dosing import ROUTE_LABELS

ROUTE_CHOICES = [(route.value, label) for route, label in ROUTE_LABELS.items()]


class TreatmentPlan(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        ACTIVE = "active", "Active"
        COMPLETED = "completed", "Completed"
        STOPPED = "stopped", "Stopped"

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="plans")
    status = models.CharField(max_length=10, choices=Status, default=Status.DRAFT)
    stop_reason = models.CharField(max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    activated_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["patient", "status"], name="plan_patient_status")]
        constraints = [
            models.UniqueConstraint(
                fields=["patient"],
                condition=models.Q(status="active"),
                name="one_active_plan_per_patient",
            ),
        ]

    def __str__(self) -> str:
        return f"Plan {self.pk} ({self.get_status_display()}) for patient {self.patient_id}"

    def get_additional_data(self) -> dict:
        return {"patient_id": self.patient_id}


class PlanVersion(models.Model):
    """The plan's content. Version 1 is the plan as written; each amendment adds a version
    with its reason, effective from when it was made."""

    class Indication(models.TextChoices):
        GAD = "gad", "Generalized anxiety disorder"
        SOCIAL_ANXIETY = "social_anxiety", "Social anxiety disorder"
        DEPRESSION = "depression", "Depression"
        PTSD = "ptsd", "PTSD"
        OTHER = "other", "Other"

    class Phase(models.TextChoices):
        INDUCTION = "induction", "Induction"
        MAINTENANCE = "maintenance", "Maintenance"

    plan = models.ForeignKey(TreatmentPlan, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveSmallIntegerField()
    effective_at = models.DateTimeField()
    indication = models.CharField(max_length=16, choices=Indication)
    indication_other = models.CharField(max_length=200, blank=True)
    route = models.CharField(max_length=16, choices=ROUTE_CHOICES)
    # mg/kg for IV and IM (dose_mg is then computed from weight_kg_used); mg otherwise.
    dose_amount = models.DecimalField(max_digits=6, decimal_places=2)
    dose_unit = models.CharField(max_length=6)
    dose_mg = models.DecimalField(max_digits=7, decimal_places=1)
    weight_kg_used = models.DecimalField(max_digits=5, decimal_places=1, null=True, blank=True)
    dose_outside_usual_reason = models.CharField(max_length=500, blank=True)
    # Intranasal esketamine for anything but depression is off-label: the prescriber says why.
    off_label_reason = models.CharField(max_length=1000, blank=True)
    infusion_minutes = models.PositiveSmallIntegerField(null=True, blank=True)
    phase = models.CharField(max_length=12, choices=Phase)
    sessions_planned = models.PositiveSmallIntegerField()
    # Induction: the sessions spread over span_weeks; maintenance: one every every_weeks, or
    # per_month sessions a month.
    span_weeks = models.PositiveSmallIntegerField(null=True, blank=True)
    every_weeks = models.PositiveSmallIntegerField(null=True, blank=True)
    per_month = models.PositiveSmallIntegerField(null=True, blank=True)
    start_date = models.DateField()
    goals = models.CharField(max_length=2000, blank=True)
    prescriber = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    amendment_reason = models.CharField(max_length=1000, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["plan", "number"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "number"], name="plan_version_number"),
        ]
        indexes = [models.Index(fields=["plan", "-effective_at"], name="plan_version_as_of")]

    def __str__(self) -> str:
        return f"Plan {self.plan_id} v{self.number}"

    def get_additional_data(self) -> dict:
        return {"patient_id": self.plan.patient_id}

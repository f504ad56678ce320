"""The esketamine (Spravato) REMS: the patient's enrollment before the first dose, and the
Patient Monitoring Form of each session, to be submitted within 7 days."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from intake.models import Patient

from .sessions import TreatmentSession


class RemsEnrollment(models.Model):
    """The patient's REMS enrollment form, signed by the patient and the prescriber."""

    patient = models.OneToOneField(
        Patient, on_delete=models.PROTECT, related_name="rems_enrollment"
    )
    patient_signed_on = models.DateField("signed by the patient on")
    prescriber = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    prescriber_signed_on = models.DateField("signed by the prescriber on")
    enrolled_on = models.DateField("enrolled in the REMS on")
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "REMS enrollment"
        constraints = [
            models.CheckConstraint(
                condition=Q(enrolled_on__gte=F("patient_signed_on"))
                & Q(enrolled_on__gte=F("prescriber_signed_on")),
                name="rems_enrolled_after_signatures",
            ),
        ]

    def __str__(self) -> str:
        return f"REMS enrollment of patient {self.patient_id}"

    def get_additional_data(self) -> dict:
        return {"patient_id": self.patient_id}


class RemsFormSubmission(models.Model):
    """The session's Patient Monitoring Form, submitted to the REMS (once)."""

    session = models.OneToOneField(
        TreatmentSession, on_delete=models.PROTECT, related_name="rems_submission"
    )
    submitted_on = models.DateField()
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "REMS monitoring form submission"

    def __str__(self) -> str:
        return f"REMS form of session {self.session_id}, submitted {self.submitted_on}"

    def get_additional_data(self) -> dict:
        return {"session_id": self.session_id}

"""Reads of the esketamine REMS: whether a patient is enrolled, their enrollment, the
Patient Monitoring Forms still to submit."""

from ..models import RemsEnrollment


def patient_rems_enrolled(patient_id: int) -> bool:
    """Whether the patient's REMS enrollment is recorded (the gate before an esketamine dose)."""
    return RemsEnrollment.objects.filter(patient_id=patient_id).exists()

from django.apps import AppConfig


class IntakeConfig(AppConfig):
    name = "intake"
    verbose_name = "Patients and intake"

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from .models import Patient, PatientMeasurement

        auditlog.register(Patient)
        auditlog.register(PatientMeasurement)

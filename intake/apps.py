from django.apps import AppConfig


class IntakeConfig(AppConfig):
    name = "intake"
    verbose_name = "Patients and intake"

    def ready(self) -> None:
        # Imported in ready(): these modules use the models, not loaded when this one is.
        from auditlog.registry import auditlog

        from . import access, home_panels, models

        home_panels.register()
        access.register()

        for model in (
            models.Patient,
            models.PatientMeasurement,
            models.ConsultationRequest,
            models.ConsentSignature,
            models.Assessment,
            models.ClinicalAlert,
            models.IntakeAmendment,
        ):
            auditlog.register(model)
        # The patient's own drafts are not audited keystroke by keystroke: status, submission and
        # scores are; staff corrections are IntakeAmendment rows.
        auditlog.register(
            models.Intake,
            exclude_fields=["answers", "completed_steps", "current_step", "updated_at"],
        )
        # Links: record who issued and revoked them, not every opening counter.
        auditlog.register(models.IntakeLink, include_fields=["channel", "revoked_at", "locked_at"])

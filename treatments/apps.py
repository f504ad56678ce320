from django.apps import AppConfig


class TreatmentsConfig(AppConfig):
    name = "treatments"
    verbose_name = "Screening and treatment"

    def ready(self) -> None:
        # Imported in ready(): these modules use the models, not loaded when this one is.
        from auditlog.registry import auditlog

        from . import (
            checks,  # noqa: F401 - registers the system check of the DEA number
            home_panels,
            intake_panels,
            models,
            patient_panels,
        )

        home_panels.register()
        patient_panels.register()
        intake_panels.register()

        for model in (
            models.AssessmentFinding,
            models.Screening,
            models.ScreeningDetermination,
            models.StaffTask,
            models.TreatmentPlan,
            models.PlanVersion,
            models.TreatmentChair,
            models.TreatmentSession,
            models.VitalsReading,
            models.SessionEvent,
            models.SessionAddendum,
            models.RemsEnrollment,
            models.RemsFormSubmission,
            *models.LEDGER_TABLES,
        ):
            auditlog.register(model)

        from intake.services.questionnaires import INTAKE_CHANGED_HOOKS

        from .services.screening import screening_on_intake_changed

        if screening_on_intake_changed not in INTAKE_CHANGED_HOOKS:
            INTAKE_CHANGED_HOOKS.append(screening_on_intake_changed)

from django.apps import AppConfig


class FollowupsConfig(AppConfig):
    name = "followups"
    verbose_name = "Follow-ups and reminders"

    def ready(self) -> None:
        # Imported in ready(): these modules use the models, not loaded when this one is.
        from auditlog.registry import auditlog

        from intake import patient_messages
        from treatments.services import booking, plans, sessions

        from . import home_panels, models, patient_panels, timing_settings
        from .chart import panel as chart_panel
        from .services import patient_messages as outbox_patient_messages
        from .services import session_followups

        timing_settings.check_settings()
        home_panels.register()
        patient_panels.register()
        chart_panel.register()
        for model in (models.OutboxEntry, models.Survey, models.SurveyLink, models.FollowUpCall):
            auditlog.register(model)

        for hooks, hook in (
            (booking.BOOK_HOOKS, session_followups.reminders_on_booked),
            (booking.RESCHEDULE_HOOKS, session_followups.reminders_on_rescheduled),
            (booking.CANCEL_HOOKS, session_followups.reminders_on_cancelled),
            (sessions.COMPLETED_HOOKS, session_followups.followups_on_session_completed),
            (plans.ENDED_HOOKS, session_followups.followups_on_plan_ended),
            (patient_messages.MESSAGE_HOOKS, outbox_patient_messages.patient_message_schedule),
        ):
            if hook not in hooks:
                hooks.append(hook)

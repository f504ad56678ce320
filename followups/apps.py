from django.apps import AppConfig


class FollowupsConfig(AppConfig):
    name = "followups"
    verbose_name = "Follow-ups and reminders"

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from treatments.services import booking, plans, sessions

        from . import chart_panel, home_panels, models, patient_panels, policy
        from .services import scheduling

        policy.check_settings()
        home_panels.register()
        patient_panels.register()
        chart_panel.register()
        for model in (models.OutboxEntry, models.Survey, models.SurveyLink, models.FollowUpCall):
            auditlog.register(model)

        for hooks, hook in (
            (booking.BOOK_HOOKS, scheduling.reminders_on_booked),
            (booking.RESCHEDULE_HOOKS, scheduling.reminders_on_rescheduled),
            (booking.CANCEL_HOOKS, scheduling.reminders_on_cancelled),
            (sessions.COMPLETED_HOOKS, scheduling.followups_on_session_completed),
            (plans.ENDED_HOOKS, scheduling.followups_on_plan_ended),
        ):
            if hook not in hooks:
                hooks.append(hook)

"""The clinic's follow-up settings, parsed (and checked at start-up by the app config)."""

from zoneinfo import ZoneInfo

from django.conf import settings

from . import schedule


def clinic_zone() -> ZoneInfo:
    return ZoneInfo(settings.CLINIC_TIME_ZONE)


def reminder_offsets() -> tuple[schedule.Offset, ...]:
    return schedule.parse_offsets(settings.CLINIC_REMINDER_OFFSETS)


def survey_schedule() -> tuple[schedule.SurveyTiming, ...]:
    return schedule.parse_survey_schedule(settings.CLINIC_SURVEY_SCHEDULE)


def quiet_hours() -> schedule.QuietHours | None:
    return schedule.parse_quiet_hours(settings.CLINIC_QUIET_HOURS)


def check_settings() -> None:
    """Fail loudly at start-up on a follow-up setting that cannot be understood."""
    from django.core.exceptions import ImproperlyConfigured

    try:
        reminder_offsets()
        survey_schedule()
        quiet_hours()
    except schedule.ScheduleSettingError as error:
        raise ImproperlyConfigured(f"Follow-up settings: {error}") from error
    for name in ("CLINIC_SURVEY_LINK_DAYS", "CLINIC_OUTBOX_MAX_ATTEMPTS"):
        if getattr(settings, name) < 1:
            raise ImproperlyConfigured(f"{name} must be at least 1")

"""The clinic's follow-up settings, parsed (and checked at start-up by the app config)."""

from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from . import timing_rules


def clinic_zone() -> ZoneInfo:
    return ZoneInfo(settings.CLINIC_TIME_ZONE)


def reminder_offsets() -> tuple[timing_rules.Offset, ...]:
    return timing_rules.parse_offsets(settings.CLINIC_REMINDER_OFFSETS)


def survey_schedule() -> tuple[timing_rules.SurveyTiming, ...]:
    return timing_rules.parse_survey_schedule(settings.CLINIC_SURVEY_SCHEDULE)


def quiet_hours() -> timing_rules.QuietHours | None:
    return timing_rules.parse_quiet_hours(settings.CLINIC_QUIET_HOURS)


def check_settings() -> None:
    """Fail loudly at start-up on a follow-up setting that cannot be understood."""
    try:
        reminder_offsets()
        survey_schedule()
        quiet_hours()
    except timing_rules.ScheduleSettingError as error:
        raise ImproperlyConfigured(f"Follow-up settings: {error}") from error
    for name in ("CLINIC_SURVEY_LINK_DAYS", "CLINIC_OUTBOX_MAX_ATTEMPTS"):
        if getattr(settings, name) < 1:
            raise ImproperlyConfigured(f"{name} must be at least 1")

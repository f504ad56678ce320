"""The clinic's follow-up settings, parsed (and checked at start-up by the app config), and the
zone a patient's messages follow: in a chain of clinics, the clock of the location the patient
is booked at (a patient booked in El Paso is reminded in Mountain time)."""

from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from clinic.locations import chain_enabled
from clinic.models import Location

from . import timing_rules


def clinic_zone() -> ZoneInfo:
    return ZoneInfo(settings.CLINIC_TIME_ZONE)


def session_location(session) -> Location | None:
    """The location whose clock a session's reminders, surveys and tasks follow: its chair's,
    in a chain. None with one clinic (no query: the clinic's settings are the clock), or for
    a chair from before locations."""
    if not chain_enabled():
        return None
    return session.chair.location


def patient_location(patient) -> Location | None:
    """The location whose clock and name a message about no session follows (an intake link,
    a request to call): the patient's home location, in a chain; None with one clinic."""
    if not chain_enabled():
        return None
    return patient.home_location


def location_zone(location: Location | None) -> ZoneInfo:
    """The location's zone; the clinic's (CLINIC_TIME_ZONE) with one clinic or none known."""
    return location.zone if location is not None else clinic_zone()


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

"""In a chain of clinics, a patient's reminders, quiet hours, surveys and tasks follow the clock of
the location the session is at (a patient booked in El Paso is reminded in Mountain time), and
say whose clock it is; with one clinic, the clinic's zone as before.

The US falls back on Sunday 1 November 2026 and springs forward on Sunday 14 March 2027, in
Chicago and in Denver alike (each at 02:00 of its own clock)."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from clinic.models import Location, StaffLocation
from followups.models import OutboxEntry, Survey
from followups.services.session_followups import followups_on_session_completed
from tests.followups.outbox_data import clear_outboxes, sweep_at, texts_to
from tests.treatments.booking import active_plan, book_session
from treatments.models import TreatmentChair

pytestmark = pytest.mark.django_db

CHICAGO = ZoneInfo("America/Chicago")
DENVER = ZoneInfo("America/Denver")
Status = OutboxEntry.Status
Purpose = OutboxEntry.Purpose


@pytest.fixture(autouse=True)
def _chain(settings):
    settings.CLINIC_CHAIN = True
    settings.CLINIC_TIME_ZONE = "America/Chicago"
    settings.CLINIC_QUIET_HOURS = "21:00-08:00"
    settings.CLINIC_REMINDER_OFFSETS = ["2d"]
    clear_outboxes()


@pytest.fixture
def austin(settings, front_desk_user):
    location = Location.objects.create(
        name="Austin",
        time_zone="America/Chicago",
        opening_hours=settings.CLINIC_OPENING_HOURS,
        sender_name="Lone Star Wellness Austin",
        phone="(512) 555-0100",
    )
    StaffLocation.objects.create(user=front_desk_user, location=location)
    return location


@pytest.fixture
def el_paso(settings, front_desk_user):
    location = Location.objects.create(
        name="El Paso",
        time_zone="America/Denver",
        opening_hours=settings.CLINIC_OPENING_HOURS,
        sender_name="Sun City Wellness",
        phone="(915) 555-0100",
    )
    StaffLocation.objects.create(user=front_desk_user, location=location)
    return location


def book(user, location: Location, starts_at: datetime, *, booked_on: datetime, patient=None):
    chair, _ = TreatmentChair.objects.get_or_create(
        name=f"{location.name} chair", defaults={"location": location}
    )
    with time_machine.travel(booked_on, tick=False):
        plan = active_plan(by=user, patient=patient, start_date=starts_at.date())
        return book_session(booked_by=user, starts_at=starts_at, plan=plan, on_chair=chair)


def reminder(session) -> OutboxEntry:
    return OutboxEntry.objects.get(session=session, purpose=Purpose.APPOINTMENT_REMINDER)


# --- Whole days on the location's calendar, across each zone's change -------------------------


def test_a_2_day_reminder_keeps_the_denver_clock_time_across_the_fall_back(
    front_desk_user, el_paso
):
    session = book(
        front_desk_user,
        el_paso,
        datetime(2026, 11, 2, 9, 0, tzinfo=DENVER),  # MST, 16:00 UTC
        booked_on=datetime(2026, 10, 20, 12, tzinfo=UTC),
    )

    due = reminder(session).due_at
    # 09:00 Mountain on the Saturday (MDT, 15:00 UTC): 49 real hours before, not 48.
    assert due == datetime(2026, 10, 31, 15, 0, tzinfo=UTC)
    assert due.astimezone(DENVER).hour == 9
    assert (session.starts_at - due).total_seconds() == 49 * 3600
    assert sweep_at(datetime(2026, 10, 31, 14, 59, tzinfo=UTC)).sent == 0
    assert sweep_at(datetime(2026, 10, 31, 15, 0, tzinfo=UTC)).sent == 1
    (text,) = texts_to(session.patient.mobile.as_e164)
    assert "Monday, November 2 at 9:00 AM Mountain time" in text


def test_a_2_day_reminder_keeps_the_chicago_clock_time_across_the_fall_back(
    front_desk_user, austin
):
    session = book(
        front_desk_user,
        austin,
        datetime(2026, 11, 2, 9, 0, tzinfo=CHICAGO),  # CST, 15:00 UTC
        booked_on=datetime(2026, 10, 20, 12, tzinfo=UTC),
    )

    # 09:00 Central on the Saturday (CDT, 14:00 UTC), an hour before the Denver one above.
    assert reminder(session).due_at == datetime(2026, 10, 31, 14, 0, tzinfo=UTC)
    assert sweep_at(datetime(2026, 10, 31, 14, 0, tzinfo=UTC)).sent == 1
    (text,) = texts_to(session.patient.mobile.as_e164)
    assert "Monday, November 2 at 9:00 AM Central time" in text


@pytest.mark.parametrize(
    ("zone", "location_name", "due_utc"),
    [
        # Monday 15 March 10:00 (daylight time) reminded Saturday 13 March 10:00 (standard
        # time): 47 real hours before, in each zone at its own 10:00.
        (CHICAGO, "austin", datetime(2027, 3, 13, 16, 0, tzinfo=UTC)),
        (DENVER, "el_paso", datetime(2027, 3, 13, 17, 0, tzinfo=UTC)),
    ],
)
def test_a_2_day_reminder_keeps_the_clock_time_across_the_spring_change_in_each_zone(
    front_desk_user, request, zone, location_name, due_utc
):
    location = request.getfixturevalue(location_name)
    session = book(
        front_desk_user,
        location,
        datetime(2027, 3, 15, 10, 0, tzinfo=zone),
        booked_on=datetime(2027, 3, 1, 12, tzinfo=UTC),
    )

    due = reminder(session).due_at
    assert due == due_utc
    assert due.astimezone(zone).hour == 10
    assert (session.starts_at - due).total_seconds() == 47 * 3600


# --- Quiet hours on the location's clock ------------------------------------------------------


def test_quiet_hours_at_booking_are_the_locations(front_desk_user, settings, austin, el_paso):
    """A "2h" reminder for a 09:00 appointment falls at 07:00: quiet hours in both zones, so
    each waits for its own 08:00, an hour apart."""
    settings.CLINIC_REMINDER_OFFSETS = ["2h"]
    booked_on = datetime(2026, 10, 20, 12, tzinfo=UTC)
    in_denver = book(
        front_desk_user, el_paso, datetime(2026, 11, 2, 9, 0, tzinfo=DENVER), booked_on=booked_on
    )
    in_austin = book(
        front_desk_user, austin, datetime(2026, 11, 2, 9, 0, tzinfo=CHICAGO), booked_on=booked_on
    )

    assert reminder(in_denver).due_at == datetime(2026, 11, 2, 8, 0, tzinfo=DENVER)
    assert reminder(in_austin).due_at == datetime(2026, 11, 2, 8, 0, tzinfo=CHICAGO)


def test_the_sweep_reads_quiet_hours_on_each_rows_location_clock(front_desk_user, austin, el_paso):
    """The sweep was down all day Sunday 1 November; it catches up at 21:30 Central, which is
    20:30 Mountain: quiet hours in Austin, not yet in El Paso."""
    booked_on = datetime(2026, 10, 20, 12, tzinfo=UTC)
    in_denver = book(
        front_desk_user, el_paso, datetime(2026, 11, 3, 10, 0, tzinfo=DENVER), booked_on=booked_on
    )
    in_austin = book(
        front_desk_user, austin, datetime(2026, 11, 3, 10, 0, tzinfo=CHICAGO), booked_on=booked_on
    )

    report = sweep_at(datetime(2026, 11, 1, 21, 30, tzinfo=CHICAGO))

    assert (report.sent, report.deferred) == (1, 1)
    assert reminder(in_denver).status == Status.SENT
    deferred = reminder(in_austin)
    assert deferred.status == Status.SCHEDULED
    assert deferred.due_at == datetime(2026, 11, 2, 8, 0, tzinfo=CHICAGO)
    assert texts_to(in_austin.patient.mobile.as_e164) == []
    # The next morning, 07:30 Mountain is 08:30 Central: Austin's goes, El Paso's would wait.
    assert sweep_at(datetime(2026, 11, 2, 8, 30, tzinfo=CHICAGO)).sent == 1


def test_the_sweep_defers_a_denver_row_in_denvers_quiet_hours(front_desk_user, austin, el_paso):
    booked_on = datetime(2026, 10, 20, 12, tzinfo=UTC)
    in_denver = book(
        front_desk_user, el_paso, datetime(2026, 11, 3, 10, 0, tzinfo=DENVER), booked_on=booked_on
    )
    in_austin = book(
        front_desk_user, austin, datetime(2026, 11, 3, 10, 0, tzinfo=CHICAGO), booked_on=booked_on
    )

    # Both were due on Sunday at 10:00; the sweep catches up at 07:30 Mountain, 08:30 Central.
    report = sweep_at(datetime(2026, 11, 2, 7, 30, tzinfo=DENVER))

    assert (report.sent, report.deferred) == (1, 1)
    assert reminder(in_austin).status == Status.SENT
    assert reminder(in_denver).due_at == datetime(2026, 11, 2, 8, 0, tzinfo=DENVER)


# --- The message: the location's name, phone and clock ----------------------------------------


def test_the_reminder_goes_under_the_locations_name_and_phone(front_desk_user, el_paso):
    session = book(
        front_desk_user,
        el_paso,
        datetime(2026, 11, 30, 14, 0, tzinfo=DENVER),
        booked_on=datetime(2026, 11, 20, 12, tzinfo=UTC),
    )
    sweep_at(datetime(2026, 11, 28, 14, 0, tzinfo=DENVER))

    (text,) = texts_to(session.patient.mobile.as_e164)
    assert text.startswith("Sun City Wellness: reminder of your appointment on Monday, November")
    assert "November 30 at 2:00 PM Mountain time" in text
    assert "call (915) 555-0100" in text
    assert "Lone Star" not in text


def test_a_location_without_a_sender_name_sends_under_the_neutral_name(front_desk_user, el_paso):
    el_paso.sender_name = ""
    el_paso.save(update_fields=["sender_name"])
    session = book(
        front_desk_user,
        el_paso,
        datetime(2026, 11, 30, 14, 0, tzinfo=DENVER),
        booked_on=datetime(2026, 11, 20, 12, tzinfo=UTC),
    )
    sweep_at(datetime(2026, 11, 28, 14, 0, tzinfo=DENVER))

    (text,) = texts_to(session.patient.mobile.as_e164)
    assert text.startswith("Lone Star Wellness: reminder")


# --- Surveys and tasks after a session ---------------------------------------------------------


def test_surveys_and_tasks_after_a_session_follow_its_locations_clock(
    front_desk_user, settings, el_paso
):
    """Discharged at 17:45 Mountain on Saturday 31 October: the check-in a day later falls at
    17:45 Mountain on the Sunday (standard time by then), before quiet hours there (it would
    be 18:45 in Chicago, in quiet hours)."""
    settings.CLINIC_QUIET_HOURS = "18:00-08:00"
    settings.CLINIC_SURVEY_SCHEDULE = ["1d:checkin"]
    settings.CLINIC_INTEGRATION_BOOKING_DAYS = 2
    session = book(
        front_desk_user,
        el_paso,
        datetime(2026, 10, 31, 14, 0, tzinfo=DENVER),
        booked_on=datetime(2026, 10, 20, 12, tzinfo=UTC),
    )
    session.discharged_at = datetime(2026, 10, 31, 17, 45, tzinfo=DENVER)

    with time_machine.travel(datetime(2026, 10, 31, 17, 50, tzinfo=DENVER), tick=False):
        followups_on_session_completed(session=session, user=front_desk_user)

    survey = Survey.objects.get(session=session)
    assert survey.due_at == datetime(2026, 11, 1, 17, 45, tzinfo=DENVER)
    assert survey.due_at == datetime(2026, 11, 2, 0, 45, tzinfo=UTC)
    task = OutboxEntry.objects.get(
        session=session, task_kind=OutboxEntry.TaskKind.INTEGRATION_BOOKING
    )
    assert task.due_at == datetime(2026, 11, 2, 17, 45, tzinfo=DENVER)


# --- One clinic: unchanged --------------------------------------------------------------------


def test_with_one_clinic_the_clinics_zone_and_name_as_before(front_desk_user, settings, el_paso):
    """The chain turned off: even a chair filed under a Mountain-time location is reminded on
    the clinic's clock (CLINIC_TIME_ZONE), under the clinic's name, the zone unsaid."""
    settings.CLINIC_CHAIN = False
    session = book(
        front_desk_user,
        el_paso,
        datetime(2026, 11, 2, 9, 0, tzinfo=CHICAGO),
        booked_on=datetime(2026, 10, 20, 12, tzinfo=UTC),
    )

    assert reminder(session).due_at == datetime(2026, 10, 31, 9, 0, tzinfo=CHICAGO)
    sweep_at(datetime(2026, 10, 31, 9, 0, tzinfo=CHICAGO))
    (text,) = texts_to(session.patient.mobile.as_e164)
    assert text.startswith("Lone Star Wellness: reminder")
    assert "Monday, November 2 at 9:00 AM. " in text
    assert "Mountain" not in text and "Central" not in text

"""Appointment reminders: written when a session is booked, moved or cancelled with it, sent
by the sweep at the right clinic time, and retried or failed visibly."""

from datetime import timedelta

import pytest
import time_machine
from django.core import mail

from clinic.notifications.sms import LocmemSMSBackend
from followups import tasks
from followups.models import OutboxEntry
from followups.tasks import sweep_outbox
from tests.followups.outbox_data import CLINICAL_WORDS, clear_outboxes, sweep_at, texts_to
from tests.treatments.booking import CHICAGO, active_plan, book_session, clinic_time
from treatments.services.booking import session_cancel, session_mark_no_show, session_reschedule

pytestmark = [pytest.mark.clinic_day, pytest.mark.django_db]

Status = OutboxEntry.Status


@pytest.fixture(autouse=True)
def _empty_outboxes(settings):
    settings.CLINIC_QUIET_HOURS = "21:00-08:00"
    settings.CLINIC_REMINDER_OFFSETS = ["48h", "2h"]
    clear_outboxes()


def reminders(session) -> list[tuple[str, str, str]]:
    return [
        (entry.offset_label, f"{entry.due_at.astimezone(CHICAGO):%a %d %b %H:%M}", entry.status)
        for entry in OutboxEntry.objects.filter(session=session).order_by("due_at", "id")
    ]


def book_at(user, when, **kwargs):
    with time_machine.travel(clinic_time(2026, 11, 23, 9), tick=False):
        return book_session(booked_by=user, starts_at=when, **kwargs)


def test_a_series_gets_its_reminders_and_each_goes_out_at_its_time(front_desk_user):
    plan = active_plan(by=front_desk_user)
    times = [
        clinic_time(2026, 11, 30, 10),
        clinic_time(2026, 12, 2, 10),
        clinic_time(2026, 12, 4, 14),
    ]
    sessions = [book_at(front_desk_user, when, plan=plan) for when in times]

    assert [reminders(s) for s in sessions] == [
        [("48h", "Sat 28 Nov 10:00", "scheduled"), ("2h", "Mon 30 Nov 08:00", "scheduled")],
        [("48h", "Mon 30 Nov 10:00", "scheduled"), ("2h", "Wed 02 Dec 08:00", "scheduled")],
        [("48h", "Wed 02 Dec 14:00", "scheduled"), ("2h", "Fri 04 Dec 12:00", "scheduled")],
    ]
    number = plan.patient.mobile.as_e164
    assert sweep_at(clinic_time(2026, 11, 28, 9, 59)).sent == 0
    assert sweep_at(clinic_time(2026, 11, 28, 10, 0)).sent == 1
    assert "Monday, November 30 at 10:00 AM" in texts_to(number)[0]
    due_times = sorted(
        OutboxEntry.objects.filter(status=Status.SCHEDULED).values_list("due_at", flat=True)
    )
    for due in due_times:
        assert sweep_at(due).sent == 1
    assert len(texts_to(number)) == 6
    assert [text.count("December 4 at 2:00 PM") for text in texts_to(number)[-2:]] == [1, 1]
    assert all(row[2] == "sent" for s in sessions for row in reminders(s))
    # Sweeping again sends nothing more.
    assert sweep_at(clinic_time(2026, 12, 4, 12, 5)).claimed == 0
    assert len(texts_to(number)) == 6


def test_reminders_carry_practical_instructions_and_nothing_clinical(front_desk_user):
    session = book_at(front_desk_user, clinic_time(2026, 11, 30, 10))
    sweep_at(clinic_time(2026, 11, 28, 10))
    (text,) = texts_to(session.patient.mobile.as_e164)
    assert "Lone Star Wellness" in text
    assert "don't eat for 6 hours" in text
    assert "drive you home" in text
    assert not [word for word in CLINICAL_WORDS if word in text.lower()]


def test_a_patient_who_prefers_email_gets_an_email(front_desk_user):
    session = book_at(front_desk_user, clinic_time(2026, 11, 30, 10))
    session.patient.preferred_contact = "email"
    session.patient.save()
    sweep_at(clinic_time(2026, 11, 28, 10))
    assert [m.to for m in mail.outbox] == [[session.patient.email]]
    assert mail.outbox[0].subject == "Your appointment on Monday, November 30 at 10:00 AM"
    assert OutboxEntry.objects.get(session=session, offset_label="48h").channel == "email"
    assert LocmemSMSBackend.outbox == []


def test_the_48_hour_reminder_keeps_the_clock_time_across_the_spring_change(front_desk_user):
    # Daylight time begins Sunday 14 March 2027: a Monday 10:00 appointment is reminded on
    # Saturday at 10:00 (47 real hours before), and two hours before on the Monday.
    with time_machine.travel(clinic_time(2027, 3, 1, 9), tick=False):
        session = book_session(booked_by=front_desk_user, starts_at=clinic_time(2027, 3, 15, 10))
    assert reminders(session) == [
        ("48h", "Sat 13 Mar 10:00", "scheduled"),
        ("2h", "Mon 15 Mar 08:00", "scheduled"),
    ]
    assert sweep_at(clinic_time(2027, 3, 13, 9, 59)).sent == 0
    assert sweep_at(clinic_time(2027, 3, 13, 10, 0)).sent == 1


def test_an_early_appointment_is_reminded_the_evening_before_not_in_quiet_hours(front_desk_user):
    session = book_at(front_desk_user, clinic_time(2026, 11, 30, 8, 30))
    assert reminders(session)[1] == ("2h", "Sun 29 Nov 20:59", "scheduled")


def test_a_message_due_in_quiet_hours_waits_for_the_morning(front_desk_user):
    session = book_at(front_desk_user, clinic_time(2026, 11, 30, 14))
    # The sweep was down in the evening; it catches up at 23:00, in quiet hours.
    report = sweep_at(clinic_time(2026, 11, 28, 23, 0))
    assert (report.sent, report.deferred) == (0, 1)
    entry = OutboxEntry.objects.get(session=session, offset_label="48h")
    assert (entry.status, entry.attempts) == (Status.SCHEDULED, 0)
    assert entry.due_at.astimezone(CHICAGO) == clinic_time(2026, 11, 29, 8, 0)
    assert sweep_at(clinic_time(2026, 11, 29, 8, 0)).sent == 1


def test_booking_less_than_48_hours_ahead_sends_only_the_2_hour_reminder(front_desk_user):
    session = book_at(front_desk_user, clinic_time(2026, 11, 24, 10))
    assert [row[0] for row in reminders(session)] == ["2h"]


def test_cancelling_cancels_the_pending_reminders(front_desk_user):
    session = book_at(front_desk_user, clinic_time(2026, 11, 30, 10))
    with time_machine.travel(clinic_time(2026, 11, 25, 9), tick=False):
        session_cancel(session=session, reason="Patient unwell", user=front_desk_user)
    assert [row[2] for row in reminders(session)] == ["cancelled", "cancelled"]
    assert OutboxEntry.objects.get(session=session, offset_label="48h").cancel_reason == (
        "The appointment was cancelled"
    )
    sweep_at(clinic_time(2026, 11, 30, 9))
    assert LocmemSMSBackend.outbox == []


def test_rescheduling_moves_the_pending_reminders_and_keeps_what_was_sent(front_desk_user):
    session = book_at(front_desk_user, clinic_time(2026, 11, 30, 10))
    sweep_at(clinic_time(2026, 11, 28, 10))  # the 48h reminder goes
    with time_machine.travel(clinic_time(2026, 11, 29, 9), tick=False):
        session_reschedule(
            session=session, starts_at=clinic_time(2026, 12, 7, 15), user=front_desk_user
        )
    assert reminders(session) == [
        ("48h", "Sat 28 Nov 10:00", "sent"),
        ("2h", "Mon 30 Nov 08:00", "cancelled"),
        ("48h", "Sat 05 Dec 15:00", "scheduled"),
        ("2h", "Mon 07 Dec 13:00", "scheduled"),
    ]
    sweep_at(clinic_time(2026, 11, 30, 8))
    assert len(texts_to(session.patient.mobile.as_e164)) == 1
    sweep_at(clinic_time(2026, 12, 5, 15))
    assert "Monday, December 7 at 3:00 PM" in texts_to(session.patient.mobile.as_e164)[1]


def test_moving_an_appointment_away_and_back_schedules_its_reminders_again(front_desk_user):
    original = clinic_time(2026, 11, 30, 10)
    session = book_at(front_desk_user, original)
    with time_machine.travel(clinic_time(2026, 11, 24, 9), tick=False):
        session_reschedule(
            session=session, starts_at=clinic_time(2026, 12, 7, 10), user=front_desk_user
        )
        session_reschedule(session=session, starts_at=original, user=front_desk_user)
    pending = [row for row in reminders(session) if row[2] == "scheduled"]
    assert pending == [
        ("48h", "Sat 28 Nov 10:00", "scheduled"),
        ("2h", "Mon 30 Nov 08:00", "scheduled"),
    ]


def test_a_no_show_cancels_what_is_left(front_desk_user, settings):
    settings.CLINIC_REMINDER_OFFSETS = ["48h", "30m"]
    session = book_at(front_desk_user, clinic_time(2026, 11, 30, 10))
    with time_machine.travel(clinic_time(2026, 11, 30, 10, 20), tick=False):
        session_mark_no_show(session=session, user=front_desk_user)
    assert OutboxEntry.objects.get(session=session, offset_label="48h").status == Status.CANCELLED


def test_a_reminder_too_close_to_the_appointment_is_cancelled_not_sent(front_desk_user):
    session = book_at(front_desk_user, clinic_time(2026, 11, 30, 10))
    # The sweep was down from Saturday until Monday 9:30: the 48h reminder is moot now.
    report = sweep_at(clinic_time(2026, 11, 30, 9, 30))
    assert report.sent == 0
    assert [row[2] for row in reminders(session)] == ["cancelled", "cancelled"]


def test_a_provider_failure_is_retried_with_backoff_then_failed_with_the_error(
    front_desk_user, settings
):
    settings.CLINIC_SMS_BACKEND = "tests.followups.outbox_data.BrokenSMSBackend"
    settings.CLINIC_OUTBOX_MAX_ATTEMPTS = 3
    settings.CLINIC_OUTBOX_RETRY_MINUTES = 5
    session = book_at(front_desk_user, clinic_time(2026, 12, 3, 10))
    entry = OutboxEntry.objects.get(session=session, offset_label="48h")
    start = clinic_time(2026, 12, 1, 10)
    assert sweep_at(start).retried == 1
    entry.refresh_from_db()
    assert (entry.status, entry.attempts) == (Status.SCHEDULED, 1)
    assert entry.due_at == start + timedelta(minutes=5)
    assert "SMS not sent: ConnectionError" in entry.last_error
    assert sweep_at(start + timedelta(minutes=4)).claimed == 0  # not before its retry time
    sweep_at(start + timedelta(minutes=5))
    entry.refresh_from_db()
    assert entry.due_at == start + timedelta(minutes=15)  # 5, then 10 minutes
    report = sweep_at(start + timedelta(minutes=15))
    entry.refresh_from_db()
    assert (report.failed, entry.status, entry.attempts) == (1, Status.FAILED, 3)
    assert "ConnectionError" in entry.last_error


def test_a_patient_with_no_consented_channel_shows_a_failed_reminder_saying_why(front_desk_user):
    session = book_at(front_desk_user, clinic_time(2026, 11, 30, 10))
    patient = session.patient
    patient.consent_sms = patient.consent_email = False
    patient.save()
    sweep_at(clinic_time(2026, 11, 28, 10))
    entry = OutboxEntry.objects.get(session=session, offset_label="48h")
    assert entry.status == Status.FAILED
    assert entry.last_error.startswith("No text-message or email consent")
    assert LocmemSMSBackend.outbox == [] and mail.outbox == []


def test_the_sweep_costs_fixed_queries_per_batch_and_two_per_reminder(
    front_desk_user, django_assert_num_queries
):
    # Per batch: the stuck release (2), the due list, the claim, the claimed rows read back.
    # Per reminder: its start marked just before the provider's call, its outcome just after.
    first = [
        book_at(front_desk_user, clinic_time(2026, 11, 30, 9 + n), chair_name=f"A{n}")
        for n in range(3)
    ]
    with django_assert_num_queries(5 + 2 * 3):
        assert sweep_at(clinic_time(2026, 11, 28, 12)).sent == 3
    more = [
        book_at(
            front_desk_user, clinic_time(2026, 12, 7, 8 + n // 2, 30 * (n % 2)), chair_name=f"B{n}"
        )
        for n in range(12)
    ]
    # The first sessions' 2-hour reminders come due too, now too late: cancelled together, in
    # one more statement.
    with django_assert_num_queries(5 + 1 + 2 * 12):
        assert sweep_at(clinic_time(2026, 12, 5, 20)).sent == 12
    assert len(LocmemSMSBackend.outbox) == len(first) + len(more)
    with django_assert_num_queries(3):
        assert sweep_at(clinic_time(2026, 12, 5, 20, 1)).claimed == 0


def test_one_sweep_run_drains_a_backlog_batch_after_batch(front_desk_user, settings):
    """A morning's backlog goes out in one run of the beat task, not one batch a minute."""
    settings.CLINIC_OUTBOX_BATCH_SIZE = 4
    for n in range(10):
        book_at(
            front_desk_user, clinic_time(2026, 11, 30, 8 + n // 2, 30 * (n % 2)), chair_name=f"C{n}"
        )
    with time_machine.travel(clinic_time(2026, 11, 29, 12), tick=False):
        report = sweep_outbox.apply().get()
    assert report["sent"] == 10 and report["batches"] == 3
    assert len(LocmemSMSBackend.outbox) + len(mail.outbox) == 10
    scheduled = OutboxEntry.objects.filter(status=OutboxEntry.Status.SCHEDULED)
    assert set(scheduled.values_list("offset_label", flat=True)) == {"2h"}  # not due yet


def test_a_run_out_of_time_queues_another_run_for_the_rest(front_desk_user, settings, monkeypatch):
    settings.CLINIC_OUTBOX_BATCH_SIZE = 4
    monkeypatch.setattr(tasks, "RUN_BUDGET_SECONDS", 0)
    queued = []
    monkeypatch.setattr(tasks.sweep_outbox, "delay", lambda: queued.append(True))
    for n in range(10):
        book_at(
            front_desk_user, clinic_time(2026, 11, 30, 8 + n // 2, 30 * (n % 2)), chair_name=f"C{n}"
        )
    with time_machine.travel(clinic_time(2026, 11, 29, 12), tick=False):
        report = sweep_outbox.apply().get()
    # One message (a run always moves the backlog), then the budget is spent: the rest of the
    # batch is back in the queue at once, for the queued run.
    assert (report["sent"], report["left"]) == (1, 3) and queued == [True]
    waiting = OutboxEntry.objects.filter(status=OutboxEntry.Status.SCHEDULED, offset_label="48h")
    assert waiting.count() == 9

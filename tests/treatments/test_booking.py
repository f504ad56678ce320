"""Booking sessions on chairs: clashes, lengths by route, rescheduling, cancelling, no-shows,
the plan's series, and the chair board (the concurrent race is in test_booking_race.py)."""

import itertools
from datetime import date, timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.conftest import sign_in
from tests.treatments.booking import active_plan, book_session, chair, clinic_time
from treatments.dosing import Route
from treatments.models import PlanVersion, TreatmentPlan, TreatmentSession
from treatments.selectors.booking import plan_series_proposal
from treatments.services import booking as services

pytestmark = [pytest.mark.clinic_day, pytest.mark.django_db]

TEN = clinic_time(2026, 12, 1, 10)  # a Tuesday; IV 40 + 60 minutes: 10:00-11:40


@pytest.fixture
def plan(front_desk_user, patient):
    return active_plan(by=front_desk_user, patient=patient)


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


# --- Clashes ---------------------------------------------------------------------------------


def test_a_chair_taken_for_part_of_the_session_is_refused_naming_the_clash(front_desk_user, plan):
    book_session(booked_by=front_desk_user, starts_at=TEN, chair_name="Chair 2")

    with pytest.raises(ValidationError) as refused:
        services.session_book(
            plan=plan, chair=chair("Chair 2"), starts_at=TEN + timedelta(minutes=90),
            booked_by=front_desk_user,
        )  # fmt: skip

    assert refused.value.messages == ["Chair 2 is booked 10:00\N{EN DASH}11:40."]
    assert refused.value.code == "chair_clash"
    assert plan.sessions.count() == 0


def test_a_patient_already_booked_at_that_time_is_refused_on_another_chair(front_desk_user, plan):
    services.session_book(
        plan=plan, chair=chair("Chair 1"), starts_at=TEN, booked_by=front_desk_user
    )

    with pytest.raises(ValidationError) as refused:
        services.session_book(
            plan=plan, chair=chair("Chair 2"), starts_at=TEN - timedelta(minutes=30),
            booked_by=front_desk_user,
        )  # fmt: skip

    assert refused.value.messages == [
        "The patient already has a session 10:00\N{EN DASH}11:40 (Chair 1)."
    ]
    assert plan.sessions.count() == 1


def test_sessions_that_touch_end_to_start_are_both_booked(front_desk_user, plan):
    first = book_session(booked_by=front_desk_user, starts_at=TEN)

    second = services.session_book(
        plan=plan, chair=chair("Chair 1"), starts_at=first.ends_at, booked_by=front_desk_user
    )
    before = services.session_book(
        plan=plan, chair=chair("Chair 1"), starts_at=TEN - timedelta(minutes=100),
        booked_by=front_desk_user,
    )  # fmt: skip

    assert second.starts_at == first.ends_at
    assert before.ends_at == first.starts_at


@pytest.mark.parametrize(
    ("freed_by", "freed_at", "again_at"),
    [
        ("cancel", TEN - timedelta(hours=1), TEN),
        # A no-show frees what is left of its time (the rest is in the past).
        ("no_show", TEN + timedelta(minutes=30), TEN + timedelta(minutes=45)),
    ],
)
def test_a_cancelled_or_missed_session_frees_its_chair_and_patient(
    front_desk_user, plan, freed_by, freed_at, again_at
):
    with time_machine.travel(TEN - timedelta(days=1), tick=False):
        first = services.session_book(
            plan=plan, chair=chair(), starts_at=TEN, booked_by=front_desk_user
        )
    with time_machine.travel(freed_at, tick=False):
        if freed_by == "cancel":
            services.session_cancel(session=first, reason="Patient is ill", user=front_desk_user)
        else:
            services.session_mark_no_show(session=first, user=front_desk_user)

        again = services.session_book(
            plan=plan, chair=chair(), starts_at=again_at, booked_by=front_desk_user
        )

    assert again.status == TreatmentSession.Status.BOOKED
    assert again.starts_at < first.ends_at  # inside the freed session's time


@pytest.mark.parametrize("status", [TreatmentPlan.Status.DRAFT, TreatmentPlan.Status.STOPPED])
def test_only_an_active_plan_is_booked(front_desk_user, plan, status):
    TreatmentPlan.objects.filter(pk=plan.pk).update(status=status)

    with pytest.raises(ValidationError, match="Only an active plan can be booked"):
        services.session_book(plan=plan, chair=chair(), starts_at=TEN, booked_by=front_desk_user)


def test_a_chair_not_in_use_is_refused(front_desk_user, plan):
    closed = chair("Chair 9", active=False)

    with pytest.raises(ValidationError, match="Chair 9 is not in use"):
        services.session_book(plan=plan, chair=closed, starts_at=TEN, booked_by=front_desk_user)


# --- When a session may be: not past, not before the plan, inside opening hours ---------------


def refused_booking(plan, starts_at, by) -> ValidationError:
    with pytest.raises(ValidationError) as refused:
        services.session_book(plan=plan, chair=chair(), starts_at=starts_at, booked_by=by)
    assert plan.sessions.count() == 0
    return refused.value


def test_a_session_yesterday_or_a_minute_ago_is_refused(front_desk_user):
    plan = active_plan(by=front_desk_user, start_date=date(2026, 11, 16))
    now = timezone.now()

    yesterday = refused_booking(plan, now - timedelta(days=1), front_desk_user)
    a_minute_ago = refused_booking(plan, now - timedelta(minutes=1), front_desk_user)

    assert yesterday.code == a_minute_ago.code == "in_the_past"
    assert a_minute_ago.messages == [
        f"This session would start on 11/23/2026 at "
        f"{timezone.localtime(now - timedelta(minutes=1)):%H:%M}, which is in the past."
    ]
    soon = services.session_book(
        plan=plan, chair=chair(), starts_at=now + timedelta(minutes=5), booked_by=front_desk_user
    )
    assert soon.status == TreatmentSession.Status.BOOKED


def test_the_plans_start_date_is_the_first_day_a_session_may_be(front_desk_user):
    plan = active_plan(by=front_desk_user, start_date=date(2026, 12, 1))

    refused = refused_booking(plan, clinic_time(2026, 11, 30, 10), front_desk_user)
    on_the_day = services.session_book(
        plan=plan, chair=chair(), starts_at=clinic_time(2026, 12, 1, 8), booked_by=front_desk_user
    )

    assert refused.messages == [
        "The plan starts on 12/01/2026: this session would be on 11/30/2026, before it."
    ]
    assert refused.code == "before_plan_start"
    assert on_the_day.starts_at == clinic_time(2026, 12, 1, 8)


@pytest.mark.parametrize(
    ("starts_at", "message"),
    [
        (clinic_time(2026, 12, 1, 8), None),  # opening time
        (
            clinic_time(2026, 12, 1, 7, 59),
            "The clinic is open 08:00\N{EN DASH}18:00 on Tuesdays; this session would start at "
            "07:59.",
        ),
        (clinic_time(2026, 12, 5, 16, 20), None),  # a Saturday, ending at 18:00 exactly
        (
            clinic_time(2026, 12, 5, 17),
            "The clinic is open 08:00\N{EN DASH}18:00 on Saturdays; this session would end at "
            "18:40.",
        ),
        (
            clinic_time(2026, 12, 6, 10),
            "The clinic is closed on Sundays (it is open on Mondays, Tuesdays, Wednesdays, "
            "Thursdays, Fridays, Saturdays); this session would be on Sunday 12/06/2026.",
        ),
    ],
)
def test_the_whole_session_is_inside_the_opening_hours(front_desk_user, plan, starts_at, message):
    if message is None:
        session = services.session_book(
            plan=plan, chair=chair(), starts_at=starts_at, booked_by=front_desk_user
        )
        assert session.ends_at - session.starts_at == timedelta(minutes=100)
    else:
        refused = refused_booking(plan, starts_at, front_desk_user)
        assert refused.messages == [message]
        assert refused.code == "clinic_closed"


def test_the_opening_hours_are_a_setting(front_desk_user, plan, settings):
    settings.CLINIC_OPENING_HOURS = {"tue": "10:00-14:00", "sun": "09:00-13:00"}

    refused = refused_booking(plan, clinic_time(2026, 12, 1, 9), front_desk_user)
    sunday = services.session_book(
        plan=plan, chair=chair(), starts_at=clinic_time(2026, 12, 6, 9), booked_by=front_desk_user
    )

    assert refused.messages == [
        "The clinic is open 10:00\N{EN DASH}14:00 on Tuesdays; this session would start at 09:00."
    ]
    assert sunday.starts_at == clinic_time(2026, 12, 6, 9)


# --- Intranasal esketamine: at least CLINIC_ESKETAMINE_MIN_DAYS_APART days apart -------------


@pytest.fixture
def esketamine_plan(front_desk_user, patient):
    return active_plan(by=front_desk_user, patient=patient, route=Route.ESKETAMINE_NASAL)


THURSDAY = clinic_time(2026, 12, 3, 10)


@pytest.mark.parametrize("direction", [1, -1])
def test_esketamine_two_days_apart_is_booked_and_1_day_23_hours_is_refused(
    front_desk_user, esketamine_plan, direction
):
    services.session_book(
        plan=esketamine_plan, chair=chair(), starts_at=THURSDAY, booked_by=front_desk_user
    )
    near = THURSDAY + direction * timedelta(days=1, hours=23)

    with pytest.raises(ValidationError) as refused:
        services.session_book(
            plan=esketamine_plan, chair=chair(), starts_at=near, booked_by=front_desk_user
        )
    apart = services.session_book(
        plan=esketamine_plan, chair=chair(), starts_at=THURSDAY + direction * timedelta(days=2),
        booked_by=front_desk_user,
    )  # fmt: skip

    assert refused.value.messages == [
        "Intranasal esketamine sessions must be at least 2 days apart: the patient has one on "
        "12/03/2026 at 10:00."
    ]
    assert refused.value.code == "esketamine_too_close"
    assert abs(apart.starts_at - THURSDAY) == timedelta(days=2)


def finish(plan) -> None:
    """The plan completed, its sessions given: a new plan may be written for the patient."""
    plan.sessions.update(status=TreatmentSession.Status.COMPLETED)
    TreatmentPlan.objects.filter(pk=plan.pk).update(status=TreatmentPlan.Status.COMPLETED)


def test_esketamine_spacing_counts_the_patients_earlier_plan_not_cancelled_sessions(
    front_desk_user, patient, esketamine_plan
):
    services.session_book(
        plan=esketamine_plan, chair=chair(), starts_at=THURSDAY, booked_by=front_desk_user
    )
    finish(esketamine_plan)
    plan = active_plan(by=front_desk_user, patient=patient, route=Route.ESKETAMINE_NASAL)
    cancelled = services.session_book(
        plan=plan, chair=chair(), starts_at=THURSDAY + timedelta(days=2), booked_by=front_desk_user
    )
    services.session_cancel(session=cancelled, reason="Unwell", user=front_desk_user)

    with pytest.raises(ValidationError, match="the patient has one on 12/03/2026 at 10:00"):
        services.session_book(
            plan=plan, chair=chair(), starts_at=THURSDAY + timedelta(days=1),
            booked_by=front_desk_user,
        )  # fmt: skip
    # The cancelled session holds nothing: two hours after it is fine.
    services.session_book(
        plan=plan, chair=chair(), starts_at=THURSDAY + timedelta(days=2, hours=2),
        booked_by=front_desk_user,
    )  # fmt: skip


def test_other_routes_and_other_patients_are_not_spaced(front_desk_user, patient, plan):
    services.session_book(plan=plan, chair=chair(), starts_at=TEN, booked_by=front_desk_user)
    finish(plan)  # an IV session the day before
    esketamine = active_plan(by=front_desk_user, patient=patient, route=Route.ESKETAMINE_NASAL)
    another_patient = active_plan(by=front_desk_user, route=Route.ESKETAMINE_NASAL)

    services.session_book(
        plan=esketamine, chair=chair(), starts_at=TEN + timedelta(days=1),
        booked_by=front_desk_user,
    )  # fmt: skip
    services.session_book(
        plan=another_patient, chair=chair("Chair 2"), starts_at=TEN + timedelta(days=1),
        booked_by=front_desk_user,
    )  # fmt: skip


def test_the_esketamine_spacing_is_a_setting(front_desk_user, esketamine_plan, settings):
    settings.CLINIC_ESKETAMINE_MIN_DAYS_APART = 3
    services.session_book(
        plan=esketamine_plan, chair=chair(), starts_at=TEN, booked_by=front_desk_user
    )

    with pytest.raises(ValidationError, match="at least 3 days apart"):
        services.session_book(
            plan=esketamine_plan, chair=chair(), starts_at=TEN + timedelta(days=2),
            booked_by=front_desk_user,
        )  # fmt: skip


# --- The same rules when rescheduling ---------------------------------------------------------


def test_a_reschedule_is_held_to_the_booking_rules(front_desk_user, esketamine_plan):
    session = services.session_book(
        plan=esketamine_plan, chair=chair(), starts_at=TEN, booked_by=front_desk_user
    )
    services.session_book(
        plan=esketamine_plan, chair=chair(), starts_at=TEN + timedelta(days=4),
        booked_by=front_desk_user,
    )  # fmt: skip

    def move(starts_at) -> str:
        with pytest.raises(ValidationError) as refused:
            services.session_reschedule(session=session, starts_at=starts_at, user=front_desk_user)
        return refused.value.code

    assert move(timezone.now() - timedelta(hours=1)) == "in_the_past"
    assert move(clinic_time(2026, 11, 27, 10)) == "before_plan_start"  # the plan starts 11/30
    assert move(clinic_time(2026, 12, 1, 16, 30)) == "clinic_closed"  # ends 18:40
    assert move(TEN + timedelta(days=3)) == "esketamine_too_close"  # a day before the other
    # Its own old time does not count against it: a few hours later the same day is fine.
    moved = services.session_reschedule(
        session=session, starts_at=TEN + timedelta(hours=3), user=front_desk_user
    )
    assert moved.starts_at == TEN + timedelta(hours=3)


def test_sessions_cannot_be_added_or_changed_in_the_admin(admin_user):
    from django.contrib.admin.sites import site

    model_admin = site._registry[TreatmentSession]
    request = type("Request", (), {"user": admin_user})()

    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request)


# --- Length by route -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("route", "infusion_minutes", "minutes"),
    [
        (Route.IV, None, 40 + 60),  # the default 40-minute infusion, then an hour's observation
        (Route.IV, 60, 60 + 60),
        (Route.IM, None, 10 + 60),
        (Route.ESKETAMINE_NASAL, None, 10 + 120),  # REMS: at least 2 hours of monitoring
        (Route.KETAMINE_NASAL, None, 10 + 90),
        (Route.ORAL, None, 10 + 90),
    ],
)
def test_a_booking_holds_the_chair_for_administration_and_monitoring(
    front_desk_user, route, infusion_minutes, minutes
):
    plan = active_plan(by=front_desk_user, route=route, infusion_minutes=infusion_minutes)

    session = services.session_book(
        plan=plan, chair=chair(), starts_at=TEN, booked_by=front_desk_user
    )

    assert session.ends_at - session.starts_at == timedelta(minutes=minutes)
    if route == Route.ESKETAMINE_NASAL:
        assert session.ends_at - session.starts_at >= timedelta(hours=2)


def test_the_length_follows_the_plans_latest_version(front_desk_user, plan):
    latest = plan.versions.get()
    latest.pk, latest.number, latest.infusion_minutes = None, 2, 55
    latest.save()

    session = services.session_book(
        plan=plan, chair=chair(), starts_at=TEN, booked_by=front_desk_user
    )

    assert session.plan_version.number == 2
    assert session.ends_at - session.starts_at == timedelta(minutes=55 + 60)


# --- Reschedule, cancel, no-show -------------------------------------------------------------


def test_reschedule_moves_a_session_over_its_own_old_slot_and_calls_the_hooks(
    front_desk_user, plan, monkeypatch
):
    calls = []
    monkeypatch.setattr(services, "RESCHEDULE_HOOKS", [lambda **kw: calls.append(kw)])
    session = services.session_book(
        plan=plan, chair=chair(), starts_at=TEN, booked_by=front_desk_user
    )

    moved = services.session_reschedule(
        session=session, starts_at=TEN + timedelta(minutes=30), chair=chair("Chair 2"),
        user=front_desk_user,
    )  # fmt: skip

    moved.refresh_from_db()
    assert (moved.chair.name, moved.starts_at) == ("Chair 2", TEN + timedelta(minutes=30))
    assert moved.ends_at == TEN + timedelta(minutes=130)
    assert calls == [{"session": moved, "user": front_desk_user, "previous_starts_at": TEN}]


def test_reschedule_onto_a_taken_chair_is_refused_and_leaves_the_session(front_desk_user, plan):
    session = services.session_book(
        plan=plan, chair=chair(), starts_at=TEN, booked_by=front_desk_user
    )
    book_session(booked_by=front_desk_user, starts_at=TEN + timedelta(hours=3))

    with pytest.raises(ValidationError, match="Chair 1 is booked 13:00"):
        services.session_reschedule(
            session=session, starts_at=TEN + timedelta(hours=2), user=front_desk_user
        )

    session.refresh_from_db()
    assert session.starts_at == TEN


def test_only_a_booked_session_is_rescheduled(front_desk_user, plan):
    session = services.session_book(
        plan=plan, chair=chair(), starts_at=TEN, booked_by=front_desk_user
    )
    services.session_cancel(session=session, reason="Moved away", user=front_desk_user)

    # A page opened before the cancelling says who cancelled it, and when.
    with pytest.raises(
        ValidationError,
        match=r"This session was cancelled by Frances Desk on 11/23/2026 at \d\d:\d\d: nothing",
    ):
        services.session_reschedule(
            session=session, starts_at=TEN + timedelta(days=1), user=front_desk_user
        )


def test_cancel_needs_a_reason_and_keeps_it(front_desk_user, plan, monkeypatch):
    calls = []
    monkeypatch.setattr(services, "CANCEL_HOOKS", [lambda **kw: calls.append(kw)])
    session = services.session_book(
        plan=plan, chair=chair(), starts_at=TEN, booked_by=front_desk_user
    )

    with pytest.raises(ValidationError) as refused:
        services.session_cancel(session=session, reason="  ", user=front_desk_user)
    assert refused.value.message_dict == {"reason": ["Give the reason for cancelling."]}
    assert calls == []

    services.session_cancel(session=session, reason="Car trouble", user=front_desk_user)

    session.refresh_from_db()
    assert (session.status, session.cancel_reason) == ("cancelled", "Car trouble")
    assert [call["session"].pk for call in calls] == [session.pk]


def test_a_completed_session_cannot_be_cancelled(front_desk_user, plan):
    session = services.session_book(
        plan=plan, chair=chair(), starts_at=TEN, booked_by=front_desk_user
    )
    TreatmentSession.objects.filter(pk=session.pk).update(status="completed")

    with pytest.raises(ValidationError, match="cannot be cancelled: it is completed"):
        services.session_cancel(session=session, reason="Oops", user=front_desk_user)


def test_a_no_show_is_marked_only_after_the_start_time(front_desk_user, plan):
    session = services.session_book(
        plan=plan, chair=chair(), starts_at=TEN, booked_by=front_desk_user
    )

    with (
        time_machine.travel(TEN - timedelta(minutes=1), tick=False),
        pytest.raises(ValidationError, match="only after its start time"),
    ):
        services.session_mark_no_show(session=session, user=front_desk_user)
    with time_machine.travel(TEN + timedelta(minutes=15), tick=False):
        services.session_mark_no_show(session=session, user=front_desk_user)

    session.refresh_from_db()
    assert session.status == TreatmentSession.Status.NO_SHOW


# --- The plan's series -----------------------------------------------------------------------


def test_the_series_proposes_the_plans_dates_after_the_sessions_already_booked(front_desk_user):
    plan = active_plan(by=front_desk_user, start_date=date(2026, 11, 30))  # a Monday
    chair("Chair 1")
    services.session_book(
        plan=plan, chair=chair(), starts_at=clinic_time(2026, 11, 30, 9), booked_by=front_desk_user
    )

    proposal = plan_series_proposal(plan=plan, today=date(2026, 11, 23))

    assert [p.starts_on for p in proposal.proposed] == [
        date(2026, 12, 3), date(2026, 12, 7), date(2026, 12, 10), date(2026, 12, 14),
        date(2026, 12, 17),
    ]  # fmt: skip
    assert [s.starts_at for s in proposal.booked] == [clinic_time(2026, 11, 30, 9)]


def test_a_series_that_slipped_into_the_past_starts_today_keeping_its_spacing(front_desk_user):
    plan = active_plan(
        by=front_desk_user, phase=PlanVersion.Phase.MAINTENANCE, sessions_planned=3,
        span_weeks=None, every_weeks=4, start_date=date(2026, 10, 1),
    )  # fmt: skip

    proposal = plan_series_proposal(plan=plan, today=date(2026, 11, 23))

    assert [p.starts_on for p in proposal.proposed] == [
        date(2026, 11, 23), date(2026, 12, 21), date(2027, 1, 18),
    ]  # fmt: skip


def proposed(plan) -> list[tuple[date, str, str]]:
    """The proposal as (date, start time, chair name)."""
    proposal = plan_series_proposal(plan=plan)
    names = {c.pk: c.name for c in proposal.chairs}
    rows = proposal.proposed
    return [(p.starts_on, f"{p.starts_at_time:%H:%M}", names[p.chair_id]) for p in rows]


def test_the_proposal_skips_the_days_the_clinic_is_closed(front_desk_user, settings):
    settings.CLINIC_OPENING_HOURS = dict.fromkeys(("mon", "tue", "wed", "fri"), "08:00-18:00")
    chair("Chair 1")
    plan = active_plan(by=front_desk_user, start_date=date(2026, 11, 30))  # 6 over 3 weeks

    days = [day for day, _, _ in proposed(plan)]

    # Mon and Thu each week, the Thursdays closed: Fridays.
    assert [day.strftime("%a") for day in days] == ["Mon", "Fri"] * 3
    assert days[:2] == [date(2026, 11, 30), date(2026, 12, 4)]


def test_a_weekly_series_from_a_sunday_is_proposed_on_the_mondays(front_desk_user):
    chair("Chair 1")
    plan = active_plan(
        by=front_desk_user, phase=PlanVersion.Phase.MAINTENANCE, sessions_planned=3,
        span_weeks=None, every_weeks=1, start_date=date(2026, 11, 29),
    )  # fmt: skip

    assert [day for day, _, _ in proposed(plan)] == [
        date(2026, 11, 30), date(2026, 12, 7), date(2026, 12, 14),
    ]  # fmt: skip


def test_a_taken_chair_is_not_proposed_the_next_chair_or_time_is(front_desk_user):
    chair("Chair 1")
    chair("Chair 2", display_order=2)
    plan = active_plan(by=front_desk_user, start_date=date(2026, 12, 1))  # Tue, Fri, ...
    # 12/01 09:00: Chair 1 taken. 12/04 (the second date): both chairs taken at 09:00.
    book_session(booked_by=front_desk_user, starts_at=clinic_time(2026, 12, 1, 8, 30))
    book_session(booked_by=front_desk_user, starts_at=clinic_time(2026, 12, 4, 9))
    book_session(
        booked_by=front_desk_user, starts_at=clinic_time(2026, 12, 4, 8), chair_name="Chair 2"
    )

    assert proposed(plan)[:2] == [
        (date(2026, 12, 1), "09:00", "Chair 2"),
        (date(2026, 12, 4), "09:45", "Chair 2"),  # Chair 2 is free from 09:40
    ]


def test_proposals_are_never_in_the_past(front_desk_user):
    chair("Chair 1")
    plan = active_plan(by=front_desk_user, start_date=date(2026, 11, 23))  # Mon, Thu, ...

    with time_machine.travel(clinic_time(2026, 11, 23, 11, 5), tick=False):
        this_morning = proposed(plan)
    with time_machine.travel(clinic_time(2026, 11, 23, 16, 30), tick=False):
        too_late_today = proposed(plan)[:2]

    assert this_morning[0] == (date(2026, 11, 23), "11:15", "Chair 1")
    # 100 minutes no longer fit before 18:00: the next day, which stays before the next date.
    assert too_late_today == [
        (date(2026, 11, 24), "09:00", "Chair 1"),
        (date(2026, 11, 26), "09:00", "Chair 1"),
    ]


def test_an_esketamine_plan_proposes_the_labels_schedule(front_desk_user):
    chair("Chair 1")
    plan = active_plan(
        by=front_desk_user, route=Route.ESKETAMINE_NASAL, sessions_planned=14, span_weeks=8,
        start_date=date(2026, 11, 30),
    )  # fmt: skip

    days = [day for day, _, _ in proposed(plan)]

    assert [day.strftime("%a") for day in days[:8]] == ["Mon", "Thu"] * 4  # twice a week
    assert [day.strftime("%a") for day in days[8:]] == ["Mon"] * 6  # then weekly
    assert days[8:12] == [date(2026, 12, 28) + timedelta(weeks=w) for w in range(4)]
    assert min(b - a for a, b in itertools.pairwise(days)) >= timedelta(days=3)


def test_an_esketamine_proposal_keeps_its_distance_from_a_session_already_booked(
    front_desk_user,
):
    chair("Chair 1")
    plan = active_plan(
        by=front_desk_user, route=Route.ESKETAMINE_NASAL, sessions_planned=3,
        start_date=date(2026, 11, 30),
    )  # fmt: skip
    # The first session booked late on the Monday: Thursday 09:00 is still 2 days on.
    services.session_book(
        plan=plan, chair=chair(), starts_at=clinic_time(2026, 11, 30, 15), booked_by=front_desk_user
    )
    services.session_reschedule(
        session=plan.sessions.get(), starts_at=clinic_time(2026, 12, 1, 15), user=front_desk_user
    )

    # Moved to Tuesday 15:00: Thursday's session starts at 15:00 at the earliest.
    assert proposed(plan)[0] == (date(2026, 12, 3), "15:00", "Chair 1")


# --- Pages -----------------------------------------------------------------------------------


def row(number: int, day: date, at: str = "10:00", chair_pk: int | None = None) -> dict:
    prefix = f"row-{number - 1}"
    return {
        f"{prefix}-starts_on": day.isoformat(),
        f"{prefix}-starts_at_time": at,
        f"{prefix}-chair": str(chair_pk or chair().pk),
    }


@pytest.fixture
def series_plan(front_desk_user, patient):
    chair("Chair 1")
    chair("Chair 2", display_order=2)
    return active_plan(
        by=front_desk_user, patient=patient, sessions_planned=3, start_date=date(2026, 12, 1)
    )


def test_the_booking_page_proposes_each_session_with_a_default_time_and_chair(
    front_desk, series_plan
):
    response = front_desk.get(reverse("treatments:plan_book", args=[series_plan.pk]))

    assert response.status_code == 200
    page = response.text
    assert "Jane Rivera" in page
    assert "holds its chair for <strong>100 minutes</strong>" in page
    assert page.count('type="date"') == 3
    assert 'value="2026-12-01"' in page and 'value="09:00"' in page
    assert "Book all 3" in page


def test_booking_one_row_books_that_session(front_desk, series_plan):
    url = reverse("treatments:plan_book", args=[series_plan.pk])
    data = {**row(1, date(2026, 12, 1)), **row(2, date(2026, 12, 8)), "book_row": "2"}

    response = front_desk.post(url, data, follow=True)

    (session,) = series_plan.sessions.all()
    assert session.starts_at == clinic_time(2026, 12, 8, 10)
    assert messages_of(response) == [
        "Booked 1 session: 12/08/2026 10:00\N{EN DASH}11:40 on Chair 1."
    ]


def test_booking_all_stops_at_the_first_clash_and_shows_it_beside_the_row(
    front_desk, front_desk_user, series_plan
):
    book_session(booked_by=front_desk_user, starts_at=clinic_time(2026, 12, 4, 11))
    url = reverse("treatments:plan_book", args=[series_plan.pk])
    data = {
        **row(1, date(2026, 12, 1)),
        **row(2, date(2026, 12, 4)),
        **row(3, date(2026, 12, 8)),
        "book_all": "1",
    }

    response = front_desk.post(url, data)

    assert response.status_code == 400
    assert [s.starts_at for s in series_plan.sessions.all()] == [clinic_time(2026, 12, 1, 10)]
    assert "Chair 1 is booked 11:00\N{EN DASH}12:40." in response.text
    assert messages_of(response) == [
        "Booked 1 session: 12/01/2026 10:00\N{EN DASH}11:40 on Chair 1.",
        "Stopped at the session of 12/04/2026: it and the ones after it are not booked.",
    ]
    # The rows not booked stay, with what was typed, for the front desk to change the chair or
    # time; the refused one first, with its reason.
    rows = [form.cleaned_data for _, form in response.context["rows"]]
    assert [(r["starts_on"], r["starts_at_time"].hour) for r in rows] == [
        (date(2026, 12, 4), 10),
        (date(2026, 12, 8), 10),
    ]
    first_row = response.context["rows"][0][1]
    assert first_row.non_field_errors() == ["Chair 1 is booked 11:00\N{EN DASH}12:40."]


def test_a_row_outside_the_opening_hours_is_refused_beside_it(front_desk, series_plan):
    url = reverse("treatments:plan_book", args=[series_plan.pk])
    data = {**row(1, date(2026, 12, 5), at="17:00"), "book_row": "1"}  # a Saturday

    response = front_desk.post(url, data)

    assert response.status_code == 400
    assert series_plan.sessions.count() == 0
    first_row = response.context["rows"][0][1]
    assert first_row.non_field_errors() == [
        "The clinic is open 08:00\N{EN DASH}18:00 on Saturdays; this session would end at 18:40."
    ]


def test_the_booking_page_costs_the_same_queries_for_3_or_12_sessions_to_book(
    front_desk, front_desk_user, django_assert_num_queries
):
    chair("Chair 1")
    chair("Chair 2", display_order=2)
    book_session(booked_by=front_desk_user, starts_at=clinic_time(2026, 12, 1, 9))
    short, long = (
        active_plan(by=front_desk_user, sessions_planned=n, span_weeks=weeks,
                    start_date=date(2026, 12, 1))
        for n, weeks in ((3, 3), (12, 6))
    )  # fmt: skip
    front_desk.get(reverse("treatments:plan_book", args=[short.pk]))  # warm up

    with CaptureQueriesContext(connection) as three:
        response = front_desk.get(reverse("treatments:plan_book", args=[short.pk]))
    assert len(response.context["rows"]) == 3
    with django_assert_num_queries(len(three.captured_queries)):
        response = front_desk.get(reverse("treatments:plan_book", args=[long.pk]))
    assert len(response.context["rows"]) == 12
    assert 'value="2026-12-01"' in response.text


def test_the_booking_page_is_only_for_an_active_plan(front_desk, series_plan):
    TreatmentPlan.objects.filter(pk=series_plan.pk).update(status="completed")

    response = front_desk.get(reverse("treatments:plan_book", args=[series_plan.pk]))

    assert response.status_code == 404


def test_the_reschedule_form_shows_the_clash(front_desk, front_desk_user, plan):
    session = services.session_book(
        plan=plan, chair=chair(), starts_at=TEN, booked_by=front_desk_user
    )
    other = book_session(booked_by=front_desk_user, starts_at=TEN + timedelta(hours=2))

    response = front_desk.post(
        reverse("treatments:booking_reschedule", args=[session.pk]),
        {"starts_on": "2026-12-01", "starts_at_time": "12:30", "chair": other.chair_id},
    )

    assert response.status_code == 400
    assert "Chair 1 is booked 12:00\N{EN DASH}13:40." in response.text


def test_rescheduling_and_cancelling_through_the_pages(front_desk, front_desk_user, plan):
    session = services.session_book(
        plan=plan, chair=chair(), starts_at=TEN, booked_by=front_desk_user
    )
    manage = reverse("treatments:booking_manage", args=[session.pk])
    assert front_desk.get(manage).status_code == 200

    moved = front_desk.post(
        reverse("treatments:booking_reschedule", args=[session.pk]),
        {"starts_on": "2026-12-02", "starts_at_time": "14:15", "chair": session.chair_id},
        follow=True,
    )
    assert messages_of(moved) == ["Moved to 12/02/2026 14:15\N{EN DASH}15:55 on Chair 1."]

    no_reason = front_desk.post(
        reverse("treatments:booking_cancel", args=[session.pk]), {"reason": ""}
    )
    assert no_reason.status_code == 400
    assert "This field is required." in no_reason.text

    front_desk.post(reverse("treatments:booking_cancel", args=[session.pk]), {"reason": "Flu"})
    session.refresh_from_db()
    assert (session.starts_at, session.status, session.cancel_reason) == (
        clinic_time(2026, 12, 2, 14, 15), "cancelled", "Flu",
    )  # fmt: skip


def test_a_no_show_through_the_page(clinician, front_desk_user):
    plan = active_plan(by=front_desk_user, start_date=timezone.localdate())
    # Close to now: travelling further would end the signed-in session (idle timeout).
    starts_at = (timezone.now() + timedelta(minutes=5)).replace(microsecond=0)
    session = services.session_book(
        plan=plan, chair=chair(), starts_at=starts_at, booked_by=front_desk_user
    )
    url = reverse("treatments:booking_no_show", args=[session.pk])

    early = clinician.post(url, follow=True)
    with time_machine.travel(starts_at + timedelta(minutes=5), tick=False):
        late = clinician.post(url, follow=True)

    assert messages_of(early) == ["A session can be marked as a no-show only after its start time."]
    assert messages_of(late)[0].startswith("Marked as a no-show: ")
    session.refresh_from_db()
    assert session.status == TreatmentSession.Status.NO_SHOW


# --- The chair board -------------------------------------------------------------------------


def fill_day(by, *, count: int, day: date) -> None:
    """``count`` sessions on one day: five chairs, back to back from 08:00 (30 fill the day)."""
    chairs = [chair(f"Chair {n}", display_order=n) for n in range(1, 6)]
    for index in range(count):
        start = clinic_time(day.year, day.month, day.day, 8) + timedelta(
            minutes=100 * (index // len(chairs))
        )
        book_session(booked_by=by, starts_at=start, on_chair=chairs[index % len(chairs)])


def test_the_board_shows_each_chair_and_its_sessions_for_the_day(front_desk, front_desk_user):
    fill_day(front_desk_user, count=3, day=date(2026, 12, 1))
    chair("Chair 6 (closed)", active=False, display_order=6)
    book_session(booked_by=front_desk_user, starts_at=clinic_time(2026, 12, 2, 9))

    response = front_desk.get(reverse("treatments:chair_board"), {"date": "2026-12-01"})

    page = response.text
    assert [c.name for c in response.context["board"].chairs] == [f"Chair {n}" for n in range(1, 6)]
    assert response.context["board"].session_count == 3
    assert "Chair 6 (closed)" not in page
    assert page.count("08:00\N{EN DASH}09:40") == 3
    assert "09:00\N{EN DASH}10:40" not in page  # the next day's session
    assert "Booked" in page


def test_the_board_has_a_row_for_each_hour_the_clinic_is_open(front_desk, settings):
    chair("Chair 1")
    settings.CLINIC_OPENING_HOURS = {"tue": "08:00-18:00", "sat": "09:00-13:30"}
    url = reverse("treatments:chair_board")

    tuesday = front_desk.get(url, {"date": "2026-12-01"})
    rows = [row.hour.strftime("%H:%M") for row in tuesday.context["board"].rows]
    assert rows == [f"{hour:02}:00" for hour in range(8, 18)]  # the last start hour is 17
    assert "open 08:00\N{EN DASH}18:00" in tuesday.text

    saturday = front_desk.get(url, {"date": "2026-12-05"})
    rows = [row.hour.strftime("%H:%M") for row in saturday.context["board"].rows]
    assert rows == ["09:00", "10:00", "11:00", "12:00", "13:00"]


def test_the_board_of_a_closed_day_says_so_instead_of_an_empty_grid(front_desk):
    chair("Chair 1")

    response = front_desk.get(reverse("treatments:chair_board"), {"date": "2026-12-06"})

    assert response.context["board"].rows == []
    assert "The clinic is closed on Sundays: no session can be booked on this day." in (
        response.text
    )
    assert "<table" not in response.text


def test_the_board_defaults_to_today_in_clinic_time(client, front_desk_user):
    # 23:30 in Chicago is already tomorrow in UTC: the board still shows Chicago's day.
    with time_machine.travel(clinic_time(2026, 12, 1, 23, 30), tick=False):
        response = sign_in(client, front_desk_user).get(reverse("treatments:chair_board"))

    assert response.context["board"].day == date(2026, 12, 1)


def test_the_board_costs_the_same_queries_for_3_or_30_sessions(
    front_desk, front_desk_user, django_assert_num_queries
):
    url = reverse("treatments:chair_board")
    fill_day(front_desk_user, count=3, day=date(2026, 12, 1))
    front_desk.get(url, {"date": "2026-12-01"})  # warm up: session, user, roles

    with CaptureQueriesContext(connection) as three:
        response = front_desk.get(url, {"date": "2026-12-01"})
    assert response.context["board"].session_count == 3
    # session, user, TOTP device, roles, the chairs' locations, the chairs, the day's sessions
    # with their patients
    assert len(three.captured_queries) == 7

    fill_day(front_desk_user, count=30, day=date(2026, 12, 2))
    with django_assert_num_queries(len(three.captured_queries)):
        response = front_desk.get(url, {"date": "2026-12-02"})
    assert response.context["board"].session_count == 30


def test_the_front_desk_home_counts_todays_sessions(client, front_desk_user):
    fill_day(front_desk_user, count=4, day=date(2026, 12, 1))
    book_session(booked_by=front_desk_user, starts_at=clinic_time(2026, 12, 2, 9))

    with time_machine.travel(clinic_time(2026, 12, 1, 6), tick=False):
        response = sign_in(client, front_desk_user).get(reverse("home"))

    (panel,) = [p for p in response.context["panels"] if p["title"] == "Today's sessions"]
    assert panel["counts"][0]["count"] == 4
    assert panel["link"]["url"] == reverse("treatments:chair_board")

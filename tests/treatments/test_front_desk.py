"""The front desk's day (issue 21): the chair board shows a session in every hour it occupies,
the booking task after a plan is activated, the session page's links, forms reloaded after a
refusal, and a page acting on a session someone else cancelled."""

from datetime import date, timedelta

import pytest
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.urls import reverse

from tests.treatments.booking import book_session, chair, clinic_time
from tests.treatments.plans import active_plan, approved_patient, draft_plan
from tests.treatments.sessions import booked_session
from treatments.models import StaffTask, TreatmentSession
from treatments.selectors.booking import chair_board
from treatments.services import booking as booking_services
from treatments.services import sessions as session_services
from treatments.services.plans import plan_activate, plan_stop

pytestmark = [pytest.mark.clinic_day, pytest.mark.django_db]

TUESDAY = date(2026, 12, 1)


def flash(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def cells_of(board, hour: int) -> list[list[tuple[str, bool]]]:
    """A row's cells as (patient's name, continues) pairs."""
    (row,) = [row for row in board.rows if row.hour.hour == hour]
    return [
        [(entry.session.patient.full_name, entry.continues) for entry in cell] for cell in row.cells
    ]


# --- The chair board: every hour a session occupies -------------------------------------------


def test_a_session_is_on_the_board_in_every_hour_it_occupies(front_desk_user):
    chair("Chair 1")
    # IV: 40 minutes and an hour of observation, 09:00-10:40.
    session = book_session(booked_by=front_desk_user, starts_at=clinic_time(2026, 12, 1, 9))
    name = session.patient.full_name

    board = chair_board(day=TUESDAY)

    assert cells_of(board, 8) == [[]]
    assert cells_of(board, 9) == [[(name, False)]]
    assert cells_of(board, 10) == [[(name, True)]]
    assert cells_of(board, 11) == [[]]


def test_a_continuation_comes_before_a_session_starting_in_that_hour(front_desk_user):
    chair("Chair 1")
    first = book_session(booked_by=front_desk_user, starts_at=clinic_time(2026, 12, 1, 8))
    second = book_session(booked_by=front_desk_user, starts_at=clinic_time(2026, 12, 1, 9, 40))

    board = chair_board(day=TUESDAY)

    assert cells_of(board, 9) == [
        [(first.patient.full_name, True), (second.patient.full_name, False)]
    ]


def test_a_cancelled_session_holds_only_its_starting_hour(front_desk_user):
    chair("Chair 1")
    session = book_session(booked_by=front_desk_user, starts_at=clinic_time(2026, 12, 1, 9))
    booking_services.session_cancel(session=session, reason="Ill", user=front_desk_user)

    board = chair_board(day=TUESDAY)

    assert cells_of(board, 9) == [[(session.patient.full_name, False)]]
    assert cells_of(board, 10) == [[]]


def test_the_board_page_says_the_chair_is_taken_in_the_later_hour(front_desk, front_desk_user):
    chair("Chair 1")
    session = book_session(booked_by=front_desk_user, starts_at=clinic_time(2026, 12, 1, 9))

    response = front_desk.get(reverse("treatments:chair_board"), {"date": "2026-12-01"})

    assert f"{session.patient.full_name} continues until 10:40" in response.text
    assert response.text.count("09:00\N{EN DASH}10:40") == 1


@pytest.mark.parametrize("count", [3, 30])
def test_the_board_with_continuations_costs_the_same_queries(
    front_desk, front_desk_user, django_assert_num_queries, count
):
    chairs = [chair(f"Chair {n}", display_order=n) for n in range(1, 6)]
    for index in range(count):
        starts = clinic_time(2026, 12, 1, 8) + timedelta(minutes=100 * (index // 5))
        book_session(booked_by=front_desk_user, starts_at=starts, on_chair=chairs[index % 5])
    url = reverse("treatments:chair_board")
    front_desk.get(url, {"date": "2026-12-01"})  # warm up: session, user, roles

    # session, user, TOTP device, roles, the chairs' locations, the chairs, the day's sessions
    # with their patients
    with django_assert_num_queries(7):
        response = front_desk.get(url, {"date": "2026-12-01"})

    board = response.context["board"]
    continuations = sum(e.continues for row in board.rows for cell in row.cells for e in cell)
    assert board.session_count == count
    # 08:00-09:40 runs into one more hour; 09:40-11:20 into two; and so on along each chair.
    assert continuations == {3: 3, 30: 40}[count]


# --- The booking task: opened on activation, done once the series is booked -------------------


def booking_tasks(plan) -> list[StaffTask]:
    return list(StaffTask.objects.filter(source_kind="plan-booking", source_id=plan.pk))


def test_activating_a_plan_gives_the_front_desk_a_booking_task(clinician_user):
    plan = draft_plan(clinician_user, sessions_planned=2, span_weeks=1)

    plan_activate(plan=plan, user=clinician_user)

    (task,) = booking_tasks(plan)
    assert task.title == "Book the treatment plan's sessions"
    assert task.role == StaffTask.Role.FRONT_DESK
    assert task.status == StaffTask.Status.OPEN
    assert task.patient_id == plan.patient_id
    assert task.details == "IV infusion: 2 sessions from 03/02/2026."


def test_the_task_is_done_once_every_planned_session_is_booked(clinician_user, front_desk_user):
    chair("Chair 1")
    plan = draft_plan(
        clinician_user, sessions_planned=2, span_weeks=1, start_date=date(2026, 11, 30)
    )
    plan_activate(plan=plan, user=clinician_user)

    book_session(booked_by=front_desk_user, plan=plan, starts_at=clinic_time(2026, 11, 30, 9))
    assert booking_tasks(plan)[0].status == StaffTask.Status.OPEN
    book_session(booked_by=front_desk_user, plan=plan, starts_at=clinic_time(2026, 12, 3, 9))

    (task,) = booking_tasks(plan)
    assert task.status == StaffTask.Status.DONE
    assert task.completed_by == front_desk_user
    assert task.outcome == "All 2 sessions booked."


def test_the_task_is_cancelled_when_the_plan_is_stopped_first(clinician_user):
    plan = active_plan(clinician_user)

    plan_stop(plan=plan, user=clinician_user, reason="Patient moved away")

    (task,) = booking_tasks(plan)
    assert task.status == StaffTask.Status.CANCELLED
    assert task.outcome == "The plan was stopped."


def test_the_task_is_on_the_front_desks_task_list(front_desk, clinician_user):
    plan = active_plan(clinician_user)

    response = front_desk.get(reverse("treatments:task_list"))

    assert "Book the treatment plan&#x27;s sessions" in response.text
    assert plan.patient.full_name in response.text
    # The task leads straight to the plan's booking page; other tasks have no such link.
    book_url = reverse("treatments:plan_book", args=[plan.pk])
    assert response.text.count(f'href="{book_url}"') == 1


def test_the_patient_page_waits_for_the_plan_then_links_to_the_booking(
    front_desk, clinician_user, front_desk_user
):
    patient = approved_patient()
    url = reverse("intake:patient_detail", args=[patient.pk])

    assert "Approved: waiting for the clinician&#x27;s plan." in front_desk.get(url).text

    plan = active_plan(clinician_user, patient=patient, start_date=date(2026, 11, 30))
    page = front_desk.get(url).text
    assert "The treatment plan is active: book its sessions." in page
    assert reverse("treatments:plan_book", args=[plan.pk]) in page


def test_the_intake_card_offers_no_new_link_once_the_intake_is_submitted(front_desk):
    patient = approved_patient()  # its intake is submitted

    page = front_desk.get(reverse("intake:patient_detail", args=[patient.pk])).text

    assert "Send intake link" not in page
    assert "The intake is submitted: no link is needed." in page


# --- The session page: links, required fields, reloads, stale pages ---------------------------


def test_the_front_desks_session_page_links_to_the_patient_plan_and_board(
    front_desk, front_desk_user
):
    session = booked_session(by=front_desk_user)

    page = front_desk.get(reverse("treatments:session_detail", args=[session.pk])).text

    assert reverse("intake:patient_detail", args=[session.patient_id]) in page
    assert reverse("treatments:plan_detail", args=[session.plan_id]) in page
    assert f"{reverse('treatments:chair_board')}?date=2026-11-23" in page


def test_the_check_in_fields_are_marked_required(front_desk, front_desk_user):
    session = booked_session(by=front_desk_user)

    page = front_desk.get(reverse("treatments:session_detail", args=[session.pk])).text

    for field in ("escort_name", "escort_phone", "fasting_confirmed"):
        assert f'name="{field}"' in page
        (tag,) = [t for t in page.split("<input")[1:] if f'name="{field}"' in t]
        assert " required" in tag.split(">")[0], field
    assert page.count('<span class="asteriskField">*</span>') >= 3


def test_an_empty_check_in_is_refused_in_words(front_desk, front_desk_user):
    session = booked_session(by=front_desk_user)

    response = front_desk.post(
        reverse("treatments:session_check_in", args=[session.pk]), {"arrived_at": "09:00"}
    )

    assert response.status_code == 400
    assert "Name the escort or ride home." in response.text
    assert "Give the escort&#x27;s phone number." in response.text
    assert "Confirm that the patient has fasted." in response.text


@pytest.mark.parametrize(
    "stage",
    ["session_check_in", "session_pre_dose", "session_administer", "session_discharge"],
)
def test_a_stage_address_opened_again_goes_back_to_the_session_page(
    clinician, clinician_user, stage
):
    session = booked_session(by=clinician_user)

    response = clinician.get(reverse(f"treatments:{stage}", args=[session.pk]))

    assert response.status_code == 302
    assert response["Location"] == reverse("treatments:session_detail", args=[session.pk])


def test_a_booking_address_opened_again_goes_back_to_the_booking_page(front_desk, front_desk_user):
    session = booked_session(by=front_desk_user)

    response = front_desk.get(reverse("treatments:booking_cancel", args=[session.pk]))

    assert response.status_code == 302
    assert response["Location"] == reverse("treatments:booking_manage", args=[session.pk])


def test_a_stale_check_in_on_a_cancelled_session_says_who_cancelled_it(
    client, front_desk, front_desk_user, clinician_user
):
    session = booked_session(by=front_desk_user, starts_at=clinic_time(2026, 11, 23, 9, 30))
    booking_services.session_cancel(session=session, reason="Called in sick", user=clinician_user)

    response = front_desk.post(
        reverse("treatments:session_check_in", args=[session.pk]),
        {"arrived_at": "09:00", "escort_name": "Sam", "escort_phone": "512-555-0199",
         "fasting_confirmed": "on"},
    )  # fmt: skip

    assert response.status_code == 302
    (message,) = flash(response)
    assert message.startswith("This session was cancelled by Casey Carter on 11/23/2026 at 09:")
    assert message.endswith(": nothing was changed.")
    session.refresh_from_db()
    assert session.status == TreatmentSession.Status.CANCELLED
    assert session.arrived_at is None


def test_the_service_refuses_a_stage_on_a_cancelled_session_in_the_same_words(
    front_desk_user, clinician_user
):
    session = booked_session(by=front_desk_user)
    booking_services.session_cancel(session=session, reason="Ill", user=clinician_user)

    with pytest.raises(ValidationError) as refused:
        session_services.session_check_in(
            session=session, by=front_desk_user, arrived_at=session.starts_at,
            escort_name="Sam", escort_phone="512-555-0199", fasting_confirmed=True,
        )  # fmt: skip

    assert refused.value.messages[0].startswith("This session was cancelled by Casey Carter on ")


def test_cancelling_a_session_cancelled_meanwhile_says_so(
    front_desk, front_desk_user, clinician_user
):
    session = booked_session(by=front_desk_user)
    booking_services.session_cancel(session=session, reason="Ill", user=clinician_user)

    response = front_desk.post(
        reverse("treatments:booking_cancel", args=[session.pk]), {"reason": "Also ill"}
    )

    (message,) = flash(response)
    assert message.startswith("This session was cancelled by Casey Carter on ")
    session.refresh_from_db()
    assert session.cancel_reason == "Ill"


def test_a_postponed_session_records_who_postponed_it(clinician_user):
    session = booked_session(by=clinician_user)
    session.status = TreatmentSession.Status.CHECKED_IN
    session.fasting_hours = 1
    session.save(update_fields=["status", "fasting_hours"])

    session_services.session_decide_fasting(
        session=session, by=clinician_user, decision="postpone", note="Ate an hour ago"
    )

    session.refresh_from_db()
    assert session.cancelled_by == clinician_user
    assert session.cancelled_at is not None

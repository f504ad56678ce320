"""Two staff book the same slot at the same moment: a real race on PostgreSQL.

Each thread has its own database connection (closed at the thread's end) and waits at a
barrier, so both bookings are in flight together. The service's row locks make the second wait
and then see the first; the exclusion constraints refuse an overlapping row even when the
service is bypassed."""

import importlib
import threading
import time
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, connections, transaction

from followups.models import OutboxEntry
from tests.factories import UserFactory
from tests.treatments.booking import active_plan, chair, clinic_time
from treatments.models import TreatmentSession
from treatments.services import booking as services

pytestmark = [pytest.mark.clinic_day, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

TEN = clinic_time(2026, 12, 1, 10)


def run_together(*calls) -> list:
    """Run each call in its own thread, released together; each result or raised exception."""
    barrier = threading.Barrier(len(calls))
    outcomes: list = [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait(timeout=10)
            outcomes[index] = call()
        except Exception as error:  # the outcome is what the test looks at
            outcomes[index] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads), "a booking hung (deadlock?)"
    return outcomes


@pytest.fixture
def desk():
    # No role group: a transactional test's flush would not leave the groups for later tests.
    return UserFactory(username="racedesk")


def test_two_bookings_of_one_chair_at_one_moment_leave_exactly_one_session(desk):
    first, second = active_plan(by=desk), active_plan(by=desk)
    seat = chair("Chair 2")

    outcomes = run_together(
        lambda: services.session_book(plan=first, chair=seat, starts_at=TEN, booked_by=desk),
        lambda: services.session_book(
            plan=second, chair=seat, starts_at=TEN + timedelta(minutes=20), booked_by=desk
        ),
    )

    booked = [o for o in outcomes if isinstance(o, TreatmentSession)]
    refused = [o for o in outcomes if isinstance(o, ValidationError)]
    assert (len(booked), len(refused)) == (1, 1), outcomes
    assert refused[0].code == "chair_clash"
    assert "Chair 2 is booked" in refused[0].messages[0]
    assert TreatmentSession.objects.filter(chair=seat).count() == 1


def test_one_patient_booked_on_two_chairs_at_one_moment_gets_one_session(desk):
    plan = active_plan(by=desk)
    one, two = chair("Chair 1"), chair("Chair 2")

    outcomes = run_together(
        lambda: services.session_book(plan=plan, chair=one, starts_at=TEN, booked_by=desk),
        lambda: services.session_book(plan=plan, chair=two, starts_at=TEN, booked_by=desk),
    )

    refused = [o for o in outcomes if isinstance(o, ValidationError)]
    assert len(refused) == 1, outcomes
    assert refused[0].messages[0].startswith("The patient already has a session 10:00")
    assert TreatmentSession.objects.filter(plan=plan).count() == 1


@pytest.fixture
def without_exclusion_constraints():
    """The database's guard removed for one test, to see the service's own locks at work (as
    on a backend with no exclusion constraints); put back afterwards."""
    migration = importlib.import_module(
        "treatments.migrations.0004_postgres_no_overlapping_sessions"
    )
    with connection.schema_editor() as editor:
        migration.drop_constraints(None, editor)
    try:
        yield
    finally:
        # A failed test may have left overlapping rows, which would stop the constraints from
        # coming back for the tests after it (the flush at the test's end clears them anyway).
        OutboxEntry.objects.all().delete()  # reminders of the sessions booked
        TreatmentSession.objects.all().delete()
        with connection.schema_editor() as editor:
            migration.add_constraints(None, editor)


def test_the_services_locks_alone_keep_one_session_per_chair(desk, without_exclusion_constraints):
    plans = [active_plan(by=desk) for _ in range(4)]
    seat = chair("Chair 2")

    outcomes = run_together(
        *[
            lambda plan=plan: services.session_book(
                plan=plan, chair=seat, starts_at=TEN, booked_by=desk
            )
            for plan in plans
        ]
    )

    refused = [o for o in outcomes if isinstance(o, ValidationError)]
    assert len(refused) == 3, outcomes
    assert TreatmentSession.objects.filter(chair=seat).count() == 1


def _raw_session(plan, seat, starts_at, by, *, status="booked") -> TreatmentSession:
    """A row written straight to the table: none of the service's locks or checks."""
    return TreatmentSession.objects.create(
        patient_id=plan.patient_id,
        plan=plan,
        plan_version=plan.versions.get(),
        chair=seat,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(minutes=100),
        status=status,
        booked_by=by,
    )


def _wait_until_another_transaction_waits_for_this_one(seconds: float = 20) -> None:
    """Holds this transaction open until another connection is blocked by one of its locks (the
    second insert, waiting on the first's uncommitted row): then the two truly overlap, however
    slow the machine. pg_locks is read afresh by every query, even inside a transaction."""
    deadline = time.monotonic() + seconds
    with connection.cursor() as cursor:
        while True:
            cursor.execute(
                "SELECT count(*) FROM pg_locks"
                " WHERE NOT granted AND pg_backend_pid() = ANY(pg_blocking_pids(pid))"
            )
            if cursor.fetchone()[0]:
                return
            assert time.monotonic() < deadline, "the second insert never waited for the first"
            time.sleep(0.05)


@pytest.mark.parametrize("clash", ["chair", "patient"])
def test_the_exclusion_constraint_refuses_an_overlap_written_around_the_service(desk, clash):
    first = active_plan(by=desk)
    second = first if clash == "patient" else active_plan(by=desk)
    one = chair("Chair 1")
    other = chair("Chair 2") if clash == "patient" else one
    first_inserted = threading.Event()

    def insert_first():
        with transaction.atomic():
            session = _raw_session(first, one, TEN, desk)
            first_inserted.set()
            _wait_until_another_transaction_waits_for_this_one()
        return session

    def insert_second():
        # Waits for the first row to exist (uncommitted): if both inserted at the very same
        # instant, each would wait for the other and PostgreSQL would report a deadlock instead.
        assert first_inserted.wait(timeout=10)
        with transaction.atomic():
            return _raw_session(second, other, TEN + timedelta(minutes=99), desk)

    outcomes = run_together(insert_first, insert_second)

    assert isinstance(outcomes[0], TreatmentSession), outcomes
    assert isinstance(outcomes[1], IntegrityError), outcomes
    assert f"session_{clash}_no_overlap" in str(outcomes[1])
    assert TreatmentSession.objects.count() == 1


def test_the_constraint_lets_touching_and_cancelled_sessions_be(desk):
    plan, seat = active_plan(by=desk), chair("Chair 1")
    _raw_session(plan, seat, TEN, desk)

    _raw_session(plan, seat, TEN + timedelta(minutes=100), desk)  # starts as the first ends
    _raw_session(plan, seat, TEN, desk, status="cancelled")
    _raw_session(plan, seat, TEN, desk, status="no_show")

    assert TreatmentSession.objects.count() == 4


def test_the_service_turns_the_constraints_refusal_into_the_clash_message(desk, monkeypatch):
    """If the checks were ever skipped, the database's refusal still reads as a clash."""
    plan, seat = active_plan(by=desk), chair("Chair 1")
    services.session_book(plan=plan, chair=seat, starts_at=TEN, booked_by=desk)
    other = active_plan(by=desk)
    real_refuse = services._refuse_clash
    checks = []

    def skipped_first_time(**slot):
        checks.append(slot)
        if len(checks) > 1:  # the message is built by the real check, after the refusal
            real_refuse(**slot)

    monkeypatch.setattr(services, "_refuse_clash", skipped_first_time)

    with pytest.raises(ValidationError) as refused:
        services.session_book(plan=other, chair=seat, starts_at=TEN, booked_by=desk)

    assert refused.value.messages == ["Chair 1 is booked 10:00\N{EN DASH}11:40."]
    assert len(checks) == 2
    assert TreatmentSession.objects.count() == 1

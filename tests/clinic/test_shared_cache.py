"""The home panels and the follow-up worklist are built once and served from the cache to
everyone with the same roles, until anything they show changes (clinic/shared_cache.py)."""

import time
from datetime import timedelta

import pytest
import time_machine
from django.core.cache import cache
from django.core.cache.backends.redis import RedisCacheClient
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import reverse
from redis.exceptions import ResponseError

from clinic import redis_cache, shared_cache
from clinic.roles import FRONT_DESK
from tests.clinic.test_home import count_in, panel, session_at
from tests.conftest import sign_in
from tests.factories import UserFactory
from tests.followups.outbox_helpers import wait_until
from tests.followups.worklist_data import NOON, followup_task
from tests.redis_helpers import SilentRedis
from tests.treatments.sessions import checked_in
from treatments.models import StaffTask

HOME_URL = reverse("home")
WORKLIST_URL = reverse("followups:worklist")


@pytest.fixture(autouse=True)
def at_noon():
    with time_machine.travel(NOON, tick=False):
        yield


# --- Which statements change the data generation ------------------------------------------------


@pytest.mark.parametrize(
    "sql",
    [
        'SELECT "treatments_stafftask"."id" FROM "treatments_stafftask"',
        "  select 1",
        '(SELECT "id" FROM "intake_patient") UNION (SELECT "id" FROM "intake_patient")',
        "SAVEPOINT s1",
        "EXECUTE clinic_0123456789abcdef (%s, %s)",  # a read prepared by clinic/prepared.py
        'RELEASE SAVEPOINT "s1"',
        'INSERT INTO "auditlog_logentry" ("action") VALUES (%s)',
        'UPDATE "django_session" SET "session_data" = %s',
        'DELETE FROM "django_session" WHERE "expire_date" < %s',
        'INSERT INTO "axes_accessattempt" ("username") VALUES (%s)',
    ],
)
def test_reads_and_what_reads_write_keep_the_cache(sql):
    assert not shared_cache.writes_clinic_data(sql)


@pytest.mark.parametrize(
    "sql",
    [
        'INSERT INTO "treatments_treatmentsession" ("patient_id") VALUES (%s)',
        'UPDATE "followups_outboxentry" SET "status" = %s WHERE "id" IN (1, 2)',
        'DELETE FROM "intake_intake" WHERE "id" = %s',
        "update treatments_stafftask set status = 'done'",
        "WITH due AS (SELECT id FROM t) UPDATE followups_outboxentry SET status = 'sending'",
        "TRUNCATE treatments_stafftask",
    ],
)
def test_any_other_statement_changes_the_data_generation(sql):
    assert shared_cache.writes_clinic_data(sql)


def test_a_write_in_a_transaction_changes_the_generation_for_itself_and_again_at_commit(
    db, django_capture_on_commit_callbacks
):
    before = shared_cache.generation()
    with django_capture_on_commit_callbacks() as at_commit, transaction.atomic():
        followup_task()
        followup_task()
        inside = shared_cache.generation()
    # This connection's own next read sees its writes...
    assert inside != before
    # ...and the commit changes it once more, whatever other processes read meanwhile.
    assert at_commit.count(shared_cache._bump) == 1
    at_commit[at_commit.index(shared_cache._bump)]()
    assert shared_cache.generation() != inside


def test_a_raw_statement_through_the_connection_counts_too(db):
    task = followup_task()
    before = shared_cache.generation()
    with connection.cursor() as cursor:
        cursor.execute(
            'UPDATE "treatments_stafftask" SET "title" = %s WHERE "id" = %s', ["Call", task.pk]
        )
    assert shared_cache.generation() != before


# --- The home page ------------------------------------------------------------------------------


def test_the_home_panels_come_from_the_cache_until_something_changes(
    front_desk, front_desk_user, django_assert_num_queries
):
    session = session_at(front_desk_user, hour=15)
    board = panel(front_desk.get(HOME_URL).content.decode(), "Today's sessions")
    assert "Check in" in board

    # Nothing changed: session, user, TOTP device and roles, the panels from the cache.
    with django_assert_num_queries(4):
        again = front_desk.get(HOME_URL).content.decode()
    assert panel(again, "Today's sessions") == board

    checked_in(session, by=front_desk_user)
    board = panel(front_desk.get(HOME_URL).content.decode(), "Today's sessions")
    assert "Checked in" in board
    assert "Check in<" not in board


def test_a_bulk_update_changes_the_home_page_at_once(front_desk):
    task = followup_task()
    tasks = panel(front_desk.get(HOME_URL).content.decode(), "Tasks")
    assert count_in(tasks, "Open tasks") == 1

    # As the outbox sweep and other batch jobs write: one UPDATE, no save() and no signal.
    StaffTask.objects.filter(pk=task.pk).update(status=StaffTask.Status.DONE)

    tasks = panel(front_desk.get(HOME_URL).content.decode(), "Tasks")
    assert count_in(tasks, "Open tasks") == 0


def test_each_role_gets_its_own_home_panels(front_desk, clinician_user):
    front_desk.get(HOME_URL)
    clinician = sign_in(Client(), clinician_user)

    page = clinician.get(HOME_URL).content.decode()

    assert "Screenings to review" in page
    assert "Today's sessions" not in page


def test_the_home_page_is_served_when_the_cache_is_down(front_desk, front_desk_user):
    session_at(front_desk_user, hour=15)
    nowhere = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens on port 1
        }
    }
    with override_settings(CACHES=nowhere):
        response = front_desk.get(HOME_URL)

    assert response.status_code == 200
    assert "Check in" in panel(response.content.decode(), "Today's sessions")


def test_a_new_minute_builds_the_panels_again(front_desk, front_desk_user):
    # "Not arrived, past their start time" changes with the clock alone.
    session_at(front_desk_user, hour=12, minute=1)
    arrivals = panel(front_desk.get(HOME_URL).content.decode(), "Arrivals")
    assert count_in(arrivals, "Not arrived, past their start time") == 0

    later = time_machine.travel(NOON + timedelta(minutes=2), tick=False)
    with later, CaptureQueriesContext(connection) as queries:
        arrivals = panel(front_desk.get(HOME_URL).content.decode(), "Arrivals")

    assert count_in(arrivals, "Not arrived, past their start time") == 1
    assert len(queries) > 4  # built from the database, not the cache


# --- The worklist -------------------------------------------------------------------------------


def test_each_viewer_of_the_cached_worklist_posts_with_their_own_token(front_desk_user):
    task = followup_task()
    first = sign_in(Client(enforce_csrf_checks=True), front_desk_user)
    first.get(WORKLIST_URL)
    colleague = sign_in(
        Client(enforce_csrf_checks=True), UserFactory(username="fred", role=FRONT_DESK)
    )

    page = colleague.get(WORKLIST_URL).content.decode()

    assert shared_cache.CSRF_PLACEHOLDER not in page
    form = page[page.index(f'action="{reverse("followups:task_done", args=[task.pk])}') :]
    action = form.split('action="', 1)[1].split('"', 1)[0].replace("&amp;", "&")
    token = form.split('name="csrfmiddlewaretoken" value="', 1)[1].split('"', 1)[0]
    response = colleague.post(
        action,
        {"csrfmiddlewaretoken": token, f"task-{task.pk}-outcome": "Booked for Friday"},
    )
    assert response.status_code == 302
    task.refresh_from_db()
    assert task.status == StaffTask.Status.DONE
    # The list everyone sees shows it done at once.
    page = colleague.get(WORKLIST_URL).content.decode()
    assert page.count("Mark done<") == 0
    assert "Booked for Friday" in page
    assert cache.get(shared_cache.GENERATION_KEY)


# --- A Redis that hangs (clinic/redis_cache.py) -------------------------------------------------

TIMEOUT = 0.2  # the socket timeouts here; production's are REDIS_*_TIMEOUT


def redis_cache_at(url: str, backend: str = "clinic.redis_cache.RedisCache") -> dict:
    options = {"socket_connect_timeout": TIMEOUT, "socket_timeout": TIMEOUT}
    return {"default": {"BACKEND": backend, "LOCATION": url, "OPTIONS": options}}


@pytest.fixture
def silent_redis(transactional_db, settings):
    """The cache on a server that takes connections and never answers, the breaker fresh.
    Transactional: each write outside a transaction asks the cache at once, as in production
    (inside the test case's transaction it would wait for a commit that never comes)."""
    server = SilentRedis()
    settings.CACHES = redis_cache_at(server.url)
    settings.CLINIC_CACHE_RETRY_SECONDS = 60
    redis_cache.reset()
    yield server
    redis_cache.reset()
    server.close()


def test_a_hung_cache_costs_one_timeout_not_one_per_write(silent_redis, front_desk):
    for _ in range(5):
        followup_task()  # each INSERT outside a transaction changes the data generation
    page = front_desk.get(HOME_URL).content.decode()  # the generation, then each panel

    # Signing in, the writes and the page: one call reached the cache and waited for it.
    assert silent_redis.connections == 1
    # The page is built from the database.
    assert count_in(panel(page, "Tasks"), "Open tasks") == 5


def test_without_the_breaker_each_write_would_wait_for_the_cache(silent_redis, settings):
    # What the breaker saves (and proof that the server above does hang its clients).
    settings.CACHES = redis_cache_at(
        silent_redis.url, backend="django.core.cache.backends.redis.RedisCache"
    )
    started = time.monotonic()
    followup_task()  # a patient, an outbox row, a task: several INSERTs

    assert silent_redis.connections >= 3
    assert time.monotonic() - started >= 3 * TIMEOUT


def test_the_next_requests_do_not_touch_the_cache_until_the_retry_period_ends(
    silent_redis, settings, front_desk
):
    settings.CLINIC_CACHE_RETRY_SECONDS = 1
    redis_cache.reset()  # signing in (above) wrote, and found the cache hung already
    calls = silent_redis.connections
    front_desk.get(HOME_URL)
    assert silent_redis.connections == calls + 1
    location = silent_redis.url
    assert 0 < redis_cache.cache_down_for(location) <= 1

    front_desk.get(HOME_URL)
    followup_task()
    with pytest.raises(redis_cache.CacheUnavailable):
        cache.get("anything")
    assert silent_redis.connections == calls + 1

    wait_until(
        lambda: redis_cache.cache_down_for(location) == 0, seconds=5, what="the retry period"
    )
    front_desk.get(HOME_URL)  # tries the cache again, once, and finds it still hung
    assert silent_redis.connections == calls + 2
    assert redis_cache.cache_down_for(location) > 0


def test_an_error_that_is_not_the_servers_leaves_the_cache_in_use(settings, monkeypatch):
    settings.CACHES = redis_cache_at("redis://127.0.0.1:1/0")
    redis_cache.reset()

    def wrong_type(*args, **kwargs):
        raise ResponseError("WRONGTYPE Operation against a key holding the wrong kind of value")

    monkeypatch.setattr(RedisCacheClient, "get", wrong_type)
    with pytest.raises(ResponseError):
        cache.get("a-list")

    assert redis_cache.cache_down_for("redis://127.0.0.1:1/0") == 0


def test_a_generation_change_missed_while_the_cache_was_down_is_made_once_it_is_back(db, settings):
    before = shared_cache.generation()
    server = SilentRedis()
    try:
        with override_settings(CACHES=redis_cache_at(server.url)):
            redis_cache.reset()
            followup_task()  # written while the cache hangs: the generation stays as it was
    finally:
        redis_cache.reset()
        server.close()

    assert cache.get(shared_cache.GENERATION_KEY) == before
    assert shared_cache.generation() != before

"""The Celery app, beat schedule and a real worker on the configured broker; a broker that hangs
costs a publish less than a second."""

import os
import runpy
import time
from datetime import timedelta
from pathlib import Path
from unittest import mock

import pytest
from celery.contrib.testing.worker import start_worker
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.utils import timezone
from kombu.exceptions import OperationalError

from clinic.celery import app
from clinic.tasks import clear_expired_sessions
from intake.tasks import notify_clinicians_of_alert
from tests.redis_helpers import SilentRedis


def _make_session(expires_in: timedelta) -> str:
    store = SessionStore()
    store["staff"] = 1
    store.create()
    Session.objects.filter(session_key=store.session_key).update(
        expire_date=timezone.now() + expires_in
    )
    return store.session_key


@pytest.mark.django_db
def test_expired_sessions_are_cleared_and_live_ones_kept():
    stale = _make_session(timedelta(minutes=-5))
    live = _make_session(timedelta(minutes=5))

    clear_expired_sessions.apply()

    assert not Session.objects.filter(session_key=stale).exists()
    assert Session.objects.filter(session_key=live).exists()


def test_every_beat_entry_names_a_registered_task():
    app.loader.import_default_modules()
    for name, entry in app.conf.beat_schedule.items():
        assert entry["task"] in app.tasks, f"beat entry {name} names an unknown task"


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_runs_a_task_sent_through_redis(monkeypatch):
    monkeypatch.setitem(app.conf, "task_always_eager", False)
    stale = _make_session(timedelta(minutes=-5))
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        clear_expired_sessions.delay()
        # A bound on the wait, not a speed being tested: ample on a loaded two-core machine.
        deadline = time.monotonic() + 60
        while Session.objects.filter(session_key=stale).exists():
            assert time.monotonic() < deadline, "the worker did not run the task within 60 s"
            time.sleep(0.1)


def production_settings(**environment: str) -> dict:
    """clinic/settings.py as a production process reads it with ``environment``."""
    with mock.patch.dict(os.environ, environment):
        return runpy.run_path(str(Path(settings.BASE_DIR) / "clinic" / "settings.py"))


def test_every_redis_connection_gives_up_well_within_a_second():
    production = production_settings(
        CELERY_BROKER_URL="redis://redis.internal:6379/0", CACHE_URL="redis://redis.internal:6379/1"
    )

    broker = production["CELERY_BROKER_TRANSPORT_OPTIONS"]
    cache = production["CACHES"]["default"]
    assert cache["BACKEND"] == "clinic.redis_cache.RedisCache"
    for options in (broker, cache["OPTIONS"]):
        assert 0 < options["socket_timeout"] < 1
        assert 0 < options["socket_connect_timeout"] < 1
    assert production["CELERY_TASK_PUBLISH_RETRY_POLICY"]["max_retries"] == 0


def test_a_publish_to_a_broker_that_never_answers_gives_up_within_a_second(monkeypatch):
    monkeypatch.setitem(app.conf, "task_always_eager", False)
    server = SilentRedis()
    production = production_settings(CELERY_BROKER_URL=server.url)
    try:
        connection = app.connection_for_write(
            server.url,
            transport_options=production["CELERY_BROKER_TRANSPORT_OPTIONS"],
            connect_timeout=production["CELERY_BROKER_CONNECTION_TIMEOUT"],
        )
        started = time.monotonic()
        with connection, pytest.raises(OperationalError):
            notify_clinicians_of_alert.apply_async(
                args=[1],
                connection=connection,
                retry_policy=production["CELERY_TASK_PUBLISH_RETRY_POLICY"],
            )
        elapsed = time.monotonic() - started
    finally:
        server.close()

    assert server.connections >= 1  # it did reach the server, which never answered
    assert elapsed < 1.0

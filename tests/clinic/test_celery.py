"""The Celery app, beat schedule and a real worker on the configured broker."""

import time
from datetime import timedelta

import pytest
from celery.contrib.testing.worker import start_worker
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.utils import timezone

from clinic.celery import app
from clinic.tasks import clear_expired_sessions


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

"""The Celery app. The beat schedule lives here, in one place."""

import os
import threading

from celery import Celery
from celery.schedules import crontab
from celery.signals import worker_shutting_down
from django.conf import settings

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clinic.settings")

app = Celery("clinic")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_configure.connect
def _make_filesystem_broker_folders(sender, **kwargs) -> None:
    # kombu's filesystem transport (the embedded default) needs its folders to exist.
    options = sender.conf.broker_transport_options or {}
    for key in ("data_folder_in", "data_folder_out", "processed_folder"):
        if options.get(key):
            os.makedirs(options[key], exist_ok=True)


@app.on_after_configure.connect
def _beat_schedule(sender, **kwargs) -> None:
    """The whole beat schedule (read once the Django settings are loaded)."""
    sender.conf.beat_schedule = {
        # Reminders, survey invitations and follow-up tasks: the outbox rows that are due.
        "sweep-outbox": {
            "task": "followups.tasks.sweep_outbox",
            "schedule": settings.CLINIC_OUTBOX_SWEEP_SECONDS,
        },
        "notify-pending-alerts": {
            "task": "intake.tasks.notify_pending_alerts",
            "schedule": 60.0,
        },
        # The outcomes page's default report, worked out before the kept one runs out.
        "refresh-outcomes": {
            "task": "followups.tasks.refresh_outcomes",
            "schedule": 600.0,  # followups.reports.REFRESH_SECONDS
        },
        "clear-expired-sessions": {
            "task": "clinic.tasks.clear_expired_sessions",
            "schedule": crontab(minute=17, hour=3),
        },
    }


# Set in the worker's main process when a warm shutdown begins (SIGTERM on a deploy). A task
# running in that process (the solo or threads pool) can then stop at its next safe point;
# prefork children are not told (they run their task to the end), so long tasks also keep
# their runs short (followups.tasks.RUN_BUDGET_SECONDS).
_worker_stopping = threading.Event()


@worker_shutting_down.connect
def _note_worker_stopping(**kwargs) -> None:
    _worker_stopping.set()


def worker_is_stopping() -> bool:
    return _worker_stopping.is_set()

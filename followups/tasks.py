"""Thin Celery tasks: the outbox sweep that beat runs every minute, and the outcomes report's
default period worked out ahead of the page."""

import logging
import time

from celery import shared_task
from django.conf import settings

from . import reports
from .services.outbox import SweepReport, outbox_sweep

logger = logging.getLogger(__name__)

# A backlog (after an outage, or a morning's reminders held by quiet hours) is drained batch
# after batch in one run, for at most this long, well inside the task's soft time limit; what is
# left then goes to a fresh run at the back of the queue, so other tasks get the worker between.
RUN_BUDGET_SECONDS = 120


@shared_task(acks_late=True, ignore_result=True)
def sweep_outbox() -> dict:
    total = SweepReport()
    deadline = time.monotonic() + RUN_BUDGET_SECONDS
    while True:
        report = outbox_sweep()
        total.add(report)
        if report.claimed < settings.CLINIC_OUTBOX_BATCH_SIZE:
            break
        if time.monotonic() >= deadline:
            logger.info(
                "outbox sweep: backlog left after %s s; another run queued", RUN_BUDGET_SECONDS
            )
            sweep_outbox.delay()
            break
    if total.claimed or total.interrupted:
        logger.info("outbox sweep: %s", total)
    return vars(total)


@shared_task(acks_late=True, ignore_result=True, soft_time_limit=300, time_limit=360)
def refresh_outcomes() -> None:
    """The outcomes page's default period (the last six months, every route), worked out and
    kept before the kept one runs out (``followups.reports``)."""
    report = reports.default_report_refresh()
    logger.info("outcomes report worked out (%s route rows)", len(report.rows))

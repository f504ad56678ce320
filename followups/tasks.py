"""Thin Celery tasks: the outbox sweep that beat runs every minute, and the outcomes report's
default period worked out ahead of the page."""

import logging
import time

from celery import shared_task
from django.conf import settings

from clinic.celery import worker_is_stopping

from . import reports
from .services.outbox import SweepReport, outbox_sweep

logger = logging.getLogger(__name__)

# One run sends for at most this long, asked between messages; what is left then goes back to
# the queue and to a fresh run at the back of the broker's queue, so other tasks get the worker
# between, and a deploy's warm shutdown (which waits for running tasks) waits this long at most
# plus one message. A backlog drains run after run.
RUN_BUDGET_SECONDS = 3.0


# The hard time limit bounds how long a live sweep can hold a claimed row: the stuck release
# (CLINIC_OUTBOX_STUCK_MINUTES, 10 by default) must stay well above it.
@shared_task(acks_late=True, ignore_result=True, soft_time_limit=60, time_limit=90)
def sweep_outbox() -> dict:
    total = SweepReport()
    deadline = time.monotonic() + RUN_BUDGET_SECONDS

    def time_to_stop() -> bool:
        return time.monotonic() >= deadline or worker_is_stopping()

    while True:
        report = outbox_sweep(should_stop=time_to_stop)
        total.add(report)
        more = report.left or report.claimed >= settings.CLINIC_OUTBOX_BATCH_SIZE
        if not more:
            break
        if time_to_stop():
            logger.info(
                "outbox sweep: backlog left after %s s; another run queued", RUN_BUDGET_SECONDS
            )
            sweep_outbox.delay()
            break
    if total.claimed or total.interrupted or total.requeued:
        logger.info("outbox sweep: %s", total)
    return vars(total)


@shared_task(acks_late=True, ignore_result=True, soft_time_limit=300, time_limit=360)
def refresh_outcomes() -> None:
    """The outcomes page's default period (the last six months, every route), worked out and
    kept before the kept one runs out (``followups.reports``)."""
    report = reports.default_report_refresh()
    logger.info("outcomes report worked out (%s route rows)", len(report.rows))

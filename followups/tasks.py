"""Thin Celery tasks: the outbox sweep that beat runs every minute."""

import logging

from celery import shared_task
from django.conf import settings

from .services.outbox import SweepReport, outbox_sweep

logger = logging.getLogger(__name__)

# Enough batches to drain a backlog (after an outage) without one run holding the worker long.
MAX_BATCHES_PER_RUN = 10


@shared_task(acks_late=True, ignore_result=True)
def sweep_outbox() -> dict:
    total = SweepReport()
    for _ in range(MAX_BATCHES_PER_RUN):
        report = outbox_sweep()
        total.add(report)
        if report.claimed < settings.CLINIC_OUTBOX_BATCH_SIZE:
            break
    if total.claimed or total.interrupted:
        logger.info("outbox sweep: %s", total)
    return vars(total)

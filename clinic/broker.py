"""Queueing a task from a page, without the page depending on the broker.

Every task queued from a request stands for a database row that a beat sweep also finds (an
un-notified alert: ``intake.tasks.notify_pending_alerts``), so a publish that fails only delays
the work by a sweep. The broker's socket timeouts and its publish retry policy of none
(``CELERY_BROKER_TRANSPORT_OPTIONS``, ``CELERY_TASK_PUBLISH_RETRY_POLICY``) bound how long a
publish may take; this catches whatever it then raises: kombu's OperationalError when the broker
refuses or does not answer, anything else (an OSError, redis-py's own errors).
"""

import logging

logger = logging.getLogger(__name__)


def task_enqueue(task, *ids: int) -> bool:
    """Queue ``task`` with ``ids`` (ids only: task arguments sit in the broker in clear text).
    False, and a log line naming the task and the error's type, when the broker did not take it.
    """
    try:
        task.delay(*ids)
    except Exception as error:
        logger.warning(
            "%s not queued (%s); its beat sweep will pick the row up",
            task.name,
            type(error).__name__,
        )
        return False
    return True

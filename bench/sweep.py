"""The reminder sweep under a backlog: 10,000 due reminders, one worker, file backends.

    python -m bench.run sweep      # (make bench runs it after the pages)

Writes BENCH_SWEEP_REMINDERS (default 10,000) appointment reminders, all due a minute ago, for
the booked future sessions of the benchmark database (cycling over them when there are fewer
sessions than reminders: the sweep's work per row is the same). Then runs the Celery task
``sweep_outbox`` in this process, as one solo worker would, until nothing is due, with the email
and SMS backends writing files to a scratch folder. Reports the time, the messages written, and
the queries per batch (every query the task makes, counted with a database execute wrapper,
over the batches that claimed rows).
The rows are deleted afterwards, so runs can be repeated.
"""

import time
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from bench.profile import QueryTimer

SWEEP_TARGET_SECONDS = 60
PURPOSE_PREFIX = "bench-sweep:"


@dataclass(frozen=True)
class SweepResult:
    reminders: int
    seconds: float
    sent: int
    other_outcomes: dict
    runs: int
    batches: int
    batch_size: int
    queries: int
    emails: int
    texts: int


def environment(folder: Path) -> dict[str, str]:
    """Set before Django starts: where the messages go, and no quiet hours (the benchmark may
    run at night, when reminders would wait for the morning instead of going)."""
    return {
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(folder / "email"),
        "CLINIC_SMS_BACKEND": "clinic.notifications.sms.FileSMSBackend",
        "CLINIC_SMS_FILE_PATH": str(folder / "sms"),
        "CLINIC_QUIET_HOURS": "",
    }


def messages_written(folder: Path) -> tuple[int, int]:
    """Emails and texts the backends wrote: Django's file backend appends each email to a file
    followed by a line of 79 dashes; the SMS file backend writes one file per text."""
    rule = "-" * 79
    emails = sum(
        line == rule
        for path in (folder / "email").glob("*")
        for line in path.read_text(encoding="utf-8").splitlines()
    )
    return emails, sum(1 for _ in (folder / "sms").glob("*"))


def reminders_write(count: int) -> int:
    """``count`` reminders due a minute ago, for booked sessions at least a day away."""
    from django.utils import timezone

    from followups.models import OutboxEntry
    from treatments.models import TreatmentSession

    now = timezone.now()
    sessions = list(
        TreatmentSession.objects.filter(
            status=TreatmentSession.Status.BOOKED, starts_at__gte=now + timedelta(days=1)
        ).values_list("pk", "patient_id")[:count]
    )
    if not sessions:
        raise RuntimeError("No booked session a day or more ahead to remind patients of")
    run = now.strftime("%Y%m%dT%H%M%S")
    rows = [
        OutboxEntry(
            patient_id=sessions[number % len(sessions)][1],
            session_id=sessions[number % len(sessions)][0],
            purpose=OutboxEntry.Purpose.APPOINTMENT_REMINDER,
            offset_label="48h",
            idempotency_key=f"{PURPOSE_PREFIX}{run}:{number}",
            due_at=now - timedelta(minutes=1),
        )
        for number in range(count)
    ]
    OutboxEntry.objects.bulk_create(rows, batch_size=2000)
    return len(rows)


def reminders_delete() -> None:
    from followups.models import OutboxEntry

    OutboxEntry.objects.filter(idempotency_key__startswith=PURPOSE_PREFIX).delete()


def sweep_until_drained() -> tuple[Counter, int, int]:
    """Run the task until a run finds nothing due: (outcomes, runs, queries)."""
    from django.db import connection

    from followups.tasks import sweep_outbox

    outcomes, runs, timer = Counter(), 0, QueryTimer([])
    with connection.execute_wrapper(timer):
        while True:
            report = sweep_outbox.apply().get()
            runs += 1
            outcomes.update({name: value for name, value in report.items() if value})
            if not report["claimed"]:
                return outcomes, runs, len(timer.queries)


def run(folder: Path, count: int) -> SweepResult:
    from django.conf import settings

    from followups.models import OutboxEntry

    reminders_delete()
    written = reminders_write(count)
    started = time.monotonic()
    outcomes, runs, queries = sweep_until_drained()
    seconds = time.monotonic() - started
    emails, texts = messages_written(folder)
    statuses = Counter(
        OutboxEntry.objects.filter(idempotency_key__startswith=PURPOSE_PREFIX).values_list(
            "status", flat=True
        )
    )
    reminders_delete()
    sent = statuses.pop(OutboxEntry.Status.SENT, 0)
    batches = outcomes["batches"]
    return SweepResult(
        reminders=written,
        seconds=seconds,
        sent=sent,
        other_outcomes=dict(statuses),
        runs=runs,
        batches=batches,
        batch_size=settings.CLINIC_OUTBOX_BATCH_SIZE,
        queries=queries,
        emails=emails,
        texts=texts,
    )


def report(result: SweepResult) -> tuple[str, list[str]]:
    misses = []
    if result.seconds >= SWEEP_TARGET_SECONDS:
        misses.append(f"sweep: {result.seconds:.1f} s (target < {SWEEP_TARGET_SECONDS})")
    if result.sent != result.reminders:
        misses.append(f"sweep: {result.sent:,} of {result.reminders:,} reminders sent")
    others = ", ".join(f"{k} {v:,}" for k, v in sorted(result.other_outcomes.items())) or "none"
    text = "\n".join(
        [
            "| reminders due | sent | other outcomes | seconds | sent per second | task runs "
            "| batches (size) | queries | queries per batch | messages written (email + SMS) |",
            "|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|",
            f"| {result.reminders:,} | {result.sent:,} | {others} | {result.seconds:.1f} "
            f"| {result.sent / result.seconds:.0f} | {result.runs} "
            f"| {result.batches} ({result.batch_size}) | {result.queries:,} "
            f"| {result.queries / max(result.batches, 1):.1f} "
            f"| {result.emails:,} + {result.texts:,} |",
        ]
    )
    return text, misses

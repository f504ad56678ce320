"""Helpers for the outbox's concurrency and end-to-end tests: reminders falling due soon, a
private Redis that a test may stop, and a real Celery worker and beat run as subprocesses."""

import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from unittest import mock
from urllib.parse import quote

import pytest
from django.db import connection
from django.utils import timezone

from tests.conftest import REQUIRE_SERVICES, clock_environment, environment_without_faketime
from tests.treatments.booking import book_session
from treatments import booking_rules
from treatments.models import TreatmentSession

REPOSITORY = Path(__file__).resolve().parents[2]
CELERY = Path(sys.executable).with_name("celery")
# The single reminder the tests configure (CLINIC_REMINDER_OFFSETS=["2h"]).
REMINDER_OFFSET = timedelta(hours=2)


def reminders_due_in(
    due_in: timedelta, *, booked_by, count: int = 1, first_chair: int = 1
) -> list[TreatmentSession]:
    """Book ``count`` sessions (a new patient each, one chair each) whose 2-hour reminder falls
    due ``due_in`` from now. Needs CLINIC_REMINDER_OFFSETS=["2h"] and no quiet hours.

    The sessions start when the real clock says (a real worker sends their reminders), at
    whatever hour the suite runs: the rule that a session is inside the opening hours (tested
    in tests/treatments/test_booking.py) is lifted for them, the other booking rules hold."""
    starts_at = timezone.now() + REMINDER_OFFSET + due_in
    with mock.patch.object(booking_rules, "opening_hours_refusal", return_value=None):
        return [
            book_session(booked_by=booked_by, starts_at=starts_at, chair_name=f"Chair {number}")
            for number in range(first_chair, first_chair + count)
        ]


def wait_until(condition: Callable[[], object], *, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"{what}: not within {seconds:g} s")
        time.sleep(0.2)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class PrivateRedis:
    """A Redis of the test's own on a free port (never the shared one), without persistence,
    so that the test can stop it and start it again on the same port."""

    def __init__(self) -> None:
        self.server = shutil.which("redis-server")
        if self.server is None:
            message = "needs the redis-server program to run a private Redis"
            if REQUIRE_SERVICES:
                pytest.fail(f"REQUIRE_SERVICES=1 and this test {message}", pytrace=False)
            pytest.skip(message)
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def _cli(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            ["redis-cli", "-p", str(self.port), *args],
            capture_output=True, text=True, timeout=10, env=environment_without_faketime(),
        )  # fmt: skip

    def answers(self) -> bool:
        return self._cli("ping").stdout.strip() == "PONG"

    def start(self) -> None:
        subprocess.run(
            [self.server, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--daemonize", "yes"],
            check=True, capture_output=True, timeout=10, env=environment_without_faketime(),
        )  # fmt: skip
        wait_until(self.answers, seconds=10, what=f"the private Redis on port {self.port}")

    def stop(self) -> None:
        self._cli("shutdown", "nosave")
        wait_until(lambda: not self.answers(), seconds=10, what="the private Redis stopping")


def database_url_for_subprocess() -> str:
    """The pytest test database, as a DATABASE_URL for another process."""
    db = connection.settings_dict
    password = f":{quote(db['PASSWORD'], safe='')}" if db.get("PASSWORD") else ""
    host, port = db.get("HOST") or "127.0.0.1", db.get("PORT") or 5432
    return f"postgres://{quote(db['USER'], safe='')}{password}@{host}:{port}/{db['NAME']}"


class CeleryProcesses:
    """``celery -A clinic worker`` and ``celery -A clinic beat`` with production settings
    (``clinic.settings``: not eager), the test database, the given broker, SMS written to files
    and a 1-second outbox sweep. Their output goes to files, printed by ``dump``."""

    def __init__(
        self,
        *,
        broker_url: str,
        folder: Path,
        environment: dict[str, str] | None = None,
        worker_options: tuple[str, ...] = ("--pool=solo",),
    ) -> None:
        self.folder = folder
        self.sms_folder = folder / "sms"
        self.env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": os.environ.get("HOME", str(folder)),
            "LANG": "C.UTF-8",
            "DJANGO_SETTINGS_MODULE": "clinic.settings",
            "DEBUG": "1",
            "SECRET_KEY": "outbox-end-to-end-test-key-" + "x" * 40,
            "DATABASE_URL": database_url_for_subprocess(),
            "CONN_MAX_AGE": "0",
            "CELERY_BROKER_URL": broker_url,
            "CELERY_TASK_ALWAYS_EAGER": "false",
            "CELERY_DATA_DIR": str(folder / "celery"),
            "CLINIC_OUTBOX_SWEEP_SECONDS": "1",
            "CLINIC_QUIET_HOURS": "",
            "CLINIC_REMINDER_OFFSETS": "2h",
            "CLINIC_SMS_BACKEND": "clinic.notifications.sms.FileSMSBackend",
            "CLINIC_SMS_FILE_PATH": str(self.sms_folder),
            # The settings read no EMAIL_FILE_PATH, so the file backend cannot be used; these
            # patients prefer text messages and no email is expected.
            "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
            "LOG_LEVEL": "INFO",
            "PYTHONUNBUFFERED": "1",
            **clock_environment(),
            **(environment or {}),
        }
        self.commands = {
            "worker": [
                str(CELERY), "-A", "clinic", "worker", *worker_options, "--loglevel=INFO",
                "--hostname=outbox-test@%h", "--without-gossip", "--without-mingle",
            ],
            "beat": [
                str(CELERY), "-A", "clinic", "beat", "--loglevel=INFO",
                f"--schedule={folder / 'beat-schedule'}",
            ],
        }  # fmt: skip
        self.processes: dict[str, subprocess.Popen] = {}
        self._ready_lines_at_start = 0

    def log(self, name: str) -> Path:
        return self.folder / f"{name}.log"

    def output(self, name: str) -> str:
        path = self.log(name)
        return path.read_text(errors="replace") if path.exists() else ""

    def start(self, *names: str) -> None:
        """Start the worker and beat, or those named. Each in its own process group, so that a
        test can kill a worker with its pool processes."""
        for name in names or self.commands:
            with self.log(name).open("ab") as log:
                log.write(f"----- started at {time.strftime('%H:%M:%S')} -----\n".encode())
                self.processes[name] = subprocess.Popen(
                    self.commands[name],
                    cwd=REPOSITORY,
                    env=self.env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )

    def wait_worker_ready(self, seconds: float = 30) -> None:
        """The worker (started again) is ready: one more " ready." line than before."""
        process = self.processes["worker"]
        before = self._ready_lines_at_start

        def ready() -> bool:
            if process.poll() is not None:
                output = self.output("worker")
                pytest.fail(f"celery worker exited ({process.returncode}):\n{output}")
            return self.output("worker").count(" ready.") > before

        wait_until(ready, seconds=seconds, what="the Celery worker starting")

    def start_worker(self) -> None:
        self._ready_lines_at_start = self.output("worker").count(" ready.")
        self.start("worker")

    def worker_pool_pids(self) -> list[int]:
        """The worker's pool processes (its children), from /proc."""
        main = self.processes["worker"].pid
        children = Path(f"/proc/{main}/task/{main}/children")
        return [int(pid) for pid in children.read_text().split()] if children.exists() else []

    def kill_worker(self) -> None:
        """SIGKILL to the worker and its pool processes at once: nothing runs after."""
        process = self.processes["worker"]
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)

    def terminate_worker(self, seconds: float) -> float:
        """SIGTERM to the worker's main process only (a deploy's warm shutdown); how long it
        took to exit. Fails the test if it takes longer than ``seconds``."""
        process = self.processes["worker"]
        started = time.monotonic()
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=seconds)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
            pytest.fail(f"the worker did not exit within {seconds:g} s of SIGTERM")
        return time.monotonic() - started

    def wait_ready(self, seconds: float = 30) -> None:
        def ready() -> bool:
            for name, process in self.processes.items():
                if process.poll() is not None:
                    pytest.fail(
                        f"celery {name} exited ({process.returncode}):\n{self.output(name)}"
                    )
            return " ready." in self.output("worker") and "Starting..." in self.output("beat")

        wait_until(ready, seconds=seconds, what="the Celery worker and beat starting")

    def sweeps_done(self) -> int:
        return len(
            re.findall(r"followups\.tasks\.sweep_outbox\[[^]]+\] succeeded", self.output("worker"))
        )

    def stop(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.terminate()
        for process in self.processes.values():
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
            # Pool processes left behind by a main process killed alone.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)

    def dump(self) -> None:
        """Shown by pytest when the test fails."""
        for name in self.commands:
            print(f"----- celery {name} -----\n{self.output(name)}")

    def sms_sent(self) -> list[Path]:
        return sorted(self.sms_folder.glob("*.json")) if self.sms_folder.exists() else []

"""Loaded by every Python process of a test run under libfaketime (docs/testing.md): the test
process itself (tests/conftest.py runs this file) and the Celery workers, beat and web servers
the tests start (this folder is put on their PYTHONPATH).

With FAKETIME_DONT_FAKE_MONOTONIC=1 (without it, a timed wait such as ``Event().wait(0.3)``
never returns), libfaketime 0.9.10 (Debian 12) hands the absolute deadline of Python 3.11's
``time.sleep()`` to the kernel as a negative time and every sleep raises EINVAL
(wolfcw/libfaketime#426). ``select()`` waits the same time without the bug.
"""

import os
import select
import time


def _sleep_without_clock_nanosleep(seconds: float) -> None:
    select.select([], [], [], seconds)


if "faketime" in os.environ.get("LD_PRELOAD", "") and os.environ.get(
    "FAKETIME_DONT_FAKE_MONOTONIC"
):
    time.sleep = _sleep_without_clock_nanosleep

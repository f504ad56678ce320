"""Shared personas, and the rules for tests that need real services.

Without services, tests marked ``postgres``, ``redis`` or ``browser`` are skipped with the reason
printed. With REQUIRE_SERVICES=1 (CI) a missing service fails those tests instead.
"""

import os
import runpy
import shutil
import socket
from datetime import datetime
from pathlib import Path
from urllib.parse import urlparse
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from clinic.roles import CLINIC_ADMIN, CLINICIAN, FRONT_DESK
from tests.factories import PatientFactory, UserFactory

REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES") == "1"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


def _redis_url() -> str | None:
    for url in (os.environ.get("REDIS_URL", ""), settings.CELERY_BROKER_URL):
        if url.startswith("redis://"):
            return url
    return None


def _reachable(url: str) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection((parsed.hostname or "127.0.0.1", parsed.port or 6379), 1):
            return True
    except OSError:
        return False


def _missing_service(item) -> str | None:
    engine = settings.DATABASES["default"]["ENGINE"]
    if item.get_closest_marker("postgres") and engine != "django.db.backends.postgresql":
        return "needs PostgreSQL: set DATABASE_URL=postgres://..."
    if item.get_closest_marker("redis"):
        url = _redis_url()
        if url is None:
            return "needs Redis: set CELERY_BROKER_URL=redis://..."
        if not _reachable(url):
            return f"needs Redis: nothing answers at {urlparse(url).netloc}"
    if item.get_closest_marker("browser") and not shutil.which(CHROMIUM):
        return f"needs Chromium at {CHROMIUM} (apt-get install chromium)"
    return None


# Under libfaketime (docs/testing.md) every Python process of the run, this one and the workers
# and servers the tests start, needs the fix in faketime_site/sitecustomize.py.
if "faketime" in os.environ.get("LD_PRELOAD", ""):
    _FAKETIME_SITE = Path(__file__).with_name("faketime_site")
    runpy.run_path(str(_FAKETIME_SITE / "sitecustomize.py"))
    os.environ["PYTHONPATH"] = os.pathsep.join(
        filter(None, [str(_FAKETIME_SITE), os.environ.get("PYTHONPATH")])
    )


def environment_without_faketime() -> dict[str, str]:
    """This process's environment for a program that is not ours (Chromium, redis-server):
    without libfaketime, which makes Chromium crash and redis-server hang. Their clocks do not
    matter: the pages' dates come from the server, and Redis keeps its own time."""
    return {
        name: value
        for name, value in os.environ.items()
        if not (name == "LD_PRELOAD" and "faketime" in value)
    }


def clock_environment() -> dict[str, str]:
    """What a worker or server started by a test needs to keep this run's clock: libfaketime's
    variables when the suite runs under it (docs/testing.md), else nothing."""
    return {
        name: value
        for name, value in os.environ.items()
        if name.startswith("FAKETIME") or name in ("LD_PRELOAD", "PYTHONPATH")
    }


def pytest_sessionstart(session):
    if REQUIRE_SERVICES and settings.DATABASES["default"]["ENGINE"] != (
        "django.db.backends.postgresql"
    ):
        pytest.exit("REQUIRE_SERVICES=1 but DATABASE_URL does not point at PostgreSQL", 3)


def pytest_runtest_setup(item):
    reason = _missing_service(item)
    if reason:
        if REQUIRE_SERVICES:
            pytest.fail(f"REQUIRE_SERVICES=1 and this test {reason}", pytrace=False)
        pytest.skip(reason)


def pytest_report_header(config):
    engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    return [
        f"database: {engine}; broker: {settings.CELERY_BROKER_URL.split('://')[0]}; "
        f"REQUIRE_SERVICES={int(REQUIRE_SERVICES)}"
    ]


# The clinic day that tests naming calendar dates are written for: a Monday morning, before every
# date they name. A test or module marked ``clinic_day`` runs with the clock there, ticking on,
# so it passes whatever day the suite is run (a plan starting "next week" stays in the future).
CLINIC_DAY = datetime(2026, 11, 23, 9, 0, tzinfo=ZoneInfo("America/Chicago"))


@pytest.fixture(autouse=True)
def _clinic_day(request):
    if request.node.get_closest_marker("clinic_day") is None:
        yield None
        return
    with time_machine.travel(CLINIC_DAY, tick=True):
        yield CLINIC_DAY


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with nothing cached: the database is new, the cache would not be."""
    from django.core.cache import cache

    cache.clear()


# --- Personas ---------------------------------------------------------------------------------


@pytest.fixture
def front_desk_user(db):
    return UserFactory(username="frances", first_name="Frances", last_name="Desk", role=FRONT_DESK)


@pytest.fixture
def clinician_user(db):
    return UserFactory(username="drcarter", first_name="Casey", last_name="Carter", role=CLINICIAN)


@pytest.fixture
def second_clinician_user(db):
    """Another licensed clinician: the witness of a waste, the checker of a delivery."""
    return UserFactory(username="drosei", first_name="Rosa", last_name="Osei", role=CLINICIAN)


@pytest.fixture
def admin_user(db):
    return UserFactory(username="adaadmin", first_name="Ada", last_name="Admin", role=CLINIC_ADMIN)


@pytest.fixture
def outsider_user(db):
    """An active account that holds no clinic role."""
    return UserFactory(username="oscar", first_name="Oscar", last_name="Outsider")


def sign_in(client, user):
    """Log a persona in as if they had passed both steps (password and TOTP where needed)."""
    client.force_login(user)
    device, _ = TOTPDevice.objects.get_or_create(
        user=user, name="test", defaults={"confirmed": True}
    )
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


@pytest.fixture
def front_desk(client, front_desk_user):
    return sign_in(client, front_desk_user)


@pytest.fixture
def clinician(client, clinician_user):
    return sign_in(client, clinician_user)


@pytest.fixture
def clinic_admin(client, admin_user):
    return sign_in(client, admin_user)


@pytest.fixture
def outsider(client, outsider_user):
    return sign_in(client, outsider_user)


@pytest.fixture
def patient(db, front_desk_user):
    return PatientFactory(
        legal_first_name="Jane", legal_last_name="Rivera", created_by=front_desk_user
    )

"""`make bench`: load the main pages under gunicorn on PostgreSQL and report what they sustain.

    python -m bench.run          # data step, then the load (what `make bench` runs)
    python -m bench.run data     # the data step only (`make bench-data`)
    python -m bench.run pages    # the pages only; `sweep`: the reminder sweep only
    python -m bench.run profile  # each page alone, in-process: time, queries, slowest queries
    python -m bench.run sizes    # each page at 100,000 and at 1,000 patients, turn about

Knobs (environment): BENCH_DATABASE_URL, BENCH_CACHE_URL, BENCH_PATIENTS, BENCH_SECONDS,
BENCH_CEILING_SECONDS, BENCH_USERS, BENCH_WORKERS, BENCH_PAGES, BENCH_SWEEP_REMINDERS,
BENCH_SMALL_DATABASE_URL, BENCH_SMALL_PATIENTS, BENCH_SIZES_ROUNDS, BENCH_CHAIN. See
bench/README.md for what is measured and the targets.
"""

import argparse
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import environ
import psycopg2
import requests

from bench import profile, sweep

BASE_DIR = Path(__file__).resolve().parent.parent
RESULTS_DIR = BASE_DIR / "bench" / "results"
WORK_DIR = Path(tempfile.gettempdir()) / "clinic-bench"

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/clinic_bench"
# The small clinic the `sizes` step compares the large one with.
DEFAULT_SMALL_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/clinic_bench_1k"
# Databases a benchmark must never write to: development, the lead's, and test databases.
FORBIDDEN_DATABASES = {"clinic", "clinic_lead"}
DEMO_PASSWORD = "demo-clinic-2026"  # noqa: S105 (the seeded demo users' published password)
CEILING = "ceiling"
# Patients whose intake the patient-facing pages are measured on, one per simulated user.
INTAKE_PATIENT_FIRST_NAME = "Benchmark"
# With BENCH_CHAIN=1 (CLINIC_CHAIN on): where the demo staff work, seed_bulk's first location
# (the demo users are assigned to it), chosen after signing in as its staff choose it.
CHAIN_LOCATION = "Bulk clinic 01"
CSRF_FIELD_RE = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


class BenchError(Exception):
    """Something that makes the numbers meaningless: stop and say what."""


@dataclass(frozen=True)
class Config:
    database_url: str
    patients: int
    seconds: int
    users: int
    workers: int
    pages: frozenset[str]
    sweep_reminders: int
    ceiling_seconds: int
    cache_url: str
    small_database_url: str
    small_patients: int
    sizes_rounds: int
    clinics: int
    day_seconds: int
    chain: bool = False

    @classmethod
    def from_env(cls) -> "Config":
        env = environ.Env()
        workers = env.int("BENCH_WORKERS", default=min(4, max(2, os.cpu_count() or 2)))
        if not 2 <= workers <= 4:
            raise BenchError(f"BENCH_WORKERS={workers}: use 2 to 4 gunicorn workers")
        return cls(
            database_url=env.str("BENCH_DATABASE_URL", default=DEFAULT_DATABASE_URL),
            patients=env.int("BENCH_PATIENTS", default=100_000),
            seconds=env.int("BENCH_SECONDS", default=10),
            users=env.int("BENCH_USERS", default=16),
            workers=workers,
            pages=frozenset(p.strip() for p in env.list("BENCH_PAGES", default=[]) if p.strip()),
            sweep_reminders=env.int("BENCH_SWEEP_REMINDERS", default=10_000),
            ceiling_seconds=env.int("BENCH_CEILING_SECONDS", default=5),
            cache_url=env.str("BENCH_CACHE_URL", default="") or _default_cache_url(),
            small_database_url=env.str(
                "BENCH_SMALL_DATABASE_URL", default=DEFAULT_SMALL_DATABASE_URL
            ),
            small_patients=env.int("BENCH_SMALL_PATIENTS", default=1_000),
            sizes_rounds=env.int("BENCH_SIZES_ROUNDS", default=3),
            clinics=env.int("BENCH_CLINICS", default=50),
            day_seconds=env.int("BENCH_DAY_SECONDS", default=300),
            chain=env.bool("BENCH_CHAIN", default=False),
        )


def _default_cache_url() -> str:
    """Redis on this machine, as production runs (CACHE_URL), else the app's file cache."""
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1):
            return "redis://127.0.0.1:6379/1"
    except OSError:
        return f"filecache://{WORK_DIR / 'cache'}"


# --- The database -------------------------------------------------------------------------------


def database_name(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("postgres", "postgresql", "pgsql"):
        raise BenchError(f"BENCH_DATABASE_URL must be PostgreSQL, not {parts.scheme!r}")
    name = parts.path.lstrip("/")
    if not name or name in FORBIDDEN_DATABASES or name.startswith("test_"):
        raise BenchError(
            f"Refusing to benchmark on database {name!r}: the benchmark writes sessions, audit "
            "entries and intakes. Use a database of its own (default clinic_bench)."
        )
    return name


def database_ensure(url: str) -> None:
    """Create the benchmark database if it does not exist yet."""
    name = database_name(url)
    config = environ.Env.db_url_config(url)
    connection = psycopg2.connect(
        dbname="postgres",
        user=config.get("USER") or None,
        password=config.get("PASSWORD") or None,
        host=config.get("HOST") or None,
        port=config.get("PORT") or None,
    )
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
            if cursor.fetchone() is None:
                print(f"Creating database {name}")
                cursor.execute(f'CREATE DATABASE "{name}"')
    finally:
        connection.close()


def server_environment(config: Config) -> dict[str, str]:
    """Production settings, except what plain http on 127.0.0.1 needs."""
    return {
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "ENV_FILE": "",
        "DATABASE_URL": config.database_url,
        "CACHE_URL": config.cache_url,
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "false",
        "SECURE_HSTS_SECONDS": "0",
        "SESSION_COOKIE_SECURE": "false",
        "CSRF_COOKIE_SECURE": "false",
        # The demo users sign in with a password only (as under `make run`).
        "CLINIC_2FA_REQUIRED_ROLES": "",
        "CLINIC_SHOW_DEMO_LOGINS": "false",
        "STATIC_ROOT": str(WORK_DIR / "static"),
        "CELERY_DATA_DIR": str(WORK_DIR / "celery"),
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        "LOG_LEVEL": "WARNING",
        # Every simulated visitor of the clinic day comes from 127.0.0.1: the consultation
        # form's limit per address (5 an hour) would refuse all but the first five.
        "CLINIC_INQUIRY_RATE_PER_HOUR": "1000000",
        # A chain of clinics (BENCH_CHAIN=1): staff work at one location, chosen after sign-in.
        "CLINIC_CHAIN": "true" if config.chain else "false",
    }


def django_setup(config: Config, run_dir: Path) -> None:
    os.environ.update(server_environment(config))
    os.environ.update(sweep.environment(run_dir))
    import django

    django.setup()


def data_step(config: Config) -> None:
    """Migrate; seed the demo staff and patients; add the bulk patients if they are missing."""
    from django.contrib.auth import get_user_model
    from django.core.management import call_command, get_commands

    from intake.models import Patient

    call_command("migrate", interactive=False, verbosity=0)
    if not get_user_model().objects.filter(username="clinician").exists():
        # The demo staff and patients, once: seed_demo assumes the demo clinic, not bulk data.
        call_command("seed_demo", verbosity=0)
    count = Patient.objects.count()
    if config.patients <= count:
        print(f"Data: {count:,} patients (BENCH_PATIENTS={config.patients:,}): no bulk step")
    elif "seed_bulk" in get_commands():
        print(f"Data: {count:,} patients; seeding {config.patients:,} with seed_bulk")
        started = time.monotonic()
        call_command("seed_bulk", f"--patients={config.patients}")
        print(f"Data: seed_bulk took {time.monotonic() - started:.0f} s")
    else:
        print(
            f"Data: WARNING: no seed_bulk command; benchmarking the demo data ({count:,} "
            f"patients, not {config.patients:,})"
        )
    _bulk_ledger_ensure()


def _bulk_ledger_ensure() -> None:
    """The bulk sessions' controlled-substance ledger (``seed_bulk --ledger``), once: a
    database seeded before it existed gets it added."""
    from django.core.management import call_command

    from followups.management.commands import _bulk_ledger
    from treatments.models import TreatmentSession

    bulk_sessions = TreatmentSession.objects.filter(
        patient__email__endswith="@bulk.example.org", status="completed"
    )
    if not bulk_sessions.exists() or _bulk_ledger.bulk_ledger_exists():
        return
    print("Data: seeding the bulk ledger with seed_bulk --ledger")
    started = time.monotonic()
    call_command("seed_bulk", "--ledger")
    print(f"Data: seed_bulk --ledger took {time.monotonic() - started:.0f} s")


# --- What is measured ---------------------------------------------------------------------------


@dataclass
class Page:
    name: str
    role: str  # a demo user name, or "patient" for the intake link pages
    path: str
    method: str = "GET"
    form: dict = field(default_factory=dict)
    form_page: str = ""  # where a POST's form (and its CSRF token) comes from
    expect_status: int = 200
    expect_location: str = ""
    expect_text: str = ""


@dataclass(frozen=True)
class Fixtures:
    chart_patient_id: int
    search_name: str  # a surname: up to a page of namesakes at 100,000 patients
    search_full_name: str  # "Last, First": the few people a front desk is looking for
    search_prefix: str  # two letters that start more names than a page shows, at any size
    intake_patient_ids: list[int]
    patients: int
    page_ids: dict = field(default_factory=dict)  # bench/pages.py: the rows each page opens
    location_id: int | None = None  # BENCH_CHAIN=1: where the staff work; None: one clinic


def chain_location_id() -> int | None:
    """The location the staff sessions work at with CLINIC_CHAIN on (None: one clinic)."""
    from django.conf import settings

    from clinic.models import Location

    if not settings.CLINIC_CHAIN:
        return None
    location = Location.objects.filter(name=CHAIN_LOCATION).values_list("pk", flat=True).first()
    if location is None:
        raise BenchError(f"BENCH_CHAIN=1: no location {CHAIN_LOCATION!r} (seed_bulk makes it)")
    return location


def fixtures_prepare(config: Config) -> Fixtures:
    from django.contrib.auth import get_user_model
    from django.db.models import Count
    from django.db.models.functions import Left, Upper

    from bench import pages
    from intake.models import Patient
    from intake.services.patients import patient_register
    from treatments.models import TreatmentSession

    location = chain_location_id()
    # In a chain, the patients of the location the staff work at.
    here = {"home_location": location} if location else {}
    busiest = (
        TreatmentSession.objects.filter(status=TreatmentSession.Status.COMPLETED)
        # Not the benchmark's own patients (the clinic day's chair has hundreds of sessions).
        .exclude(patient__legal_first_name=INTAKE_PATIENT_FIRST_NAME)
        .filter(**{f"patient__{key}": value for key, value in here.items()})
        .values("patient")
        .annotate(sessions=Count("id"))
        .order_by("-sessions", "patient")
        .first()
    )
    if busiest is None:
        raise BenchError("No patient with completed sessions: the chart would be empty")
    chart_patient = Patient.objects.get(pk=busiest["patient"])
    front_desk = get_user_model().objects.get(username="frontdesk")
    intake_patients = []
    for number in range(1, config.users + 1):
        last_name = f"Load{number:02d}"
        patient = Patient.objects.filter(
            legal_first_name=INTAKE_PATIENT_FIRST_NAME, legal_last_name=last_name
        ).first() or patient_register(
            created_by=front_desk,
            details={
                "legal_first_name": INTAKE_PATIENT_FIRST_NAME,
                "legal_last_name": last_name,
                "date_of_birth": date(1980, 1, 1) + timedelta(days=number),
                "sex_at_birth": "female",
            },
            allow_duplicate=True,
        )
        intake_patients.append(patient.pk)
    return Fixtures(
        chart_patient_id=chart_patient.pk,
        search_name=chart_patient.legal_last_name,
        search_full_name=f"{chart_patient.legal_last_name}, {chart_patient.legal_first_name}",
        search_prefix=(
            Patient.objects.filter(**here)
            .annotate(prefix=Upper(Left("legal_last_name", 2)))
            .values("prefix")
            .annotate(patients=Count("id"))
            .order_by("-patients", "prefix")
            .values_list("prefix", flat=True)
            .first()
        ).title(),
        intake_patient_ids=intake_patients,
        patients=Patient.objects.count(),
        page_ids=pages.page_ids(location),
        location_id=location,
    )


BARE = "floor: bare"
SIGNED_IN = "floor: signed in"
FLOORS = (BARE, SIGNED_IN)


def pages_for(fixtures: Fixtures) -> list[Page]:
    """The two floors, then every staff page (bench/pages.py), then the patient search (a
    POST, the front desk's most frequent action). The ceiling of the earlier benchmark (a
    signed-in page with the role check) is kept as a page, for comparison."""
    from django.urls import reverse

    from bench import pages

    patients = reverse("intake:patient_list")
    found, _ = pages.candidates(fixtures.page_ids)
    return [
        Page(BARE, "anonymous", reverse("bench_bare"), expect_text="Newest MRN"),
        Page(SIGNED_IN, "frontdesk", reverse("bench_signed_in"), expect_text="Signed in as"),
        Page(CEILING, "frontdesk", reverse("bench_ceiling"), expect_text="Newest MRN"),
        *(Page(c.name, c.username, c.path) for c in found),
        Page(
            "patient search (POST)",
            "frontdesk",
            patients,
            method="POST",
            form={"q": fixtures.search_name},
            form_page=patients,
            expect_text=fixtures.search_name,
        ),
    ]


# --- Sessions: the real sign-in form and the real patient link ----------------------------------


def _csrf_token(response: requests.Response) -> str:
    found = CSRF_FIELD_RE.search(response.text)
    if found is None:
        raise BenchError(f"No CSRF token on {response.url} (HTTP {response.status_code})")
    return found.group(1)


def _expect_redirect(response: requests.Response, location: str, what: str) -> None:
    if response.status_code != 302 or response.headers.get("Location") != location:
        raise BenchError(
            f"{what}: expected a redirect to {location}, got HTTP {response.status_code} "
            f"to {response.headers.get('Location')!r}"
        )


def staff_session(base_url: str, username: str) -> requests.Session:
    client = requests.Session()
    form = client.get(f"{base_url}/accounts/login/", timeout=30)
    answer = client.post(
        f"{base_url}/accounts/login/",
        data={
            "username": username,
            "password": DEMO_PASSWORD,
            "csrfmiddlewaretoken": _csrf_token(form),
        },
        allow_redirects=False,
        timeout=30,
    )
    # The clinic admin's home is the admin site.
    _expect_redirect(answer, "/admin/" if username == "admin" else "/", f"Signing in as {username}")
    location = chain_location_id()
    if location is not None:
        # A chain: the demo staff work at several locations and pick one, as after any sign-in.
        form = client.get(f"{base_url}/location/", timeout=30)
        answer = client.post(
            f"{base_url}/location/",
            data={"location": location, "csrfmiddlewaretoken": _csrf_token(form)},
            allow_redirects=False,
            timeout=30,
        )
        _expect_redirect(answer, "/", f"Choosing {CHAIN_LOCATION} as {username}")
    return client


def patient_session(base_url: str, patient_id: int) -> requests.Session:
    from django.contrib.auth import get_user_model
    from django.db import close_old_connections

    from intake.models import Patient
    from intake.services.questionnaires import intake_link_issue

    close_old_connections()
    issued = intake_link_issue(
        patient=Patient.objects.get(pk=patient_id),
        channel="screen",
        created_by=get_user_model().objects.get(username="frontdesk"),
    )
    client = requests.Session()
    opened = client.get(f"{base_url}{issued.path}", allow_redirects=False, timeout=30)
    _expect_redirect(opened, "/intake/confirm/", "Opening the intake link")
    form = client.get(f"{base_url}/intake/confirm/", timeout=30)
    confirmed = client.post(
        f"{base_url}/intake/confirm/",
        data={
            "date_of_birth": issued.link.intake.patient.date_of_birth.isoformat(),
            "csrfmiddlewaretoken": _csrf_token(form),
        },
        allow_redirects=False,
        timeout=30,
    )
    _expect_redirect(confirmed, "/intake/", "Confirming the date of birth")
    return client


# Staff sessions signed in once per user and server, kept while well inside the idle limit
# (CLINIC_SESSION_IDLE_SECONDS, 15 minutes): signing 16 sessions in through Argon2 for each of
# 50 pages would take minutes.
STAFF_SESSION_REUSE_SECONDS = 5 * 60
_staff_sessions: dict[tuple[str, str], tuple[float, list[requests.Session]]] = {}


def _staff_clients(base_url: str, username: str, count: int) -> list[requests.Session]:
    key = (base_url, username)
    signed_at, clients = _staff_sessions.get(key, (0.0, []))
    if time.monotonic() - signed_at > STAFF_SESSION_REUSE_SECONDS or len(clients) < count:
        clients = [staff_session(base_url, username) for _ in range(count)]
        _staff_sessions[key] = (time.monotonic(), clients)
    return clients[:count]


def sessions_for(page: Page, base_url: str, fixtures: Fixtures) -> list[dict]:
    count = len(fixtures.intake_patient_ids)
    if page.role == "patient":
        clients = [patient_session(base_url, pk) for pk in fixtures.intake_patient_ids]
    elif page.role == "anonymous":
        clients = [requests.Session() for _ in range(count)]
    else:
        clients = _staff_clients(base_url, page.role, count)
    sessions = []
    for client in clients:
        csrf_token = ""
        if page.method == "POST":
            csrf_token = _csrf_token(client.get(f"{base_url}{page.form_page}", timeout=30))
        cookie = "; ".join(f"{c.name}={c.value}" for c in client.cookies)
        sessions.append({"cookie": cookie, "csrf_token": csrf_token})
    return sessions


def probe(pages: list[Page], base_url: str, fixtures: Fixtures) -> tuple[list[Page], list[str]]:
    """Open each GET page once as its user: (the pages that answered as expected, each other
    page with its answer). A button that only POSTs answers 405; its write is in the clinic
    day (bench/clinic_day.py)."""
    kept, left_out = [], []
    for page in pages:
        if page.method != "GET" or page.role == "patient":
            kept.append(page)
            continue
        client = requests.Session()
        client.headers["Cookie"] = sessions_for(page, base_url, fixtures)[0]["cookie"]
        answer = client.get(f"{base_url}{page.path}", allow_redirects=False, timeout=120)
        if answer.status_code == page.expect_status:
            kept.append(page)
            continue
        if answer.status_code == 405:
            why = "answers GET with 405: a button that only POSTs (its write is in the clinic day)"
        elif answer.status_code in (301, 302):
            why = f"answers GET with {answer.status_code} to {answer.headers.get('Location')}"
        else:
            why = f"answers GET with HTTP {answer.status_code}"
        left_out.append(f"{page.name} ({page.path}, as {page.role}): {why}")
    return kept, left_out


# --- gunicorn and wrk ----------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def collectstatic() -> None:
    from django.core.management import call_command

    call_command("collectstatic", interactive=False, verbosity=0)


class Server:
    """gunicorn on a free port, as production runs it: sync workers, no access log."""

    def __init__(self, config: Config, log_path: Path, environment: dict[str, str] | None = None):
        self.port = _free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        command = [
            sys.executable,
            "-m",
            "gunicorn",
            "clinic.wsgi:application",
            f"--bind=127.0.0.1:{self.port}",
            f"--workers={config.workers}",
            "--worker-class=sync",
            "--backlog=2048",
            f"--error-logfile={log_path}",
            "--no-control-socket",  # none in ~/.gunicorn, shared with any other gunicorn
        ]
        self.process = subprocess.Popen(  # noqa: S603 (our own interpreter, fixed arguments)
            command, cwd=BASE_DIR, env={**os.environ, **(environment or {})}, start_new_session=True
        )

    def wait_until_up(self) -> None:
        deadline = time.monotonic() + 120  # a busy machine imports Django slowly
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise BenchError(f"gunicorn exited at start-up; see {self.log_path}")
            try:
                if requests.get(f"{self.base_url}/healthz", timeout=2).status_code == 200:
                    return
            except requests.RequestException:  # not listening yet, or a worker still starting
                pass
            time.sleep(0.2)
        raise BenchError(f"gunicorn did not answer within 120 s; see {self.log_path}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@dataclass(frozen=True)
class Result:
    page: str
    requests: int
    rps: float
    p50: float
    p95: float
    errors: int
    error_lines: list[str]
    # A page's: the higher of each floor's measurements just before and just after it.
    bare_rps: float = 0.0
    signed_in_rps: float = 0.0
    user: str = ""
    load: float = 0.0  # the machine's 1-minute load average just after


def _lua_string(text: str) -> str:
    """A Lua long string: no escapes to get wrong (cookies, tokens and form bodies are ASCII)."""
    level = 0
    while f"]{'=' * level}]" in text:
        level += 1
    return f"[{'=' * level}[{text}]{'=' * level}]"


def _lua_page(page: Page, sessions: list[dict]) -> str:
    rows = []
    for session in sessions:
        body = ""
        if page.method == "POST":
            fields = {**page.form, "csrfmiddlewaretoken": session["csrf_token"]}
            body = urlencode(fields, doseq=True)
        rows.append(
            f"    {{ cookie = {_lua_string(session['cookie'])}, body = {_lua_string(body)} }},"
        )
    return "\n".join(
        [
            "return {",
            f"  method = {_lua_string(page.method)},",
            f"  path = {_lua_string(page.path)},",
            f"  expect_status = {page.expect_status},",
            f"  expect_location = {_lua_string(page.expect_location)},",
            f"  expect_text = {_lua_string(page.expect_text)},",
            "  sessions = {",
            *rows,
            "  },",
            "}",
            "",
        ]
    )


def wrk_path() -> str:
    found = shutil.which("wrk")
    if found is None:
        raise BenchError("wrk is not installed: apt-get install wrk (make bench does this as root)")
    return found


def load(
    page: Page,
    sessions: list[dict],
    base_url: str,
    config: Config,
    run_dir: Path,
    seconds: int | None = None,
) -> Result:
    """wrk, one connection per thread (so one session per connection), for ``seconds``
    (BENCH_SECONDS unless given)."""
    slug = re.sub(r"[^a-z0-9]+", "-", page.name.lower()).strip("-")
    page_file = run_dir / f"{slug}.lua"
    page_file.write_text(_lua_page(page, sessions), encoding="utf-8")
    command = [
        wrk_path(),
        f"--threads={config.users}",
        f"--connections={config.users}",
        f"--duration={seconds or config.seconds}s",
        "--timeout=30s",
        f"--script={BASE_DIR / 'bench' / 'wrk.lua'}",
        f"{base_url}{page.path}",
    ]
    answer = subprocess.run(  # noqa: S603 (wrk found on PATH, fixed arguments)
        command,
        cwd=BASE_DIR,
        env={**os.environ, "BENCH_PAGE_LUA": str(page_file)},
        capture_output=True,
        text=True,
        check=False,
    )
    (run_dir / f"{slug}.log").write_text(answer.stdout + answer.stderr, encoding="utf-8")
    line = next((x for x in answer.stdout.splitlines() if x.startswith("BENCH_RESULT ")), None)
    if line is None:
        raise BenchError(f"wrk reported nothing for {page.name}; see {run_dir / slug}.log")
    figures = json.loads(line.removeprefix("BENCH_RESULT "))
    error_lines = [f"{page.method} {page.name}: {reason}" for reason in figures["reasons"]]
    if figures["socket_errors"]:
        error_lines.append(f"{page.name}: {figures['socket_errors']} socket errors or timeouts")
    return Result(
        page=page.name,
        requests=figures["requests"],
        rps=figures["requests"] / figures["seconds"],
        p50=figures["p50_ms"],
        p95=figures["p95_ms"],
        errors=figures["failures"] + figures["socket_errors"],
        error_lines=error_lines,
        load=os.getloadavg()[0],
    )


# --- The report ---------------------------------------------------------------------------------

P95_TARGET_MS = 100


def _mark(met: bool) -> str:
    return "met" if met else "**missed**"


def report(
    floors: list[Result], results: list[Result], left_out: list[str]
) -> tuple[str, list[str]]:
    """The table, and the targets missed.

    Each floor is measured before the first page and again after every ``FLOOR_EVERY``
    pages, and a page's ratio is of the higher of the floor's measurements either side of it:
    this machine's speed drifts by a quarter over minutes."""
    lines = [
        f"| page | as | req/s | p50 ms | p95 ms | p95 < {P95_TARGET_MS} ms | bare floor req/s "
        "| x bare | signed-in floor req/s | x signed in | errors | load |",
        "|---|---|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|",
    ]
    misses = []
    for name in FLOORS:
        runs = [r for r in floors if r.page.startswith(name)]
        if runs:
            low, high = min(r.rps for r in runs), max(r.rps for r in runs)
            worst = max(r.p95 for r in runs)
            lines.append(
                f"| {name} ({len(runs)} runs) | {runs[0].user} | {low:.0f}-{high:.0f} "
                f"| {statistics_median([r.p50 for r in runs]):.0f} | {worst:.0f} "
                f"| {_mark(worst < P95_TARGET_MS)} | | | | | {sum(r.errors for r in runs)} "
                f"| {min(r.load for r in runs):.1f}-{max(r.load for r in runs):.1f} |"
            )
    for result in results:
        bare = result.rps / result.bare_rps if result.bare_rps else None
        signed = result.rps / result.signed_in_rps if result.signed_in_rps else None
        lines.append(
            f"| {result.page} | {result.user} | {result.rps:.1f} | {result.p50:.0f} "
            f"| {result.p95:.0f} | {_mark(result.p95 < P95_TARGET_MS)} "
            f"| {result.bare_rps:.0f} | {f'{bare:.3f}' if bare is not None else '-'} "
            f"| {result.signed_in_rps:.0f} | {f'{signed:.3f}' if signed is not None else '-'} "
            f"| {result.errors} | {result.load:.1f} |"
        )
        if result.p95 >= P95_TARGET_MS:
            misses.append(f"{result.page}: p95 {result.p95:.0f} ms (target < {P95_TARGET_MS})")
    if left_out:
        lines += ["", "Staff pages not loaded, and why:", ""] + [f"- {line}" for line in left_out]
    return "\n".join(lines), misses


def statistics_median(values: list[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f}, {five:.2f}, {fifteen:.2f}"


def _git_commit() -> str:
    git = shutil.which("git")
    if git is None:
        return "unknown"
    answer = subprocess.run(  # noqa: S603 (git found on PATH, fixed arguments)
        [git, "rev-parse", "--short", "HEAD"],
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
        check=False,
    )
    dirty = subprocess.run(  # noqa: S603
        [git, "status", "--porcelain", "--untracked-files=no"],
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
        check=False,
    )
    return answer.stdout.strip() + (" (with uncommitted changes)" if dirty.stdout.strip() else "")


# --- Main ---------------------------------------------------------------------------------------


FLOOR_EVERY = 5  # pages between two measurements of the floors


def pages_bench(
    config: Config, run_dir: Path, fixtures: Fixtures
) -> tuple[list[Result], list[Result], list[str]]:
    """(the floors, in the order measured; the pages, each with the floors either side; the
    staff pages not loaded, with why)."""
    from django.db import connections

    from bench import pages as staff_pages

    pages = pages_for(fixtures)
    _, left_out = staff_pages.candidates(fixtures.page_ids)
    if config.pages:
        unknown = config.pages - {page.name for page in pages}
        if unknown:
            raise BenchError(f"BENCH_PAGES: unknown pages {sorted(unknown)}")
        pages = [page for page in pages if page.name in config.pages or page.name in FLOORS]
    connections.close_all()

    floor_pages = [page for page in pages if page.name in FLOORS]
    others = [page for page in pages if page.name not in FLOORS]
    server = Server(config, run_dir / "gunicorn.log")
    floors, results = [], []
    try:
        server.wait_until_up()
        others, refused = probe(others, server.base_url, fixtures)
        left_out += refused
        print(f"  {len(others)} pages to load; {len(left_out)} left out", flush=True)

        def measure_floors() -> dict[str, float]:
            rates = {}
            for floor in floor_pages:
                sessions = sessions_for(floor, server.base_url, fixtures)
                connections.close_all()
                again = replace(floor, name=f"{floor.name} {len(floors) // 2 + 1}")
                print(f"  {again.name}: {config.ceiling_seconds} s ...", flush=True)
                result = load(
                    again, sessions, server.base_url, config, run_dir, config.ceiling_seconds
                )
                floors.append(replace(result, user=floor.role))
                rates[floor.name] = result.rps
            return rates

        before = measure_floors()
        group: list[Result] = []
        for index, page in enumerate(others, start=1):
            sessions = sessions_for(page, server.base_url, fixtures)
            connections.close_all()
            print(f"  {page.name}: {config.seconds} s ...", flush=True)
            group.append(
                replace(load(page, sessions, server.base_url, config, run_dir), user=page.role)
            )
            # A page of seconds leaves wrk's last requests queued in gunicorn when wrk stops:
            # wait until they are answered, or they would be the next page's figures.
            server.wait_until_up()
            if index % FLOOR_EVERY == 0 or index == len(others):
                after = measure_floors()
                for result in group:
                    results.append(
                        replace(
                            result,
                            bare_rps=max(before.get(BARE, 0), after.get(BARE, 0)),
                            signed_in_rps=max(before.get(SIGNED_IN, 0), after.get(SIGNED_IN, 0)),
                        )
                    )
                before, group = after, []
    finally:
        server.stop()
    return floors, results, left_out


def day_bench(config: Config, run_dir: Path, fixtures: Fixtures) -> tuple[str, list[str]]:
    """The clinic day under locust (bench/clinic_day.py): prepare, load, the table."""
    from django.db import connections

    from bench import clinic_day

    server = Server(config, run_dir / "gunicorn-day.log")
    try:
        server.wait_until_up()
        print(f"  clinic day: preparing {config.clinics} clinics ...", flush=True)
        data_file = run_dir / "clinic-day.json"
        clinic_day.prepare(
            server.base_url,
            config.clinics,
            config.day_seconds,
            data_file,
            staff_session,
            location_id=chain_location_id(),
        )
        connections.close_all()
        print(f"  clinic day: {config.day_seconds} s under locust ...", flush=True)
        prefix = clinic_day.run(
            server.base_url, data_file, config.clinics, config.day_seconds, run_dir
        )
    finally:
        server.stop()
    table, misses = clinic_day.report(prefix, config.clinics, config.day_seconds)
    return f"{clinic_day.model_table(config.clinics)}\n\nMeasured:\n\n{table}", misses


def bench(config: Config, run_dir: Path, started: datetime, steps: set[str]) -> int:
    from clinic.models import Location
    from intake.models import Patient

    ceilings, results, misses = [], [], []
    sections = [
        f"# Benchmark {started:%Y-%m-%d %H:%M} UTC",
        "",
        f"- commit: {_git_commit()}",
        f"- database: {database_name(config.database_url)}, {Patient.objects.count():,} patients",
        f"- machine: {os.cpu_count()} CPUs, shared by gunicorn, PostgreSQL and the load generator",
        f"- load average at the start: {load_average()}",
    ]
    location = chain_location_id()
    if location is not None:
        sections.append(
            f"- chain: CLINIC_CHAIN on, {Location.objects.count()} locations; the staff work at "
            f"{CHAIN_LOCATION} ({Patient.objects.filter(home_location=location).count():,} "
            "patients whose home it is)"
        )
    fixtures = None
    if steps & {"pages", "day"}:
        collectstatic()
        fixtures = fixtures_prepare(config)
    if "pages" in steps:
        ceilings, results, left_out = pages_bench(config, run_dir, fixtures)
        table, page_misses = report(ceilings, results, left_out)
        misses += page_misses
        sections += [
            "",
            "## Every staff page, alone at "
            f"{config.users} connections (load average after: {load_average()})",
            "",
            f"- gunicorn: {config.workers} sync workers; load: {config.users} concurrent "
            f"connections, {config.seconds} s per page, the floors {config.ceiling_seconds} s "
            f"each before the first page and after every {FLOOR_EVERY}, no think time (wrk, "
            "one connection per thread)",
            f"- cache (home panels, worklist): {config.cache_url.split('://')[0]}",
            "",
            table,
        ]
    if "day" in steps:
        day_table, day_misses = day_bench(config, run_dir, fixtures)
        misses += day_misses
        sections += [
            "",
            f"## A clinic day's busiest hour, {config.clinics} clinics, open-loop "
            f"({config.day_seconds} s; load average after: {load_average()})",
            "",
            day_table,
        ]
    if "sweep" in steps:
        print(f"  reminder sweep: {config.sweep_reminders:,} due reminders ...", flush=True)
        table, sweep_misses = sweep.report(sweep.run(run_dir, config.sweep_reminders))
        misses += sweep_misses
        sections += ["", "Reminder sweep (one worker, file backends):", "", table]
    return publish(sections, misses, [*ceilings, *results], run_dir, f"{started:%Y%m%d-%H%M%S}")


def publish(
    sections: list[str], misses: list[str], results: list[Result], run_dir: Path, stem: str
) -> int:
    """Add the targets missed and any errors to the report, write it (``<stem>.md``, the
    numbers as ``<stem>.json``) and print it; 1 when a page answered something else."""
    sections = [*sections, "", "Targets missed:" if misses else "All targets met.", ""]
    sections += [f"- {miss}" for miss in misses]
    errors = [line for result in results for line in result.error_lines]
    if errors:
        sections += ["", "Errors:", ""] + [f"- {line}" for line in errors]
    text = "\n".join(sections) + "\n"

    RESULTS_DIR.mkdir(exist_ok=True)
    result_path = RESULTS_DIR / f"{stem}.md"
    result_path.write_text(text, encoding="utf-8")
    (RESULTS_DIR / f"{stem}.json").write_text(
        json.dumps([result.__dict__ for result in results], indent=2), encoding="utf-8"
    )
    print()
    print(text)
    print(f"Written to {result_path.relative_to(BASE_DIR)} (wrk and gunicorn logs: {run_dir})")
    failed = [result for result in results if result.errors]
    if failed:
        print(
            "\nFAILED: "
            + ", ".join(f"{r.page} ({r.errors} errors)" for r in failed)
            + ". The numbers above are not valid: a page answered something other than "
            "itself (see Errors).",
            file=sys.stderr,
        )
        return 1
    return 0


# --- 1,000 against 100,000 patients, turn about --------------------------------------------------

SIZES_TARGET = 0.20  # the same page at both sizes within 20% of each other


@dataclass(frozen=True)
class Side:
    """One of the two clinics: its database, the server on it, what its pages load."""

    label: str
    database_url: str
    server: Server
    pages: dict[str, Page]
    fixtures: Fixtures


def use_database(url: str) -> None:
    """Point this process's Django connection at another benchmark database."""
    from django.db import connections

    connections.close_all()
    settings = environ.Env.db_url_config(url)
    connections["default"].settings_dict.update(
        {key: settings.get(key, "") for key in ("NAME", "USER", "PASSWORD", "HOST", "PORT")}
    )


def _second_cache_url(url: str) -> str:
    """A cache of the small clinic's own: the pages cached for one must not be served from the
    other (the next Redis database, or another directory)."""
    parts = urlsplit(url)
    if parts.scheme.startswith("redis"):
        number = int(parts.path.lstrip("/") or 0)
        return parts._replace(path=f"/{number + 1}").geturl()
    return url.rstrip("/") + "-small"


def _side(config: Config, run_dir: Path, url: str, cache_url: str, patients: int) -> Side:
    from intake.models import Patient

    use_database(url)
    data_step(replace(config, database_url=url, patients=patients))
    count = Patient.objects.count()
    fixtures = fixtures_prepare(config)
    pages = [p for p in pages_for(fixtures) if not config.pages or p.name in config.pages]
    name = database_name(url)
    server = Server(
        config,
        run_dir / f"gunicorn-{name}.log",
        {"DATABASE_URL": url, "CACHE_URL": cache_url},
    )
    use_database(config.database_url)
    return Side(f"{count:,} patients", url, server, {page.name: page for page in pages}, fixtures)


def sizes_bench(config: Config, run_dir: Path) -> tuple[str, list[str], list[Result]]:
    """Each page at the small clinic and the large one, turn about: ``BENCH_SIZES_ROUNDS``
    rounds of ``BENCH_CEILING_SECONDS`` on each, small then large then large then small...,
    so the machine's drift over minutes falls on both alike. The ceiling page comes first, as
    a control: it is the same work at any size."""
    database_ensure(config.small_database_url)
    collectstatic()
    large = _side(config, run_dir, config.database_url, config.cache_url, config.patients)
    try:
        small = _side(
            config,
            run_dir,
            config.small_database_url,
            _second_cache_url(config.cache_url),
            config.small_patients,
        )
    except BaseException:
        large.server.stop()
        raise
    results: list[Result] = []
    lines = [
        f"| page | {small.label}, req/s | {large.label}, req/s | large against small "
        "| each round, small / large |",
        "|---|---:|---:|---:|---|",
    ]
    misses = []
    try:
        for side in (small, large):
            side.server.wait_until_up()
        # Every staff page that answers at both sizes (bench/pages.py; the probe's refusals
        # are listed by `make bench`).
        answering = []
        for side in (small, large):
            kept, _ = probe(list(side.pages.values()), side.server.base_url, side.fixtures)
            answering.append({page.name for page in kept})
        for name in small.pages:
            if name not in large.pages or not (name in answering[0] and name in answering[1]):
                continue
            sessions = {}
            for side in (small, large):
                use_database(side.database_url)  # a patient's link is issued in their clinic
                sessions[side.label] = sessions_for(
                    side.pages[name], side.server.base_url, side.fixtures
                )
            use_database(config.database_url)
            rates: dict[str, list[float]] = {small.label: [], large.label: []}
            for round_number in range(config.sizes_rounds):
                order = (small, large) if round_number % 2 == 0 else (large, small)
                for side in order:
                    page = replace(side.pages[name], name=f"{name} ({side.label})")
                    print(f"  {page.name}, round {round_number + 1}: ...", flush=True)
                    result = load(
                        page,
                        sessions[side.label],
                        side.server.base_url,
                        config,
                        run_dir,
                        config.ceiling_seconds,
                    )
                    results.append(result)
                    rates[side.label].append(result.rps)
            small_rps = sum(rates[small.label]) / len(rates[small.label])
            large_rps = sum(rates[large.label]) / len(rates[large.label])
            difference = large_rps / small_rps - 1
            rounds = ", ".join(
                f"{a:.0f} / {b:.0f}"
                for a, b in zip(rates[small.label], rates[large.label], strict=True)
            )
            lines.append(
                f"| {name} | {small_rps:.1f} | {large_rps:.1f} | {difference:+.0%} | {rounds} |"
            )
            if abs(difference) > SIZES_TARGET:
                misses.append(
                    f"{name}: {difference:+.0%} at {large.label} against {small.label} "
                    f"(target within {SIZES_TARGET:.0%})"
                )
    finally:
        for side in (small, large):
            side.server.stop()
    return "\n".join(lines), misses, results


def sizes_step(config: Config, run_dir: Path, started: datetime) -> int:
    table, misses, results = sizes_bench(config, run_dir)
    sections = [
        f"# Benchmark, 1,000 against 100,000 patients: {started:%Y-%m-%d %H:%M} UTC",
        "",
        f"- commit: {_git_commit()}",
        f"- databases: {database_name(config.small_database_url)} and "
        f"{database_name(config.database_url)}, a gunicorn of {config.workers} sync workers on "
        "each",
        f"- machine: {os.cpu_count()} CPUs, shared by both servers, PostgreSQL and the load "
        "generator",
        f"- load: {config.users} concurrent connections, {config.sizes_rounds} rounds of "
        f"{config.ceiling_seconds} s per page at each size, turn about",
        "",
        table,
    ]
    return publish(sections, misses, results, run_dir, f"{started:%Y%m%d-%H%M%S}-sizes")


STEPS = {
    "all": {"pages", "day", "sweep"},
    "pages": {"pages"},
    "day": {"day"},
    "sweep": {"sweep"},
    "data": set(),
    "profile": set(),
    "sizes": set(),
}


def profile_step(config: Config) -> int:
    collectstatic()  # the manifest storage needs it, as under gunicorn
    fixtures = fixtures_prepare(config)
    pages = [p for p in pages_for(fixtures) if not config.pages or p.name in config.pages]
    top = environ.Env().int("BENCH_PROFILE_TOP", default=0)
    print(profile.run(pages, fixtures, top))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n")[0])
    parser.add_argument("step", nargs="?", choices=sorted(STEPS), default="all")
    arguments = parser.parse_args(argv)
    try:
        config = Config.from_env()
        database_ensure(config.database_url)
        started = datetime.now(UTC)
        run_dir = WORK_DIR / f"{started:%Y%m%d-%H%M%S}"
        run_dir.mkdir(parents=True, exist_ok=True)
        django_setup(config, run_dir)
        data_step(config)
        if arguments.step == "data":
            return 0
        if arguments.step == "profile":
            return profile_step(config)
        if arguments.step == "sizes":
            return sizes_step(config, run_dir, started)
        return bench(config, run_dir, started, STEPS[arguments.step])
    except BenchError as error:
        print(f"bench: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())

"""A Redis that hangs (stopped with SIGSTOP: it takes connections and never answers) costs a page
at most about a second, and a patient who answers PHQ-9 item 9 above 0 still sees the crisis
resources at once; the clinicians' e-mail goes out once the broker answers again (issue 23).

The app runs as in production: gunicorn with ``clinic.settings`` (not the test settings), its
broker and cache on a Redis of this test's own, against the test database (so PostgreSQL: a
SQLite test database lives in this process's memory). People are driven through its pages over
HTTP, each POST sending the form the page drew, as a browser would.
"""

import os
import re
import signal
import subprocess
import sys
import time
from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urlsplit

import pytest
import requests
import time_machine
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from intake import tasks
from intake.models import ClinicalAlert
from tests.conftest import clock_environment, sign_in
from tests.followups.outbox_helpers import (
    REPOSITORY,
    PrivateRedis,
    database_url_for_subprocess,
    free_port,
    wait_until,
)
from tests.intake.answers import steps_for
from tests.intake.intakes import intake_of, issue
from tests.treatments.booking import active_plan, chair
from treatments.models import TreatmentSession

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

GUNICORN = Path(sys.executable).with_name("gunicorn")
# What a page may take with Redis hung: the brief's "about a second", with room for a slow CI.
PAGE_SECONDS = 2.0
CRISIS_HEADING = "You don't have to face this alone"


class _Forms(HTMLParser):
    """Each form's action and the values a browser would send for it untouched."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict] = []
        self._select: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.forms.append({"action": attrs.get("action") or "", "fields": {}, "buttons": []})
        elif not self.forms:
            return
        fields = self.forms[-1]["fields"]
        if tag == "input" and attrs.get("name"):
            kind = attrs.get("type", "text")
            if kind in ("checkbox", "radio") and "checked" not in attrs:
                return
            if kind == "submit":
                self.forms[-1]["buttons"].append((attrs["name"], attrs.get("value", "")))
                return
            fields[attrs["name"]] = attrs.get("value", "on" if kind == "checkbox" else "")
        elif tag == "button" and attrs.get("name"):
            self.forms[-1]["buttons"].append((attrs["name"], attrs.get("value", "")))
        elif tag == "select":
            self._select = attrs.get("name")
        elif tag == "option" and self._select:
            # The selected option, or the first one when none is.
            chosen = "selected" in attrs or self._select not in fields
            fields[self._select] = attrs.get("value", "") if chosen else fields[self._select]

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None


def form_on(page: requests.Response, action: str) -> dict:
    """The form on ``page`` that posts to ``action`` (no action: the page's own address)."""
    parser = _Forms()
    parser.feed(page.text)
    own = urlsplit(page.url).path
    for form in parser.forms:
        if (form["action"].replace("&amp;", "&").split("?")[0] or own) == action:
            return form
    raise AssertionError(f"no form posting to {action} on {own}")


class App:
    """gunicorn serving ``clinic.settings`` with the broker and the cache on ``redis_url``."""

    def __init__(self, *, redis_url: str, folder: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = folder / "gunicorn.log"
        self.env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(folder),
            "LANG": "C.UTF-8",
            "DJANGO_SETTINGS_MODULE": "clinic.settings",
            # Same key as this process: the sessions signed in here are valid there.
            "SECRET_KEY": settings.SECRET_KEY,
            "DEBUG": "1",  # static files without collectstatic; cookies over plain HTTP
            "DATABASE_URL": database_url_for_subprocess(),
            "CONN_MAX_AGE": "0",
            "CELERY_BROKER_URL": f"{redis_url}/0",
            "CACHE_URL": f"{redis_url}/1",
            "CELERY_TASK_ALWAYS_EAGER": "false",
            "CELERY_DATA_DIR": str(folder / "celery"),
            "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "EMAIL_FILE_PATH": str(folder / "email"),
            "CLINIC_SMS_BACKEND": "clinic.notifications.sms.FileSMSBackend",
            "CLINIC_SMS_FILE_PATH": str(folder / "sms"),
            "PYTHONUNBUFFERED": "1",
            **clock_environment(),
        }
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [str(GUNICORN), "clinic.wsgi", "--bind", f"127.0.0.1:{self.port}",
                 "--workers", "1", "--threads", "4", "--timeout", "120"],
                cwd=REPOSITORY, env=self.env, stdout=log, stderr=subprocess.STDOUT,
            )  # fmt: skip

        def answers() -> bool:
            if self.process.poll() is not None:
                pytest.fail(f"gunicorn exited:\n{self.log.read_text(errors='replace')}")
            try:
                return requests.get(f"{self.url}/accounts/login/", timeout=5).status_code == 200
            except requests.ConnectionError:
                return False

        wait_until(answers, seconds=30, what="gunicorn answering")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


class Person:
    """A browser: cookies, the form the last page drew, and how long each page took."""

    def __init__(self, app: App, *, signed_in_as=None) -> None:
        self.app = app
        self.http = requests.Session()
        self.timings: list[tuple[str, float]] = []
        if signed_in_as is not None:
            client = sign_in(Client(), signed_in_as)
            name = settings.SESSION_COOKIE_NAME
            self.http.cookies.set(name, client.cookies[name].value, domain="127.0.0.1")

    def _timed(self, what: str, send) -> requests.Response:
        started = time.monotonic()
        response = send()
        self.timings.append((what, time.monotonic() - started))
        return response

    def get(self, path: str, what: str) -> requests.Response:
        response = self._timed(what, lambda: self.http.get(self.app.url + path, timeout=60))
        assert response.status_code == 200, (what, response.status_code, response.text[:2000])
        return response

    def submit(self, page: requests.Response, to: str, what: str, **changes) -> requests.Response:
        """Post the form on ``page`` that goes ``to`` a path, with ``changes`` typed into it."""
        form = form_on(page, to)
        data = {**form["fields"], **changes}
        response = self._timed(
            what, lambda: self.http.post(self.app.url + to, data=data, timeout=60)
        )
        assert response.status_code == 200, (what, response.status_code, response.text[:3000])
        return response


def redis_pid(redis: PrivateRedis) -> int:
    info = redis._cli("info", "server").stdout
    return int(re.search(r"process_id:(\d+)", info).group(1))


@pytest.fixture
def private_redis():
    redis = PrivateRedis()
    redis.start()
    yield redis
    redis.stop()


@pytest.fixture
def app(private_redis, tmp_path):
    served = App(redis_url=f"redis://127.0.0.1:{private_redis.port}", folder=tmp_path)
    served.start()
    yield served
    served.stop()


@pytest.fixture
def hung(private_redis):
    """The private Redis stopped: connections are taken (the kernel's backlog), never answered.
    Always continued at the end, whatever the test did."""
    pid = redis_pid(private_redis)
    os.kill(pid, signal.SIGSTOP)
    try:
        yield SimpleNamespace(resume=lambda: os.kill(pid, signal.SIGCONT))
    finally:
        os.kill(pid, signal.SIGCONT)


def test_a_hung_redis_costs_each_page_at_most_about_a_second(
    app, hung, front_desk_user, clinician_user, patient, mailoutbox
):
    plan = active_plan(by=clinician_user)  # to book
    chair("Chair 1")
    now = timezone.localtime()
    arriving_plan = active_plan(by=clinician_user)
    arriving = TreatmentSession.objects.create(
        patient=arriving_plan.patient,
        plan=arriving_plan,
        plan_version=arriving_plan.versions.get(),
        chair=chair("Chair 2"),
        starts_at=now - timedelta(minutes=10),
        ends_at=now + timedelta(minutes=30),
        booked_by=front_desk_user,
    )
    issued = issue(patient, front_desk_user)
    front_desk = Person(app, signed_in_as=front_desk_user)
    clinician = Person(app, signed_in_as=clinician_user)
    phone = Person(app)
    home = reverse("home")
    book = reverse("treatments:plan_book", args=[plan.pk])
    check_in = reverse("treatments:session_check_in", args=[arriving.pk])

    front_desk.get(home, "the front desk's home")
    front_desk.get(reverse("intake:patient_list"), "the patient list")
    booked = front_desk.submit(
        front_desk.get(book, "the booking page"), book, "booking a session", book_row="1"
    )
    assert "Booked 1 session" in booked.text, booked.text[:3000]
    session_page = front_desk.get(
        reverse("treatments:session_detail", args=[arriving.pk]), "the session's page"
    )
    checked_in = front_desk.submit(
        session_page, check_in, "checking a patient in",
        arrived_at=timezone.localtime().strftime("%H:%M"), escort_name="Sam Rivera",
        escort_phone="512-555-0199", fasting_confirmed="on",
    )  # fmt: skip
    assert "Checked in." in checked_in.text
    clinician.get(home, "the clinician's home")

    page = phone.get(issued.path, "the patient opening their link")
    page = phone.submit(
        page, reverse("intake:confirm"), "confirming their date of birth",
        date_of_birth=patient.date_of_birth.isoformat(),
    )  # fmt: skip
    for slug, answers in steps_for(patient):
        step = reverse("intake:step", args=[slug])
        if slug == "questionnaires":
            answers = {**answers, "phq9_9": "1"}  # "Several days"
            page = phone.submit(page, step, "PHQ-9 item 9 above 0", **answers, action="next")
            break
        page = phone.submit(page, step, f"the {slug} step", **answers, action="next")
    assert CRISIS_HEADING in page.text
    assert "988" in page.text

    timings = front_desk.timings + clinician.timings + phone.timings
    print("\n".join(f"{seconds:6.2f} s  {what}" for what, seconds in timings))
    slow = [(what, round(seconds, 2)) for what, seconds in timings if seconds > PAGE_SECONDS]
    assert slow == [], f"pages slower than {PAGE_SECONDS} s with Redis hung"

    # The alert was saved; its e-mail waits for the broker.
    alert = ClinicalAlert.objects.get(source_kind="intake", source_id=intake_of(issued).pk)
    assert alert.notified_at is None

    hung.resume()
    # The beat sweep (every minute, for alerts over a minute old) sends it, once.
    with time_machine.travel(timezone.now() + timedelta(minutes=2), tick=False):
        assert tasks.notify_pending_alerts.apply().get() == 1
        assert tasks.notify_pending_alerts.apply().get() == 0
    assert [email.to for email in mailoutbox] == [[clinician_user.email]]
    # A publish that reached Redis before it stopped may still be delivered: it sends nothing.
    assert tasks.notify_clinicians_of_alert.apply(args=[alert.pk]).get() is False
    assert len(mailoutbox) == 1

"""Browser tests: the real pages in Debian's headless Chromium, driven through Playwright.

One Chromium for the whole folder (starting it is the slow part); each test gets a fresh
browser context, so cookies never leak between tests. Pages are served by pytest-django's
``live_server``, whose tests are transactional: the database is flushed after each one, so data
setup stays small.
"""

import os
import re
from pathlib import Path

import pytest
from django.conf import settings
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from clinic.roles import user_roles
from tests.conftest import CHROMIUM, environment_without_faketime

# Playwright's sync API keeps an event loop running in the test thread, and Django would then
# refuse ORM calls from the test (persona setup) as "async unsafe".
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

HERE = Path(__file__).resolve().parent
ARTIFACTS = HERE.parent.parent / "test-artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 375, "height": 812}
# How long an action or an assertion waits for the page: a bound, not a pace. Ample for a
# loaded two-core machine (Playwright's own default for expect() is 5 s).
PAGE_WAIT_MS = 10_000
PASSWORD = "correct-horse-battery"  # tests.factories.UserFactory's password
# A known authenticator secret (hex, as django-otp stores it) for personas that need TOTP.
TOTP_KEY = "3132333435363738393031323334353637383930"


def pytest_collection_modifyitems(config, items):
    for item in items:
        if HERE in item.path.parents:
            item.add_marker(pytest.mark.browser)


expect.set_options(timeout=PAGE_WAIT_MS)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    # Lets the page fixtures see, at teardown, whether the test itself failed.
    setattr(item, f"report_{report.when}", report)
    return report


# Package scope: one Chromium for this whole folder, as a session would give (pytest-django runs
# the live_server tests together). But while Playwright runs, an asyncio loop counts as running
# in the main thread, which would break later tests that use asyncio or async_to_sync: it is
# stopped when the last browser test is done.
@pytest.fixture(scope="package")
def playwright():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="package")
def browser(playwright):
    chromium = playwright.chromium.launch(
        executable_path=CHROMIUM, args=CHROMIUM_ARGS, env=environment_without_faketime()
    )
    yield chromium
    chromium.close()


def _open_page(browser, request, viewport: dict):
    # Reduced motion: Bootstrap then skips its transitions, so a check (axe contrast, a
    # screenshot) never catches a button half-way through changing colour.
    context = browser.new_context(
        viewport=viewport, locale="en-US", timezone_id="America/Chicago", reduced_motion="reduce"
    )
    context.set_default_timeout(PAGE_WAIT_MS)
    page = context.new_page()
    # Anything the Content-Security-Policy blocks (an inline style, a data: image) is a page
    # that looks or works differently in production than its template suggests.
    blocked = []
    page.on(
        "console",
        lambda message: (
            blocked.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    yield page
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        ARTIFACTS.mkdir(exist_ok=True)
        safe_name = re.sub(r"[^\w.-]+", "_", request.node.name)  # parameters may hold "/"
        if not page.is_closed():  # a test may have closed its context on purpose
            page.screenshot(path=ARTIFACTS / f"FAILED-{safe_name}.png", full_page=True)
    context.close()
    if blocked:
        pytest.fail("The Content-Security-Policy blocked:\n" + "\n".join(blocked), pytrace=False)


@pytest.fixture
def page(browser, request):
    yield from _open_page(browser, request, DESKTOP)


@pytest.fixture
def phone_page(browser, request):
    yield from _open_page(browser, request, PHONE)


def screenshot(page, name: str) -> Path:
    """Keep a picture of a page for a person to look at (test-artifacts/ is gitignored)."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=path, full_page=True)
    return path


def give_authenticator(user, key: str = TOTP_KEY) -> TOTPDevice:
    """A confirmed authenticator app with a known secret, as if the user had enrolled."""
    return TOTPDevice.objects.create(user=user, name="Phone", key=key, confirmed=True)


def current_code(bin_key: bytes) -> str:
    """The 6-digit code an authenticator app would show now for this secret."""
    return f"{TOTP(bin_key, step=30, t0=0, digits=6).token():06d}"


def log_in(page, live_server, user, *, device: TOTPDevice | None = None):
    """Sign in through the real login page, typing a TOTP code when the role asks for one
    (every role does by default): the user's authenticator, given one if they have none."""
    if device is None and set(settings.CLINIC_2FA_REQUIRED_ROLES) & user_roles(user):
        device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
        device = device or give_authenticator(user)
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    if device is not None:
        code_field = page.get_by_label("6-digit code from your authenticator app")
        code_field.fill(current_code(device.bin_key))
        page.get_by_role("button", name="Verify").click()
    page.wait_for_url(lambda url: "/accounts/" not in url)

"""axe-core on the pages staff use most: nothing serious or critical for people using a screen
reader, a keyboard or a zoomed screen.

axe.min.js comes from the pinned PyPI package axe-playwright-python (requirements-dev.txt).
"""

from importlib.resources import files

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import log_in

AXE_SCRIPT = (files("axe_playwright_python") / "axe.min.js").read_text(encoding="utf-8")
BLOCKING_IMPACTS = {"serious", "critical"}


def serious_violations(page) -> list[str]:
    # Evaluated through the DevTools protocol, so the page's CSP does not block the script.
    page.evaluate(AXE_SCRIPT)
    results = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{violation['id']} ({violation['impact']}): {violation['help']} -> "
        + ", ".join(" ".join(node["target"]) for node in violation["nodes"][:5])
        for violation in results["violations"]
        if violation["impact"] in BLOCKING_IMPACTS
    ]


def axe_as_shown(browser, page) -> list[str]:
    """``serious_violations`` of a page in a browser without JavaScript (axe cannot run there):
    the same HTML, at the same address, in a browser that runs scripts."""
    html, url = page.content(), page.url
    context = browser.new_context(viewport=page.viewport_size)
    checker = context.new_page()
    checker.route(url, lambda route: route.fulfill(body=html, content_type="text/html"))
    checker.goto(url)
    try:
        return serious_violations(checker)
    finally:
        context.close()


def test_sign_in_page_has_no_serious_accessibility_problems(page, live_server):
    page.goto(f"{live_server.url}/accounts/login/")
    expect(page.get_by_role("heading", name="Staff sign in")).to_be_visible()

    assert serious_violations(page) == []


@pytest.mark.parametrize(
    ("path", "heading"),
    [("/patients/", "Patients"), ("/patients/new/", "Register a patient")],
)
def test_front_desk_pages_have_no_serious_accessibility_problems(
    page, live_server, front_desk_user, patient, path, heading
):
    log_in(page, live_server, front_desk_user)
    page.goto(f"{live_server.url}{path}")
    expect(page.get_by_role("heading", name=heading, exact=True)).to_be_visible()

    assert serious_violations(page) == []


def test_registration_errors_have_no_serious_accessibility_problems(
    page, live_server, front_desk_user
):
    log_in(page, live_server, front_desk_user)
    page.goto(f"{live_server.url}/patients/new/")
    page.get_by_role("button", name="Register patient").click()
    expect(page.get_by_role("alert").first).to_be_visible()

    assert serious_violations(page) == []

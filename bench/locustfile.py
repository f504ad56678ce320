"""Load for one page, driven by bench/run.py (not meant to be run by hand).

run.py signs in (or opens a patient link) once per simulated user and writes the page and the
sessions to the JSON file named by BENCH_PAGE_FILE. Each locust user takes one session and
requests the page back to back (no think time): a closed loop of BENCH_USERS connections.

Any answer other than the expected one is a failure: a redirect to the sign-in page or a 403
means the session broke, and the benchmark would otherwise measure the login page.
"""

import itertools
import json
import os
from http.cookiejar import DefaultCookiePolicy
from urllib.parse import urlencode

from locust import constant, task
from locust.contrib.fasthttp import FastHttpUser

with open(os.environ["BENCH_PAGE_FILE"], encoding="utf-8") as page_file:
    PAGE = json.load(page_file)

_sessions = itertools.cycle(PAGE["sessions"])


class PageVisitor(FastHttpUser):
    wait_time = constant(0)

    def on_start(self):
        session = next(_sessions)
        # The session is fixed for the run: a cookie the server sets again (the same CSRF
        # cookie) must not be stored and sent twice.
        self.client.cookiejar.set_policy(DefaultCookiePolicy(allowed_domains=[]))
        self.headers = {"Cookie": session["cookie"]}
        self.body = None
        if PAGE["method"] == "POST":
            fields = {**PAGE["form"], "csrfmiddlewaretoken": session["csrf_token"]}
            self.body = urlencode(fields, doseq=True)
            self.headers["Content-Type"] = "application/x-www-form-urlencoded"

    @task
    def visit(self):
        with self.client.request(
            PAGE["method"],
            PAGE["path"],
            name=PAGE["name"],
            headers=self.headers,
            data=self.body,
            allow_redirects=False,
            catch_response=True,
        ) as response:
            problem = _problem(response)
            if problem:
                response.failure(problem)
            else:
                response.success()


def _problem(response) -> str | None:
    status = response.status_code
    location = response.headers.get("Location", "") if response.headers else ""
    if status == PAGE["expect_status"]:
        if PAGE.get("expect_location") and location != PAGE["expect_location"]:
            return f"{status} to {location!r}, expected {PAGE['expect_location']!r}"
        if PAGE.get("expect_text") and PAGE["expect_text"] not in (response.text or ""):
            return f"{status} without {PAGE['expect_text']!r}: not the expected page"
        return None
    if status in (301, 302) and "/accounts/" in location:
        return f"{status} to {location}: the session broke (signed out or second factor asked)"
    if status in (301, 302):
        return f"{status} to {location!r}"
    return f"HTTP {status}"

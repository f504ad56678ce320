"""What one request of each benchmarked page costs, alone: time, queries, time in the database.

    python -m bench.run profile                  # every page, 30 requests each
    BENCH_PAGES="front desk home" BENCH_PROFILE_TOP=25 python -m bench.run profile

Runs in this process with Django's test client on the benchmark database (production settings
as under gunicorn), so it needs no server. For each page: the median and p95 time of a request,
its queries and their total time, and the slowest queries. BENCH_PROFILE_TOP=N adds cProfile's
N most expensive functions (cumulative), which is where template and ORM time shows up.
"""

import cProfile
import io
import os
import pstats
import statistics
import time
from dataclasses import dataclass

REQUESTS = 30


@dataclass
class QueryTimer:
    queries: list

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.queries.append((time.perf_counter() - started, sql))


class RenderTimer:
    """Time spent rendering templates (outermost renders only: includes count once)."""

    def __init__(self):
        self.seconds = 0.0
        self.depth = 0

    def __enter__(self):
        from django.template.backends.django import Template

        self.original = Template.render
        timer = self

        def render(template, *args, **kwargs):
            timer.depth += 1
            started = time.perf_counter()
            try:
                return timer.original(template, *args, **kwargs)
            finally:
                timer.depth -= 1
                if not timer.depth:
                    timer.seconds += time.perf_counter() - started

        Template.render = render
        return self

    def __exit__(self, *exc):
        from django.template.backends.django import Template

        Template.render = self.original


def client_for(page, fixtures):
    from django.contrib.auth import get_user_model
    from django.test import Client

    from intake.models import Patient
    from intake.services.questionnaires import intake_link_issue

    # Not the test environment's "testserver" host (setup_test_environment would also
    # instrument every template render, which is what is being measured).
    client = Client(raise_request_exception=True, HTTP_HOST="127.0.0.1")
    if page.role == "patient":
        issued = intake_link_issue(
            patient=Patient.objects.get(pk=fixtures.intake_patient_ids[0]),
            channel="screen",
            created_by=get_user_model().objects.get(username="frontdesk"),
        )
        client.get(issued.path)
        client.post(
            "/intake/confirm/",
            {"date_of_birth": issued.link.intake.patient.date_of_birth.isoformat()},
        )
    elif page.role != "anonymous":  # the bare floor: nobody signed in
        client.force_login(get_user_model().objects.get(username=page.role))
        if fixtures.location_id is not None:  # BENCH_CHAIN=1: working at Bulk clinic 01
            from clinic.locations import LOCATION_SESSION_KEY

            session = client.session
            session[LOCATION_SESSION_KEY] = fixtures.location_id
            session.save()
    return client


def request(client, page):
    if page.method == "POST":
        return client.post(page.path, page.form)
    return client.get(page.path)


def profile_page(page, fixtures, top: int) -> str:
    from django.db import connection

    client = client_for(page, fixtures)
    response = request(client, page)  # warm up: template and URL caches, first connection
    if response.status_code != page.expect_status:
        return f"## {page.name}\n\nHTTP {response.status_code}, expected {page.expect_status}\n"
    times, renders, last = [], [], None
    for _ in range(REQUESTS):
        timer = QueryTimer([])
        with connection.execute_wrapper(timer), RenderTimer() as rendering:
            started = time.perf_counter()
            request(client, page)
            times.append(time.perf_counter() - started)
        renders.append(rendering.seconds)
        last = timer
    times.sort()
    query_ms = sum(seconds for seconds, _ in last.queries) * 1000
    lines = [
        f"## {page.name}",
        "",
        f"median {statistics.median(times) * 1000:.1f} ms, p95 "
        f"{times[int(len(times) * 0.95) - 1] * 1000:.1f} ms; {len(last.queries)} queries, "
        f"{query_ms:.1f} ms in the database; templates {statistics.median(renders) * 1000:.1f} ms",
        "",
    ]
    for seconds, sql in sorted(last.queries, reverse=True)[:5]:
        lines.append(f"- {seconds * 1000:.2f} ms  {sql[:220]}")
    if top:
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(10):
            request(client, page)
        profiler.disable()
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats(
            os.environ.get("BENCH_PROFILE_SORT", "cumulative")
        ).print_stats(top)
        lines += ["", "```", out.getvalue().strip(), "```"]
    return "\n".join(lines) + "\n"


def run(pages, fixtures, top: int) -> str:
    return "\n".join(profile_page(page, fixtures, top) for page in pages)

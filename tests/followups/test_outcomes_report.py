"""The outcomes report is worked out once and kept a while (``followups.reports``): the page
says when its figures were worked out, a clinician opening it again gets them at once, and beat
works out the default period before the kept one runs out."""

from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest
import time_machine

from followups import reports, tasks
from tests.conftest import sign_in
from tests.followups.test_outcomes_page import (
    COHORT,
    PAGE,
    PERIOD,
    QUERIES,
    _patient,
    table,
    write_cohort,
)

pytestmark = pytest.mark.clinic_day

SIGN_IN_QUERIES = QUERIES - 4  # the session, the user, the TOTP device, the role
NOW = datetime(2026, 11, 30, 18, 0, tzinfo=UTC)  # 12:00 in the clinic (Chicago)


def _treated(response) -> str:
    return table(response, "Patients whose first completed session")["All routes"][0]


def _at(moment, client, user):
    """Signed in at ``moment`` (a session left since would have timed out)."""
    with time_machine.travel(moment, tick=False):
        return sign_in(client, user)


def test_a_second_look_within_the_kept_time_gets_the_kept_figures_at_once(
    client, clinician_user, django_assert_num_queries
):
    write_cohort(clinician_user, COHORT[:1])
    with time_machine.travel(NOW, tick=False):
        first = sign_in(client, clinician_user).get(PAGE, PERIOD)
    # One more patient first treated in the period, after the figures were worked out.
    _patient(COHORT[1], starts_at=datetime(2026, 6, 10, 15, 0, tzinfo=UTC), by=clinician_user)

    soon = NOW + timedelta(minutes=14)
    clinician = _at(soon, client, clinician_user)
    with time_machine.travel(soon, tick=False):
        clinician.get("/")  # the new session's first request settles it
        with django_assert_num_queries(SIGN_IN_QUERIES):
            again = clinician.get(PAGE, PERIOD)
    later = NOW + timedelta(minutes=16)
    with time_machine.travel(later, tick=False):
        later = sign_in(client, clinician_user).get(PAGE, PERIOD)

    assert _treated(first) == _treated(again) == "1"
    text = again.content.decode()
    assert "These figures were worked out at 11/30/2026 12:00 (clinic time)" in text
    assert "kept for up to 15 minutes" in text
    # Past the kept time, worked out again: the patient treated since is counted.
    assert _treated(later) == "2"
    assert "worked out at 11/30/2026 12:16" in later.content.decode()


def test_beat_works_out_the_default_period_before_the_page_asks(
    client, clinician_user, django_assert_num_queries
):
    write_cohort(clinician_user)
    with time_machine.travel(NOW, tick=False):
        tasks.refresh_outcomes()
    soon = NOW + timedelta(minutes=5)
    clinician = _at(soon, client, clinician_user)
    with time_machine.travel(soon, tick=False):
        clinician.get("/")
        with django_assert_num_queries(SIGN_IN_QUERIES):
            # The last six months: the default period, kept by the task.
            response = clinician.get(PAGE)

    assert _treated(response) == "7"
    assert "worked out at 11/30/2026 12:00" in response.content.decode()


def test_the_refresh_replaces_a_kept_report_before_it_runs_out(client, clinician_user):
    with time_machine.travel(NOW, tick=False):
        empty = sign_in(client, clinician_user).get(PAGE)
    write_cohort(clinician_user)
    with time_machine.travel(NOW + timedelta(minutes=10), tick=False):
        tasks.refresh_outcomes()
        refreshed = sign_in(client, clinician_user).get(PAGE)

    assert _treated(empty) == "0"
    assert _treated(refreshed) == "7"


def test_without_the_cache_the_figures_are_worked_out_for_the_request(clinician, clinician_user):
    write_cohort(clinician_user)
    with (
        mock.patch.object(reports.cache, "get", side_effect=ConnectionError("down")),
        mock.patch.object(reports.cache, "set", side_effect=ConnectionError("down")),
    ):
        response = clinician.get(PAGE, PERIOD)

    assert response.status_code == 200
    assert _treated(response) == "7"


def test_beat_runs_the_refresh_more_often_than_a_report_is_kept():
    from clinic.celery import app

    entry = app.conf.beat_schedule["refresh-outcomes"]
    assert entry["task"] == "followups.tasks.refresh_outcomes"
    assert entry["schedule"] == reports.REFRESH_SECONDS < reports.REPORT_SECONDS

"""The clinician's worklist of sessions to sign: administered or discharged, not signed."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.treatments.sessions import (
    administered,
    booked_session,
    checked_in,
    completed_session,
    pre_dose,
)
from treatments.models import TreatmentSession
from treatments.services import sessions as services

pytestmark = pytest.mark.django_db

URL = reverse("treatments:sessions_to_sign")


def _administered(*, by, starts_at):
    session = booked_session(by=by, starts_at=starts_at)
    checked_in(session, by=by)
    pre_dose(session, by=by)
    return administered(session, by=by)


def test_the_list_shows_unsigned_administered_and_completed_sessions_oldest_first(
    clinician, clinician_user
):
    now = timezone.now()
    newer = completed_session(by=clinician_user, starts_at=now - timedelta(hours=3))
    older = _administered(by=clinician_user, starts_at=now - timedelta(days=2))
    booked = booked_session(by=clinician_user, starts_at=now + timedelta(days=1))
    signed = completed_session(by=clinician_user, starts_at=now - timedelta(days=3))
    services.session_sign(session=signed, by=clinician_user)
    assert older.status == TreatmentSession.Status.IN_PROGRESS

    response = clinician.get(URL)

    assert response.status_code == 200
    page = response.content.decode()
    links = [reverse("treatments:session_detail", args=[s.pk]) for s in (older, newer)]
    assert all(link in page for link in links)
    assert page.index(links[0]) < page.index(links[1])
    for absent in (booked, signed):
        assert reverse("treatments:session_detail", args=[absent.pk]) not in page
    assert older.patient.mrn in page
    assert "Chair 1" in page
    assert older.get_status_display() in page


def test_each_row_names_what_is_still_missing(clinician, clinician_user):
    in_progress = _administered(by=clinician_user, starts_at=timezone.now() - timedelta(hours=1))

    page = clinician.get(URL).content.decode()

    assert "At least one vitals reading during monitoring" in page
    assert "Discharge" in page
    assert "Check-in (arrival, escort, fasting)" not in page
    assert reverse("treatments:session_detail", args=[in_progress.pk]) in page


def test_a_raised_baseline_bp_without_a_decision_is_named(clinician, clinician_user):
    session = booked_session(by=clinician_user)
    checked_in(session, by=clinician_user)
    pre_dose(session, by=clinician_user, systolic=150)
    # Written directly: the row is in progress although the gate was never decided.
    TreatmentSession.objects.filter(pk=session.pk).update(
        status=TreatmentSession.Status.IN_PROGRESS
    )

    page = clinician.get(URL).content.decode()

    assert "A decision on the raised baseline blood pressure" in page


def test_a_completed_session_is_ready_to_sign(clinician, clinician_user):
    completed_session(by=clinician_user)

    page = clinician.get(URL).content.decode()

    assert "ready to sign" in page
    assert "Discharge</li>" not in page


def test_the_front_desk_may_not_see_the_list(front_desk):
    assert front_desk.get(URL).status_code == 403


# The user and the clinic's session, the roles, the OTP device, how many wait, then the first
# sessions with their patient, chair and vitals summary in one query.
QUERIES = 6


def test_the_list_costs_the_same_with_2_or_22_sessions_and_shows_20_at_a_time(
    clinician, clinician_user, django_assert_num_queries
):
    start = timezone.now() - timedelta(days=30)  # one chair: 3 h apart
    for n in range(2):
        completed_session(by=clinician_user, starts_at=start + timedelta(hours=3 * n))
    clinician.get(URL)  # warm-up: the session, the roles and the device are cached

    with django_assert_num_queries(QUERIES, info="2 sessions"):
        page = clinician.get(URL).content.decode()
    assert page.count("<tr") - 1 == 2
    assert "Show" not in page
    made = [
        completed_session(by=clinician_user, starts_at=start + timedelta(hours=3 * n))
        for n in range(2, 22)
    ]
    with django_assert_num_queries(QUERIES, info="22 sessions"):
        page = clinician.get(URL).content.decode()

    # The oldest 20, and a way to the others.
    assert page.count("<tr") - 1 == 20
    assert reverse("treatments:session_detail", args=[made[-3].pk]) in page
    assert reverse("treatments:session_detail", args=[made[-2].pk]) not in page
    assert f'href="{URL}?unsigned=40#unsigned">Show 2 more sessions</a>' in page
    assert "Showing 20 of 22." in page

    page = clinician.get(URL, {"unsigned": 40}).content.decode()

    assert page.count("<tr") - 1 == 22
    assert "Show 2 more" not in page

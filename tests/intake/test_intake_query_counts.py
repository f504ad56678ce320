"""The patient's intake pages cost the same number of queries however big the clinic is."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from intake.services.questionnaires import intake_link_issue
from tests.factories import PatientFactory
from tests.intake.answers import ABOUT, QUESTIONNAIRES
from tests.intake.conftest import complete_steps

pytestmark = pytest.mark.django_db


def _other_patients_with_intakes(count, user):
    for patient in PatientFactory.create_batch(count):
        intake_link_issue(patient=patient, channel="screen", created_by=user)


def _count(client, method, url, data=None) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = getattr(client, method)(url, data) if data else getattr(client, method)(url)
    assert response.status_code in (200, 302)
    return len(queries)


@pytest.mark.parametrize(
    ("method", "url", "data"),
    [
        ("get", "/intake/step/about/", None),
        ("get", "/intake/step/questionnaires/", None),
        ("post", "/intake/step/questionnaires/", {**QUESTIONNAIRES, "action": "next"}),
        ("get", "/intake/step/review/", None),
    ],
)
def test_intake_pages_do_not_grow_with_the_clinic(
    patient_client, patient, front_desk_user, django_assert_num_queries, method, url, data
):
    complete_steps(patient_client, patient, until="questionnaires")
    _other_patients_with_intakes(3, front_desk_user)
    small = _count(patient_client, method, url, data)
    _other_patients_with_intakes(30, front_desk_user)
    with django_assert_num_queries(small):
        getattr(patient_client, method)(url, data) if data else getattr(patient_client, method)(url)


def test_the_step_page_query_count(patient_client, patient, django_assert_num_queries):
    complete_steps(patient_client, patient, until="questionnaires")
    patient_client.get("/intake/step/questionnaires/")  # warm-up
    # session, link with intake and patient, alert check
    with django_assert_num_queries(3):
        patient_client.get("/intake/step/questionnaires/")


def test_saving_a_step_query_count(patient_client, patient, django_assert_num_queries):
    complete_steps(patient_client, patient, until="about")
    patient_client.get("/intake/step/about/")  # warm-up
    # session, link with intake and patient, the intake locked, its audit entry's old values,
    # the audit entry, the update (and, in a test, a savepoint and its release); the intake is
    # not read again after it is saved.
    with django_assert_num_queries(8):
        response = patient_client.post("/intake/step/about/", {**ABOUT, "action": "next"})
    assert response.status_code == 302

"""Every kind of patient search, and the list shown before one, can be answered from an index
on PostgreSQL (no table scan)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from intake.selectors import patient_search, patient_search_page, recent_patients
from tests.factories import PatientFactory

pytestmark = pytest.mark.postgres


def _plan(queryset) -> str:
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        # With sequential scans priced out, the plan shows whether an index *can* serve it.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        return "\n".join(row[0] for row in cursor.fetchall())


@pytest.mark.django_db
@pytest.mark.parametrize(
    "query",
    [
        "riv",
        "jane rivera",
        "Rivera, Jane",
        "KC-ABCDEFG",
        "1984-03-02",
        "03/02/1984",
        "(512) 555-0143",
    ],
)
def test_search_uses_an_index(query):
    PatientFactory.create_batch(5)
    plan = _plan(patient_search(query=query))
    assert "Seq Scan on intake_patient" not in plan, plan


@pytest.mark.django_db
@pytest.mark.parametrize("query", ["riv", "jane", "Rivera, Jane"])
def test_a_page_of_a_name_search_is_read_in_name_order_from_the_indexes(query):
    PatientFactory.create_batch(5)
    with CaptureQueriesContext(connection) as executed:
        patient_search_page(query=query, limit=51)
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_bitmapscan = off")
        cursor.execute(f"EXPLAIN {executed.captured_queries[0]['sql']}")
        plan = "\n".join(row[0] for row in cursor.fetchall())

    assert "Seq Scan on intake_patient" not in plan, plan
    # Each name part is read from its index: the last name's holds the whole sort key, so
    # that part's scan needs no sort and stops at the page's end.
    for index in ("patient_last_name_order", "patient_preferred_name_order"):
        assert f"Index Scan using {index}" in plan, plan


@pytest.mark.django_db
def test_the_list_before_a_search_reads_the_newest_patients_from_an_index():
    PatientFactory.create_batch(5)
    plan = _plan(recent_patients(limit=20))
    # Read newest first and stopped at 20: no sort of every patient (23 ms at 100,000).
    assert "Index Scan using patient_recent" in plan, plan
    assert "Sort" not in plan, plan

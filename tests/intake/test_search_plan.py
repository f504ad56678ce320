"""Every kind of patient search can be answered from an index on PostgreSQL (no table scan)."""

import pytest
from django.db import connection

from intake.selectors import patient_search
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

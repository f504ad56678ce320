"""The front desk's intake queue is read in its order from an index on PostgreSQL: a page of
20 without sorting every intake of the clinic."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from intake import selectors
from tests.factories import PatientFactory

pytestmark = pytest.mark.postgres


@pytest.mark.django_db
def test_the_whole_queue_is_read_newest_link_first_from_an_index():
    PatientFactory.create_batch(3)
    with CaptureQueriesContext(connection) as executed:
        selectors.intake_queue(limit=21)
    queue_sql = next(q["sql"] for q in executed.captured_queries if "intake_intake" in q["sql"])
    with connection.cursor() as cursor:
        # With scans that need a sort priced out, the plan shows whether the index *can* serve
        # the order (a few test rows would otherwise be sorted in memory, rightly).
        for setting in ("enable_seqscan", "enable_bitmapscan", "enable_sort"):
            cursor.execute(f"SET LOCAL {setting} = off")
        cursor.execute(f"EXPLAIN {queue_sql}")
        plan = "\n".join(row[0] for row in cursor.fetchall())

    assert "Index Scan using intake_queue_order" in plan, plan
    assert "Sort" not in plan, plan

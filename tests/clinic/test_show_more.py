"""Lists shown 20 rows at a time: what the query string may ask for, and what "more" says."""

import pytest
from django.http import QueryDict

from clinic.show_more import MAX, PAGE, ShownRows, shown_query, shown_sizes


@pytest.mark.parametrize(
    ("query", "sizes"),
    [
        ("open=40", {"open": 40}),
        ("open=20", {"open": 20}),
        ("open=30", {}),  # not a whole page
        ("open=0", {}),
        ("open=-20", {}),
        ("open=abc", {}),
        ("open=9999980", {}),  # past six digits
        ("open=100000", {"open": MAX}),
        ("other=40", {}),
    ],
)
def test_only_whole_pages_up_to_the_most_are_asked_for(query, sizes):
    assert shown_sizes(QueryDict(query), ["open"]) == sizes


def test_the_query_keeps_the_pages_own_parameters_and_the_longer_lists():
    assert shown_query({"queue": 40}, {"status": "expired"}) == "?status=expired&queue=40"
    assert shown_query({"queue": PAGE}, {"status": ""}) == ""


def test_more_counts_the_rows_not_shown_and_stops_at_the_most():
    shown = ShownRows.asked("open", ("open task", "open tasks"), {})
    shown.fill(list(range(PAGE + 1)), total=21)
    shown.link("/tasks/", {})

    assert (shown.more, shown.more_label, shown.at_most) == (1, "Show 1 more open task", False)
    assert shown.more_url == "/tasks/?open=40#open"

    longest = ShownRows.asked("open", ("open task", "open tasks"), {"open": MAX})
    longest.fill(list(range(MAX + 1)), total=900)
    assert (longest.more, longest.at_most) == (900 - MAX, True)


def test_a_count_that_raced_a_change_never_claims_fewer_rows_than_were_read():
    shown = ShownRows.asked("open", ("open task", "open tasks"), {})
    shown.fill(list(range(PAGE + 1)), total=3)

    assert (len(shown.rows), shown.total, shown.more) == (PAGE, PAGE + 1, 1)

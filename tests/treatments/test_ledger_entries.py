"""The full ledger's pages count cheaply: unfiltered, the newest entry's sequence is how many
entries there are; filtered, the count reads a bounded number of entries past the page asked
for and says "more than" beyond. Two queries a page (the count and the rows) either way."""

import pytest
from django.urls import reverse

from tests.treatments.ledger import products, stocked
from treatments.models import LedgerEntry
from treatments.selectors import ledger_entries

ENTRIES = reverse("treatments:ledger_entries")


def delivered(by, checked_by, how_many: int, start: int = 1) -> None:
    stocked(
        by=by,
        checked_by=checked_by,
        labels=tuple(f"K-{n:04d}" for n in range(start, start + how_many)),
    )


@pytest.fixture
def small_pages(monkeypatch):
    """Pages of 2 entries; a filtered count reads 2 entries past the page."""
    monkeypatch.setattr(ledger_entries, "ENTRIES_PER_PAGE", 2)
    monkeypatch.setattr(ledger_entries, "COUNT_AHEAD", 2)


def pager(page: str) -> str:
    """The pager's "Page n of m"."""
    return page[page.index('class="page-item active"') :].split("</span>")[0]


def test_unfiltered_the_count_is_the_newest_sequence(
    clinician, clinician_user, second_clinician_user, small_pages
):
    delivered(clinician_user, second_clinician_user, 7)
    assert LedgerEntry.objects.count() == 7

    page = clinician.get(ENTRIES).content.decode()
    assert "Page 1 of 4" in pager(page)
    last = clinician.get(ENTRIES, {"page": 4}).content.decode()
    assert "Page 4 of 4" in pager(last) and "K-0001<" in last and "Older" not in last
    # A page past the end shows the last one, as before.
    assert "Page 4 of 4" in pager(clinician.get(ENTRIES, {"page": 99}).content.decode())


def test_filtered_the_count_stops_past_the_page_and_says_more_than(
    clinician, clinician_user, second_clinician_user, small_pages
):
    delivered(clinician_user, second_clinician_user, 7)
    receipts = {"kind": "receipt"}

    # Page 1: 2 rows and 2 ahead counted, and there are more.
    first = clinician.get(ENTRIES, receipts).content.decode()
    assert "Page 1 of more than 2" in pager(first)
    assert "K-0007<" in first and "K-0006<" in first and "K-0005<" not in first
    assert "kind=receipt&amp;page=2" in first  # Older
    # Page 2: more than 3 pages (6 entries counted, a 7th beyond).
    second = clinician.get(ENTRIES, {**receipts, "page": 2}).content.decode()
    assert "Page 2 of more than 3" in pager(second)
    assert "kind=receipt&amp;page=3" in second
    # Page 3: the count reaches the end; exact again.
    third = clinician.get(ENTRIES, {**receipts, "page": 3}).content.decode()
    assert "Page 3 of 4" in pager(third)
    fourth = clinician.get(ENTRIES, {**receipts, "page": 4}).content.decode()
    assert "Page 4 of 4" in pager(fourth) and "K-0001<" in fourth and "Older" not in fourth

    # A filter matching few counts exactly from the first page.
    esketamine = products()["esketamine"]
    stocked(
        by=clinician_user, checked_by=second_clinician_user, product="esketamine", labels=("E-1",)
    )
    only = clinician.get(ENTRIES, {"product": esketamine.pk}).content.decode()
    assert "E-1" in only and "K-0007" not in only and "Pages of the ledger" not in only


@pytest.mark.parametrize("query", [{}, {"kind": "receipt"}], ids=["all", "filtered"])
def test_a_page_of_the_ledger_costs_the_same_however_long(
    clinician, clinician_user, second_clinician_user, django_assert_num_queries, query
):
    delivered(clinician_user, second_clinician_user, 3)
    clinician.get(ENTRIES)  # the first request of the session saves it

    # session, user, TOTP device, roles; the registration; the products for the filter; the
    # count (the newest sequence, or a bounded count); the page's rows
    with django_assert_num_queries(8, info="3 entries"):
        clinician.get(ENTRIES, query)

    delivered(clinician_user, second_clinician_user, 60, start=4)
    with django_assert_num_queries(8, info="63 entries"):
        page = clinician.get(ENTRIES, {**query, "page": 2}).content.decode()
    assert "Page 2 of 2" in pager(page)

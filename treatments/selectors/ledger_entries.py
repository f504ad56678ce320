"""The full ledger, page by page, at a cost that does not grow with the ledger.

Django's paginator counts the whole match (COUNT(*) over every entry of the registration) on
every page. Here the count comes cheaper:

- unfiltered, it is the newest entry's ``sequence``: a registration's sequence starts at 1 and
  has no gaps (``chain.append`` numbers the entries; ``ledger_verify`` checks it), so the newest
  number is how many entries there are, read from the end of the ``ledger_sequence`` index;
- filtered (one product, one kind), it is exact up to ``COUNT_AHEAD`` entries past the page
  asked for and stops there: beyond, the page says "more than" and still links to the older
  page. Counting never reads further than the page itself (its OFFSET) plus ``COUNT_AHEAD``.

Two queries a page either way: the count and the page's rows.
"""

from django.core.paginator import Page, Paginator

from ..models import ControlledProduct, DeaRegistration, LedgerEntry
from .ledger import ENTRIES_PER_PAGE, _entries_for_rows

# How many entries past the page a filtered count reads before it says "more than".
COUNT_AHEAD = 20 * ENTRIES_PER_PAGE


class CountedPaginator(Paginator):
    """A paginator given its count. With ``more``, the count is a lower bound: more entries
    match than were counted, and ``pages_counted`` pages are known to exist (one more at
    least)."""

    def __init__(self, object_list, per_page, *, count: int, more: bool = False):
        super().__init__(object_list, per_page)
        self.count = count  # Paginator.count is a cached property: given, it is not queried
        self.more = more

    @property
    def pages_counted(self) -> int:
        return self.num_pages - 1 if self.more else self.num_pages


def _page_number(value) -> int:
    """The page asked for, as the paginator will read it (anything else is page 1)."""
    try:
        return max(int(value), 1)
    except (TypeError, ValueError):
        return 1


def entries_page(
    *,
    registration: DeaRegistration,
    with_patients: bool,
    page_number,
    product: ControlledProduct | None = None,
    kind: str = "",
) -> Page:
    """The registration's ledger newest first, ``ENTRIES_PER_PAGE`` a page, of one product or
    one kind of entry if given; two queries (the count and the page)."""
    entries = LedgerEntry.objects.filter(registration=registration)
    if product is None and not kind:
        newest = entries.order_by("-sequence").values_list("sequence", flat=True).first()
        count, more = newest or 0, False
    else:
        if product is not None:
            entries = entries.filter(product=product)
        if kind:
            entries = entries.filter(kind=kind)
        bound = _page_number(page_number) * ENTRIES_PER_PAGE + COUNT_AHEAD
        count = entries.order_by().values("pk")[: bound + 1].count()
        more = count > bound
    rows = _entries_for_rows(entries.order_by("-sequence"), with_patients=with_patients)
    return CountedPaginator(rows, ENTRIES_PER_PAGE, count=count, more=more).get_page(page_number)

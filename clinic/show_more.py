"""Staff lists shown a page at a time, growing in place ("Show 20 more"), as the follow-up
worklist does: a list reads only the rows it shows, in SQL, and states its true total.

How many rows each list of a page shows rides in the query string (``?open=40``), a multiple of
PAGE up to MAX; past MAX the list says how many there are rather than render thousands of rows.
A form posted from a row carries that query string back, so the user returns to the same rows.
"""

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.http import QueryDict

PAGE = 20
MAX = 500
_SIZE = re.compile(r"[0-9]{1,6}")


def shown_sizes(query: QueryDict, slugs: Iterable[str]) -> dict[str, int]:
    """The rows asked for in each list (``?open=40``): a multiple of PAGE, at most MAX (larger
    is MAX); anything else is the first page, left out."""
    sizes = {}
    for slug in slugs:
        raw = query.get(slug, "")
        if _SIZE.fullmatch(raw) and int(raw) % PAGE == 0 and int(raw):
            sizes[slug] = min(int(raw), MAX)
    return sizes


def shown_query(sizes: Mapping[str, int], params: Mapping[str, str] | None = None) -> str:
    """``?status=expired&queue=40``: the page's own ``params``, then each list shown past its
    first page; empty when there is neither."""
    query = {key: value for key, value in (params or {}).items() if value}
    query.update({slug: size for slug, size in sizes.items() if size != PAGE})
    return f"?{urlencode(query)}" if query else ""


@dataclass
class ShownRows:
    """The rows one list shows, out of its ``total``. ``nouns`` name a row, one and many:
    "Show 20 more open tasks"."""

    slug: str  # the query-string key of its size and the id of its section on the page
    nouns: tuple[str, str]
    size: int = PAGE  # how many rows were asked for
    rows: list = field(default_factory=list)
    total: int = 0  # rows in the list, shown or not
    more_url: str = ""

    @classmethod
    def asked(cls, slug: str, nouns: tuple[str, str], sizes: Mapping[str, int]) -> "ShownRows":
        return cls(slug, nouns, size=min(max(sizes.get(slug, PAGE), 1), MAX))

    def fill(self, rows: list, total: int) -> None:
        """Keep the first ``size`` of ``rows`` (read with one more than ``size``, to tell "more"
        apart even if ``total``, a separate read, raced a change: never claim fewer rows than
        were read)."""
        self.rows = rows[: self.size]
        self.total = max(total, min(len(rows), self.size + 1))

    def link(self, path: str, sizes: Mapping[str, int], params: Mapping[str, str] | None = None):
        """Point "Show more" at ``path`` with this list one page longer, the others as asked."""
        wider = {**sizes, self.slug: self.size + PAGE}
        self.more_url = f"{path}{shown_query(wider, params)}#{self.slug}"

    @property
    def more(self) -> int:
        """How many rows the list has beyond those shown."""
        return max(self.total - len(self.rows), 0)

    @property
    def at_most(self) -> bool:
        """Shown to MAX rows with more left: no "Show more" any further."""
        return bool(self.more) and self.size >= MAX

    @property
    def more_label(self) -> str:
        return more_label(self.more, self.nouns)


def more_label(more: int, nouns: tuple[str, str]) -> str:
    """ "Show 20 more open tasks", "Show 1 more screening": the next page of ``more`` rows."""
    count = min(more, PAGE)
    one, many = nouns
    return f"Show {count} more {one if count == 1 else many}"

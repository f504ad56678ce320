"""Parts of pages that every member of a role sees alike (the home page's panels, the follow-up
worklist), cached and dropped the moment anything they could show changes.

A cached fragment's key holds the **data generation**: a random token kept in the cache that
changes whenever a statement writes to a table of the clinic's data. Every write goes through
Django's database connection, so a wrapper on each connection (``install``) sees them all:
``save()``, ``QuerySet.update()``, ``bulk_create``, raw SQL through ``connection.cursor()``.
Statements that reads themselves cause (the session's idle timer, the audit trail's ACCESS
entries, django-axes' login records) do not count, or no page would ever be served from the
cache.

- A write outside a transaction is committed at once: the generation changes at once.
- A write inside a transaction changes it twice: the next time this connection asks (its own
  later reads must show its own writes), and again when the transaction commits, so that a
  reader in another process that read the old rows meanwhile cannot keep them under the new
  generation. A rolled-back transaction only costs an extra miss.
- The generation is read before the data is: a fragment built from rows older than the
  generation it is stored under cannot happen.

The key also holds the minute, so what changes with the clock alone (a patient becoming late,
a task becoming overdue, a new day) is at most a minute behind, and the names of the things the
fragment depends on (the viewer's roles, the page's query string). Nothing in a fragment may
depend on who the user is beyond that; forms in a fragment carry ``CSRF_PLACEHOLDER`` as their
token, which ``csrf_fill`` replaces with the viewer's own.

The cache is the one named ``CACHES["default"]``: Redis in production (``CACHE_URL``), files
under the checkout for development, so that the web server and the Celery worker share it. When
the cache cannot be reached, pages are built from the database as if nothing were cached; a
Redis that is down or hung costs one short timeout, after which the process leaves it alone for
a few seconds (clinic/redis_cache.py), so a page that writes many rows does not wait once per
statement. A generation change that could not be stored is made again by this process the next
time it reaches the cache; until then another process may serve a fragment stored before the
failure, at most until the minute in its key turns.
"""

import hashlib
import logging
import re
import secrets
from collections.abc import Callable

from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, connections
from django.middleware.csrf import get_token
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

logger = logging.getLogger(__name__)

GENERATION_KEY = "clinic:data-generation"
GENERATION_SECONDS = 24 * 60 * 60
FRAGMENT_SECONDS = 120
# Tables that plain reads write to: none of their rows is shown in a cached fragment.
READ_SIDE_TABLES = frozenset(
    {
        "django_session",
        "auditlog_logentry",
        "axes_accessattempt",
        "axes_accessfailurelog",
        "axes_accesslog",
    }
)
# Statements that never change data (anything else is taken as a write). EXECUTE runs a
# statement prepared on the server, which clinic/prepared.py does for reads only.
_NOT_WRITES = frozenset(
    {
        "SELECT",
        "SAVEPOINT",
        "RELEASE",
        "ROLLBACK",
        "BEGIN",
        "COMMIT",
        "SET",
        "SHOW",
        "EXPLAIN",
        "EXECUTE",
    }
)
_KEYWORD = re.compile(r"[\s(]*(\w+)")
_TARGET = re.compile(r'\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+"?(\w+)"?', re.IGNORECASE)
_DIRTY = "_clinic_data_written"
CSRF_PLACEHOLDER = "clinic-csrf-placeholder-5a1d0c"


def writes_clinic_data(sql) -> bool:
    """Whether a statement may change what a cached fragment shows."""
    text = str(sql)
    # The first word, past any "(" (a UNION of reads starts with one).
    keyword = _KEYWORD.match(text)
    if keyword is None or keyword.group(1).upper() in _NOT_WRITES:
        return False
    target = _TARGET.match(text)
    return not (target and target.group(1).lower() in READ_SIDE_TABLES)


# Set when this process wrote data but could not change the generation (the cache was down).
_bump_missed = False


def _bump() -> None:
    global _bump_missed
    try:
        cache.set(GENERATION_KEY, secrets.token_hex(8), GENERATION_SECONDS)
    except Exception as error:  # the cache is down: nothing can be served from it either
        _bump_missed = True
        logger.warning(
            "shared cache unreachable (%s): data generation not changed", type(error).__name__
        )
    else:
        _bump_missed = False


def _watch_writes(execute, sql, params, many, context):
    result = execute(sql, params, many, context)
    if writes_clinic_data(sql):
        connection = context["connection"]
        if connection.in_atomic_block:
            setattr(connection, _DIRTY, True)
            if not any(func is _bump for _, func, _ in connection.run_on_commit):
                connection.on_commit(_bump)
        else:
            _bump()
    return result


def install(sender, connection, **kwargs) -> None:
    """``connection_created`` receiver: watch the new connection's writes."""
    if _watch_writes not in connection.execute_wrappers:
        connection.execute_wrappers.append(_watch_writes)


def generation() -> str:
    """The current data generation, made new first if this thread's connection has written
    since it last asked."""
    connection = connections[DEFAULT_DB_ALIAS]
    if getattr(connection, _DIRTY, False) or _bump_missed:
        setattr(connection, _DIRTY, False)
        _bump()
    try:
        current = cache.get(GENERATION_KEY)
        if current is None:
            current = secrets.token_hex(8)
            # add(): of two processes starting a generation at once, both use the first.
            if not cache.add(GENERATION_KEY, current, GENERATION_SECONDS):
                current = cache.get(GENERATION_KEY, current)
    except Exception as error:
        logger.warning(
            "shared cache unreachable (%s): building the page from the database",
            type(error).__name__,
        )
        return ""
    return current


def fragment(name: str, depends_on: tuple, build: Callable[[], str]) -> SafeString:
    """The HTML ``build()`` makes, from the cache while nothing it shows can have changed.

    ``depends_on``: everything besides the data and the minute that the HTML varies with (the
    viewer's roles, the page's query string). Forms in it use ``CSRF_PLACEHOLDER``.
    """
    current = generation()
    if not current:
        return mark_safe(build())  # noqa: S308 - build() returns rendered template output
    minute = timezone.now().strftime("%Y%m%d%H%M")
    varies = hashlib.sha256(repr(depends_on).encode()).hexdigest()[:16]
    key = f"clinic:fragment:{name}:{current}:{minute}:{varies}"
    try:
        html = cache.get(key)
    except Exception:
        html = None
    if html is None:
        html = build()
        try:
            cache.set(key, html, FRAGMENT_SECONDS)
        except Exception:
            logger.warning("shared cache unreachable: fragment %s not stored", name)
    return mark_safe(html)  # noqa: S308


def csrf_fill(html: str, request) -> SafeString:
    """A fragment's forms with this viewer's CSRF token instead of the placeholder."""
    if CSRF_PLACEHOLDER not in html:
        return mark_safe(html)  # noqa: S308
    return mark_safe(html.replace(CSRF_PLACEHOLDER, get_token(request)))  # noqa: S308

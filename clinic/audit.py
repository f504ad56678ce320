"""Access entries in the audit trail: who opened which record, when and from where.

django-auditlog writes one when a view sends its ``accessed`` signal: the receiver, then
``LogEntry.objects.log_create``, a model instance, a ``save()`` and the ORM's compiling of an
INSERT, about half a millisecond of Python on every page of patient data before the database
does anything. ``record_access`` writes the same row (the same columns and values, which
``tests/clinic/test_audit.py`` compares field by field with auditlog's own) with an INSERT whose
text is made once per process.

Who and from where are taken from the request as the clinic's auditlog middleware (below) takes
them (``get_extra_data``), and the correlation id from where that middleware keeps it, so entries
written either way agree. Like auditlog's access receiver, this writes even inside
``disable_auditlog()``: looking at a record is always recorded.
"""

from functools import cache

from auditlog.cid import get_cid
from auditlog.middleware import AuditlogMiddleware as BaseAuditlogMiddleware
from auditlog.models import LogEntry
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db import connections, router
from django.utils import timezone
from django.utils.encoding import smart_str

from .client_address import client_ip, is_trusted_proxy


class AuditlogMiddleware(BaseAuditlogMiddleware):
    """auditlog's, with the address of ``clinic.client_address``, the one the rate limits and
    the sign-in lockout see, not whatever ``X-Forwarded-For`` the client sent."""

    @staticmethod
    def _get_remote_addr(request) -> str | None:
        if settings.AUDITLOG_DISABLE_REMOTE_ADDR:
            return None
        return client_ip(request) or None

    @staticmethod
    def _get_remote_port(request) -> int | None:
        # The client's own word too, unless one of the clinic's proxies sent it.
        if not is_trusted_proxy(request.META.get("REMOTE_ADDR")):
            return None
        return BaseAuditlogMiddleware._get_remote_port(request)


@cache
def _insert(vendor: str) -> tuple[str, tuple]:
    """(SQL, fields) of the INSERT of one entry, every column but the id."""
    fields = tuple(field for field in LogEntry._meta.concrete_fields if not field.primary_key)
    quote = connections[router.db_for_write(LogEntry)].ops.quote_name
    sql = (
        f"INSERT INTO {quote(LogEntry._meta.db_table)} "  # noqa: S608 - names from the model
        f"({', '.join(quote(field.column) for field in fields)}) "
        f"VALUES ({', '.join(['%s'] * len(fields))})"
    )
    return sql, fields


@cache
def _middleware() -> AuditlogMiddleware:
    return AuditlogMiddleware(get_response=None)


def record_access(request, instance) -> None:
    """An ACCESS entry for ``instance`` opened in ``request``, the row auditlog's middleware and
    ``accessed.send(sender=..., instance=...)`` make."""
    record_accesses(request, [instance])


def record_accesses(request, instances) -> None:
    """An ACCESS entry for each of ``instances`` shown on one page (a list of patients), in one
    statement: a page of a hundred rows costs one round trip, not a hundred."""
    instances = [instance for instance in instances if instance.pk is not None]
    if not instances:
        return
    context = _middleware().get_extra_data(request)
    actor = context["actor"]
    if not isinstance(actor, get_user_model()):
        actor = None
    connection = connections[router.db_for_write(LogEntry)]
    sql, fields = _insert(connection.vendor)
    rows = []
    for instance in instances:
        pk = instance.pk
        additional = getattr(instance, "get_additional_data", None)
        values = {
            "content_type_id": ContentType.objects.get_for_model(instance).pk,
            "object_pk": smart_str(pk),
            "object_id": pk if isinstance(pk, int) else None,
            "object_repr": smart_str(instance),
            "serialized_data": None,
            "action": LogEntry.Action.ACCESS,
            "changes_text": "",
            "changes": None,
            "actor_id": actor.pk if actor is not None else None,
            "actor_email": getattr(actor, "email", None) if actor is not None else None,
            "cid": get_cid(),
            "remote_addr": context["remote_addr"],
            "remote_port": context["remote_port"],
            "timestamp": timezone.now(),
            "additional_data": additional() if callable(additional) else None,
        }
        rows.append([field.get_db_prep_save(values[field.attname], connection) for field in fields])
    with connection.cursor() as cursor:
        if len(rows) == 1:
            cursor.execute(sql, rows[0])
        else:
            cursor.executemany(sql, rows)

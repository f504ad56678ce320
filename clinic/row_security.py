"""The location rule in the database as well (PostgreSQL row-level security, docs/locations.md).

In a chain, a request of a member of staff who is not chain-wide runs as the role
``clinic_staff_request`` with the ids of their locations in the setting ``clinic.location_ids``;
the policies of intake 0015 and treatments 0021 then show that role only those locations'
patients, so a query that forgets the app's filter finds nothing rather than another location's
patients. Everyone else (one clinic, chain-wide staff, Celery, migrations, management commands)
keeps the connecting user, who owns the tables and is not subject to the policies.

The role and the list are set for the connection's session and reset when the response is
done, not with SET LOCAL: requests are not atomic here (each statement commits on its own), so
a SET LOCAL would end with the first statement's transaction.
"""

from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from django.db import DEFAULT_DB_ALIAS, connections

from .locations import is_chain_wide

ROLE = "clinic_staff_request"

# Per database: whether its migrations made the policies and the connecting user may take the
# role (not where the user may not create roles; docs/locations.md).
_in_place: dict[tuple[str, str], bool] = {}


def restricted_location_ids(request) -> list[int] | None:
    """The locations whose patients the request may read in the database; None: every one
    (one clinic, no location chosen yet, or chain-wide staff)."""
    workplace = getattr(request, "workplace", None)
    if workplace is None or is_chain_wide(request.user):
        return None
    return [location.pk for location in workplace.choices]


@contextmanager
def location_row_security(
    location_ids: Iterable[int], using: str = DEFAULT_DB_ALIAS
) -> Iterator[None]:
    """Run the block as ``clinic_staff_request`` seeing ``location_ids``' patients.

    The statements go through the driver's own connection, as Django's setting of the
    connection's time zone does: they are the connection's state, not the page's queries, and
    a page's query count is the same on SQLite and PostgreSQL.
    """
    connection = connections[using]
    if connection.vendor != "postgresql" or not _policies_in_place(connection):
        yield
        return
    connection.ensure_connection()
    with connection.connection.cursor() as cursor:
        cursor.execute(
            "SELECT set_config('role', %s, false), set_config('clinic.location_ids', %s, false)",
            [ROLE, ",".join(str(int(pk)) for pk in location_ids)],
        )
    try:
        yield
    finally:
        _reset(connection)


def _reset(connection) -> None:
    if connection.connection is None:
        return  # closed during the request: the role went with the session
    try:
        with connection.connection.cursor() as cursor:
            cursor.execute("RESET ROLE; RESET clinic.location_ids")
    except connection.Database.Error:
        # A persistent connection must never carry one user's role into the next request.
        connection.close()


def _policies_in_place(connection) -> bool:
    key = (connection.alias, str(connection.settings_dict["NAME"]))
    if key not in _in_place:
        connection.ensure_connection()
        with connection.connection.cursor() as cursor:
            cursor.execute(
                "SELECT CASE WHEN EXISTS (SELECT 1 FROM pg_roles WHERE rolname = %s) "
                "THEN pg_has_role(current_user, %s, 'MEMBER') ELSE false END "
                "AND EXISTS (SELECT 1 FROM pg_policies "
                "WHERE tablename = 'intake_patient' AND policyname = 'location_seen')",
                [ROLE, ROLE],
            )
            (_in_place[key],) = cursor.fetchone()
    return _in_place[key]


class RowSecurityMiddleware:
    """After LocationMiddleware, which chose the request's location."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        location_ids = restricted_location_ids(request)
        if location_ids is None:
            return self.get_response(request)
        with location_row_security(location_ids):
            response = self.get_response(request)
        if response.streaming and not response.is_async:
            # A streamed body is read after the middleware has returned: read it as the role.
            response.streaming_content = _as_role(location_ids, response.streaming_content)
        return response


def _as_role(location_ids: list[int], chunks: Iterable[bytes]) -> Iterator[bytes]:
    with location_row_security(location_ids):
        yield from chunks

"""Read queries written with the ORM, turned into SQL once per database connection.

Building a queryset and compiling it to SQL costs Django far more than the database spends
running a small indexed query: 1 to 2 ms for a join with an ordering against 0.1 ms in
PostgreSQL. The queries a busy page runs on every request differ only in their values (a
patient's id), so ``Prepared`` builds the queryset once, with a stand-in value for each
parameter, keeps its SQL and its result converters, and afterwards only swaps the values in::

    latest_weight = Prepared(
        lambda patient: PatientMeasurement.objects.filter(patient_id=patient)
        .order_by("-recorded_at")
        .values("weight_kg", "recorded_at")[:1],
        patient=int,
    )
    latest_weight.first(patient=7)  # {"weight_kg": Decimal("70.0"), "recorded_at": ...} or None

The rows are what the queryset itself would give: dicts for ``values()``, tuples for
``values_list()``, single values for ``values_list(flat=True)``, with Django's converters
applied (dates on SQLite, decimals, JSON). Queries still go through the connection's cursor,
so execute wrappers and query-count assertions see them.

Parameters are ints or strings that the ORM passes to the database unchanged (ids, status
codes). A stand-in that does not reach the SQL as a parameter (folded into the text, or
changed on the way) raises ``ImproperlyConfigured`` when the statement is first made, rather
than running a query that ignores the value.

On PostgreSQL the statement is also prepared on the server, once per connection (``PREPARE``,
then ``EXECUTE``), so the database skips parsing and planning it too: for the chart's timeline
statement, planning took 1.6 ms of its 2.2. ``run_sql`` does the same for hand-written SQL.
"""

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.backends.signals import connection_created
from django.db.models import QuerySet
from django.db.models.query import FlatValuesListIterable, ValuesIterable, ValuesListIterable

# Stand-ins no real value takes: ids are positive, and these strings hold private-use
# characters. The ints fit a 32-bit column, so no lookup treats them as out of range.
_INT_STAND_IN = -1_000_000_000
_PARAMETER_TYPES = (int, str)


def _stand_in(kind: type, index: int, name: str):
    if kind is int:
        return _INT_STAND_IN - index
    return f"\ue000prepared:{name}\ue000"


@dataclass
class _Statement:
    connection: Any
    sql: str
    # For each parameter of the SQL: the name of a Prepared parameter, or None for a fixed
    # value (kept in ``params``).
    slots: tuple[str | None, ...]
    params: tuple
    converters: list
    compiler: Any
    shape: str  # "dict", "tuple" or "flat"
    names: tuple[str, ...]


class Prepared:
    """A read query built by ``build(**parameters)``, compiled once per connection."""

    def __init__(
        self,
        build: Callable[..., QuerySet],
        *,
        using: str = DEFAULT_DB_ALIAS,
        **parameters: type,
    ):
        for name, kind in parameters.items():
            if kind not in _PARAMETER_TYPES:
                raise TypeError(f"Prepared parameter {name!r}: int or str, not {kind!r}")
        self._build = build
        self._using = using
        self._parameters = parameters

    # --- Running ----------------------------------------------------------------------------

    def all(self, **values) -> list:
        """Every row, shaped as the queryset shapes them."""
        statement = self._statement()
        if values.keys() != self._parameters.keys():
            raise TypeError(
                f"Prepared query takes {sorted(self._parameters)}, got {sorted(values)}"
            )
        params = [
            statement.params[i] if name is None else values[name]
            for i, name in enumerate(statement.slots)
        ]
        rows = _run(statement.connection, statement.sql, params)
        if statement.converters:
            rows = statement.compiler.apply_converters(rows, statement.converters)
        if statement.shape == "dict":
            names = statement.names
            return [dict(zip(names, row, strict=True)) for row in rows]
        if statement.shape == "flat":
            return [row[0] for row in rows]
        return [tuple(row) for row in rows]

    def first(self, **values):
        """The first row, or None (the queryset should be sliced ``[:1]``)."""
        rows = self.all(**values)
        return rows[0] if rows else None

    # --- Compiling --------------------------------------------------------------------------

    def _statement(self) -> _Statement:
        # Kept on the connection object, which belongs to one thread: threads each compile
        # once, and never run a statement made for another thread's connection.
        connection = connections[self._using]
        statements = connection.__dict__.setdefault("_clinic_prepared_queries", {})
        statement = statements.get(self)
        if statement is None:
            statement = statements[self] = self._compile(connection)
        return statement

    def _compile(self, connection) -> _Statement:
        stand_ins = {
            name: _stand_in(kind, index, name)
            for index, (name, kind) in enumerate(self._parameters.items())
        }
        queryset = self._build(**stand_ins)
        shape = {
            ValuesIterable: "dict",
            ValuesListIterable: "tuple",
            FlatValuesListIterable: "flat",
        }.get(queryset._iterable_class)
        if shape is None:
            raise ImproperlyConfigured(
                "Prepared takes a values() or values_list() queryset (rows, not model instances)."
            )
        query = queryset.query
        compiler = query.get_compiler(connection=connection)
        sql, params = compiler.as_sql()
        slots = tuple(
            next(
                (
                    name
                    for name, stand_in in stand_ins.items()
                    if type(param) is type(stand_in) and param == stand_in
                ),
                None,
            )
            for param in params
        )
        missing = set(stand_ins) - set(slots)
        if missing:
            raise ImproperlyConfigured(
                f"Prepared parameters {sorted(missing)} do not reach the SQL as parameters."
            )
        fields = [selected[0] for selected in compiler.select[: compiler.col_count]]
        if query.selected:
            names = tuple(query.selected)
        else:
            names = (*query.extra_select, *query.values_select, *query.annotation_select)
        return _Statement(
            connection=connection,
            sql=sql,
            slots=slots,
            params=tuple(params),
            converters=compiler.get_converters(fields),
            compiler=compiler,
            shape=shape,
            names=names,
        )


class PreparedRecord:
    """``build(...).select_related(*related).first()`` as a prepared query: one model instance
    with the related ones it follows (foreign keys, ``"intake"``, ``"intake__patient"``), every
    concrete field loaded, or None::

        link = PreparedRecord(
            lambda pk: IntakeLink.objects.filter(pk=pk), related=("intake__patient",), pk=int
        )
        link.first(pk=3).intake.patient  # no further query

    A relation that is null leaves None in its place, as ``select_related`` does.
    """

    def __init__(self, build: Callable[..., QuerySet], *, related: tuple[str, ...] = (), **kw):
        self._paths: list[tuple[str, ...]] = []
        for path in related:  # "a__b" follows "a" too
            parts = tuple(path.split("__"))
            for depth in range(1, len(parts) + 1):
                if parts[:depth] not in self._paths:
                    self._paths.append(parts[:depth])
        self._query = Prepared(lambda **values: self._values(build(**values)), **kw)

    def _values(self, queryset: QuerySet) -> QuerySet:
        self._models = {(): queryset.model}
        names = [field.attname for field in queryset.model._meta.concrete_fields]
        for path in self._paths:
            model = self._models[path[:-1]]._meta.get_field(path[-1]).related_model
            self._models[path] = model
            prefix = "__".join(path) + "__"
            names += [prefix + field.attname for field in model._meta.concrete_fields]
        return queryset.values(*names)[:1]

    def first(self, **values):
        row = self._query.first(**values)
        if row is None:
            return None
        split: dict[tuple[str, ...], dict] = {path: {} for path in self._models}
        for name, value in row.items():
            *path, attname = name.split("__")
            split[tuple(path)][attname] = value
        instances = {(): loaded(self._models[()], split[()])}
        for path in self._paths:  # parents before children
            parent = instances[path[:-1]]
            model = self._models[path]
            child = None
            if parent is not None and split[path][model._meta.pk.attname] is not None:
                child = loaded(model, split[path])
            instances[path] = child
            if parent is not None:
                setattr(parent, path[-1], child)
        return instances[()]


def loaded(model, values: dict):
    """An instance of ``model`` as the ORM loads one with only these fields (the others load on
    access), from a row of ``values`` keyed by attribute name (``plan_id``, not ``plan``)."""
    fields = [field.attname for field in model._meta.concrete_fields if field.attname in values]
    return model.from_db(model.objects.db, fields, [values[name] for name in fields])


# --- Statements prepared on the server (PostgreSQL) --------------------------------------------

_PLACEHOLDER = re.compile(r"%%|%s|%\((\w+)\)s")


@cache
def _server_form(sql: str) -> tuple[str, str, tuple[str, ...]]:
    """(name, text for PREPARE, the named parameters in $n order) of a statement written for
    psycopg2 (``%s``, ``%(name)s``, ``%%`` for a percent sign)."""
    names: list[str] = []
    count = 0

    def number(match: re.Match) -> str:
        nonlocal count
        if match.group(0) == "%%":
            return "%"
        if match.group(1) is not None:  # %(name)s: one number per name
            if match.group(1) not in names:
                names.append(match.group(1))
            return f"${names.index(match.group(1)) + 1}"
        count += 1
        return f"${count}"

    if not re.match(r"[\s(]*SELECT\b", sql, re.IGNORECASE):
        # EXECUTE is taken as a read (clinic/shared_cache.py): only reads are prepared.
        raise ImproperlyConfigured("Only SELECT statements are prepared on the server.")
    text = _PLACEHOLDER.sub(number, sql)
    if names and count:
        raise ImproperlyConfigured("A statement takes %s or %(name)s placeholders, not both.")
    name = "clinic_" + hashlib.sha256(sql.encode()).hexdigest()[:16]
    return name, text, tuple(names)


def _prepared_on(connection) -> set[str]:
    return connection.__dict__.setdefault("_clinic_server_statements", set())


def _forget_server_statements(sender, connection, **kwargs) -> None:
    """A new database session has none of the statements the last one prepared."""
    _prepared_on(connection).clear()


connection_created.connect(_forget_server_statements, dispatch_uid="clinic.prepared")


def _run(connection, sql: str, params: list | dict) -> list:
    """The rows of ``sql``; on PostgreSQL through a statement prepared on the server.

    The PREPARE runs once per database session on the driver's own cursor, as Django runs the
    queries that set up a connection: query counts and execute wrappers see the EXECUTE only,
    the same one query a page runs each time."""
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql":
            cursor.execute(sql, params)
            return cursor.fetchall()
        name, text, names = _server_form(sql)
        prepared = _prepared_on(connection)
        if name not in prepared:
            with connection.connection.cursor() as raw:
                raw.execute(f"PREPARE {name} AS {text}")
            prepared.add(name)
        values = [params[key] for key in names] if names else list(params)
        placeholders = ", ".join(["%s"] * len(values))
        cursor.execute(f"EXECUTE {name} ({placeholders})" if values else f"EXECUTE {name}", values)
        return cursor.fetchall()


def run_sql(sql: str, params: dict, *, using: str = DEFAULT_DB_ALIAS) -> list:
    """The rows of a hand-written read statement (``%(name)s`` placeholders), prepared on the
    server once per connection on PostgreSQL."""
    return _run(connections[using], sql, params)

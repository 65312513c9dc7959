"""Small database helpers that keep the services portable between PostgreSQL (production,
tests) and SQLite (the embedded default), and :func:`fetch` / :func:`fetch_many`, the send
path's hot reads."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any, TypeVar

from django.db import IntegrityError, connections
from django.db.models import Model, Q, QuerySet, TextField
from django.db.models.functions import Cast

M = TypeVar("M", bound=Model)


def json_list_contains(model: type[Model], field: str, value: str) -> Q:
    """Rows whose JSON list ``field`` holds the string ``value`` (a public id).

    PostgreSQL uses jsonb containment (``@>``, indexable); SQLite, which has no
    containment lookup, matches the quoted value in the JSON text, which is exact for
    public ids (no quotes or escapes in them)."""
    if connections[model.objects.db].vendor == "postgresql":
        return Q(**{f"{field}__contains": [value]})
    return Q(pk__in=model.objects.alias(_text=Cast(field, TextField())).filter(_text__contains=f'"{value}"'))


def is_unique_violation(error: IntegrityError, model: type[Model], constraint: str) -> bool:
    """Whether ``error`` is a violation of the named unique constraint of ``model``.
    PostgreSQL names the constraint; SQLite names the columns instead."""
    message = str(error)
    if constraint in message:
        return True
    unique = next((c for c in model._meta.constraints if getattr(c, "name", None) == constraint), None)
    if unique is None or not message.startswith("UNIQUE constraint failed"):
        return False
    columns = [model._meta.get_field(name).column for name in unique.fields]
    return all(f"{model._meta.db_table}.{column}" in message for column in columns)


# Hot reads without the query compiler


@dataclass(frozen=True)
class _ReadPlan:
    select: str  # SELECT <every concrete column> FROM <table>
    columns: str  # <every concrete column>, qualified by the table
    names: tuple[str, ...]  # attnames, in column order (Model.from_db)
    converters: tuple[tuple[int, tuple[Callable[..., Any], ...], Any], ...]  # (index, converters, Col)


@cache
def _read_plan(model: type[Model], alias: str, attnames: frozenset[str] | None = None) -> _ReadPlan:
    """What reading ``model``'s concrete fields (those named by ``attnames``, else all)
    takes, in the model's field order."""
    connection = connections[alias]
    quote = connection.ops.quote_name
    table = model._meta.db_table
    fields = [f for f in model._meta.concrete_fields if attnames is None or f.attname in attnames]
    converters = []
    for index, field in enumerate(fields):
        column = field.get_col(table)
        found = tuple(connection.ops.get_db_converters(column)) + tuple(column.get_db_converters(connection))
        if found:
            converters.append((index, found, column))
    columns = ", ".join(f"{quote(table)}.{quote(field.column)}" for field in fields)
    return _ReadPlan(
        select=f"SELECT {columns} FROM {quote(table)}",
        columns=columns,
        names=tuple(field.attname for field in fields),
        converters=tuple(converters),
    )


@dataclass(frozen=True)
class Read:
    """A hand-written read of ``model``'s rows for :func:`fetch_many`: a SQL ``where``
    clause (``%s`` placeholders, column names of ``model``'s table) and its ``params``,
    followed by ``suffix`` (``ORDER BY``, ``LIMIT``, :func:`lock_clause`)."""

    model: type[Model]
    where: str
    params: Sequence[Any]
    suffix: str = ""


class OrmRead:
    """A :class:`Read` defined by the ORM: ``build(*args)`` returns a filtered, ordered
    queryset of one model's table (no joins, no ``only``), the same queryset the rest of the
    code uses for that predicate, so the predicate has one definition. Django compiles it
    once per process and database alias, with the stand-in arguments given here; a call
    puts its own arguments where the stand-ins landed, so a hot read pays no query
    compiler and can still go with others in one round trip (:func:`fetch_many`).

    ``build`` must compile to the same SQL whatever its arguments (each a plain value used
    once: no lists, no ``None``); the stand-ins must be distinct from the queryset's
    constants. Checked when compiling."""

    def __init__(self, build: Callable[..., QuerySet], *stand_ins: Any) -> None:
        self.build = build
        self.stand_ins = stand_ins
        self._compiled: dict[str, tuple[type[Model], str, tuple[tuple[int | None, Any], ...]]] = {}

    def __call__(self, *args: Any, suffix: str = "", using: str = "default") -> Read:
        compiled = self._compiled.get(using)
        if compiled is None:
            compiled = self._compiled[using] = self._compile(using)
        model, where, slots = compiled
        params = [constant if slot is None else args[slot] for slot, constant in slots]
        return Read(model, where, params, suffix)

    def _compile(self, using: str) -> tuple[type[Model], str, tuple[tuple[int | None, Any], ...]]:
        queryset = self.build(*self.stand_ins)
        sql, params = queryset.query.get_compiler(using).as_sql()
        head = f"{_read_plan(queryset.model, using).select} WHERE "
        if not sql.startswith(head):
            raise ValueError(f"{self.build.__qualname__}: not a plain read of one table: {sql}")
        slots: list[tuple[int | None, Any]] = []
        for param in params:
            # str(): SQLite's backend passes dates as their ISO text.
            found = [i for i, stand_in in enumerate(self.stand_ins) if param in (stand_in, str(stand_in))]
            slots.append((found[0], None) if found else (None, param))
        if sorted(slot for slot, _ in slots if slot is not None) != list(range(len(self.stand_ins))):
            raise ValueError(f"{self.build.__qualname__}: each argument must appear once in {sql}")
        return queryset.model, sql[len(head) :], tuple(slots)


def fetch(
    model: type[M], where: str, params: Sequence[Any], *, suffix: str = "", using: str = "default"
) -> list[M]:
    """Instances of ``model`` whose rows match a hand-written SQL ``where`` clause
    (``%s`` placeholders, column names of ``model``'s table), followed by ``suffix``
    (``ORDER BY``, ``LIMIT``, :func:`lock_clause`).

    For the few reads on the send path that run on every message: the same instances the
    ORM would build (every concrete field, Django's value converters applied), about five
    times cheaper in CPU because no query is compiled. Everything else uses the ORM."""
    return fetch_many([Read(model, where, params, suffix)], using=using)[0]


def fetch_many(reads: Sequence[Read], *, using: str = "default") -> list[list[Any]]:
    """:func:`fetch` for each of ``reads``, in order, in one round trip to PostgreSQL (the
    statements go together, separated by semicolons, and run one after another in the
    current transaction: a lock taken by one holds for those after it). Elsewhere, one
    statement each. Returns one list of instances per read."""
    connection = connections[using]
    plans = [_read_plan(read.model, using) for read in reads]
    statements = [
        f"{plan.select} WHERE {read.where} {read.suffix}" for plan, read in zip(plans, reads, strict=True)
    ]
    results: list[list[Any]] = []
    with _kept_cursor(connection) as cursor:
        if connection.vendor == "postgresql":
            # Client-side binding (Django's default cursor) merges the parameters into the
            # text, which PostgreSQL's simple protocol runs statement by statement.
            pairs = [(statement, read.params) for statement, read in zip(statements, reads, strict=True)]
            _execute(connection, cursor, pairs)
            for index in range(len(reads)):
                if index:
                    cursor.nextset()
                results.append(cursor.fetchall())
        else:
            for statement, read in zip(statements, reads, strict=True):
                cursor.execute(statement, read.params)
                results.append(cursor.fetchall())
    return [
        [_instance(read.model, plan, row, using) for row in rows]
        for read, plan, rows in zip(reads, plans, results, strict=True)
    ]


def rows(sql: str, params: Sequence[Any], *, using: str = "default") -> list[tuple[Any, ...]]:
    """The rows one hand-written statement (``%s`` placeholders) returns, run as the hot
    reads are, on the kept cursor. For a statement on a hot path that :func:`fetch` cannot
    express (the dispatcher's reservation, an ``UPDATE … RETURNING``)."""
    connection = connections[using]
    with _kept_cursor(connection) as cursor:
        _execute(connection, cursor, [(sql, params)])
        return cursor.fetchall()


def from_rows(
    model: type[M],
    rows: Sequence[Sequence[Any]],
    *,
    attnames: frozenset[str] | None = None,
    using: str = "default",
) -> list[M]:
    """Instances of ``model`` from rows a hand-written statement returned: one column per
    concrete field (only those named by ``attnames``, if given), in the model's field
    order, converted as the ORM converts them."""
    plan = _read_plan(model, using, attnames)
    return [_instance(model, plan, row, using) for row in rows]


def fetch_with_related(
    model: type[M], field: str, where: str, params: Sequence[Any], *, using: str = "default"
) -> list[M]:
    """:func:`fetch` with the row its foreign key ``field`` points to, in the same query
    (an inner join, like ``select_related(field)`` of a non-null key); ``where`` may only
    name ``model``'s table, qualified."""
    related = model._meta.get_field(field)
    target = related.related_model
    plan, target_plan = _read_plan(model, using), _read_plan(target, using)
    quote = connections[using].ops.quote_name
    table, target_table = quote(model._meta.db_table), quote(target._meta.db_table)
    sql = (
        f"SELECT {plan.columns}, {target_plan.columns} FROM {table} INNER JOIN {target_table} "
        f"ON {table}.{quote(related.column)} = {target_table}.{quote(target._meta.pk.column)} WHERE {where}"
    )
    connection = connections[using]
    with _kept_cursor(connection) as cursor:
        _execute(connection, cursor, [(sql, params)])
        rows = cursor.fetchall()
    width = len(plan.names)
    instances = []
    for row in rows:
        instance = _instance(model, plan, row[:width], using)
        setattr(instance, field, _instance(target, target_plan, row[width:], using))
        instances.append(instance)
    return instances


def _instance(model: type[M], plan: _ReadPlan, row: Sequence[Any], using: str) -> M:
    if plan.converters:
        connection = connections[using]
        row = list(row)
        for index, converters, column in plan.converters:
            value = row[index]
            for convert in converters:
                value = convert(value, column, connection)
            row[index] = value
    return model.from_db(using, plan.names, row)


@contextmanager
def _kept_cursor(connection: Any) -> Iterator[Any]:
    """Django's cursor wrapper (errors, query logging) around one driver cursor kept per
    database connection, for the hot reads and the insert. A new psycopg cursor starts
    with empty caches of the adapters for each parameter type and result column (the
    dumpers and loaders it looks up on every statement); a kept one looks them up once.
    Anything but PostgreSQL gets a new cursor each time."""
    if connection.vendor != "postgresql":
        with connection.cursor() as cursor:
            yield cursor
        return
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    kept = connection.__dict__.get("_peachcomms_cursor")
    if kept is None or kept[0] is not connection.connection or kept[1].closed:
        with connection.wrap_database_errors:
            kept = (connection.connection, connection.create_cursor())
        connection.__dict__["_peachcomms_cursor"] = kept
    yield connection._prepare_cursor(kept[1])


def _execute(connection: Any, cursor: Any, statements: Sequence[tuple[str, Sequence[Any]]]) -> None:
    """Run ``statements`` (SQL with ``%s`` placeholders, parameters) in one round trip
    (several statements only on PostgreSQL, where Django's client-side binding merges the
    parameters into the text and the simple protocol runs them one after another)."""
    params = [param for _, statement_params in statements for param in statement_params]
    cursor.execute("; ".join(sql for sql, _ in statements), params)


def lock_clause(*, no_key: bool = False, using: str = "default") -> str:
    """``FOR UPDATE`` (``FOR NO KEY UPDATE`` when ``no_key``) where the database has row
    locks (PostgreSQL); nothing on SQLite, which locks the whole database on write."""
    if connections[using].vendor != "postgresql":
        return ""
    return "FOR NO KEY UPDATE" if no_key else "FOR UPDATE"


@cache
def _insert_fields(model: type[Model]) -> tuple[Any, ...]:
    return tuple(model._meta.concrete_fields)


@lru_cache(maxsize=256)
def _insert_sql(model: type[Model], alias: str, nulls: tuple[bool, ...]) -> str:
    """The INSERT of every concrete column, with ``NULL`` written in for the columns
    ``nulls`` marks: one statement per pattern of missing values (a handful per model in
    practice). Fewer parameters keep psycopg's parsed form of the statement cached (it
    caches statements of at most 50 parameters; an interaction has 51 columns)."""
    quote = connections[alias].ops.quote_name
    fields = _insert_fields(model)
    columns = ", ".join(quote(field.column) for field in fields)
    values = ", ".join("NULL" if null else "%s" for null in nulls)
    return f"INSERT INTO {quote(model._meta.db_table)} ({columns}) VALUES ({values})"


def insert(instance: Model, *, using: str = "default", unless_conflict: str | None = None) -> bool:
    """INSERT ``instance`` (a model with a client-side primary key, such as a public id)
    as ``save(force_insert=True)`` would, without compiling the statement: each field's
    ``pre_save`` (``auto_now`` stamps) and ``get_db_prep_save``, in one cached statement.
    No signals are sent (the project uses none). Errors are Django's
    (``IntegrityError`` …), as from the ORM. Returns whether the row was written.

    ``unless_conflict``: the target of a unique index, ``(<columns>) WHERE <predicate>``
    for a partial one. A row that would break that index is not written, without an
    error (``ON CONFLICT … DO NOTHING``, PostgreSQL and SQLite), so the transaction goes
    on without a savepoint; any other violation still raises."""
    connection = connections[using]
    values = [
        field.get_db_prep_save(field.pre_save(instance, True), connection)
        for field in _insert_fields(type(instance))
    ]
    sql = _insert_sql(type(instance), using, tuple(value is None for value in values))
    if unless_conflict:
        sql = f"{sql} ON CONFLICT {unless_conflict} DO NOTHING"
    with _kept_cursor(connection) as cursor:
        _execute(connection, cursor, [(sql, [value for value in values if value is not None])])
        written = cursor.rowcount != 0
    if written:
        instance._state.adding = False
        instance._state.db = using
    return written


def set_toast_compression(schema_editor: Any, table: str, columns: Sequence[str], method: str) -> None:
    """For migrations: store ``columns`` of ``table`` compressed with ``method`` (``lz4``
    or ``pglz``) from now on, where the database can (PostgreSQL built with lz4; nothing
    elsewhere). lz4 compresses several times faster than PostgreSQL's default pglz."""
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT 'lz4' = ANY(enumvals) FROM pg_settings WHERE name = 'default_toast_compression'"
        )
        row = cursor.fetchone()
    if not (row and row[0]):
        return
    quote = connection.ops.quote_name
    for column in columns:
        schema_editor.execute(
            f"ALTER TABLE {quote(table)} ALTER COLUMN {quote(column)} SET COMPRESSION {method}"
        )

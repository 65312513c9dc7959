"""The reservation: one statement claims a batch of due rows for one dispatch task.

A dispatch task for interaction X reserves X and up to ``limit - 1`` other due,
``scheduled``, already enqueued outbound rows, oldest ``send_at`` first: ``status =
inProgress`` with the batch's ``dispatch_token``, ``dispatch_started_at`` left NULL (the
provider is certainly not called yet). On PostgreSQL the rows are picked with ``FOR NO
KEY UPDATE SKIP LOCKED``, so concurrent tasks take disjoint batches without waiting on
each other; a task whose row another batch took costs this one statement (and still
takes any other due work). Elsewhere (SQLite, the embedded mode) the candidates are read,
then claimed by a conditional UPDATE under the database's single-writer lock.
"""

from __future__ import annotations

import functools
import uuid
from datetime import datetime

from django.db import connection, transaction
from django.db.models import Field

from interactions.dispatch.common import DISPATCH_FIELDS, Status
from interactions.models import Interaction
from peachcomms.db import from_rows, rows


def reserve(interaction_id: str, limit: int, token: uuid.UUID, now: datetime) -> list[Interaction]:
    """Reserve ``interaction_id`` (when due) and up to ``limit - 1`` other due enqueued
    rows for ``token``; returns them (``DISPATCH_FIELDS``), ``interaction_id`` first, then
    by ``send_at``. Exclusive: a row is reserved by one token at a time."""
    if connection.vendor == "postgresql":
        rows = _reserve_skip_locked(interaction_id, limit, token, now)
    else:
        ids = _reserve_portable(interaction_id, limit, token, now)
        rows = list(Interaction.objects.filter(pk__in=ids, dispatch_token=token).only(*DISPATCH_FIELDS))
    rows.sort(key=lambda row: (row.pk != interaction_id, row.send_at, row.pk))
    return rows


def _reserve_skip_locked(
    interaction_id: str, limit: int, token: uuid.UUID, now: datetime
) -> list[Interaction]:
    sql = _reserve_sql(max(limit - 1, 0))
    # In the order of the placeholders: the task's row and the due time (its own pick),
    # the due time and the task's row (the others), the token and the update time.
    found = rows(sql, [interaction_id, now, now, interaction_id, token, now], using=connection.alias)
    return from_rows(Interaction, found, attnames=_returned_attnames(), using=connection.alias)


@functools.cache
def _returned_attnames() -> frozenset[str]:
    return frozenset(Interaction._meta.get_field(name).attname for name in DISPATCH_FIELDS)


def _returned_fields() -> list[Field]:
    """The columns the reservation returns, in the order :func:`peachcomms.db.from_rows` reads them."""
    wanted = _returned_attnames()
    return [field for field in Interaction._meta.concrete_fields if field.attname in wanted]


@functools.cache
def _reserve_sql(others: int) -> str:
    """The reservation (``%s`` placeholders, see :func:`_reserve_skip_locked`), run by
    :func:`peachcomms.db.rows`. ``others`` is part of the text: the plan depends on the
    limit."""
    quote = connection.ops.quote_name

    def column(name: str) -> str:
        return quote(Interaction._meta.get_field(name).column)

    table = quote(Interaction._meta.db_table)
    pk, status, send_at = column("id"), column("status"), column("send_at")
    # Literals, not parameters: the planner matches them to the partial index
    # ``interaction_dispatch_due`` (status = 'scheduled' AND direction = 'outbound').
    due = (
        f"{status} = '{Status.SCHEDULED}' AND {column('direction')} = '{Interaction.Direction.OUTBOUND}' "
        f"AND {send_at} <= %s AND {column('deleted_at')} IS NULL"
    )
    returned = ", ".join(f"claimed.{quote(field.column)}" for field in _returned_fields())
    # The task's own row is found by its key; its due condition is wrapped in COALESCE so
    # the planner cannot match it to the partial index and scan the whole backlog for one
    # row (with stale statistics it may), and a row that is not due is not locked. The
    # others are the oldest unlocked rows of that index. Each pick is materialised once;
    # its rows stay locked until the UPDATE commits.
    return f"""
        WITH own AS MATERIALIZED (
            SELECT {pk} FROM {table} WHERE {pk} = %s AND COALESCE({due}, FALSE)
            FOR NO KEY UPDATE SKIP LOCKED
        ), others AS MATERIALIZED (
            SELECT {pk} FROM {table}
            WHERE {due} AND {column("enqueued_at")} IS NOT NULL AND {pk} <> %s
            ORDER BY {send_at}
            LIMIT {int(others)}
            FOR NO KEY UPDATE SKIP LOCKED
        )
        UPDATE {table} AS claimed SET {status} = '{Status.IN_PROGRESS}', {column("dispatch_token")} = %s,
            {column("dispatch_started_at")} = NULL, {column("updated_at")} = %s
        FROM (SELECT {pk} FROM own UNION ALL SELECT {pk} FROM others) AS picked
        WHERE claimed.{pk} = picked.{pk}
        RETURNING {returned}
    """


def _reserve_portable(interaction_id: str, limit: int, token: uuid.UUID, now: datetime) -> list[str]:
    due = Interaction.objects.filter(
        status=Status.SCHEDULED,
        direction=Interaction.Direction.OUTBOUND,
        send_at__lte=now,
        deleted_at__isnull=True,
    )
    with transaction.atomic():
        others = (
            due.filter(enqueued_at__isnull=False)
            .exclude(pk=interaction_id)
            .order_by("send_at")
            .values_list("pk", flat=True)
        )
        candidates = [interaction_id, *others[: max(limit - 1, 0)]]
        due.filter(pk__in=candidates).update(
            status=Status.IN_PROGRESS, dispatch_token=token, dispatch_started_at=None, updated_at=now
        )
        return list(
            Interaction.objects.filter(pk__in=candidates, dispatch_token=token).values_list("pk", flat=True)
        )

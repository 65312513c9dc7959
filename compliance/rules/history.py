"""The history reads of the frequency and postConversation rules, hand-written for
PostgreSQL (run by :func:`peachcomms.db.rows`).

A debt-collection message pays these on every evaluation, at the send and again at the
dispatcher's re-check. The ORM builds the same statements (``counted_send_times`` in
:mod:`compliance.rules.frequency`, ``conversation_times`` in
:mod:`compliance.rules.post_conversation`, which SQLite, the embedded default, still uses)
at about 1 ms of CPU each, several times what running the text costs. The two are kept
equal by ``tests/compliance/test_history_sql.py``, which runs both over random histories.

What varies per message is passed as parameters (lists as arrays, ``= ANY``), so each
rule has only a few texts. The exceptions:

- the catalogue lists (debt-collection themes, status details that count) are the same for
  every message of a process: they are written into the text as array literals (quoted by
  psycopg), which saves dumping some twenty strings twice per read; a value that is not a
  plain identifier goes as a parameter instead (the helpers' SQL must hold no ``%``);
- the frequency read scans each channel on its own, so a text per number of channels
  (one, or two for a combined row): see :func:`counted_send_times`;
- the debt (:meth:`GuardContext.debt_q`) is a second text: about one of the request's
  loans, or about no particular loan; ``loan_ids ?| <ids>`` is the ORM's ``loan_ids @>
  '["<id>"]'`` for each id (``loan_ids`` is a JSON list of public ids);
- the interaction being re-checked is excluded by id, ``''`` when there is none (no
  interaction has an empty id).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING

from django.db import connections
from psycopg import sql

from interactions import catalogue
from interactions.models import Interaction
from peachcomms.db import rows

if TYPE_CHECKING:
    from compliance.rules.base import GuardContext

TABLE = Interaction._meta.db_table
#: Statuses of interactions without status details that never count for frequency.
NOT_SENT = (Interaction.Status.FAILED.value, Interaction.Status.CANCELED.value)
DEBT = "(loan_id = ANY(%s) OR (loan_id IS NULL AND loan_ids = '[]'::jsonb) OR loan_ids ?| %s)"
IDENTIFIER = re.compile(r"[A-Za-z0-9_]+")


def _any(column: str, values: Sequence[str]) -> tuple[str, list[object]]:
    """``column = ANY(<values>)``: the array written into the text when every value is an
    identifier (catalogue names), else passed as a parameter."""
    literal = _array_literal(tuple(values))
    if literal is None:
        return f"{column} = ANY(%s)", [list(values)]
    return f"{column} = ANY({literal})", []


@lru_cache(maxsize=64)
def _array_literal(values: tuple[str, ...]) -> str | None:
    if all(IDENTIFIER.fullmatch(value) for value in values):
        return sql.Literal(list(values)).as_string()
    return None


def hand_written() -> bool:
    """Whether the hand-written reads serve this decision: on PostgreSQL."""
    return connections[Interaction.objects.db].vendor == "postgresql"


def _debt(ctx: GuardContext) -> tuple[str, list[object]]:
    loan_ids = list(ctx.request.loan_ids)
    return (f" AND {DEBT}", [loan_ids, loan_ids]) if loan_ids else ("", [])


def counted_send_times(
    ctx: GuardContext, channels: list[str], at: datetime, window: timedelta, limit: int
) -> list[datetime]:
    """As :func:`compliance.rules.frequency.counted_send_times`: ``send_at`` of the counted
    interactions nearest to ``at``, the newest ``limit`` in (at - window, at] and the
    earliest ``limit`` in (at, at + window), ascending.

    Each side reads, per channel, an ordered range of the partial index
    ``interaction_frequency`` (borrower, channel, send_at) that stops after ``limit`` rows,
    and keeps the nearest ``limit`` of those: at most ``limit`` rows per channel and side,
    however long the history (compliance.md, "Cost"). Several channels in one condition
    (``channel = ANY``, or ``IN``) make PostgreSQL read the whole window instead."""
    if not channels:
        return []  # as the ORM's ``channel__in=[]``: nothing
    debt, debt_params = _debt(ctx)
    themes, themes_params = _any("theme", ctx.debt_collection_themes)
    counted, counted_params = _any("status_details", sorted(catalogue.status_details_counted()))
    not_sent = ", ".join(f"'{status}'" for status in NOT_SENT)
    where = (
        f"borrower_id = %s AND direction = 'outbound' AND channel = %s AND {themes}"
        " AND deleted_at IS NULL AND id <> %s"
        f" AND ({counted} OR (status_details IS NULL AND status NOT IN ({not_sent})))"
        f"{debt}"
    )

    def side(bounds: str, order: str, low: datetime, high: datetime) -> tuple[str, list[object]]:
        scan = f"(SELECT send_at FROM {TABLE} WHERE {where} AND {bounds} ORDER BY send_at {order} LIMIT %s)"
        params: list[object] = []
        for channel in channels:
            params += [
                ctx.borrower.pk,
                channel,
                *themes_params,
                ctx.request.exclude_interaction_id or "",
                *counted_params,
                *debt_params,
                low,
                high,
                limit,
            ]
        scans = " UNION ALL ".join([scan] * len(channels))
        return f"(SELECT send_at FROM ({scans}) AS near ORDER BY send_at {order} LIMIT %s)", [*params, limit]

    before, before_params = side("send_at > %s AND send_at <= %s", "DESC", at - window, at)
    after, after_params = side("send_at > %s AND send_at < %s", "ASC", at, at + window)
    found = rows(f"{before} UNION ALL {after}", [*before_params, *after_params])
    return sorted(send_at for (send_at,) in found)


def conversation_times(
    ctx: GuardContext, channels: list[str], details: list[str], since: datetime, at: datetime
) -> list[datetime]:
    """As :func:`compliance.rules.post_conversation.conversation_times`: when the
    conversations in (since, at] happened (outbound: ``send_at``; inbound: ``started_at``,
    else ``created_at``), on ``channels`` (all when empty)."""
    debt, debt_params = _debt(ctx)
    on_channels = " AND channel = ANY(%s)" if channels else ""
    where = (
        "borrower_id = %s AND deleted_at IS NULL AND id <> %s"
        " AND (status_details = ANY(%s) OR agent_outcome = ANY(%s))"
        f"{on_channels}{debt}"
    )
    common = [
        ctx.borrower.pk,
        ctx.request.exclude_interaction_id or "",
        details,
        details,
        *([channels] if channels else []),
        *debt_params,
    ]
    statement = (
        f"SELECT send_at FROM {TABLE} WHERE {where} AND direction = 'outbound'"
        " AND send_at > %s AND send_at <= %s"
        f" UNION ALL SELECT started_at FROM {TABLE} WHERE {where} AND direction = 'inbound'"
        " AND started_at > %s AND started_at <= %s"
        f" UNION ALL SELECT created_at FROM {TABLE} WHERE {where} AND direction = 'inbound'"
        " AND started_at IS NULL AND created_at > %s AND created_at <= %s"
    )
    params = [*common, since, at, *common, since, at, *common, since, at]
    return [spoke_at for (spoke_at,) in rows(statement, params)]

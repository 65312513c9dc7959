"""Writing what happened to claimed rows: every write is fenced by the claim's token and
the row still being ``inProgress``, so an outcome never overwrites a later state, and a
batch's outcomes go out in one UPDATE."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connection, transaction
from django.db.models import Case, F, Value, When
from django.utils import timezone

from interactions import catalogue
from interactions.dispatch.common import DISPLAYED_ON_CREATION, Status
from interactions.models import Interaction
from providers.base import ProviderError, SendResult

logger = logging.getLogger("interactions.dispatch")

#: Column → value for one row (a missing column is left as it is).
Columns = dict[str, Any]


@dataclass(frozen=True)
class JsonKeys:
    """A JSON object column's new value: ``whole``, which differs from the stored object
    only by ``keys`` (PostgreSQL merges ``keys`` in the database, so a large content is not
    sent back)."""

    whole: dict[str, Any]
    keys: dict[str, Any]


@dataclass(frozen=True)
class Claim:
    """A claimed row: its id and the token that owns it."""

    pk: str
    token: uuid.UUID


def write_claimed(
    writes: Mapping[Claim, Columns], *, unstarted: bool = False, now: datetime | None = None
) -> set[str]:
    """Write ``writes`` to the rows still claimed by their token (``inProgress``; with
    ``unstarted``, also not yet started), in one UPDATE; returns the ids written."""
    if not writes:
        return set()
    now = now or timezone.now()
    if connection.vendor == "postgresql":
        return _write_values(writes, unstarted=unstarted, now=now)
    token_of = {claim.pk: claim.token for claim in writes}
    columns_of = {claim.pk: columns for claim, columns in writes.items()}
    with transaction.atomic():  # lock first, so the ids returned are exactly the rows changed
        locked = Interaction.objects.select_for_update().filter(
            pk__in=list(token_of), status=Status.IN_PROGRESS
        )
        if unstarted:
            locked = locked.filter(dispatch_started_at__isnull=True)
        ours = sorted(pk for pk, token in locked.values_list("pk", "dispatch_token") if token == token_of[pk])
        if ours:
            wanted = {
                pk: {
                    name: value.whole if isinstance(value, JsonKeys) else value
                    for name, value in columns_of[pk].items()
                }
                for pk in ours
            }
            Interaction.objects.filter(pk__in=ours).update(updated_at=now, **_per_row(wanted))
    return set(ours)


def _write_values(writes: Mapping[Claim, Columns], *, unstarted: bool, now: datetime) -> set[str]:
    """PostgreSQL: ``UPDATE … FROM (VALUES …) … RETURNING id``, one statement. A column
    only some rows set carries a flag per row (the others keep their value)."""
    quote = connection.ops.quote_name
    names = list(dict.fromkeys(name for columns in writes.values() for name in columns))
    fields = [Interaction._meta.get_field(name) for name in names]
    everywhere = [all(name in columns for columns in writes.values()) for name in names]
    pk_field = Interaction._meta.pk
    token_field = Interaction._meta.get_field("dispatch_token")
    casts = [f"%s::{pk_field.db_type(connection)}", f"%s::{token_field.db_type(connection)}"]
    aliases = ["id", "token"]
    assignments = []
    for n, (field, always) in enumerate(zip(fields, everywhere, strict=True)):
        column = quote(field.column)
        casts.append(f"%s::{field.db_type(connection)}")
        aliases.append(f"c{n}")
        value = f"v.c{n}"
        if field.get_internal_type() == "JSONField":  # JsonKeys: merged into the stored object
            value = (
                f"CASE WHEN v.m{n} THEN COALESCE(claimed.{column}, '{{}}'::jsonb) || v.c{n} ELSE v.c{n} END"
            )
            casts.append("%s::boolean")
            aliases.append(f"m{n}")
        if not always:
            casts.append("%s::boolean")
            aliases.append(f"s{n}")
            value = f"CASE WHEN v.s{n} THEN {value} ELSE claimed.{column} END"
        assignments.append(f"{column} = {value}")
    assignments.append(f"{quote('updated_at')} = %s")
    params: list[Any] = []
    for claim, columns in writes.items():
        params += [claim.pk, claim.token]
        for name, field, always in zip(names, fields, everywhere, strict=True):
            value = columns.get(name)
            merge = isinstance(value, JsonKeys)
            params.append(field.get_db_prep_value(value.keys if merge else value, connection))
            if field.get_internal_type() == "JSONField":
                params.append(merge)
            if not always:
                params.append(name in columns)
    row_sql = f"({', '.join(casts)})"
    status, started = quote("status"), quote("dispatch_started_at")
    sql = (
        f"UPDATE {quote(Interaction._meta.db_table)} AS claimed SET {', '.join(assignments)} "
        f"FROM (VALUES {', '.join([row_sql] * len(writes))}) AS v({', '.join(aliases)}) "
        f"WHERE claimed.{quote(pk_field.column)} = v.id AND claimed.{quote(token_field.column)} = v.token "
        f"AND claimed.{status} = %s" + (f" AND claimed.{started} IS NULL" if unstarted else "") + " "
        f"RETURNING claimed.{quote(pk_field.column)}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [now, *params, Status.IN_PROGRESS])
        return {pk for (pk,) in cursor.fetchall()}


def _per_row(columns_of: dict[str, Columns]) -> dict[str, Any]:
    """UPDATE assignments for rows that each want their own values: a plain value when
    every row wants the same one, else a CASE on the id (rows without the column keep it)."""
    names = dict.fromkeys(name for columns in columns_of.values() for name in columns)
    assignments: dict[str, Any] = {}
    for name in names:
        wanted = {pk: columns[name] for pk, columns in columns_of.items() if name in columns}
        values = list(wanted.values())
        if len(wanted) == len(columns_of) and all(value == values[0] for value in values):
            assignments[name] = values[0]
            continue
        field = Interaction._meta.get_field(name)
        assignments[name] = Case(
            *(When(pk=pk, then=Value(value, output_field=field)) for pk, value in wanted.items()),
            default=F(name),
            output_field=field,
        )
    return assignments


def finish_columns(
    status: str,
    details: str | None = None,
    *,
    short: str | None = None,
    long: str | None = None,
    error: BaseException | None = None,
    now: datetime,
) -> Columns:
    """A final outcome: the status (and details), both failure descriptions when given,
    the error as ``last_error``; releases the claim."""
    columns: Columns = {
        "status": status,
        "status_updated_at": now,
        "status_details": details,
        "status_details_updated_at": now if details else None,
        "dispatch_token": None,
    }
    if short is not None:
        columns["failure_description_short"] = short[:200]
        columns["failure_description_long"] = long
    if error is not None:
        columns["last_error"] = error_text(error)
    return columns


def release_columns(
    *,
    send_at: datetime | None,
    error: BaseException | str,
    now: datetime,
    started: bool = True,
    requeue: bool = True,
) -> Columns:
    """Back to the queue (``scheduled``), for a message the provider certainly does not
    have. ``status_updated_at`` moves only for a started claim (a reservation never moved
    it). With ``requeue`` the beat publishes it again on its next tick (``enqueued_at``
    cleared); without, only once its task counts as lost (DISPATCH_REENQUEUE_AFTER)."""
    columns: Columns = {
        "status": Status.SCHEDULED,
        "dispatch_token": None,
        "last_error": error if isinstance(error, str) else error_text(error),
    }
    if requeue:
        columns["enqueued_at"] = None
    if started:
        columns["status_updated_at"] = now
    if send_at is not None:
        columns["send_at"] = send_at
    return columns


def sent_columns(channel: str, content: Any, result: SendResult, *, now: datetime) -> Columns:
    """The provider took the message: its status, message id and provider."""
    status, details = sent_status(channel, result)
    columns = finish_columns(status, details, now=now)
    columns["provider_message_id"] = result.provider_message_id or None
    keys = {"providerMessageId": result.provider_message_id or None}
    columns["content"] = JsonKeys({**(content or {}), **keys}, keys)
    if result.provider:
        columns["provider"] = result.provider
    return columns


def sent_status(channel: str, result: SendResult) -> tuple[str, str | None]:
    """Status and status details once the provider took the message: ``<channel>Sent``
    (attempted), or ``<channel>Delivered`` (succeeded) when it reports delivery, as far as
    the catalogue has such values for the channel; portal channels are displayed at once."""
    if channel in DISPLAYED_ON_CREATION:
        details: str | None = DISPLAYED_ON_CREATION[channel]
    else:
        candidates = ([f"{channel}Delivered"] if result.state == "delivered" else []) + [f"{channel}Sent"]
        details = next(
            (value for value in candidates if catalogue.status_details_fits(value, channel, "outbound")),
            None,
        )
    status = (catalogue.status_details_implies(details) if details else None) or Status.ATTEMPTED
    return status, details


def keep_message_ids(fenced: Mapping[str, Columns], now: datetime) -> None:
    """Outcomes not written (a recovery or an operator settled the row meanwhile): only a
    missing provider message id is filled in, so that delivery events can still find the
    row."""
    for pk, columns in fenced.items():
        logger.warning(
            "Dispatch of %s: the claim was settled elsewhere; outcome %s not written.",
            pk,
            columns.get("status"),
        )
        if columns.get("provider_message_id"):
            Interaction.objects.filter(pk=pk, provider_message_id__isnull=True).update(
                provider_message_id=columns["provider_message_id"], updated_at=now
            )


def describe(provider_name: str, error: ProviderError | BaseException) -> str:
    code = getattr(error, "code", None)
    return f"{provider_name}: {error}" + (f" (code {code})" if code else "") + "."


def error_text(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"

"""Sending a batch: reserve, re-check Compliance Guard (:mod:`.recheck`), mark started,
call the provider outside any transaction, record the outcomes (:mod:`.outcomes`)
(docs/adr/0005-dispatch-exactly-once.md)."""

from __future__ import annotations

import logging
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db.models import F
from django.utils import timezone

from interactions.dispatch.claim import reserve
from interactions.dispatch.common import Outcome, Status, dispatch_batch_size
from interactions.dispatch.message import UnsendableError, outgoing_message
from interactions.dispatch.outcomes import answer_columns, unsendable_columns
from interactions.dispatch.recheck import compliance_recheck, refusal_columns
from interactions.dispatch.writes import Claim, Columns, keep_message_ids, release_columns, write_claimed
from interactions.models import Interaction
from providers.base import OutgoingMessage, Provider, ProviderConfigurationError, ProviderError, SendResult
from providers.registry import provider_for

logger = logging.getLogger("interactions.dispatch")

BATCH_STOPPED = "Released: the batch stopped before this message was handed to the provider."


def interaction_dispatch(interaction_id: str) -> str:
    """Send one due interaction through its channel's provider, at most once: the batch
    of :func:`interactions_dispatch_batch` with that one row. Returns its
    :class:`Outcome`. Safe to call any number of times, concurrently."""
    return interactions_dispatch_batch(interaction_id, limit=1)[interaction_id]


def interactions_dispatch_batch(interaction_id: str, *, limit: int | None = None) -> dict[str, str]:
    """Send ``interaction_id`` and up to ``limit - 1`` (``DISPATCH_BATCH``) other due
    enqueued rows, each at most once. Returns the :class:`Outcome` of each row it
    reserved, and always one for ``interaction_id`` (``skipped`` when it was not due, or
    another batch has it).

    1. Reserve the batch in one statement (:func:`~interactions.dispatch.claim.reserve`):
       ``inProgress`` with a fresh token, not started.
    2. Rows the send service compliance-checked: run Compliance Guard again, for the
       whole batch at once (the borrowers' facts read in three queries per company). A
       temporary refusal puts the row back ``scheduled`` at the guard's ``send_at``; a
       lasting one ends it ``failed`` with ``blockedByComplianceGuard``.
    3. Build each provider's message (a message that cannot be built fails the row).
    4. Mark started (``dispatch_started_at``, ``attempt_count + 1``): in one UPDATE for a
       provider that takes a batch in one all-or-nothing request, else message by
       message just before each call. Only a started row is ever handed to a provider.
    5. Call the provider outside any transaction; record the outcomes fenced by the token
       (a bulk provider's in one UPDATE, others' after each call).

    Safe to call any number of times, concurrently: batches are disjoint."""
    now = timezone.now()
    token = uuid.uuid4()
    rows = reserve(interaction_id, limit or dispatch_batch_size(), token, now)
    batch = _Batch(token, rows)
    try:
        ready = batch.prepare()
    except BaseException:
        batch.stop("Released: the dispatch failed before the provider was called.")
        raise
    batch.send(ready)
    return {interaction_id: Outcome.SKIPPED, **batch.outcomes}


@dataclass
class _Ready:
    row: Interaction
    provider: Provider
    message: OutgoingMessage


class _Batch:
    """The rows one task reserved, and what became of each."""

    def __init__(self, token: uuid.UUID, rows: list[Interaction]) -> None:
        self.token = token
        self.rows = rows
        self.outcomes: dict[str, str] = {}

    def claim(self, row: Interaction) -> Claim:
        return Claim(row.pk, self.token)

    # Before the provider: guard, build

    def prepare(self) -> list[_Ready]:
        """Run the guard and build the messages; write the refusals and failures (one
        UPDATE). Returns what may be sent."""
        now = timezone.now()
        writes: dict[Claim, Columns] = {}
        planned: dict[str, str] = {}
        refusals = compliance_recheck(self.rows)
        ready: list[_Ready] = []
        providers: dict[str, Provider | ProviderConfigurationError] = {}
        for row in self.rows:
            refusal = refusals.get(row.pk)
            if refusal is not None:
                writes[self.claim(row)], planned[row.pk] = refusal_columns(refusal, now)
                continue
            if row.channel not in providers:
                try:
                    providers[row.channel] = provider_for(row.channel)
                except ProviderConfigurationError as error:
                    providers[row.channel] = error
            provider = providers[row.channel]
            try:
                if isinstance(provider, ProviderConfigurationError):
                    raise provider
                ready.append(_Ready(row, provider, outgoing_message(row)))
            except ProviderConfigurationError as error:
                writes[self.claim(row)] = unsendable_columns(
                    "Provider not configured", str(error), "providerError", now
                )
                planned[row.pk] = Outcome.FAILED
            except UnsendableError as error:
                writes[self.claim(row)] = unsendable_columns(
                    "The message cannot be sent", str(error), None, now
                )
                planned[row.pk] = Outcome.FAILED
        written = write_claimed(writes, unstarted=True, now=now)
        for pk, outcome in planned.items():
            self.outcomes[pk] = outcome if pk in written else Outcome.SKIPPED
        return ready

    # The provider

    def send(self, ready: list[_Ready]) -> None:
        groups: dict[str, list[_Ready]] = defaultdict(list)
        for item in ready:
            groups[item.provider.name].append(item)
        try:
            for items in groups.values():
                if items[0].provider.sends_in_bulk:
                    self._send_bulk(items)
                else:
                    for item in items:
                        self._send_one(item)
        except _BatchStopped:
            pass  # recorded; the rest of the batch is given back below
        finally:
            self.stop(BATCH_STOPPED)

    def _send_one(self, item: _Ready) -> None:
        now = timezone.now()
        if not _start(self.token, [item.row.pk], item.provider.name, now):
            return  # settled meanwhile; stop() tells which
        try:
            answer: SendResult | BaseException = item.provider.send(item.message)
        except Exception as error:
            answer = error
        self._record({item.row.pk: (item, answer)})
        if _unexpected(answer):
            raise _BatchStopped from answer

    def _send_bulk(self, items: list[_Ready]) -> None:
        provider = items[0].provider
        started = _start(self.token, [item.row.pk for item in items], provider.name, timezone.now())
        items = [item for item in items if item.row.pk in started]  # the others: see stop()
        if not items:
            return
        try:
            answers: Sequence[SendResult | BaseException] = provider.send_many(
                [item.message for item in items]
            )
            if len(answers) != len(items):
                raise RuntimeError(f"send_many answered {len(answers)} times for {len(items)} messages")
        except Exception as error:
            answers = [error] * len(items)
        self._record({item.row.pk: (item, answer) for item, answer in zip(items, answers, strict=True)})
        if any(_unexpected(answer) for answer in answers):
            raise _BatchStopped from next(answer for answer in answers if _unexpected(answer))

    def _record(self, answers: dict[str, tuple[_Ready, SendResult | BaseException]]) -> None:
        now = timezone.now()
        writes: dict[Claim, Columns] = {}
        planned: dict[str, str] = {}
        for pk, (item, answer) in answers.items():
            writes[self.claim(item.row)], planned[pk] = answer_columns(
                item.row, item.provider.name, answer, now
            )
        written = write_claimed(writes, now=now)
        keep_message_ids(
            {claim.pk: columns for claim, columns in writes.items() if claim.pk not in written}, now
        )
        for pk, outcome in planned.items():
            self.outcomes[pk] = outcome if pk in written else Outcome.FENCED

    def stop(self, note: str) -> None:
        """Give back every row of the batch not started yet (never handed to a provider)."""
        now = timezone.now()
        left = {
            self.claim(row): release_columns(send_at=None, error=note, now=now, started=False)
            for row in self.rows
            if row.pk not in self.outcomes
        }
        if not left:
            return
        try:
            written = write_claimed(left, unstarted=True, now=now)
        except Exception:
            logger.exception("Could not release %d reserved rows; recovery releases them.", len(left))
            return
        for claim in left:
            self.outcomes.setdefault(claim.pk, Outcome.RELEASED if claim.pk in written else Outcome.SKIPPED)


class _BatchStopped(Exception):
    """An unexpected provider failure: the rest of the batch is given back, not sent."""


def _unexpected(answer: SendResult | BaseException) -> bool:
    return isinstance(answer, BaseException) and not isinstance(answer, ProviderError)


def _start(token: uuid.UUID, pks: list[str], provider_name: str, now: datetime) -> set[str]:
    """Mark reserved rows started: from now on the provider may have them. Returns the
    ids marked (a row an operator or a recovery settled meanwhile is not)."""
    marked = Interaction.objects.filter(
        pk__in=pks,
        dispatch_token=token,
        status=Status.IN_PROGRESS,
        dispatch_started_at__isnull=True,
        deleted_at__isnull=True,
    ).update(
        dispatch_started_at=now,
        status_updated_at=now,
        provider=provider_name,
        attempt_count=F("attempt_count") + 1,
        updated_at=now,
    )
    if marked == len(pks):
        return set(pks)
    # Rows this call marked keep the token and this exact instant until their outcome.
    return set(
        Interaction.objects.filter(pk__in=pks, dispatch_token=token, dispatch_started_at=now).values_list(
            "pk", flat=True
        )
    )

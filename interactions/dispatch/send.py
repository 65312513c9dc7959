"""Sending a batch: reserve, re-check Compliance Guard, mark started, call the provider
outside any transaction, record the outcomes (docs/adr/0005-dispatch-exactly-once.md)."""

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
from interactions.dispatch.common import (
    AMBIGUOUS_SHORT,
    MAX_ATTEMPTS,
    NOT_RETRIED,
    Outcome,
    Status,
    dispatch_batch_size,
    retry_delay,
)
from interactions.dispatch.message import UnsendableError, outgoing_message
from interactions.dispatch.writes import (
    Claim,
    Columns,
    describe,
    finish_columns,
    keep_message_ids,
    release_columns,
    sent_columns,
    write_claimed,
)
from interactions.models import Interaction
from providers.base import (
    AmbiguousProviderError,
    OutgoingMessage,
    Provider,
    ProviderConfigurationError,
    ProviderError,
    RejectedProviderError,
    SendResult,
    TransientProviderError,
)
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
        refusals = _compliance_recheck(self.rows)
        ready: list[_Ready] = []
        providers: dict[str, Provider | ProviderConfigurationError] = {}
        for row in self.rows:
            refusal = refusals.get(row.pk)
            if refusal is not None:
                writes[self.claim(row)], planned[row.pk] = _refusal_columns(refusal, now)
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
                writes[self.claim(row)] = _unsendable(
                    "Provider not configured", str(error), "providerError", now
                )
                planned[row.pk] = Outcome.FAILED
            except UnsendableError as error:
                writes[self.claim(row)] = _unsendable("The message cannot be sent", str(error), None, now)
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
            writes[self.claim(item.row)], planned[pk] = _answer_columns(item, answer, now)
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


def _answer_columns(item: _Ready, answer: SendResult | BaseException, now: datetime) -> tuple[Columns, str]:
    """The columns and outcome for a provider's answer to one message."""
    row, provider_name = item.row, item.provider.name
    if isinstance(answer, SendResult):
        return sent_columns(row.channel, row.content, answer, now=now), Outcome.SENT
    if isinstance(answer, TransientProviderError):
        attempts = row.attempt_count + 1  # the start counted this call
        if attempts >= MAX_ATTEMPTS:
            short = f"The provider was unavailable on {attempts} attempts"
            columns = finish_columns(
                Status.FAILED,
                "providerError",
                short=short,
                long=describe(provider_name, answer),
                error=answer,
                now=now,
            )
            return columns, Outcome.FAILED
        return release_columns(send_at=now + retry_delay(attempts), error=answer, now=now), Outcome.RETRY
    if isinstance(answer, RejectedProviderError | ProviderConfigurationError):
        short = (
            "Provider not configured"
            if isinstance(answer, ProviderConfigurationError)
            else "The provider rejected the message"
        )
        columns = finish_columns(
            Status.FAILED,
            "providerError",
            short=short,
            long=describe(provider_name, answer),
            error=answer,
            now=now,
        )
        return columns, Outcome.FAILED
    if isinstance(answer, AmbiguousProviderError):
        long = f"{describe(provider_name, answer)} {NOT_RETRIED}"
        return finish_columns(
            Status.ATTEMPTED, short=AMBIGUOUS_SHORT, long=long, error=answer, now=now
        ), Outcome.UNKNOWN
    # A bug or the soft time limit inside the provider: it may have sent.
    logger.error("Provider %s failed unexpectedly on %s", provider_name, row.pk, exc_info=answer)
    long = f"The provider call failed unexpectedly ({type(answer).__name__}: {answer}). {NOT_RETRIED}"
    short = "Delivery unknown: the provider call failed unexpectedly"
    return finish_columns(Status.ATTEMPTED, short=short, long=long, error=answer, now=now), Outcome.UNKNOWN


def _unsendable(short: str, long: str, details: str | None, now: datetime) -> Columns:
    columns = finish_columns(Status.FAILED, details, short=short, long=long, now=now)
    columns["last_error"] = long
    return columns


# Compliance Guard, re-checked for the batch


def _refusal_columns(refusal: object, now: datetime) -> tuple[Columns, str]:
    from compliance.guard import Decision

    if not isinstance(refusal, Decision):  # the guard failed on this row: try again later
        note = f"Released: Compliance Guard could not decide ({type(refusal).__name__}: {refusal})."
        return release_columns(
            send_at=None, error=note, now=now, started=False, requeue=False
        ), Outcome.RELEASED
    if refusal.lasting:
        columns = finish_columns(
            Status.FAILED,
            "blockedByComplianceGuard",
            short=f"Blocked by Compliance Guard ({refusal.reason})",
            long=refusal.message,
            now=now,
        )
        columns["compliance_guard_rule_id"] = refusal.compliance_guard_rule_id
        columns["last_error"] = refusal.message
        return columns, Outcome.BLOCKED
    note = (
        f"Rescheduled by Compliance Guard ({refusal.reason}, "
        f"{refusal.compliance_guard_rule_id}): {refusal.message}"
    )
    return release_columns(send_at=refusal.send_at, error=note, now=now, started=False), Outcome.RESCHEDULED


def _compliance_recheck(rows: list[Interaction]) -> dict[str, object]:
    """Run the guard for the rows the send service compliance-checked, as they would go
    out now. Returns the refused ones: id → the refusal (a Decision), or the exception
    the guard raised for that row. Reads, for the whole batch: the companies (fresh: their
    settings version keys the cached rule rows), the borrowers, and each company's
    borrowers' facts (three queries); then the guard's own history queries per row."""
    checked = [row for row in rows if row.compliance_checked and row.borrower_id is not None]
    if not checked:
        return {}
    from borrowers.models import Borrower, Company, Contact
    from compliance import guard  # the guard's rules import interactions
    from compliance.facts import borrower_facts_many

    at = timezone.now()
    borrowers = Borrower.objects.in_bulk({row.borrower_id for row in checked})
    companies = Company.objects.in_bulk({borrower.company_id for borrower in borrowers.values()})
    by_company: dict[str, set[str]] = defaultdict(set)
    for borrower in borrowers.values():
        borrower.company = companies[borrower.company_id]
        by_company[borrower.company_id].add(borrower.pk)
    facts = {}
    for company_id, borrower_ids in by_company.items():
        facts.update(borrower_facts_many(companies[company_id], borrower_ids, at))
    refused: dict[str, object] = {}
    for row in checked:
        try:
            borrower = borrowers[row.borrower_id]
            contact = None
            if row.contact_id:
                known = facts[borrower.pk].contacts or ()
                contact = next((c for c in known if c.pk == row.contact_id), None)
                contact = contact or Contact.objects.filter(pk=row.contact_id).first()
            decision = guard.decide(
                guard.GuardRequest(
                    company=borrower.company,
                    borrower=borrower,
                    channel=row.channel,
                    subject=row.subject or None,
                    theme=row.theme,
                    contact=contact,
                    loan_ids=tuple(row.loan_ids or ()),
                    is_autodialed=row.is_autodialed,
                    # How the send treated it (compliance.transactional): it can only tighten.
                    is_transactional=row.is_transactional,
                    own_content=row.template_version_id is None,
                    exclude_interaction_id=row.pk,
                    facts=facts[borrower.pk],
                    settings_version=borrower.company.settings_version,
                ),
                at,
            )
        except Exception as error:
            logger.exception("Compliance Guard failed on %s; released for a later attempt", row.pk)
            refused[row.pk] = error
            continue
        if not decision.result:
            refused[row.pk] = decision
    return refused

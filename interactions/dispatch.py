"""Queue and dispatch of outbound interactions: every accepted message reaches its provider
once, neither lost nor duplicated (docs/adr/0005-dispatch-exactly-once.md).

The row is the outbox. A due ``scheduled`` row is handed to the broker after commit
(:func:`interactions_enqueue_after_commit`) or by the beat (:func:`interactions_claim_due`),
which also re-enqueues rows whose task was lost; the task (``interactions.dispatch``) calls
:func:`interaction_dispatch`, which re-checks Compliance Guard, claims the row with one
conditional UPDATE (``scheduled`` → ``inProgress`` with a fresh ``dispatch_token`` and
``dispatch_started_at``: the durable marker that the provider call may have started),
calls the provider outside any transaction and records the outcome, fenced by the token.
:func:`interactions_recover_stuck` settles claims whose worker died.

No HTTP here; views and the send services call these functions.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.module_loading import import_string

from interactions import catalogue
from interactions.models import Interaction
from providers.base import (
    AmbiguousProviderError,
    Attachment,
    OutgoingMessage,
    Provider,
    ProviderConfigurationError,
    ProviderError,
    RejectedProviderError,
    SendResult,
    TransientProviderError,
)
from providers.registry import PROVIDER_CLASSES, provider_for

logger = logging.getLogger(__name__)

Status = Interaction.Status

#: Transient provider errors: the n-th failed call waits RETRY_BASE · 2^(n-1), at most
#: RETRY_CAP; the MAX_ATTEMPTS-th failed call ends the message ``failed``/``providerError``.
RETRY_BASE = timedelta(seconds=30)
RETRY_CAP = timedelta(hours=1)
MAX_ATTEMPTS = 8
#: The queue ``interactions.dispatch`` is routed to (settings.CELERY_TASK_ROUTES).
SENDS_QUEUE = "sends"
#: Rows the beat claims per transaction.
CLAIM_BATCH = 500
#: Publishing to the broker: a few quick retries, then give up and let the beat re-enqueue.
PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.1, "interval_max": 0.1}

#: The columns a dispatch reads (a narrow read: the task's most frequent query).
DISPATCH_FIELDS = (
    "id",
    "company_id",
    "borrower_id",
    "contact_id",
    "channel",
    "direction",
    "subject",
    "theme",
    "status",
    "is_transactional",
    "is_autodialed",
    "compliance_checked",
    "loan_ids",
    "send_at",
    "content",
    "attempt_count",
    "deleted_at",
)
#: Channels stored for the borrower portal, shown there from creation on.
DISPLAYED_ON_CREATION = {"gui": "guiDisplayed"}

AMBIGUOUS_SHORT = "Delivery unknown: provider timed out after the request was sent"
WORKER_LOST_SHORT = "Delivery unknown: the worker stopped while handing the message to the provider"
NOT_RETRIED = (
    "It is not retried automatically, because a duplicate message is itself a problem: "
    "check with the provider, then resend if it did not go out."
)


class Outcome:
    """What :func:`interaction_dispatch` did (for logs and tests)."""

    SKIPPED = "skipped"  # not due, not scheduled, or another worker claimed it
    RESCHEDULED = "rescheduled"  # Compliance Guard refused for a while: new send_at
    BLOCKED = "blocked"  # Compliance Guard refused for good: failed
    SENT = "sent"  # the provider accepted it
    RETRY = "retry"  # transient provider error: scheduled again with backoff
    FAILED = "failed"  # rejected, misconfigured, or out of attempts
    UNKNOWN = "unknown"  # the provider may or may not have it: attempted, not retried
    FENCED = "fenced"  # the claim was settled by someone else while the provider ran


def reenqueue_threshold() -> timedelta:
    """How long a due row may sit enqueued before the beat hands it to the broker again
    (its task was lost: a Redis restart, a killed worker's prefetched message).
    ``DISPATCH_REENQUEUE_AFTER`` seconds; a duplicate task is harmless (the claim)."""
    return timedelta(seconds=getattr(settings, "DISPATCH_REENQUEUE_AFTER", 300))


def reenqueue_max_backlog() -> int:
    """Lost tasks are re-enqueued only while the sends queue is shorter than this
    (``DISPATCH_REENQUEUE_MAX_BACKLOG`` messages; see :func:`interactions_claim_due`)."""
    return getattr(settings, "DISPATCH_REENQUEUE_MAX_BACKLOG", 1000)


def sends_backlog() -> int | None:
    """Messages waiting in the sends queue, or None when the broker cannot say."""
    from interactions.tasks import dispatch as dispatch_task  # tasks import this module

    try:
        with dispatch_task.app.connection_for_read() as conn:
            # One quick attempt: the beat must not hang on a broker that is down.
            conn.ensure_connection(max_retries=1, interval_start=0)
            return conn.default_channel.queue_declare(queue=SENDS_QUEUE, passive=True).message_count
    except Exception as error:
        if str(getattr(error, "reply_code", "")) == "404":  # never declared (a fresh broker): empty
            return 0
        logger.warning("Cannot read the length of the %s queue: %s", SENDS_QUEUE, error)
        return None


def stuck_threshold() -> timedelta:
    """How old a claim must be before :func:`interactions_recover_stuck` settles it: past
    the hard task time limit, the worker that held it is certainly gone.
    ``DISPATCH_STUCK_AFTER`` seconds; the time limit plus a minute by default."""
    default = getattr(settings, "CELERY_TASK_TIME_LIMIT", 300) + 60
    return timedelta(seconds=getattr(settings, "DISPATCH_STUCK_AFTER", default))


def retry_delay(attempts: int) -> timedelta:
    """The wait after the ``attempts``-th call failed transiently: 30 s, 1 min, 2 min, …,
    at most an hour."""
    return min(RETRY_BASE * 2 ** max(attempts - 1, 0), RETRY_CAP)


# Enqueue


def interaction_enqueue_after_commit(interaction_id: str) -> bool:
    """Hand a due ``scheduled`` outbound interaction to the broker once the current
    transaction commits (at once outside a transaction). Returns False, and does
    nothing, when the row is not due yet: the beat enqueues it at its ``send_at``.

    Stamps ``enqueued_at`` in the caller's transaction, so the beat does not enqueue it
    a second time. If the broker is down the publish is logged and ``enqueued_at``
    cleared: the row stays ``scheduled`` and the beat enqueues it on a later tick. The
    caller's request never fails because of the broker."""
    return bool(interactions_enqueue_after_commit([interaction_id]))


def interactions_enqueue_after_commit(interaction_ids: Sequence[str]) -> list[str]:
    """:func:`interaction_enqueue_after_commit` for many rows in two statements; returns
    the ids that were due (and will be published)."""
    stamp = timezone.now()
    due = Interaction.objects.filter(
        pk__in=list(interaction_ids),
        status=Status.SCHEDULED,
        direction=Interaction.Direction.OUTBOUND,
        send_at__lte=stamp,
        deleted_at__isnull=True,
    )
    ids = list(due.values_list("pk", flat=True))
    if ids:
        Interaction.objects.filter(pk__in=ids).update(enqueued_at=stamp)
        transaction.on_commit(lambda: _publish(ids, stamp))
    return ids


def interactions_claim_due(
    limit: int = CLAIM_BATCH,
    *,
    reenqueue_after: timedelta | None = None,
    max_backlog: int | None = None,
) -> list[str]:
    """The beat's claim: up to ``limit`` due ``scheduled`` outbound rows, oldest
    ``send_at`` first, that were never enqueued, or were enqueued longer than
    ``reenqueue_after`` ago (their task was lost) while the sends queue holds fewer than
    ``max_backlog`` messages. Locks them with ``FOR UPDATE SKIP LOCKED`` (concurrent
    beats and dispatches never wait on each other), stamps ``enqueued_at`` and publishes
    them after commit. Returns their ids.

    The backlog bound: a row enqueued long ago may simply still be waiting in a long
    queue; enqueueing it again would add a duplicate task, and in a backlog that drains
    slower than ``reenqueue_after`` duplicates would pile up. Lost tasks are re-enqueued
    once the queue is short (a Redis restart empties it at once)."""
    threshold = reenqueue_after if reenqueue_after is not None else reenqueue_threshold()
    bound = max_backlog if max_backlog is not None else reenqueue_max_backlog()
    backlog = sends_backlog()
    never_enqueued = Q(enqueued_at__isnull=True)
    stamp = timezone.now()
    if backlog is None or backlog < bound:
        never_enqueued |= Q(enqueued_at__lt=stamp - threshold)
    with transaction.atomic():
        ids = list(
            Interaction.objects.select_for_update(skip_locked=True)
            .filter(
                status=Status.SCHEDULED,
                direction=Interaction.Direction.OUTBOUND,
                send_at__lte=stamp,
                deleted_at__isnull=True,
            )
            .filter(never_enqueued)
            .order_by("send_at")
            .values_list("pk", flat=True)[:limit]
        )
        if ids:
            Interaction.objects.filter(pk__in=ids).update(enqueued_at=stamp)
            transaction.on_commit(lambda: _publish(ids, stamp))
    return ids


def _publish(ids: list[str], stamp: datetime) -> None:
    """Publish one dispatch task per id on one producer connection. On a broker error,
    clear ``enqueued_at`` of the ids not published so the next beat tick retries them."""
    from interactions.tasks import dispatch as dispatch_task  # tasks import this module

    published = 0
    try:
        with dispatch_task.app.producer_or_acquire() as producer:
            for pk in ids:
                dispatch_task.apply_async(
                    (pk,), producer=producer, retry=True, retry_policy=PUBLISH_RETRY_POLICY
                )
                published += 1
    except Exception:
        left = ids[published:]
        logger.warning(
            "Broker unavailable: %d of %d dispatch tasks not published; the beat will enqueue them.",
            len(left),
            len(ids),
            exc_info=True,
        )
        try:
            Interaction.objects.filter(pk__in=left, enqueued_at=stamp).update(enqueued_at=None)
        except Exception:
            logger.exception("Could not clear enqueued_at; the rows are re-enqueued after the threshold.")


# Dispatch


@dataclass(frozen=True)
class _Finish:
    """The columns an outcome writes (besides releasing the claim)."""

    status: str
    status_details: str | None = None
    failure_short: str | None = None
    failure_long: str | None = None
    extra: dict[str, Any] | None = None


def interaction_dispatch(interaction_id: str) -> str:
    """Send one due interaction through its channel's provider, at most once.

    1. Read the row; anything but a due ``scheduled`` outbound row: do nothing.
    2. Rows the send service compliance-checked: run Compliance Guard again (the world may
       have changed since). A temporary refusal moves ``send_at`` to the next allowed time
       (the row stays ``scheduled``); a lasting one ends it ``failed`` with
       ``blockedByComplianceGuard``, the rule id and both failure descriptions.
    3. Build the provider's message (a message that cannot be built fails the row).
    4. Claim: one conditional UPDATE ``scheduled`` → ``inProgress`` setting a fresh
       ``dispatch_token`` and ``dispatch_started_at``. Zero rows: someone else has it.
    5. Call the provider, outside any transaction.
    6. Record the outcome with an UPDATE fenced by the token (see :class:`Outcome`).

    Returns an :class:`Outcome` value. Safe to call any number of times, concurrently.
    """
    row = Interaction.objects.filter(pk=interaction_id).only(*DISPATCH_FIELDS).order_by().first()
    if row is None or not _due(row):
        return Outcome.SKIPPED

    if row.compliance_checked and row.borrower_id is not None:
        refused = _compliance_recheck(row)
        if refused is not None:
            return refused

    try:
        provider = provider_for(row.channel)
        message = _outgoing_message(row)
    except ProviderConfigurationError as error:
        _fail_unclaimed(row, "Provider not configured", str(error), details="providerError")
        return Outcome.FAILED
    except _UnsendableError as error:
        _fail_unclaimed(row, "The message cannot be sent", str(error))
        return Outcome.FAILED

    token = uuid.uuid4()
    now = timezone.now()
    claimed = Interaction.objects.filter(
        pk=row.pk,
        status=Status.SCHEDULED,
        direction=Interaction.Direction.OUTBOUND,
        send_at__lte=now,
        deleted_at__isnull=True,
    ).update(
        status=Status.IN_PROGRESS,
        status_updated_at=now,
        dispatch_token=token,
        dispatch_started_at=now,
        provider=provider.name,
        attempt_count=F("attempt_count") + 1,
        updated_at=now,
    )
    if not claimed:
        return Outcome.SKIPPED

    try:
        result = provider.send(message)
    except TransientProviderError as error:
        return _after_transient(row, token, provider.name, error)
    except (RejectedProviderError, ProviderConfigurationError) as error:
        short = (
            "Provider not configured"
            if isinstance(error, ProviderConfigurationError)
            else "The provider rejected the message"
        )
        finish = _Finish(Status.FAILED, "providerError", short, _describe(provider.name, error))
        return Outcome.FAILED if _finish(row.pk, token, finish, error=error) else Outcome.FENCED
    except AmbiguousProviderError as error:
        long = f"{_describe(provider.name, error)} {NOT_RETRIED}"
        finish = _Finish(Status.ATTEMPTED, None, AMBIGUOUS_SHORT, long)
        return Outcome.UNKNOWN if _finish(row.pk, token, finish, error=error) else Outcome.FENCED
    except Exception as error:  # a bug or a time limit inside the provider: it may have sent
        logger.exception("Provider %s failed unexpectedly on %s", provider.name, row.pk)
        long = f"The provider call failed unexpectedly ({type(error).__name__}: {error}). {NOT_RETRIED}"
        finish = _Finish(
            Status.ATTEMPTED, None, "Delivery unknown: the provider call failed unexpectedly", long
        )
        return Outcome.UNKNOWN if _finish(row.pk, token, finish, error=error) else Outcome.FENCED
    return Outcome.SENT if _record_sent(row.pk, token, row.channel, row.content, result) else Outcome.FENCED


def _due(row: Interaction) -> bool:
    return (
        row.status == Status.SCHEDULED
        and row.direction == Interaction.Direction.OUTBOUND
        and row.deleted_at is None
        and row.send_at is not None
        and row.send_at <= timezone.now()
    )


def _compliance_recheck(row: Interaction) -> str | None:
    """Run the guard for ``row`` as it would go out now; None when allowed."""
    from borrowers.models import Borrower, Contact
    from compliance.guard import GuardRequest, decide  # the guard's rules import interactions

    borrower = Borrower.objects.select_related("company").get(pk=row.borrower_id)
    contact = Contact.objects.filter(pk=row.contact_id).first() if row.contact_id else None
    decision = decide(
        GuardRequest(
            company=borrower.company,
            borrower=borrower,
            channel=row.channel,
            subject=row.subject or None,
            theme=row.theme,
            contact=contact,
            loan_ids=tuple(row.loan_ids or ()),
            is_autodialed=row.is_autodialed,
            is_transactional=row.is_transactional,
            exclude_interaction_id=row.pk,
        )
    )
    if decision.result:
        return None
    now = timezone.now()
    unclaimed = Interaction.objects.filter(pk=row.pk, status=Status.SCHEDULED, send_at=row.send_at)
    if decision.lasting:
        unclaimed.update(
            status=Status.FAILED,
            status_updated_at=now,
            status_details="blockedByComplianceGuard",
            status_details_updated_at=now,
            compliance_guard_rule_id=decision.compliance_guard_rule_id,
            failure_description_short=f"Blocked by Compliance Guard ({decision.reason})"[:200],
            failure_description_long=decision.message,
            last_error=decision.message,
            updated_at=now,
        )
        return Outcome.BLOCKED
    unclaimed.update(
        send_at=decision.send_at,
        enqueued_at=None,
        last_error=f"Rescheduled by Compliance Guard ({decision.reason}, "
        f"{decision.compliance_guard_rule_id}): {decision.message}",
        updated_at=now,
    )
    return Outcome.RESCHEDULED


class _UnsendableError(Exception):
    """The row cannot be turned into a provider message (no recipient, missing file)."""


def _outgoing_message(row: Interaction) -> OutgoingMessage:
    """The provider's message, from the content frozen at send time."""
    from borrowers.models import Contact, Document
    from borrowers.selectors import document_content_open

    content = row.content or {}
    to = content.get("to")
    if not to and row.contact_id:
        to = Contact.objects.filter(pk=row.contact_id).values_list("value", flat=True).first()
    if not to:
        raise _UnsendableError("The interaction has no recipient (content.to).")
    attachments = []
    document_ids = [value for value in content.get("attachments") or [] if value]
    if document_ids:
        documents = {
            doc.pk: doc for doc in Document.objects.filter(company_id=row.company_id, pk__in=document_ids)
        }
        for document_id in document_ids:
            document = documents.get(document_id)
            if document is None:
                raise _UnsendableError(f"Attachment '{document_id}' does not exist.")
            try:
                with document_content_open(document) as file:
                    data = file.read()
            except Exception as error:
                raise _UnsendableError(f"Attachment '{document_id}' cannot be read: {error}") from error
            attachments.append(
                Attachment(
                    file_name=document.file_name or document.pk,
                    content_type=document.content_type or "application/octet-stream",
                    content=data,
                )
            )
    return OutgoingMessage(
        channel=row.channel,
        to=str(to),
        reference=row.pk,
        from_=str(content.get("from") or ""),
        subject_line=content.get("subjectLine") or "",
        content_text=content.get("contentText") or "",
        content_html=content.get("contentHtml") or "",
        attachments=tuple(attachments),
        metadata={"interactionId": row.pk, "companyId": str(row.company_id)},
    )


def _fail_unclaimed(row: Interaction, short: str, long: str, *, details: str | None = None) -> None:
    now = timezone.now()
    Interaction.objects.filter(pk=row.pk, status=Status.SCHEDULED, send_at=row.send_at).update(
        status=Status.FAILED,
        status_updated_at=now,
        status_details=details,
        status_details_updated_at=now if details else None,
        failure_description_short=short[:200],
        failure_description_long=long,
        last_error=long,
        updated_at=now,
    )


def _describe(provider_name: str, error: ProviderError | Exception) -> str:
    code = getattr(error, "code", None)
    return f"{provider_name}: {error}" + (f" (code {code})" if code else "") + "."


def _sent_status(channel: str, result: SendResult) -> tuple[str, str | None]:
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


def _record_sent(pk: str, token: uuid.UUID, channel: str, content: Any, result: SendResult) -> bool:
    status, details = _sent_status(channel, result)
    finish = _Finish(
        status,
        details,
        extra={
            "provider_message_id": result.provider_message_id or None,
            "content": {**(content or {}), "providerMessageId": result.provider_message_id or None},
            **({"provider": result.provider} if result.provider else {}),
        },
    )
    return _finish(pk, token, finish)


def _finish(pk: str, token: uuid.UUID, finish: _Finish, *, error: Exception | None = None) -> bool:
    """Write an outcome and release the claim, only while the claim is still ours (the
    token) and the row still ``inProgress``: an outcome never overwrites a later state.
    Statuses only move forward from ``inProgress``. When the fence fails (a recovery or an
    operator settled the row meanwhile) only a missing provider message id is filled in,
    so that delivery events can still find the row."""
    extra = dict(finish.extra or {})
    now = timezone.now()
    fields: dict[str, Any] = {
        "status": finish.status,
        "status_updated_at": now,
        "status_details": finish.status_details,
        "status_details_updated_at": now if finish.status_details else None,
        "dispatch_token": None,
        "updated_at": now,
        **extra,
    }
    if finish.failure_short is not None:
        fields["failure_description_short"] = finish.failure_short[:200]
        fields["failure_description_long"] = finish.failure_long
    if error is not None:
        fields["last_error"] = f"{type(error).__name__}: {error}"
    done = Interaction.objects.filter(pk=pk, dispatch_token=token, status=Status.IN_PROGRESS).update(**fields)
    if done:
        return True
    logger.warning(
        "Dispatch of %s: the claim was settled elsewhere; outcome %s not written.", pk, finish.status
    )
    if extra.get("provider_message_id"):
        Interaction.objects.filter(pk=pk, provider_message_id__isnull=True).update(
            provider_message_id=extra["provider_message_id"], updated_at=now
        )
    return False


def _after_transient(
    row: Interaction, token: uuid.UUID, provider_name: str, error: TransientProviderError
) -> str:
    """The provider certainly did not take the message: send it again later, or give up."""
    attempts = Interaction.objects.filter(pk=row.pk).values_list("attempt_count", flat=True).first() or 1
    if attempts >= MAX_ATTEMPTS:
        finish = _Finish(
            Status.FAILED,
            "providerError",
            f"The provider was unavailable on {attempts} attempts",
            _describe(provider_name, error),
        )
        return Outcome.FAILED if _finish(row.pk, token, finish, error=error) else Outcome.FENCED
    released = _release(row.pk, token, send_at=timezone.now() + retry_delay(attempts), error=error)
    return Outcome.RETRY if released else Outcome.FENCED


def _release(pk: str, token: uuid.UUID, *, send_at: datetime | None, error: Exception | str) -> bool:
    """Give a claimed row back to the queue (``inProgress`` → ``scheduled``). Only for a
    message the provider certainly does not have; the one step back the dispatcher takes."""
    now = timezone.now()
    fields: dict[str, Any] = {
        "status": Status.SCHEDULED,
        "status_updated_at": now,
        "dispatch_token": None,
        "enqueued_at": None,
        "last_error": error if isinstance(error, str) else f"{type(error).__name__}: {error}",
        "updated_at": now,
    }
    if send_at is not None:
        fields["send_at"] = send_at
    return bool(
        Interaction.objects.filter(pk=pk, dispatch_token=token, status=Status.IN_PROGRESS).update(**fields)
    )


# Recovery


class _NotReceived:
    """A provider's definite answer that it never got the message."""


NOT_RECEIVED = _NotReceived()


def _provider_named(name: str) -> Provider | None:
    path = PROVIDER_CLASSES.get(name)
    return import_string(path)() if path else None


def provider_lookup(provider_name: str, reference: str) -> SendResult | _NotReceived | None:
    """Ask the provider that was called whether it received the message ``reference``.

    A provider may offer ``lookup(reference) -> SendResult | None`` (None: certainly not
    received; ``NotImplementedError``: cannot tell). Returns the result, NOT_RECEIVED, or
    None when it cannot be known."""
    try:
        provider = _provider_named(provider_name)
    except Exception:
        logger.exception("Provider %s cannot be loaded for a lookup", provider_name)
        return None
    lookup = getattr(provider, "lookup", None)
    if lookup is None:
        return None
    try:
        found = lookup(reference)
    except NotImplementedError:
        return None
    except Exception:
        logger.warning("Lookup of %s at %s failed", reference, provider_name, exc_info=True)
        return None
    return NOT_RECEIVED if found is None else found


def interactions_recover_stuck(
    *, older_than: timedelta | None = None, limit: int = CLAIM_BATCH
) -> dict[str, int]:
    """Settle claims whose worker died: rows ``inProgress`` with a dispatch token whose
    ``dispatch_started_at`` is older than ``older_than`` (default :func:`stuck_threshold`,
    beyond the task time limit, so their worker is certainly gone).

    The claim is written just before the provider call, so such a message may have gone
    out. It is never sent again on a guess: if the provider can say (``lookup``), the row
    gets the real outcome, or goes back to ``scheduled`` when the provider never got it;
    otherwise it ends ``attempted`` with "Delivery unknown". Returns counts by outcome."""
    threshold = older_than if older_than is not None else stuck_threshold()
    rows = list(
        Interaction.objects.filter(
            status=Status.IN_PROGRESS,
            dispatch_token__isnull=False,
            dispatch_started_at__lt=timezone.now() - threshold,
        )
        .order_by("dispatch_started_at")
        .values_list("pk", "dispatch_token", "channel", "provider", "attempt_count", "content")[:limit]
    )
    counts = {"reconciled": 0, "released": 0, "failed": 0, "unknown": 0, "fenced": 0}
    for pk, token, channel, provider_name, attempts, content in rows:
        found = provider_lookup(provider_name, pk)
        if isinstance(found, SendResult):
            key = "reconciled" if _record_sent(pk, token, channel, content, found) else "fenced"
        elif found is NOT_RECEIVED and attempts < MAX_ATTEMPTS:
            note = "Released: the worker stopped before the provider received the message."
            key = "released" if _release(pk, token, send_at=None, error=note) else "fenced"
        elif found is NOT_RECEIVED:
            finish = _Finish(
                Status.FAILED,
                "providerError",
                f"The message could not be handed to the provider in {attempts} attempts",
                "Each attempt's worker stopped before the provider received it.",
            )
            key = "failed" if _finish(pk, token, finish) else "fenced"
        else:
            long = (
                f"The worker stopped after the call to {provider_name or 'the provider'} started, "
                f"and the provider cannot tell whether it received the message. {NOT_RETRIED}"
            )
            finish = _Finish(Status.ATTEMPTED, None, WORKER_LOST_SHORT, long)
            key = "unknown" if _finish(pk, token, finish, error=RuntimeError("worker lost")) else "fenced"
        counts[key] += 1
    if any(counts.values()):
        logger.warning("Recovered stuck sends: %s", counts)
    return counts


def interactions_dispatch_housekeeping(*, budget: timedelta = timedelta(seconds=4)) -> dict[str, int]:
    """The beat's tick: claim and enqueue due rows in batches until none are left or the
    budget is spent, then settle stuck claims. Returns counts."""
    deadline = timezone.now() + budget
    enqueued = 0
    while True:
        batch = interactions_claim_due(CLAIM_BATCH)
        enqueued += len(batch)
        if len(batch) < CLAIM_BATCH or timezone.now() >= deadline:
            break
    return {"enqueued": enqueued, **interactions_recover_stuck()}

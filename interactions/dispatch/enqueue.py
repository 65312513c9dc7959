"""Handing due outbound interactions to the broker: after the creating transaction
commits (:func:`interactions_enqueue_after_commit`, :func:`interaction_publish_after_commit`)
or by the beat (:func:`interactions_claim_due`), which also re-enqueues rows whose task
was lost. One ``interactions.dispatch`` task per row, published after commit: on a Redis
broker by :mod:`.publish` (the message ``apply_async`` would send, one ``LPUSH``), else
by ``apply_async`` (docs/adr/0005-dispatch-exactly-once.md, 0006-send-path-cost.md)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from interactions.dispatch.common import CLAIM_BATCH, PUBLISH_RETRY_POLICY, SENDS_QUEUE, Status
from interactions.dispatch.publish import redis_publisher
from interactions.dispatch.recovery import interactions_recover_stuck
from interactions.models import Interaction

logger = logging.getLogger("interactions.dispatch")


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


def interaction_enqueue_after_commit(interaction_id: str) -> bool:
    """Hand a due ``scheduled`` outbound interaction to the broker once the current
    transaction commits (at once outside a transaction). Returns False, and does
    nothing, when the row is not due yet: the beat enqueues it at its ``send_at``.

    Stamps ``enqueued_at`` in the caller's transaction, so the beat does not enqueue it
    a second time. If the broker is down the publish is logged and ``enqueued_at``
    cleared: the row stays ``scheduled`` and the beat enqueues it on a later tick. The
    caller's request never fails because of the broker."""
    return bool(interactions_enqueue_after_commit([interaction_id]))


def interaction_publish_after_commit(interaction_id: str, stamp: datetime) -> None:
    """For a row its creator has just inserted due and ``scheduled`` with ``enqueued_at =
    stamp`` (the send service): publish its dispatch task once the current transaction
    commits. What :func:`interaction_enqueue_after_commit` does, without reading the row
    back or updating it."""
    transaction.on_commit(lambda: _publish([interaction_id], stamp))


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
            Interaction.objects.select_for_update(skip_locked=True, no_key=True)
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
    """Publish one dispatch task per id (:mod:`.publish` on a Redis broker, else
    ``apply_async`` on one producer from the app's pool; one quick retry either way). On a
    broker error, clear ``enqueued_at`` of the ids not published so the next beat tick
    retries them."""
    from interactions.tasks import dispatch as dispatch_task  # tasks import this module

    published = 0
    try:
        publisher = redis_publisher(dispatch_task)
        if publisher is not None:  # a Redis broker: the same messages, one LPUSH each
            publisher.publish(ids)
            published = len(ids)
        else:
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

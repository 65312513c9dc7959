"""Celery tasks of the send pipeline. Each takes ids, and calls one service of
:mod:`interactions.dispatch`, which re-reads and re-checks the rows itself; the registered
names are stable (queued messages name them). Routed in settings: ``interactions.dispatch``
to the ``sends`` queue, ``interactions.claim_due`` to ``celery``."""

from __future__ import annotations

from celery import shared_task

from interactions.dispatch import interactions_dispatch_batch, interactions_dispatch_housekeeping


@shared_task(name="interactions.dispatch", acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def dispatch(interaction_id: str) -> str:
    """Send one due interaction, and with it a batch of other due enqueued ones
    (``DISPATCH_BATCH``); returns the outcome of ``interaction_id`` (``skipped`` for a
    duplicate or late delivery of this task, or when another task's batch took it)."""
    return interactions_dispatch_batch(interaction_id)[interaction_id]


@shared_task(name="interactions.claim_due", ignore_result=True)
def claim_due() -> dict[str, int]:
    """The beat's tick (every 5 s): enqueue due rows, settle sends whose worker died."""
    return interactions_dispatch_housekeeping()

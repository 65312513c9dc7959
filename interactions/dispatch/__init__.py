"""Queue and dispatch of outbound interactions: every accepted message reaches its provider
once, neither lost nor duplicated (docs/adr/0005-dispatch-exactly-once.md).

The row is the outbox. A due ``scheduled`` row is handed to the broker after commit
(:func:`interactions_enqueue_after_commit`) or by the beat (:func:`interactions_claim_due`),
which also re-enqueues rows whose task was lost. The task (``interactions.dispatch``)
calls :func:`interactions_dispatch_batch`: it reserves its row and other due enqueued rows
in one statement (:mod:`.claim`), re-checks Compliance Guard for the batch, marks the rows
started just before the provider call (the durable marker that the call may have begun),
calls the provider outside any transaction and records the outcomes fenced by the
reservation's token (:mod:`.send`, :mod:`.writes`). :func:`interactions_recover_stuck`
(:mod:`.recovery`) settles reservations and claims whose worker died.

Publishing (enqueue, the beat's claim and tick) is :mod:`.enqueue`; the public names of
every part are importable from here. No HTTP; views, the send services, tasks and commands
call these functions.
"""

from __future__ import annotations

from interactions.dispatch.common import (
    AMBIGUOUS_SHORT,
    CLAIM_BATCH,
    DISPATCH_BATCH,
    DISPATCH_FIELDS,
    MAX_ATTEMPTS,
    NOT_RETRIED,
    PUBLISH_RETRY_POLICY,
    RETRY_BASE,
    RETRY_CAP,
    SENDS_QUEUE,
    WORKER_LOST_SHORT,
    Outcome,
    dispatch_batch_size,
    reserved_threshold,
    retry_delay,
    stuck_threshold,
)
from interactions.dispatch.enqueue import (
    interaction_enqueue_after_commit,
    interaction_publish_after_commit,
    interactions_claim_due,
    interactions_dispatch_housekeeping,
    interactions_enqueue_after_commit,
    reenqueue_max_backlog,
    reenqueue_threshold,
    sends_backlog,
)
from interactions.dispatch.recovery import NOT_RECEIVED, interactions_recover_stuck, provider_lookup
from interactions.dispatch.send import interaction_dispatch, interactions_dispatch_batch

__all__ = [
    "AMBIGUOUS_SHORT",
    "CLAIM_BATCH",
    "DISPATCH_BATCH",
    "DISPATCH_FIELDS",
    "MAX_ATTEMPTS",
    "NOT_RECEIVED",
    "NOT_RETRIED",
    "PUBLISH_RETRY_POLICY",
    "RETRY_BASE",
    "RETRY_CAP",
    "SENDS_QUEUE",
    "WORKER_LOST_SHORT",
    "Outcome",
    "dispatch_batch_size",
    "interaction_dispatch",
    "interaction_enqueue_after_commit",
    "interaction_publish_after_commit",
    "interactions_claim_due",
    "interactions_dispatch_batch",
    "interactions_dispatch_housekeeping",
    "interactions_enqueue_after_commit",
    "interactions_recover_stuck",
    "provider_lookup",
    "reenqueue_max_backlog",
    "reenqueue_threshold",
    "reserved_threshold",
    "retry_delay",
    "sends_backlog",
    "stuck_threshold",
]

"""What the parts of the dispatcher share: settings, outcome names, texts."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings

from interactions.models import Interaction

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
#: Rows one dispatch task reserves: its own and up to DISPATCH_BATCH - 1 other due rows
#: (``DISPATCH_BATCH`` setting).
DISPATCH_BATCH = 100
#: Publishing to the broker: a few quick retries, then give up and let the beat re-enqueue.
PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.1, "interval_max": 0.1}

#: The columns a dispatch reads (returned by the reservation).
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
    "template_version_id",
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
    """What the dispatch of one interaction did (for logs and tests)."""

    SKIPPED = "skipped"  # not due, not scheduled, or another worker claimed it
    RESCHEDULED = "rescheduled"  # Compliance Guard refused for a while: new send_at
    BLOCKED = "blocked"  # Compliance Guard refused for good: failed
    SENT = "sent"  # the provider accepted it
    RETRY = "retry"  # transient provider error: scheduled again with backoff
    FAILED = "failed"  # rejected, misconfigured, or out of attempts
    UNKNOWN = "unknown"  # the provider may or may not have it: attempted, not retried
    FENCED = "fenced"  # the claim was settled by someone else while the provider ran
    RELEASED = "released"  # reserved, then given back unsent (the guard failed, the batch stopped)


def dispatch_batch_size() -> int:
    """Rows one dispatch task reserves (``DISPATCH_BATCH``, at least 1)."""
    return max(int(getattr(settings, "DISPATCH_BATCH", DISPATCH_BATCH)), 1)


def stuck_threshold() -> timedelta:
    """How old a started claim must be before :func:`interactions_recover_stuck` settles
    it: past the hard task time limit, the worker that held it is certainly gone.
    ``DISPATCH_STUCK_AFTER`` seconds; the time limit plus a minute by default."""
    default = getattr(settings, "CELERY_TASK_TIME_LIMIT", 300) + 60
    return timedelta(seconds=getattr(settings, "DISPATCH_STUCK_AFTER", default))


def reserved_threshold() -> timedelta:
    """How old a reservation (claimed, provider not called) must be before recovery gives
    it back. Releasing one early is safe (its worker's start is fenced and it sends
    nothing); the threshold only keeps recovery from undoing live work.
    ``DISPATCH_RESERVED_AFTER`` seconds, 60 by default, never above the stuck threshold."""
    return min(timedelta(seconds=getattr(settings, "DISPATCH_RESERVED_AFTER", 60)), stuck_threshold())


def retry_delay(attempts: int) -> timedelta:
    """The wait after the ``attempts``-th call failed transiently: 30 s, 1 min, 2 min, …,
    at most an hour."""
    return min(RETRY_BASE * 2 ** max(attempts - 1, 0), RETRY_CAP)

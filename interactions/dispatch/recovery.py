"""Settling claims whose worker died (on every beat tick)."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.utils import timezone
from django.utils.module_loading import import_string

from interactions.dispatch.common import (
    CLAIM_BATCH,
    MAX_ATTEMPTS,
    NOT_RETRIED,
    WORKER_LOST_SHORT,
    Status,
    reserved_threshold,
    stuck_threshold,
)
from interactions.dispatch.writes import (
    Claim,
    Columns,
    finish_columns,
    release_columns,
    sent_columns,
    write_claimed,
)
from interactions.models import Interaction
from providers.base import Provider, SendResult
from providers.registry import PROVIDER_CLASSES

logger = logging.getLogger("interactions.dispatch")


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
    """Settle claims whose worker died. ``older_than`` (both kinds below) defaults to
    :func:`stuck_threshold` for started claims and :func:`reserved_threshold` for
    reservations.

    - Reservations (``inProgress`` with a token, ``dispatch_started_at`` NULL, last
      written before the threshold): the provider was certainly never called; they go
      back to ``scheduled`` for the beat to publish at once ("released").
    - Started claims (``dispatch_started_at`` before the threshold, beyond the task time
      limit, so their worker is certainly gone): such a message may have gone out. It is
      never sent again on a guess: if the provider can say (``lookup``), the row gets the
      real outcome, or goes back to ``scheduled`` when the provider never got it;
      otherwise it ends ``attempted`` with "Delivery unknown".

    Returns counts by outcome."""
    now = timezone.now()
    counts = {"reconciled": 0, "released": 0, "failed": 0, "unknown": 0, "fenced": 0}
    reserved_for = older_than if older_than is not None else reserved_threshold()
    counts["released"] += _release_reservations(now - reserved_for, limit, now)
    threshold = older_than if older_than is not None else stuck_threshold()
    rows = list(
        Interaction.objects.filter(
            status=Status.IN_PROGRESS,
            dispatch_token__isnull=False,
            dispatch_started_at__lt=now - threshold,
        )
        .order_by("dispatch_started_at")
        .values_list("pk", "dispatch_token", "channel", "provider", "attempt_count", "content")[:limit]
    )
    for pk, token, channel, provider_name, attempts, content in rows:
        found = provider_lookup(provider_name, pk)
        now = timezone.now()
        columns: Columns
        if isinstance(found, SendResult):
            key, columns = "reconciled", sent_columns(channel, content, found, now=now)
        elif found is NOT_RECEIVED and attempts < MAX_ATTEMPTS:
            note = "Released: the worker stopped before the provider received the message."
            key, columns = "released", release_columns(send_at=None, error=note, now=now)
        elif found is NOT_RECEIVED:
            key, columns = (
                "failed",
                finish_columns(
                    Status.FAILED,
                    "providerError",
                    short=f"The message could not be handed to the provider in {attempts} attempts",
                    long="Each attempt's worker stopped before the provider received it.",
                    now=now,
                ),
            )
        else:
            long = (
                f"The worker stopped after the call to {provider_name or 'the provider'} started, "
                f"and the provider cannot tell whether it received the message. {NOT_RETRIED}"
            )
            key, columns = (
                "unknown",
                finish_columns(
                    Status.ATTEMPTED,
                    short=WORKER_LOST_SHORT,
                    long=long,
                    error=RuntimeError("worker lost"),
                    now=now,
                ),
            )
        written = write_claimed({Claim(pk, token): columns}, now=now)
        counts[key if written else "fenced"] += 1
    if any(counts.values()):
        logger.warning("Recovered stuck sends: %s", counts)
    return counts


def _release_reservations(before: datetime, limit: int, now: datetime) -> int:
    """Give back reservations last written before ``before``: their provider call never
    started, so they simply go back to ``scheduled``. Fenced like the worker's start (the
    reservation still unstarted): of the two conditional UPDATEs, exactly one wins."""
    reserved = Interaction.objects.filter(
        status=Status.IN_PROGRESS, dispatch_token__isnull=False, dispatch_started_at__isnull=True
    )
    ids = list(reserved.filter(updated_at__lt=before).values_list("pk", flat=True)[:limit])
    if not ids:
        return 0
    note = "Released: the worker stopped before the provider was called."
    return reserved.filter(pk__in=ids, updated_at__lt=before).update(
        status=Status.SCHEDULED, dispatch_token=None, enqueued_at=None, last_error=note, updated_at=now
    )

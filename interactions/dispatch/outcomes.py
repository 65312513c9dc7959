"""What a dispatch records for a provider's answer, or for a message that cannot be sent:
the columns of the row and the :class:`~interactions.dispatch.common.Outcome`
(docs/adr/0005-dispatch-exactly-once.md)."""

from __future__ import annotations

import logging
from datetime import datetime

from interactions.dispatch.common import (
    AMBIGUOUS_SHORT,
    MAX_ATTEMPTS,
    NOT_RETRIED,
    Outcome,
    Status,
    retry_delay,
)
from interactions.dispatch.writes import Columns, describe, finish_columns, release_columns, sent_columns
from interactions.models import Interaction
from providers.base import (
    AmbiguousProviderError,
    ProviderConfigurationError,
    RejectedProviderError,
    SendResult,
    TransientProviderError,
)

logger = logging.getLogger("interactions.dispatch")


def answer_columns(
    row: Interaction, provider_name: str, answer: SendResult | BaseException, now: datetime
) -> tuple[Columns, str]:
    """The columns and outcome for a provider's answer to one message of ``row``."""
    if isinstance(answer, SendResult):
        return sent_columns(row.channel, row.content, answer, now=now), Outcome.SENT
    if isinstance(answer, TransientProviderError):
        attempts = row.attempt_count + 1  # the start counted this call
        if attempts < MAX_ATTEMPTS:
            return release_columns(send_at=now + retry_delay(attempts), error=answer, now=now), Outcome.RETRY
        short = f"The provider was unavailable on {attempts} attempts"
    elif isinstance(answer, ProviderConfigurationError):
        short = "Provider not configured"
    elif isinstance(answer, RejectedProviderError):
        short = "The provider rejected the message"
    else:
        return _unknown_columns(row, provider_name, answer, now)
    columns = finish_columns(
        Status.FAILED,
        "providerError",
        short=short,
        long=describe(provider_name, answer),
        error=answer,
        now=now,
    )
    return columns, Outcome.FAILED


def _unknown_columns(
    row: Interaction, provider_name: str, answer: BaseException, now: datetime
) -> tuple[Columns, str]:
    """A timeout after the request was sent, or a failure inside the provider: it may
    have gone out, so it is recorded as attempted and never retried."""
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


def unsendable_columns(short: str, long: str, details: str | None, now: datetime) -> Columns:
    columns = finish_columns(Status.FAILED, details, short=short, long=long, now=now)
    columns["last_error"] = long
    return columns

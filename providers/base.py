"""The one provider interface every channel adapter implements.

A provider turns an :class:`OutgoingMessage` into a request to SendGrid, Twilio, a
print-and-mail service or the local outbox, and answers a :class:`SendResult` or raises
one of the :class:`ProviderError` family. It knows nothing of interactions: ``reference``
is an opaque id the caller uses to match delivery events later.

The error family tells the dispatcher what it may do next:

- :class:`TransientProviderError` — the message was certainly NOT accepted (connection
  refused, 429, a 5xx the provider documents as not processed): retrying is safe.
- :class:`RejectedProviderError` — the provider refused it for good (invalid number,
  unsubscribed address): do not retry.
- :class:`AmbiguousProviderError` — the request may have been accepted (a timeout after
  it was sent): never retry blindly; a duplicate collection message is itself a problem.
- :class:`ProviderConfigurationError` — missing credentials or settings.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar


@dataclass(frozen=True)
class Attachment:
    file_name: str
    content_type: str
    content: bytes


@dataclass(frozen=True)
class OutgoingMessage:
    """One message to one recipient (``to``). ``cc`` and ``bcc`` are further email
    addresses that receive the same email (free-form email; other channels have none)."""

    channel: str
    to: str
    reference: str
    from_: str = ""
    cc: tuple[str, ...] = ()
    bcc: tuple[str, ...] = ()
    subject_line: str = ""
    content_text: str = ""
    content_html: str = ""
    attachments: tuple[Attachment, ...] = ()
    metadata: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class SendResult:
    provider: str
    provider_message_id: str
    #: "accepted" (handed over; delivery reported later) or "delivered" (known delivered).
    state: str = "accepted"
    raw: dict[str, Any] = field(default_factory=dict)


class ProviderError(Exception):
    """Base of the provider errors; the SDK's exception is kept as ``__cause__``."""

    retryable: ClassVar[bool] = False

    def __init__(self, message: str, *, provider: str = "", code: str | None = None) -> None:
        super().__init__(message)
        self.provider = provider
        self.code = code


class TransientProviderError(ProviderError):
    retryable = True


class RejectedProviderError(ProviderError):
    pass


class AmbiguousProviderError(ProviderError):
    pass


class ProviderConfigurationError(ProviderError):
    pass


class Provider(ABC):
    """A channel adapter. Subclasses set ``name`` and ``channels`` and implement ``send``;
    a provider that can take many messages in one atomic request also overrides
    ``send_many`` and sets ``sends_in_bulk``."""

    name: ClassVar[str]
    channels: ClassVar[tuple[str, ...]]
    #: True when ``send_many`` hands the whole batch over in one all-or-nothing request (so
    #: a worker that dies during it leaves either every message of the batch with the
    #: provider or none). The dispatcher then marks the batch started with one write;
    #: otherwise it marks and sends message by message, so that a worker death leaves at
    #: most one message whose delivery is unknown.
    sends_in_bulk: ClassVar[bool] = False

    @abstractmethod
    def send(self, message: OutgoingMessage) -> SendResult:
        """Hand the message to the provider; raise a ProviderError subclass on failure."""

    def send_many(self, messages: Sequence[OutgoingMessage]) -> list[SendResult | ProviderError]:
        """Hand several messages over: one answer per message, in order — its result or the
        ProviderError it met. An exception raised by ``send_many`` itself concerns every
        message of the call. By default, ``send`` for each message in turn."""
        results: list[SendResult | ProviderError] = []
        for message in messages:
            try:
                results.append(self.send(message))
            except ProviderError as error:
                results.append(error)
        return results

    def lookup(self, reference: str) -> SendResult | None:
        """Whether the provider received the message ``reference``: its result, or None
        when it certainly did not. The dispatcher asks this about a send whose worker died
        during the call; raise NotImplementedError when the provider cannot tell (the
        send then ends "delivery unknown" and is never resent on a guess)."""
        raise NotImplementedError

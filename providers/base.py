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
from dataclasses import dataclass, field
from typing import Any, ClassVar


@dataclass(frozen=True)
class Attachment:
    file_name: str
    content_type: str
    content: bytes


@dataclass(frozen=True)
class OutgoingMessage:
    channel: str
    to: str
    reference: str
    from_: str = ""
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
    """A channel adapter. Subclasses set ``name`` and ``channels`` and implement ``send``."""

    name: ClassVar[str]
    channels: ClassVar[tuple[str, ...]]

    @abstractmethod
    def send(self, message: OutgoingMessage) -> SendResult:
        """Hand the message to the provider; raise a ProviderError subclass on failure."""

    def lookup(self, reference: str) -> SendResult | None:
        """Whether the provider received the message ``reference``: its result, or None
        when it certainly did not. The dispatcher asks this about a send whose worker died
        during the call; raise NotImplementedError when the provider cannot tell (the
        send then ends "delivery unknown" and is never resent on a guess)."""
        raise NotImplementedError

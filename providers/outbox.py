"""The ``outbox`` provider: the embedded default for every channel. It records each
message (``OutboxMessage``) and reports it delivered, so a machine with no provider
credentials shows the whole life of a message without anything leaving it."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from providers.base import OutgoingMessage, Provider, ProviderError, SendResult
from providers.models import OutboxMessage


class OutboxProvider(Provider):
    name = "outbox"
    channels = ("email", "text", "voice", "mail", "chat", "gui")
    # One INSERT for the whole batch: every message of it is recorded, or none.
    sends_in_bulk = True

    def send(self, message: OutgoingMessage) -> SendResult:
        record = _record(message)
        record.save(force_insert=True)
        return self._result(record)

    def send_many(self, messages: Sequence[OutgoingMessage]) -> list[SendResult | ProviderError]:
        records = [_record(message) for message in messages]
        OutboxMessage.objects.bulk_create(records)
        return [self._result(record) for record in records]

    def lookup(self, reference: str) -> SendResult | None:
        # The outbox rows are written in one autocommitted INSERT per call: a message's row
        # exists exactly when it was "sent".
        record = OutboxMessage.objects.filter(reference=reference).only("provider_message_id").first()
        if record is None:
            return None
        return SendResult(self.name, record.provider_message_id, state="delivered")

    def _result(self, record: OutboxMessage) -> SendResult:
        return SendResult(
            provider=self.name, provider_message_id=record.provider_message_id, state="delivered"
        )


def _record(message: OutgoingMessage) -> OutboxMessage:
    return OutboxMessage(
        provider_message_id=f"outbox-{uuid.uuid4().hex}",
        reference=message.reference,
        channel=message.channel,
        to=message.to,
        cc=list(message.cc),
        bcc=list(message.bcc),
        from_address=message.from_,
        subject_line=message.subject_line,
        content_text=message.content_text,
        content_html=message.content_html,
        attachments=[
            {"fileName": a.file_name, "contentType": a.content_type, "size": len(a.content)}
            for a in message.attachments
        ],
        metadata=dict(message.metadata),
    )

"""The ``outbox`` provider: the embedded default for every channel. It records each
message (``OutboxMessage``) and reports it delivered, so a machine with no provider
credentials shows the whole life of a message without anything leaving it."""

from __future__ import annotations

import uuid

from providers.base import OutgoingMessage, Provider, SendResult
from providers.models import OutboxMessage


class OutboxProvider(Provider):
    name = "outbox"
    channels = ("email", "text", "voice", "mail", "chat", "gui")

    def send(self, message: OutgoingMessage) -> SendResult:
        record = OutboxMessage.objects.create(
            provider_message_id=f"outbox-{uuid.uuid4().hex}",
            reference=message.reference,
            channel=message.channel,
            to=message.to,
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
        return SendResult(
            provider=self.name, provider_message_id=record.provider_message_id, state="delivered"
        )

    def lookup(self, reference: str) -> SendResult | None:
        # The outbox row is written in one autocommitted INSERT: it exists exactly when the
        # message was "sent".
        record = OutboxMessage.objects.filter(reference=reference).only("provider_message_id").first()
        if record is None:
            return None
        return SendResult(self.name, record.provider_message_id, state="delivered")

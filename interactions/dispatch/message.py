"""The provider's message, built from the content frozen at send time."""

from __future__ import annotations

from interactions.models import Interaction
from providers.base import Attachment, OutgoingMessage


class UnsendableError(Exception):
    """The row cannot be turned into a provider message (no recipient, missing file)."""


def outgoing_message(row: Interaction) -> OutgoingMessage:
    """The provider's message for ``row``: recipient, sender, ``cc``/``bcc`` (free-form
    email), texts and attachments (read from storage) as the content froze them."""
    from borrowers.models import Contact, Document
    from borrowers.selectors import document_content_open

    content = row.content or {}
    to = content.get("to")
    if not to and row.contact_id:
        to = Contact.objects.filter(pk=row.contact_id).values_list("value", flat=True).first()
    if not to:
        raise UnsendableError("The interaction has no recipient (content.to).")
    attachments = []
    document_ids = [value for value in content.get("attachments") or [] if value]
    if document_ids:
        documents = {
            doc.pk: doc for doc in Document.objects.filter(company_id=row.company_id, pk__in=document_ids)
        }
        for document_id in document_ids:
            document = documents.get(document_id)
            if document is None:
                raise UnsendableError(f"Attachment '{document_id}' does not exist.")
            try:
                with document_content_open(document) as file:
                    data = file.read()
            except Exception as error:
                raise UnsendableError(f"Attachment '{document_id}' cannot be read: {error}") from error
            attachments.append(
                Attachment(
                    file_name=document.file_name or document.pk,
                    content_type=document.content_type or "application/octet-stream",
                    content=data,
                )
            )
    return OutgoingMessage(
        channel=row.channel,
        to=str(to),
        reference=row.pk,
        from_=str(content.get("from") or ""),
        cc=_addresses(content.get("cc")),
        bcc=_addresses(content.get("bcc")),
        subject_line=content.get("subjectLine") or "",
        content_text=content.get("contentText") or "",
        content_html=content.get("contentHtml") or "",
        attachments=tuple(attachments),
        metadata={"interactionId": row.pk, "companyId": str(row.company_id)},
    )


def _addresses(value: object) -> tuple[str, ...]:
    if not isinstance(value, list | tuple):
        return ()
    return tuple(str(address) for address in value if address)

"""Writes of a borrower's document descriptors and their stored content."""

from __future__ import annotations

from typing import Any

from django.core.files import File
from django.db import transaction

from borrowers import selectors
from borrowers.models import Borrower, Document
from borrowers.services._common import apply, save_unique
from borrowers.validators import FieldErrors

#: Largest document content accepted by an upload.
DOCUMENT_CONTENT_MAX_BYTES = 10 * 1024 * 1024


def document_create(*, borrower: Borrower, data: dict[str, Any]) -> Document:
    """A new descriptor (``status: pending``, no content yet). ``loan_id`` (an id or
    ``ext-`` id) must be a loan of ``borrower``, else :class:`InvalidInput` naming
    ``loanId``."""
    document = Document(company_id=borrower.company_id, borrower=borrower)
    data = dict(data)
    if data.get("loan_id"):
        errors = FieldErrors()
        loan_ids, unknown = selectors.loan_ids_of_borrower(
            borrower.company_id, borrower.pk, [data["loan_id"]]
        )
        for value in unknown:
            errors.add("loanId", f"No loan '{value[:80]}' of this borrower.")
        errors.raise_if_any()
        data["loan_id"] = loan_ids[0]
    apply(document, data)
    save_unique(document)
    return document


def document_content_upload(*, document: Document, content: File, size: int, content_type: str) -> Document:
    """Store ``content`` as the document's bytes, replacing any it had, and mark it
    ``uploaded`` with its ``content_type`` and ``content_length``.

    The file is written before the short transaction that points the row at it; the
    replaced file is deleted after commit. Concurrent uploads leave the last one stored
    and no orphan files.
    """
    storage = document.content.storage
    name = document.content.field.generate_filename(document, document.file_name or "content")
    stored_name = storage.save(name, content, max_length=document.content.field.max_length)
    try:
        with transaction.atomic():
            locked = Document.objects.select_for_update().get(pk=document.pk)
            replaced = locked.content.name
            locked.content.name = stored_name
            locked.content_type = content_type
            locked.content_length = size
            locked.status = Document.Status.UPLOADED
            locked.save(update_fields=["content", "content_type", "content_length", "status", "updated_at"])
            if replaced and replaced != stored_name:
                transaction.on_commit(lambda: storage.delete(replaced))
    except BaseException:
        storage.delete(stored_name)
        raise
    return locked

"""The request body of a document upload: raw bytes of any media type."""

from __future__ import annotations

import tempfile
from typing import Any

from django.core.files import File
from rest_framework.exceptions import APIException
from rest_framework.parsers import BaseParser

from borrowers.services import DOCUMENT_CONTENT_MAX_BYTES

CHUNK_SIZE = 64 * 1024
SPOOL_IN_MEMORY = 1024 * 1024


class ContentTooLarge(APIException):
    status_code = 413
    default_detail = f"The content is larger than {DOCUMENT_CONTENT_MAX_BYTES // (1024 * 1024)} MB."
    default_code = "too_large"


class RawBodyParser(BaseParser):
    """Any Content-Type: ``request.data`` is a :class:`File` of the body (spooled to disk
    past 1 MB) with its byte count as ``.size``. A body over ``max_bytes`` is refused
    with 413 (from Content-Length before reading, or while reading)."""

    media_type = "*/*"
    max_bytes = DOCUMENT_CONTENT_MAX_BYTES

    def parse(self, stream: Any, media_type: str | None = None, parser_context: dict | None = None) -> File:
        request = (parser_context or {}).get("request")
        declared = request.META.get("CONTENT_LENGTH") if request is not None else None
        if declared and declared.isdigit() and int(declared) > self.max_bytes:
            raise ContentTooLarge()
        spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY)  # noqa: SIM115 - the view closes it
        size = 0
        while chunk := stream.read(CHUNK_SIZE):
            size += len(chunk)
            if size > self.max_bytes:
                spool.close()
                raise ContentTooLarge()
            spool.write(chunk)
        spool.seek(0)
        content = File(spool, name="content")
        content.size = size
        return content

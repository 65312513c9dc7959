"""The JSON parser every API route uses."""

from __future__ import annotations

from typing import Any

from rest_framework.exceptions import ValidationError
from rest_framework.parsers import JSONParser

NUL_MESSAGE = "NUL characters (\\u0000) are not allowed."


def nul_character_path(value: Any, path: str = "") -> str | None:
    """The path of the first string (or key) holding a NUL character, else None.
    PostgreSQL cannot store U+0000 in text or jsonb, so such input is refused up front."""
    if isinstance(value, str):
        return (path or "body") if "\x00" in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            where = f"{path}.{key}" if path else str(key)
            if "\x00" in str(key):
                return where.replace("\x00", "\\u0000")
            found = nul_character_path(item, where)
            if found:
                return found
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found = nul_character_path(item, f"{path}[{index}]")
            if found:
                return found
    return None


class StrictJSONParser(JSONParser):
    """JSON, refusing NUL characters (U+0000) anywhere with a 400 naming the field."""

    def parse(self, stream, media_type=None, parser_context=None) -> Any:  # noqa: ANN001
        data = super().parse(stream, media_type, parser_context)
        where = nul_character_path(data)
        if where:
            raise ValidationError({where[:200]: [NUL_MESSAGE]})
        return data

"""The JSON parser every API route uses.

Input no field could store or process safely is refused here, once, for every JSON value
of every route — nested dict keys and values included — with a 400 naming where it is:
NUL characters (PostgreSQL cannot store U+0000 in text or jsonb), lone UTF-16 surrogates
(``"\\ud800"``: not encodable as UTF-8, so neither storable nor sendable), and nesting
deeper than :data:`MAX_DEPTH` (which would otherwise exhaust Python's recursion limit in
the decoder or in any code that walks the value).
"""

from __future__ import annotations

import codecs
import io
import re
from typing import Any

from rest_framework.exceptions import ValidationError
from rest_framework.parsers import JSONParser, get_encoding

NUL_MESSAGE = "NUL characters (\\u0000) are not allowed."
#: DRF's own message (ProhibitSurrogateCharactersValidator), so a surrogate reads the same
#: whichever field it is in.
SURROGATE_MESSAGE = "Surrogate characters are not allowed: U+{code_point:X}."
#: Levels of objects and arrays a body may nest (the body itself is level 1). Real bodies
#: use a handful (a template context with a loan's schedule: about 5); 64 leaves room
#: for any of them and keeps every walk over a value far from the recursion limit.
MAX_DEPTH = 64
DEPTH_MESSAGE = (
    f"The JSON body nests objects and arrays more than {MAX_DEPTH} levels deep; "
    f"at most {MAX_DEPTH} levels are accepted."
)
_SURROGATE = re.compile("[\ud800-\udfff]")
#: The JSON escapes of a NUL and of a surrogate (\u0000, \ud800 … \udfff), any case.
_RISKY_ESCAPE = re.compile(rb"\\u(?:0000|d[89a-f])", re.IGNORECASE)
_PATH_LIMIT = 200


def _string_problem(text: str) -> str | None:
    if "\x00" in text:
        return NUL_MESSAGE
    if not text.isascii():
        match = _SURROGATE.search(text)
        if match:
            return SURROGATE_MESSAGE.format(code_point=ord(match.group()))
    return None


def _path(trail: tuple | None) -> str:
    """``loan.items[2].name`` from a trail ``(parent trail, key or index)``, made safe to
    put in a response (free of NULs and surrogates itself)."""
    parts: list[str] = []
    while trail is not None:
        trail, key = trail
        parts.append(f"[{key}]" if isinstance(key, int) else f".{key}")
    path = "".join(reversed(parts))
    path = (path[1:] if path.startswith(".") else path).replace("\x00", "\\u0000")
    return _SURROGATE.sub(lambda match: f"\\u{ord(match.group()):04x}", path)[:_PATH_LIMIT]


def body_problem(value: Any, strings: bool = True) -> tuple[str, str] | None:
    """The first ``(path, problem)`` found in a parsed JSON value, else None; ``path`` is
    ``""`` for the nesting limit (it concerns the whole body) and ``body`` for a bare
    string. ``strings=False`` checks the nesting only. Iterative, so a value of any depth
    is walked without recursion; within one object or array, its strings are checked
    before what nests in it. Paths are built only for a problem found."""
    if isinstance(value, str):
        problem = _string_problem(value) if strings else None
        return ("body", problem) if problem else None
    stack: list[tuple[Any, tuple | None, int]] = [(value, None, 1)]
    while stack:
        item, trail, depth = stack.pop()
        if depth > MAX_DEPTH:
            return "", DEPTH_MESSAGE
        pairs = item.items() if isinstance(item, dict) else enumerate(item)
        nested = []
        for key, child in pairs:
            if strings:
                for text in (key, child):  # an object's keys are strings a field may store too
                    if isinstance(text, str) and ("\x00" in text or not text.isascii()):
                        problem = _string_problem(text)
                        if problem:
                            return _path((trail, key)), problem
            if isinstance(child, (dict, list)):
                nested.append((child, (trail, key), depth + 1))
        stack.extend(reversed(nested))
    return None


class StrictJSONParser(JSONParser):
    """JSON, refusing NULs, lone surrogates and deep nesting with a 400 (module docstring)."""

    def parse(self, stream, media_type=None, parser_context=None) -> Any:  # noqa: ANN001
        raw = stream.read()
        try:
            data = super().parse(io.BytesIO(raw), media_type, parser_context)
        except RecursionError:
            # The decoder recursed past Python's limit: nested far deeper than MAX_DEPTH.
            raise ValidationError([DEPTH_MESSAGE]) from None
        strings, depth = _may_have_problem(raw, get_encoding(parser_context or {}))
        if strings or depth:
            found = body_problem(data, strings=strings)
            if found:
                path, problem = found
                raise ValidationError({path: [problem]} if path else [problem])
        return data


def _may_have_problem(raw: bytes, encoding: str) -> tuple[bool, bool]:
    """Whether the raw body may hold a bad string, and whether it may nest too deeply, so
    that almost every request skips the walk (and a large body walks only what it needs).
    In UTF-8 a NUL or a surrogate can arrive only as a ``\\u`` escape (the decoder refuses
    a raw control character in a string, and UTF-8 cannot encode a surrogate); nesting
    past the limit needs more opening brackets than the limit."""
    if codecs.lookup(encoding).name != "utf-8":
        return True, True
    return (
        _RISKY_ESCAPE.search(raw) is not None,
        raw.count(b"[") + raw.count(b"{") > MAX_DEPTH,
    )

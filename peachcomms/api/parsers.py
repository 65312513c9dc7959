"""The JSON parser every API route uses.

Input no field could store or process safely is refused here, once, for every JSON value
of every route — nested dict keys and values included — with a 400 naming where it is:
NUL characters (PostgreSQL cannot store U+0000 in text or jsonb), lone UTF-16 surrogates
(``"\\ud800"``: not encodable as UTF-8, so neither storable nor sendable), and nesting
deeper than :data:`MAX_DEPTH` (which would otherwise exhaust Python's recursion limit in
the decoder or in any code that walks the value).
"""

from __future__ import annotations

import re
from typing import Any

from rest_framework.exceptions import ValidationError
from rest_framework.parsers import JSONParser

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
_PATH_LIMIT = 200


def _string_problem(text: str) -> str | None:
    if "\x00" in text:
        return NUL_MESSAGE
    if not text.isascii():
        match = _SURROGATE.search(text)
        if match:
            return SURROGATE_MESSAGE.format(code_point=ord(match.group()))
    return None


def _printable(path: str) -> str:
    """A path safe to put in a response (itself free of NULs and surrogates)."""
    path = path.replace("\x00", "\\u0000")
    return _SURROGATE.sub(lambda match: f"\\u{ord(match.group()):04x}", path)[:_PATH_LIMIT]


def body_problem(value: Any) -> tuple[str, str] | None:
    """The first ``(path, problem)`` found in a parsed JSON value, in document order, else
    None. Paths read ``loan.name``, ``items[2].k``, ``body`` for a bare string. Iterative,
    so a value of any depth is walked without recursion."""
    stack: list[tuple[Any, str, int]] = [(value, "", 1)]
    while stack:
        item, path, depth = stack.pop()
        if isinstance(item, str):
            problem = _string_problem(item)
            if problem:
                return _printable(path or "body"), problem
        elif isinstance(item, (dict, list)):
            if depth > MAX_DEPTH:
                return "", DEPTH_MESSAGE
            children: list[tuple[Any, str, int]] = []
            if isinstance(item, dict):
                for key, child in item.items():
                    where = f"{path}.{key}" if path else str(key)
                    problem = _string_problem(key)
                    if problem:
                        return _printable(where), problem
                    children.append((child, where, depth + 1))
            else:
                children = [(child, f"{path}[{index}]", depth + 1) for index, child in enumerate(item)]
            stack.extend(reversed(children))
    return None


class StrictJSONParser(JSONParser):
    """JSON, refusing NULs, lone surrogates and deep nesting with a 400 (module docstring)."""

    def parse(self, stream, media_type=None, parser_context=None) -> Any:  # noqa: ANN001
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            # The decoder recursed past Python's limit: nested far deeper than MAX_DEPTH.
            raise ValidationError([DEPTH_MESSAGE]) from None
        found = body_problem(data)
        if found:
            path, problem = found
            raise ValidationError({path: [problem]} if path else [problem])
        return data

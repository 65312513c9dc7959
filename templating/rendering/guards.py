"""Checks around every filter of the sandboxed environments.

Each filter (Jinja's own and those of :mod:`templating.rendering.filters`) is wrapped by
:func:`_guard_filter`: the clock, then, for those that allocate from their arguments
(``center``, ``indent``, ``replace``, ``join`` …), a check of those arguments before the
allocation (:data:`_PRECHECKS`), then the size of the result.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from jinja2.utils import _PassArg

from templating.rendering import limits


def _check_join(items: Any, separator: str = "") -> None:
    if isinstance(items, (list, tuple)):
        size = sum(len(item) for item in items if isinstance(item, str)) + len(separator) * len(items)
        if size > limits.MAX_OUTPUT_CHARS:
            raise limits.RenderLimitExceeded(f"a value of more than {limits.MAX_OUTPUT_CHARS} characters")


# Checks run before a built-in filter allocates (arguments after the filtered value).
_PRECHECKS: dict[str, Callable[..., None]] = {
    "center": lambda value, width=80, *a, **k: limits.check_width(width, "center width"),
    "indent": lambda value, width=4, *a, **k: limits.check_width(width, "indent width"),
    "wordwrap": lambda value, width=79, *a, **k: limits.check_width(width, "wordwrap width"),
    "truncate": lambda value, length=255, *a, **k: limits.check_width(length, "truncate length"),
    "batch": lambda value, linecount=1, *a, **k: limits.check_width(linecount, "batch size"),
    "slice": lambda value, slices=1, *a, **k: limits.check_width(slices, "slice count"),
    "format": lambda value, *a, **k: limits.check_percent_format(value),
    "replace": lambda value, old="", new="", count=None, *a, **k: limits.check_replace(
        value, old, new, -1 if count is None else count
    ),
    "join": lambda value, d="", *a, **k: _check_join(value, d if isinstance(d, str) else ""),
}
_REMOVED_FILTERS = {"pprint"}


def _guard_filter(name: str, func: Callable[..., Any]) -> Callable[..., Any]:
    """``func`` checked: the clock, then its arguments (when it has a precheck), then its
    result."""
    precheck = _PRECHECKS.get(name)
    skip = 1 if _PassArg.from_obj(func) is not None else 0

    @wraps(func)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        limits.charge_time()
        if precheck is not None:
            precheck(*args[skip:], **kwargs)
        return limits.charge_value(func(*args, **kwargs))

    return guarded

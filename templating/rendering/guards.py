"""Checks around every filter of the sandboxed environments.

Each filter (Jinja's own and those of :mod:`templating.rendering.filters`) is wrapped by
:func:`_guard_filter`: the clock, then, for those that allocate from their arguments
(``center``, ``indent``, ``replace``, ``join`` …), a check of those arguments before the
allocation (:data:`_PRECHECKS`), then the size of the result.
"""

from __future__ import annotations

import time
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
    result. A layout calls filters dozens of times per render (``|default`` above all), so
    the clock check is ``charge_time`` inline."""
    precheck = _PRECHECKS.get(name)
    skip = 1 if _PassArg.from_obj(func) is not None else 0
    run = _synchronous(func)
    current_budget, charge_value = limits.current_budget, limits.charge_value

    if precheck is None:

        @wraps(func)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            budget = current_budget()
            if budget is not None and time.monotonic() > budget.deadline:
                budget.out_of_time()
            return charge_value(run(*args, **kwargs))

    else:

        @wraps(func)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            budget = current_budget()
            if budget is not None and time.monotonic() > budget.deadline:
                budget.out_of_time()
            precheck(*args[skip:], **kwargs)
            return charge_value(run(*args, **kwargs))

    return guarded


def _synchronous(func: Callable[..., Any]) -> Callable[..., Any]:
    """``func``, or for a Jinja filter with an async twin (``select``, ``join``, ``list`` …)
    the sync one it dispatches to: taking the same arguments as ``func``, without the
    dispatcher's question on every call (is the environment async? ours never are)."""
    if not getattr(func, "jinja_async_variant", False):
        return func
    sync = func.__wrapped__
    if _PassArg.from_obj(sync) is not None:
        return sync

    def without_eval_context(eval_ctx: Any, /, *args: Any, **kwargs: Any) -> Any:
        return sync(*args, **kwargs)  # the dispatcher took the eval context for itself

    return without_eval_context

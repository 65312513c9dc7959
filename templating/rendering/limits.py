"""Limits on what one render may cost, enforced without signals or threads.

A render runs under a :class:`Budget` held in a context variable. The sandbox calls
:func:`charge_time` (and friends) from the points every template must pass through to do
work: each loop iteration (the environment wraps every ``{% for %}`` iterable), each call
(functions, macros, methods), each intercepted operator (``*``, ``**``, ``%``, ``+``),
each concatenation (``~``), each filter and each ``{{ … }}`` output. So a template cannot
spin, recurse or build strings without meeting a check:

- **time**: the deadline (``RENDER_SECONDS``) is compared at those points;
- **iterations**: at most ``MAX_LOOP_ITERATIONS`` loop iterations per render;
- **work**: every string a template builds or outputs is charged by length to
  ``MAX_WORK_CHARS``, so no buffer (a macro's output, a ``{% set %}`` block) can grow
  past it before it is joined;
- **output**: each rendered part is at most ``MAX_OUTPUT_CHARS``;
- **arguments that allocate** (``"x" * n``, ``center(n)``, format widths, ``range``) are
  checked before the allocation happens.

A limit that is hit raises :class:`RenderLimitExceeded`, which the renderer reports as a
422 naming the limit.
"""

from __future__ import annotations

import re
import string
import time
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from jinja2.exceptions import TemplateRuntimeError

#: Template source, per part (``subjectLineTemplate`` …); larger is refused on save (400).
MAX_SOURCE_CHARS = 100_000
#: Rendered output, per part (422).
MAX_OUTPUT_CHARS = 1_000_000
#: Everything a render builds or outputs, counted by length, all parts together.
MAX_WORK_CHARS = 8_000_000
MAX_LOOP_ITERATIONS = 100_000
#: ``range()`` in a template.
MAX_RANGE = 10_000
#: Width or count arguments (``center``, ``indent``, format widths, ``ljust``, ``batch`` …).
MAX_WIDTH = 10_000
#: ``**`` exponents, and the size of integers a template may build.
MAX_EXPONENT = 1_000
MAX_INT_BITS = 4_096
RENDER_SECONDS = 2.0


class RenderLimitExceeded(TemplateRuntimeError):
    """A render went past one of the limits above."""


@dataclass
class Budget:
    deadline: float
    seconds: float
    iterations: int = 0
    work: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    def check_time(self) -> None:
        if time.monotonic() > self.deadline:
            raise RenderLimitExceeded(f"the render took longer than {self.seconds:g} seconds")


_budget: ContextVar[Budget | None] = ContextVar("template_render_budget", default=None)


def start_budget(seconds: float = RENDER_SECONDS) -> Any:
    """Put a fresh budget in force; returns the token for :func:`end_budget`."""
    return _budget.set(Budget(deadline=time.monotonic() + seconds, seconds=seconds))


def end_budget(token: Any) -> None:
    _budget.reset(token)


def charge_time() -> None:
    budget = _budget.get()
    if budget is not None:
        budget.check_time()


def charge_iteration() -> None:
    budget = _budget.get()
    if budget is None:
        return
    budget.iterations += 1
    if budget.iterations > MAX_LOOP_ITERATIONS:
        raise RenderLimitExceeded(f"more than {MAX_LOOP_ITERATIONS} loop iterations")
    budget.check_time()


def charge_work(size: int) -> None:
    budget = _budget.get()
    if budget is None:
        return
    budget.work += size
    if budget.work > MAX_WORK_CHARS:
        raise RenderLimitExceeded(f"the template built more than {MAX_WORK_CHARS} characters of text")
    budget.check_time()


def charge_value(value: Any) -> Any:
    """Charge a value a template built (strings and sequences by length)."""
    if isinstance(value, (str, list, tuple)):
        if len(value) > MAX_OUTPUT_CHARS:
            raise RenderLimitExceeded(f"a value of more than {MAX_OUTPUT_CHARS} characters or items")
        charge_work(len(value))
    elif isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > MAX_INT_BITS:
        raise RenderLimitExceeded(f"an integer larger than {MAX_INT_BITS} bits")
    else:
        charge_time()
    return value


def check_width(value: Any, what: str) -> None:
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_WIDTH:
        raise RenderLimitExceeded(f"{what} is limited to {MAX_WIDTH}")
    if isinstance(value, str) and len(value) > MAX_WIDTH:
        raise RenderLimitExceeded(f"{what} is limited to {MAX_WIDTH} characters")


def check_repeat(left: Any, right: Any) -> None:
    """``left * right`` where one side is a sequence: refuse results above the limit."""
    for sequence, count in ((left, right), (right, left)):
        if isinstance(sequence, (str, list, tuple)) and isinstance(count, int):
            if len(sequence) * max(count, 0) > MAX_OUTPUT_CHARS:
                raise RenderLimitExceeded(f"a repetition of more than {MAX_OUTPUT_CHARS} characters or items")
            return
    check_int_product(left, right)


def check_int_product(left: Any, right: Any) -> None:
    if (
        isinstance(left, int)
        and isinstance(right, int)
        and left.bit_length() + right.bit_length() > MAX_INT_BITS
    ):
        raise RenderLimitExceeded(f"an integer larger than {MAX_INT_BITS} bits")


def check_power(base: Any, exponent: Any) -> None:
    if isinstance(exponent, (int, float)) and not isinstance(exponent, bool):
        if abs(exponent) > MAX_EXPONENT:
            raise RenderLimitExceeded(f"exponents are limited to {MAX_EXPONENT}")
        if (
            isinstance(base, int)
            and isinstance(exponent, int)
            and base.bit_length() * exponent > MAX_INT_BITS
        ):
            raise RenderLimitExceeded(f"an integer larger than {MAX_INT_BITS} bits")


# %[(key)][flags][width][.precision]type — widths and precisions must stay small.
_PERCENT_SPEC = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(\*|\d+)?(?:\.(\*|\d+))?[a-zA-Z%]")


def check_percent_format(fmt: Any) -> None:
    if not isinstance(fmt, str):
        return
    for width, precision in _PERCENT_SPEC.findall(fmt):
        for number in (width, precision):
            if number == "*" or (number and int(number) > MAX_WIDTH):
                raise RenderLimitExceeded(f"format widths are limited to {MAX_WIDTH}")


_BRACE_WIDTH = re.compile(r"\d+")


def check_brace_format(fmt: str) -> None:
    """``str.format`` specs: no nested fields, no widths above the limit."""
    try:
        parsed = list(string.Formatter().parse(fmt))
    except ValueError:
        return  # str.format raises the same error itself
    for _literal, _field, spec, _conversion in parsed:
        if not spec:
            continue
        if "{" in spec:
            raise RenderLimitExceeded("nested format fields are not allowed")
        if any(int(n) > MAX_WIDTH for n in _BRACE_WIDTH.findall(spec)):
            raise RenderLimitExceeded(f"format widths are limited to {MAX_WIDTH}")


def check_replace(text: Any, old: Any, new: Any, count: Any = -1) -> None:
    if not (isinstance(text, str) and isinstance(old, str) and isinstance(new, str)):
        return
    occurrences = (len(text) + 1) if old == "" else text.count(old)
    if isinstance(count, int) and count >= 0:
        occurrences = min(occurrences, count)
    if len(text) + occurrences * max(len(new) - len(old), 0) > MAX_OUTPUT_CHARS:
        raise RenderLimitExceeded(f"a replacement of more than {MAX_OUTPUT_CHARS} characters")


def guarded_range(*args: Any) -> range:
    """``range`` for templates: at most ``MAX_RANGE`` items."""
    for arg in args:
        if not isinstance(arg, int) or isinstance(arg, bool):
            raise TemplateRuntimeError("range() takes integers")
    values = range(*args)
    if len(values) > MAX_RANGE:
        raise RenderLimitExceeded(f"range() is limited to {MAX_RANGE} items")
    charge_time()
    return values

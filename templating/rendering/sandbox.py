"""The sandbox itself: :class:`TemplateSandbox`, Jinja's
:class:`~jinja2.sandbox.ImmutableSandboxedEnvironment` (no ``_private`` or internal
attributes, no mutation of lists and dicts, sandboxed ``str.format``) with:

- an attribute the sandbox refuses is an error at once (Jinja's default renders it as an
  undefined value, which would hide the attempt);
- strings offer only an allow-list of methods, and no function or method can be output;
- the limits of :mod:`templating.rendering.limits` on every call, intercepted operator
  (``* ** % +``) and output, and the hooks the rewritten templates call
  (:mod:`templating.rendering.codegen`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from functools import wraps
from typing import Any

from jinja2 import Undefined, nodes
from jinja2.exceptions import SecurityError
from jinja2.runtime import markup_join, str_join
from jinja2.sandbox import ImmutableSandboxedEnvironment

from templating.rendering import limits
from templating.rendering.codegen import GuardedCodeGenerator, _guard_tree
from templating.rendering.guards import _check_join

#: Methods a template may call on a string. Everything else (``encode``, ``expandtabs``,
#: ``translate`` …) is refused like a private attribute.
STR_METHODS = frozenset(
    {
        "capitalize", "casefold", "center", "count", "endswith", "find", "format", "format_map",
        "index", "isalnum", "isalpha", "isascii", "isdecimal", "isdigit", "islower", "isnumeric",
        "isspace", "istitle", "isupper", "join", "ljust", "lower", "lstrip", "partition",
        "removeprefix", "removesuffix", "replace", "rfind", "rindex", "rjust", "rpartition",
        "rsplit", "rstrip", "split", "splitlines", "startswith", "strip", "swapcase", "title",
        "upper", "zfill",
    }
)  # fmt: skip
_WIDTH_METHODS = frozenset({"center", "ljust", "rjust", "zfill"})


def _refuse_dunder(name: Any) -> None:
    """``x.__anything__`` is an escape attempt even where the attribute does not exist."""
    if isinstance(name, str) and name.startswith("__"):
        raise SecurityError(f"access to attribute {name[:40]!r} is not allowed")


def _finalize(value: Any) -> Any:
    """Applied to every ``{{ … }}``: None renders empty; functions are never output."""
    if value is None:
        return ""
    if isinstance(value, Undefined):
        return value
    if isinstance(value, str):
        limits.charge_value(value)
    elif callable(value):
        raise SecurityError("a function cannot be output")
    else:
        limits.charge_time()
    return value


class TemplateSandbox(ImmutableSandboxedEnvironment):
    code_generator_class = GuardedCodeGenerator
    intercepted_binops = frozenset({"*", "**", "%", "+"})

    def _parse(self, source: str, name: str | None, filename: str | None) -> nodes.Template:
        tree = super()._parse(source, name, filename)
        _guard_tree(tree)
        return tree

    # --- the sandbox's own checks ------------------------------------------------------

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        if not super().is_safe_attribute(obj, attr, value):
            return False
        if isinstance(obj, str) and callable(value):
            return attr in STR_METHODS
        return True

    def getattr(self, obj: Any, attribute: str) -> Any:
        _refuse_dunder(attribute)
        return super().getattr(obj, attribute)

    def getitem(self, obj: Any, argument: Any) -> Any:
        _refuse_dunder(argument)
        return super().getitem(obj, argument)

    def unsafe_undefined(self, obj: Any, attribute: str) -> Undefined:
        raise SecurityError(f"access to attribute {attribute!r} is not allowed")

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        wrapped = super().wrap_str_format(value)
        if wrapped is None:
            return None
        limits.check_brace_format(value.__self__)

        @wraps(wrapped)
        def checked(*args: Any, **kwargs: Any) -> str:
            limits.charge_time()
            return limits.charge_value(wrapped(*args, **kwargs))

        return checked

    def call(self, context: Any, obj: Any, /, *args: Any, **kwargs: Any) -> Any:
        limits.charge_time()
        owner = getattr(obj, "__self__", None)
        if isinstance(owner, str):
            name = getattr(obj, "__name__", "")
            if name in _WIDTH_METHODS:
                for arg in args:
                    limits.check_width(arg, f"{name}() width")
            elif name == "replace":
                limits.check_replace(owner, *args[:3])
            elif name == "join" and args:
                _check_join(args[0], owner)
        return limits.charge_value(super().call(context, obj, *args, **kwargs))

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        limits.charge_time()
        if operator == "*":
            limits.check_repeat(left, right)
        elif operator == "**":
            limits.check_power(left, right)
        elif operator == "%":
            limits.check_percent_format(left)
        elif (
            operator == "+"
            and isinstance(left, (str, list, tuple))
            and isinstance(right, type(left))
            and len(left) + len(right) > limits.MAX_OUTPUT_CHARS
        ):
            raise limits.RenderLimitExceeded(
                f"a value of more than {limits.MAX_OUTPUT_CHARS} characters or items"
            )
        return limits.charge_value(super().call_binop(context, operator, left, right))

    # --- hooks the rewritten templates call ---------------------------------------------

    # ``guarded_iter`` and ``charge_static`` are called like any function of a template, so
    # through :meth:`call`, which checks the clock first (a render past its deadline stops
    # at the loop). ``guarded_concat`` is what ``~`` compiles to (GuardedCodeGenerator).

    @staticmethod
    def guarded_iter(iterable: Any) -> Iterator[Any]:
        for item in iterable:
            limits.charge_iteration()
            yield item

    @staticmethod
    def guarded_concat(autoescape: bool, parts: Iterable[Any]) -> str:
        texts = [part if isinstance(part, str) else str(part) for part in parts]
        size = sum(len(text) for text in texts)
        if size > limits.MAX_OUTPUT_CHARS:
            raise limits.RenderLimitExceeded(f"a value of more than {limits.MAX_OUTPUT_CHARS} characters")
        limits.charge_work(size)
        return markup_join(texts) if autoescape else str_join(texts)

    @staticmethod
    def charge_static(size: int) -> str:
        limits.charge_work(size)
        return ""

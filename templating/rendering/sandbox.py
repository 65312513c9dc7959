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
#: Every attribute of a plain dict (its methods, ``__class__`` …): any other name on a
#: dict can only be one of its keys. (``dict`` is a built-in type: the set cannot change.)
_DICT_ATTRIBUTES = frozenset(dir(dict))


def _refuse_dunder(name: Any) -> None:
    """``x.__anything__`` is an escape attempt even where the attribute does not exist."""
    if isinstance(name, str) and name.startswith("__"):
        raise SecurityError(f"access to attribute {name[:40]!r} is not allowed")


def _finalize(value: Any) -> Any:
    """Applied to every ``{{ … }}``: None renders empty; functions are never output."""
    if value is None:
        return ""
    if isinstance(value, str):  # the usual case first (an Undefined is never a str)
        return limits.charge_value(value)
    if isinstance(value, Undefined):
        return value
    if callable(value):
        raise SecurityError("a function cannot be output")
    limits.charge_time()
    return value


class TemplateSandbox(ImmutableSandboxedEnvironment):
    code_generator_class = GuardedCodeGenerator
    intercepted_binops = frozenset({"*", "**", "%", "+"})

    def __init__(self, *args: Any, **options: Any) -> None:
        super().__init__(*args, **options)
        self._fixed_layouts: dict[str, Any] = {}

    def make_globals(self, d: Any = None) -> dict[str, Any]:
        """A template's globals as a plain dict: the environment's, with ``d`` over them.

        Jinja's ``ChainMap`` would also follow later changes to the environment's globals,
        but ours are fixed once it is made (:func:`_make_environment`); and each render
        copies its template's globals into a new context twice, which for a ``ChainMap``
        is a walk in Python rather than a copy in C."""
        return {**self.globals, **(d or {})}

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
        if type(obj) is dict and type(attribute) is str and attribute not in _DICT_ATTRIBUTES:
            # ``person.name`` on hydrated data, most of a render's lookups: a plain dict has
            # no attribute of that name, so Jinja's ``getattr`` would fail over to the key
            # (a missing one is undefined). Only the dunder refusal comes first.
            if attribute.startswith("__"):
                _refuse_dunder(attribute)
            try:
                return obj[attribute]
            except (TypeError, LookupError):
                return self.undefined(obj=obj, name=attribute)
        _refuse_dunder(attribute)
        return super().getattr(obj, attribute)

    def get_template(self, name: Any, parent: str | None = None, globals: Any = None) -> Any:  # noqa: A002
        """A fixed layout (see :class:`LayoutLoader`) from this environment's own table once
        loaded: what Jinja's cache would return, without its lock, its LRU bookkeeping and
        the up-to-date check, for every ``{% extends %}`` of every render."""
        if globals is None and type(name) is str:
            if parent is not None:
                name = self.join_path(name, parent)
            template = self._fixed_layouts.get(name)
            if template is None:
                template = super().get_template(name)
                if name in getattr(self.loader, "fixed_names", ()):
                    self._fixed_layouts[name] = template
            return template
        return super().get_template(name, parent, globals)

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

    # Called directly (GuardedCodeGenerator), each checks the clock first, as the sandbox's
    # ``call`` did for it: a render past its deadline stops at the loop, as before.

    @staticmethod
    def guarded_iter(iterable: Any) -> Iterator[Any]:
        limits.charge_time()
        return _charged_iteration(iterable)

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
        limits.charge_time()
        limits.charge_work(size)
        return ""


def _charged_iteration(iterable: Any) -> Iterator[Any]:
    for item in iterable:
        limits.charge_iteration()
        yield item

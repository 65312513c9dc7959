"""The sandboxed Jinja2 environments every template is rendered in.

Four environments: HTML (autoescaped) and text (not escaped), each lenient (an undefined
variable renders empty, and so does any attribute of it) or strict (an undefined variable
is an error naming it). Their loader serves only the shipped layouts, as
``layouts/<name>`` from ``templating/defaults/layouts/``, so any template may
``{% extends "layouts/email.html" %}`` and nothing else on disk is reachable.

On top of Jinja's :class:`~jinja2.sandbox.ImmutableSandboxedEnvironment` (no ``_private``
or internal attributes, no mutation of lists and dicts, sandboxed ``str.format``):

- an attribute the sandbox refuses is an error at once (Jinja's default renders it as an
  undefined value, which would hide the attempt);
- strings offer only an allow-list of methods, and no function or method can be output;
- the limits of :mod:`templating.rendering.limits`: the parse tree is rewritten so every
  ``{% for %}`` iterates through :meth:`TemplateSandbox.guarded_iter` and every loop
  body's literal text is charged, ``~`` compiles to :meth:`TemplateSandbox.guarded_concat`,
  ``* ** % +`` are intercepted, calls and filters are checked.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Iterator
from functools import cache, wraps
from pathlib import Path
from typing import Any

from jinja2 import BaseLoader, ChainableUndefined, StrictUndefined, TemplateNotFound, Undefined, nodes
from jinja2.compiler import CodeGenerator, Frame, optimizeconst
from jinja2.exceptions import SecurityError
from jinja2.loaders import split_template_path
from jinja2.runtime import markup_join, str_join
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.utils import _PassArg

from templating.rendering import limits
from templating.rendering.filters import FILTERS

DEFAULTS_DIR = Path(__file__).resolve().parent.parent / "defaults"
LAYOUTS_DIR = DEFAULTS_DIR / "layouts"
LAYOUT_PREFIX = "layouts/"

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


class LayoutLoader(BaseLoader):
    """Serves ``layouts/<name>`` from the shipped layouts directory and nothing else.

    The template's filename is its name (``layouts/email.html``), never a path on disk,
    so error messages show nothing of the server.

    The packaged layouts ship with the code and change only with a deploy (a restart), so
    they are ``fixed``: read and compiled once per environment, never checked against the
    disk again (Jinja's check is a ``stat`` per ``{% extends %}`` per render). A loader over
    any other directory keeps that check, so an edited layout is picked up.
    """

    def __init__(self, directory: Path = LAYOUTS_DIR) -> None:
        self.directory = directory
        self.fixed = directory == LAYOUTS_DIR
        self.fixed_names = frozenset(self.list_templates()) if self.fixed else frozenset()

    def get_source(self, environment: Any, template: str) -> tuple[str, str, Callable[[], bool]]:
        if not template.startswith(LAYOUT_PREFIX):
            raise TemplateNotFound(template)
        pieces = split_template_path(template[len(LAYOUT_PREFIX) :])  # refuses ".."
        root = self.directory.resolve()
        path = root.joinpath(*pieces)
        try:
            resolved = path.resolve()
            if not resolved.is_relative_to(root) or not resolved.is_file():
                raise TemplateNotFound(template)
            mtime = resolved.stat().st_mtime
            source = resolved.read_text(encoding="utf-8")
        except OSError:
            raise TemplateNotFound(template) from None

        def uptodate() -> bool:
            try:
                return os.path.getmtime(resolved) == mtime
            except OSError:
                return False

        return source, template, _always if self.fixed else uptodate

    def list_templates(self) -> list[str]:
        if not self.directory.is_dir():
            return []
        return sorted(
            LAYOUT_PREFIX + p.relative_to(self.directory).as_posix()
            for p in self.directory.rglob("*")
            if p.is_file()
        )


def _always() -> bool:
    return True


#: The hooks ``_guard_tree`` adds to every template (as calls of environment attributes,
#: which no template source can name).
_HOOKS = frozenset({"guarded_iter", "charge_static"})


class GuardedCodeGenerator(CodeGenerator):
    """Compiles ``~`` to a concatenation that is measured before it is built, and the
    hooks of ``_guard_tree`` to direct calls: they are the environment's own code, which
    the sandbox's ``call`` (there for the template's calls) need not vet, and they check
    the clock first as it did. A loop pays them on every pass."""

    def visit_Call(self, node: nodes.Call, frame: Frame, **kwargs: Any) -> None:  # noqa: N802 - Jinja's visitor name
        if isinstance(node.node, nodes.EnvironmentAttribute) and node.node.name in _HOOKS:
            self.write(f"environment.{node.node.name}(")
            for arg in node.args:
                self.visit(arg, frame)
                self.write(", ")
            self.write(")")
            return
        super().visit_Call(node, frame, **kwargs)

    @optimizeconst
    def visit_Concat(self, node: nodes.Concat, frame: Frame) -> None:  # noqa: N802 - Jinja's visitor name
        if frame.eval_ctx.volatile:
            autoescape = "context.eval_ctx.autoescape"
        else:
            autoescape = repr(bool(frame.eval_ctx.autoescape))
        self.write(f"environment.guarded_concat({autoescape}, (")
        for arg in node.nodes:
            self.visit(arg, frame)
            self.write(", ")
        self.write("))")


def _guard_tree(node: nodes.Node, in_loop: bool = False) -> None:
    """Route every loop's iterable through ``guarded_iter``; charge the literal text a
    loop body outputs on each pass (outside loops it is bounded by the source size)."""
    if isinstance(node, nodes.Output) and in_loop:
        static = sum(
            len(child.data) if isinstance(child, nodes.TemplateData) else len(str(child.value))
            for child in node.nodes
            if isinstance(child, (nodes.TemplateData, nodes.Const))
        )
        if static:
            charge = nodes.Call(
                nodes.EnvironmentAttribute("charge_static"), [nodes.Const(static)], [], None, None
            )
            node.nodes.insert(0, charge.set_lineno(node.lineno))
    for child in list(node.iter_child_nodes()):
        _guard_tree(child, in_loop or (isinstance(node, nodes.For) and child is not node.iter))
    if isinstance(node, nodes.For):
        guard = nodes.Call(nodes.EnvironmentAttribute("guarded_iter"), [node.iter], [], None, None)
        node.iter = guard.set_lineno(node.iter.lineno)


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


def _make_environment(*, html: bool, strict: bool) -> TemplateSandbox:
    env = TemplateSandbox(
        loader=LayoutLoader(),
        autoescape=html,
        undefined=StrictUndefined if strict else ChainableUndefined,
        finalize=_finalize,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=True,
        cache_size=200,
    )
    env.globals["range"] = limits.guarded_range
    env.globals.pop("lipsum", None)
    filters = {name: f for name, f in env.filters.items() if name not in _REMOVED_FILTERS}
    filters.update(FILTERS)
    env.filters = {name: _guard_filter(name, func) for name, func in filters.items()}
    return env


@cache
def environment(*, html: bool, strict: bool) -> TemplateSandbox:
    """The shared environment for HTML or text parts, strict or lenient."""
    return _make_environment(html=html, strict=strict)

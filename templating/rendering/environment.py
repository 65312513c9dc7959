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

The parts, by sub-domain: :mod:`~templating.rendering.loader` (the layouts),
:mod:`~templating.rendering.codegen` (the code generator and the rewriting of the parse
tree), :mod:`~templating.rendering.guards` (the checks around filters),
:mod:`~templating.rendering.sandbox` (the environment class). This module puts them
together, and the names other modules use are importable from here.
"""

from __future__ import annotations

from functools import cache

from jinja2 import ChainableUndefined, StrictUndefined

from templating.rendering import limits
from templating.rendering.filters import FILTERS
from templating.rendering.guards import _REMOVED_FILTERS, _guard_filter
from templating.rendering.loader import DEFAULTS_DIR, LAYOUT_PREFIX, LAYOUTS_DIR, LayoutLoader
from templating.rendering.sandbox import STR_METHODS, TemplateSandbox, _finalize

__all__ = [
    "DEFAULTS_DIR",
    "LAYOUTS_DIR",
    "LAYOUT_PREFIX",
    "STR_METHODS",
    "LayoutLoader",
    "TemplateSandbox",
    "environment",
]


def _make_environment(*, html: bool, strict: bool) -> TemplateSandbox:
    env = TemplateSandbox(
        loader=LayoutLoader(),
        autoescape=html,
        undefined=StrictUndefined if strict else ChainableUndefined,
        finalize=_finalize,
        trim_blocks=True,
        lstrip_blocks=True,
        # The layouts ship with the code: a deploy (a restart) is their only change, so
        # Jinja's cache keeps them compiled without a ``stat`` per ``{% extends %}``.
        auto_reload=False,
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

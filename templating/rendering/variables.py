"""What a template version reads from its context: the free variables of its three parts.

Jinja's :func:`jinja2.meta.find_undeclared_variables` gives the names a part uses without
defining them. A part that extends (or includes, or imports) a shipped layout also sees
what the layout defines (``brand``, ``amountDueText`` … from ``layouts/_variables.jinja`` and the
shared layouts); such a name counts as the context variables its value comes from
(``amountDueText`` → ``loan``). What the layouts read for themselves (the brand, the
greeting) is not counted, only what the part's own text uses.

Active and archived versions never change, so their answer is cached by version id;
a draft's is computed on each call.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from functools import cache

from jinja2 import TemplateNotFound, TemplateSyntaxError, meta, nodes

from templating.rendering.environment import LAYOUT_PREFIX, environment
from templating.rendering.render import PARTS, Part

_CACHE_SIZE = 4096
_cache: OrderedDict[str, frozenset[str]] = OrderedDict()
_lock = threading.Lock()


#: Names Jinja itself provides inside loops, macros and blocks.
_JINJA_NAMES = frozenset({"loop", "caller", "varargs", "kwargs", "self", "super"})


def _loads(node: nodes.Node) -> set[str]:
    return {name.name for name in node.find_all(nodes.Name) if name.ctx == "load"}


def _definitions(tree: nodes.Template) -> dict[str, set[str]]:
    """What a layout defines for the templates that extend it, each name with the names
    its value is computed from (``{"amountDueText": {"ln"}, "ln": {"loan"}}``): its
    ``{% set %}`` lines; loop variables, macros and imports derive from nothing."""
    defined: dict[str, set[str]] = {}
    for node in tree.find_all(nodes.Assign):
        for target in [node.target, *node.target.find_all(nodes.Name)]:
            if isinstance(target, nodes.Name):
                defined.setdefault(target.name, set()).update(_loads(node.node))
    for name in tree.find_all(nodes.Name):
        if name.ctx in ("store", "param"):
            defined.setdefault(name.name, set())
    for macro in tree.find_all(nodes.Macro):
        defined.setdefault(macro.name, set())
    for node in tree.find_all(nodes.FromImport):
        for imported in node.names:
            defined.setdefault(imported if isinstance(imported, str) else imported[1], set())
    for node in tree.find_all(nodes.Import):
        defined.setdefault(node.target, set())
    return defined


@cache
def layout_definitions(name: str) -> dict[str, frozenset[str]]:
    """What the shipped layout ``name`` (with the layouts it refers to) defines, each name
    with the context variables its value comes from. The layouts change only with a
    deploy, so this is computed once per process. Shared: do not modify."""
    env = environment(html=name.endswith(".html"), strict=False)
    try:
        source, _, _ = env.loader.get_source(env, name)
        tree = env.parse(source)
    except (TemplateNotFound, TemplateSyntaxError):
        return {}
    defined = _definitions(tree)
    for referenced in meta.find_referenced_templates(tree):
        if isinstance(referenced, str) and referenced.startswith(LAYOUT_PREFIX):
            for inherited, sources in layout_definitions(referenced).items():
                defined.setdefault(inherited, set()).update(sources)
    return {defined_name: _roots(defined_name, defined, set()) for defined_name in defined}


def _roots(name: str, defined: dict[str, set[str]], seen: set[str]) -> frozenset[str]:
    """The context variables ``name``'s value comes from, following the layout's own
    definitions."""
    if name in seen:
        return frozenset()
    seen.add(name)
    roots: set[str] = set()
    for source in defined.get(name, ()):
        roots |= _roots(source, defined, seen) if source in defined else {source}
    return frozenset(roots)


@cache
def content_layout_variables(name: str) -> frozenset[str]:
    """What a shared content layout (one that itself extends a layout, such as
    ``layouts/debt_validation_email.html``, which holds a whole notice) reads; a base
    layout (``layouts/email.html``) reads only for the branding, which is not counted."""
    env = environment(html=name.endswith(".html"), strict=False)
    try:
        source, _, _ = env.loader.get_source(env, name)
        tree = env.parse(source)
    except (TemplateNotFound, TemplateSyntaxError):
        return frozenset()
    if not any(isinstance(ref, str) for ref in meta.find_referenced_templates(tree)):
        return frozenset()
    return _free_variables(tree, html=name.endswith(".html"))


def _free_variables(tree: nodes.Template, *, html: bool) -> frozenset[str]:
    free = set(meta.find_undeclared_variables(tree))
    for referenced in meta.find_referenced_templates(tree):
        if not isinstance(referenced, str):
            continue
        definitions = layout_definitions(referenced)
        for name in free & set(definitions):
            free.discard(name)
            free |= definitions[name]
        free |= content_layout_variables(referenced)
    return frozenset(free - set(environment(html=html, strict=False).globals) - _JINJA_NAMES)


def part_variables(part: Part, source: str) -> frozenset[str]:
    """The context variables one part's source reads, directly, through what its layout
    defines, or through a shared content layout (none for an empty or unparsable source)."""
    if not source:
        return frozenset()
    try:
        tree = environment(html=part.html, strict=False).parse(source)
    except TemplateSyntaxError:
        return frozenset()
    return _free_variables(tree, html=part.html)


def version_variables(version: object) -> frozenset[str]:
    """The free variables of a template version's three parts (``version`` is a
    :class:`~templating.models.TemplateVersion`)."""
    version_id = getattr(version, "pk", None)
    cacheable = version_id is not None and getattr(version, "status", "draft") != "draft"
    if cacheable:
        with _lock:
            found = _cache.get(version_id)
            if found is not None:
                _cache.move_to_end(version_id)
                return found
    names: set[str] = set()
    for part in PARTS:
        names |= part_variables(part, getattr(version, part.attribute, "") or "")
    found = frozenset(names)
    if cacheable:
        with _lock:
            _cache[version_id] = found
            if len(_cache) > _CACHE_SIZE:
                _cache.popitem(last=False)
    return found


def clear_cache() -> None:
    with _lock:
        _cache.clear()

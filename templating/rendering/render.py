"""Compile and render the three parts of a template version.

A version's parts are ``subjectLineTemplate`` (text), ``contentHtmlTemplate`` (HTML,
autoescaped) and ``contentTextTemplate`` (text). An empty part renders as None ("the
template lacks it"). Rendered parts are stripped of surrounding whitespace; the subject
line is also folded onto one line.

Compiled templates are cached per process: by version id for active and archived
versions (immutable), by a hash of the source for drafts and ad-hoc sources.
"""

from __future__ import annotations

import hashlib
import logging
import re
import threading
import traceback
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from jinja2 import Template, TemplateNotFound, nodes
from jinja2.exceptions import (
    SecurityError,
    TemplateError,
    TemplateRuntimeError,
    TemplateSyntaxError,
    UndefinedError,
)

from peachcomms.errors import BusinessRuleViolation, InvalidInput
from templating.rendering import limits
from templating.rendering.environment import LAYOUT_PREFIX, environment
from templating.rendering.filters import FilterError

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Part:
    name: str  # in rendered output: subjectLine, contentHtml, contentText
    field: str  # in the API: subjectLineTemplate …
    attribute: str  # on TemplateVersion: subject_line_template …
    html: bool

    @property
    def filename(self) -> str:
        return f"<{self.field}>"


SUBJECT_LINE = Part("subjectLine", "subjectLineTemplate", "subject_line_template", html=False)
CONTENT_HTML = Part("contentHtml", "contentHtmlTemplate", "content_html_template", html=True)
CONTENT_TEXT = Part("contentText", "contentTextTemplate", "content_text_template", html=False)
PARTS = (SUBJECT_LINE, CONTENT_HTML, CONTENT_TEXT)
PARTS_BY_NAME = {part.name: part for part in PARTS}


@dataclass(frozen=True)
class RenderedContent:
    subject_line: str | None
    content_html: str | None
    content_text: str | None

    def as_json(self) -> dict[str, str | None]:
        return {
            "subjectLine": self.subject_line,
            "contentHtml": self.content_html,
            "contentText": self.content_text,
        }


class TemplateRenderError(BusinessRuleViolation):
    """422: the template could not be rendered; the message says where and why."""


# --- compilation -------------------------------------------------------------------------

_CACHE_SIZE = 2048
_cache: OrderedDict[tuple, Template] = OrderedDict()
_cache_lock = threading.Lock()


def _compile(part: Part, source: str, *, strict: bool) -> Template:
    env = environment(html=part.html, strict=strict)
    code = env.compile(source, name=part.field, filename=part.filename)
    return env.template_class.from_code(env, code, env.make_globals(None))


def compiled(part: Part, source: str, *, strict: bool, version_id: str | None = None) -> Template:
    """The compiled template, from the cache when possible. ``version_id`` only for
    immutable (active or archived) versions."""
    if version_id is not None:
        key: tuple = ("version", version_id, part.name, strict)
    else:
        key = ("source", hashlib.sha256(source.encode()).digest(), part.name, strict)
    with _cache_lock:
        template = _cache.get(key)
        if template is not None:
            _cache.move_to_end(key)
            return template
    template = _compile(part, source, strict=strict)
    with _cache_lock:
        _cache[key] = template
        if len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return template


def clear_cache() -> None:
    with _cache_lock:
        _cache.clear()


# --- validation on save --------------------------------------------------------------------


def source_errors(part: Part, source: str) -> list[str]:
    """Problems with one part's source (size, syntax, unknown filters or layouts), each
    as ``"line N: message"``; empty when it compiles."""
    if len(source) > limits.MAX_SOURCE_CHARS:
        return [f"Longer than {limits.MAX_SOURCE_CHARS} characters."]
    if not source:
        return []
    env = environment(html=part.html, strict=False)
    try:
        tree = env.parse(source, name=part.field, filename=part.filename)
        env.compile(tree, name=part.field, filename=part.filename)
    except TemplateSyntaxError as error:
        return [f"line {error.lineno}: {error.message}"]
    problems = []
    for node in tree.find_all((nodes.Extends, nodes.Include, nodes.Import, nodes.FromImport)):
        names = node.template.value if isinstance(node.template, nodes.Const) else None
        for name in [names] if isinstance(names, str) else (names or []):
            if not isinstance(name, str):
                continue
            try:
                env.loader.get_source(env, name)
            except TemplateNotFound:
                problems.append(
                    f"line {node.lineno}: template '{name[:100]}' not found "
                    f"(only {LAYOUT_PREFIX}… templates can be extended, included or imported)"
                )
    return problems


def validate_sources(sources: Mapping[str, str]) -> None:
    """``{"contentHtmlTemplate": "...", …}`` → InvalidInput (400) listing each part's
    problems under its field name."""
    by_field = {part.field: part for part in PARTS}
    errors = {}
    for field, source in sources.items():
        problems = source_errors(by_field[field], source or "")
        if problems:
            errors[field] = problems
    if errors:
        field, problems = next(iter(errors.items()))
        raise InvalidInput(f"Template syntax error in {field}: {problems[0]}", errors=errors)


# --- rendering -------------------------------------------------------------------------------

_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")


def _template_line(error: BaseException, filenames: set[str]) -> tuple[str, int] | None:
    """The innermost template frame of the error's traceback: (template, line)."""
    found = None
    for frame, line in traceback.walk_tb(error.__traceback__):
        filename = frame.f_code.co_filename
        if filename in filenames or filename.startswith(LAYOUT_PREFIX):
            found = (filename, line)
    return found


def _where(part: Part, template: str | None, line: int | None) -> str:
    name = part.field if template in (None, part.filename) else template
    return f"{name} line {line}" if line else name


def _describe(part: Part, error: BaseException) -> str:
    if isinstance(error, TemplateSyntaxError):  # in a layout, at render time
        name = error.name or part.field
        return f"{_where(part, name, error.lineno)}: {error.message}"
    located = _template_line(error, {part.filename})
    where = _where(part, *(located or (None, None)))
    if isinstance(error, SecurityError):
        return f"{where}: the template used something the sandbox does not allow"
    if isinstance(error, TemplateNotFound):
        return (
            f"{where}: template '{str(error.name)[:100]}' not found "
            f"(only {LAYOUT_PREFIX}… templates can be extended or included)"
        )
    if isinstance(error, (UndefinedError, FilterError, limits.RenderLimitExceeded, TemplateRuntimeError)):
        return f"{where}: {_ADDRESS.sub('', str(error.message or 'render failed'))[:300]}"
    if isinstance(error, RecursionError):
        return f"{where}: too deeply nested (recursion)"
    if isinstance(error, MemoryError):
        return f"{where}: the template needed too much memory"
    if isinstance(error, (TypeError, ValueError, ArithmeticError, LookupError)):
        return f"{where}: {_ADDRESS.sub('', str(error))[:300]}"
    if isinstance(error, TemplateError):
        return f"{where}: the template could not be rendered"
    logger.warning("Unexpected %s while rendering %s", type(error).__name__, part.field, exc_info=error)
    return f"{where}: the template could not be rendered"


def _render_part(template: Template, part: Part, context: dict[str, Any]) -> str:
    chunks: list[str] = []
    size = 0
    for chunk in template.generate(context):
        size += len(chunk)
        if size > limits.MAX_OUTPUT_CHARS:
            raise limits.RenderLimitExceeded(
                f"the output is longer than {limits.MAX_OUTPUT_CHARS} characters"
            )
        chunks.append(chunk)
    text = "".join(chunks).strip()
    if part is SUBJECT_LINE:
        text = " ".join(text.split())
    return text


def render_sources(
    sources: Mapping[str, str | None],
    context: Mapping[str, Any],
    *,
    strict: bool = False,
    version_id: str | None = None,
    parts: Iterable[str] | None = None,
    seconds: float = limits.RENDER_SECONDS,
) -> RenderedContent:
    """Render ``{"subjectLine": source, …}`` (missing or empty parts → None).

    ``parts`` restricts the render to those part names (the others are None).
    ``version_id`` is given only for an immutable version (its compiled parts are cached
    under it). Raises :class:`TemplateRenderError` (422) naming the part, the line and
    the problem; the message never carries internals of the server.
    """
    wanted = set(parts) if parts is not None else set(PARTS_BY_NAME)
    results: dict[str, str | None] = {}
    token = limits.start_budget(seconds)
    try:
        for part in PARTS:
            source = sources.get(part.name) or ""
            if part.name not in wanted or not source:
                results[part.name] = None
                continue
            try:
                template = compiled(part, source, strict=strict, version_id=version_id)
                results[part.name] = _render_part(template, part, dict(context))
            except TemplateRenderError:
                raise
            except Exception as error:  # noqa: BLE001 - every failure becomes one 422
                raise TemplateRenderError(f"Template render failed: {_describe(part, error)}.") from None
    finally:
        limits.end_budget(token)
    return RenderedContent(results["subjectLine"], results["contentHtml"], results["contentText"])


def render_version(
    version: Any,
    context: Mapping[str, Any],
    *,
    strict: bool = False,
    parts: Iterable[str] | None = None,
) -> RenderedContent:
    """Render a :class:`~templating.models.TemplateVersion` (see :func:`render_sources`)."""
    immutable = version.status != "draft" and version.pk is not None
    return render_sources(
        {part.name: getattr(version, part.attribute) for part in PARTS},
        context,
        strict=strict,
        version_id=version.pk if immutable else None,
        parts=parts,
    )

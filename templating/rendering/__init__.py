"""The sandboxed renderer: Jinja2 templates of plain-data contexts, with limits.

Public entry points: :func:`render_version` / :func:`render_sources` (422
:class:`TemplateRenderError` on failure), :func:`validate_sources` (400 on a syntax
error, on save), :func:`html_to_pdf` in :mod:`templating.rendering.pdf`.
"""

from templating.rendering.render import (
    CONTENT_HTML,
    CONTENT_TEXT,
    PARTS,
    PARTS_BY_NAME,
    SUBJECT_LINE,
    Part,
    RenderedContent,
    TemplateRenderError,
    clear_cache,
    render_sources,
    render_version,
    source_errors,
    validate_sources,
)

__all__ = [
    "CONTENT_HTML",
    "CONTENT_TEXT",
    "PARTS",
    "PARTS_BY_NAME",
    "SUBJECT_LINE",
    "Part",
    "RenderedContent",
    "TemplateRenderError",
    "clear_cache",
    "render_sources",
    "render_version",
    "source_errors",
    "validate_sources",
]

"""The loader of the shipped layouts: ``layouts/<name>`` from ``templating/defaults/layouts/``.

Any template may ``{% extends "layouts/email.html" %}`` (or include or import a layout);
nothing else on disk is reachable.

The variables the branded layouts give their subject templates (``brand``,
``greetingName`` … see ``templating/defaults/README.md``) are defined once, in
``layouts/_variables.jinja``, and each layout takes them with a standard
``{% from "layouts/_variables.jinja" import … with context %}``. Plain Jinja runs that
import. This loader instead serves the layout with the import replaced by the helper's
``{% set %}`` lines for those names (:func:`inline_shared_variables`): the compiled layout
is then what it was when each layout wrote the lines out. An import with context costs a
context and a module per render (about a tenth of a branded email's render), and would
change what a layout exports and where its errors point; the spliced layout costs nothing
more, and an error in one of those lines still names the layout and the line (the import
lists one name a line, each on the line its definition takes once spliced).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from jinja2 import BaseLoader, TemplateNotFound, TemplateSyntaxError
from jinja2.loaders import split_template_path

DEFAULTS_DIR = Path(__file__).resolve().parent.parent / "defaults"
LAYOUTS_DIR = DEFAULTS_DIR / "layouts"
LAYOUT_PREFIX = "layouts/"

#: The file that defines the branded layouts' variables (not a layout itself).
SHARED_VARIABLES = "_variables.jinja"
_SHARED_IMPORT = re.compile(
    r'\{%-\s*from\s+"' + re.escape(LAYOUT_PREFIX + SHARED_VARIABLES) + r'"\s+import\s+'
    r"(?P<names>\w+(?:\s*,\s*\w+)*)\s+with\s+context\s*-%\}"
)
_SHARED_COMMENT = re.compile(r"\A\{#.*?#\}\n", re.DOTALL)
_SHARED_SET = re.compile(r"\{%- set (\w+) = .* -%\}")


class LayoutLoader(BaseLoader):
    """Serves ``layouts/<name>`` from the shipped layouts directory and nothing else.

    The template's filename is its name (``layouts/email.html``), never a path on disk,
    so error messages show nothing of the server. A layout's import of the shared
    variables is served spliced (see the module's docstring).

    The renderer's environments are made with ``auto_reload=False`` (the packaged layouts
    change only with a deploy), so Jinja's cache never calls the ``uptodate`` check this
    returns; an environment with ``auto_reload`` over another directory does.
    """

    def __init__(self, directory: Path = LAYOUTS_DIR) -> None:
        self.directory = directory

    def get_source(self, environment: Any, template: str) -> tuple[str, str, Callable[[], bool]]:
        if not template.startswith(LAYOUT_PREFIX):
            raise TemplateNotFound(template)
        resolved, mtime, source = self._read(template)
        files = {resolved: mtime}
        if template != LAYOUT_PREFIX + SHARED_VARIABLES and _SHARED_IMPORT.search(source):
            shared, shared_mtime, definitions = self._read(LAYOUT_PREFIX + SHARED_VARIABLES)
            files[shared] = shared_mtime
            source = inline_shared_variables(source, definitions, template)

        def uptodate() -> bool:
            try:
                return all(os.path.getmtime(path) == mtime for path, mtime in files.items())
            except OSError:
                return False

        return source, template, uptodate

    def _read(self, template: str) -> tuple[Path, float, str]:
        pieces = split_template_path(template[len(LAYOUT_PREFIX) :])  # refuses ".."
        root = self.directory.resolve()
        path = root.joinpath(*pieces)
        try:
            resolved = path.resolve()
            if not resolved.is_relative_to(root) or not resolved.is_file():
                raise TemplateNotFound(template)
            return resolved, resolved.stat().st_mtime, resolved.read_text(encoding="utf-8")
        except OSError:
            raise TemplateNotFound(template) from None

    def list_templates(self) -> list[str]:
        if not self.directory.is_dir():
            return []
        return sorted(
            LAYOUT_PREFIX + p.relative_to(self.directory).as_posix()
            for p in self.directory.rglob("*")
            if p.is_file()
        )


def inline_shared_variables(source: str, definitions: str, name: str) -> str:
    """``source`` (the layout ``name``) with its ``{% from "layouts/_variables.jinja" import
    … with context %}`` replaced by the ``{%- set … -%}`` lines of ``definitions`` (the
    shared file) for those names.

    That is the same as the import, and keeps every line where it is, when the shared file
    is a comment and then one ``{%- set name = … -%}`` a line, and the layout imports the
    first of its names in their order (a definition uses only the context and the names
    before it), one a line: anything else is a syntax error naming the layout.
    """
    match = _SHARED_IMPORT.search(source)
    if match is None:
        return source
    lineno = source.count("\n", 0, match.start()) + 1
    lines = _SHARED_COMMENT.sub("", definitions, count=1).splitlines()
    sets = [_SHARED_SET.fullmatch(line) for line in lines]
    if not sets or None in sets:
        raise TemplateSyntaxError(
            f"{LAYOUT_PREFIX}{SHARED_VARIABLES} must be a comment and then one {{%- set name = … -%}} a line",
            lineno,
            name,
        )
    defined = [found.group(1) for found in sets if found is not None]
    names = [part.strip() for part in match.group("names").split(",")]
    if names != defined[: len(names)]:
        raise TemplateSyntaxError(
            f"a layout imports the first names of {LAYOUT_PREFIX}{SHARED_VARIABLES}, in their "
            f"order ({', '.join(defined)})",
            lineno,
            name,
        )
    if match.group(0).count("\n") != len(names) - 1:
        raise TemplateSyntaxError(
            f"the import of {LAYOUT_PREFIX}{SHARED_VARIABLES} lists one name a line", lineno, name
        )
    return source[: match.start()] + "\n".join(lines[: len(names)]) + source[match.end() :]

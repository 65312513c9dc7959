"""The branded layouts' variables, defined once in ``layouts/_variables.jinja``: each layout
imports them (standard Jinja), and the renderer's loader serves the layout with the import
replaced by the definitions, line for line (templating/rendering/loader.py).

No database: these render sources directly.
"""

from __future__ import annotations

import os
import re

import pytest
from jinja2 import TemplateSyntaxError

from templating.rendering import TemplateRenderError, render_sources
from templating.rendering.environment import LAYOUTS_DIR, LayoutLoader, TemplateSandbox, environment
from templating.rendering.loader import SHARED_VARIABLES

BRANDED = ("email.html", "email.txt", "letter.html", "text.txt")
DEFINITIONS = [
    line for line in (LAYOUTS_DIR / SHARED_VARIABLES).read_text().splitlines() if line.startswith("{%- set ")
]
NAMES = [re.match(r"\{%- set (\w+) = ", line).group(1) for line in DEFINITIONS]
ADDRESS = ["ma", "companyAddressLines", "legalName"]
COMPANY = {"name": "Peach Lending", "brandName": "Peach", "supportPhone": "+1 415 555 0100"}


def imported_name(line: str) -> str | None:
    """The name a line of a layout's import of the shared file lists (one a line)."""
    found = re.fullmatch(
        r'(?:\{%- from "layouts/_variables\.jinja" import | {4})(\w+)(?:,| with context -%\})', line
    )
    return found and found.group(1)


def served(name: str) -> str:
    env = environment(html=True, strict=False)
    return env.loader.get_source(env, f"layouts/{name}")[0]


def test_the_shared_file_defines_the_variables_once():
    assert NAMES[:3] == ["co", "p", "ln"] and NAMES[-3:] == ADDRESS and len(set(NAMES)) == len(NAMES)
    for name in BRANDED:
        source = (LAYOUTS_DIR / name).read_text()
        assert "{%- set brand" not in source, name
        assert source.count(f'{{%- from "layouts/{SHARED_VARIABLES}" import') == 1, name


@pytest.mark.parametrize("name", BRANDED)
def test_each_branded_layout_is_served_with_the_definitions_line_for_line(name):
    source, text = (LAYOUTS_DIR / name).read_text(), served(name)
    assert f'"layouts/{SHARED_VARIABLES}" import' not in text
    assert text.count("\n") == source.count("\n")
    taken = NAMES if name != "text.txt" else NAMES[: -len(ADDRESS)]
    spliced = [line for line in text.splitlines() if line in DEFINITIONS]
    assert spliced == DEFINITIONS[: len(taken)]
    # Line for line: each definition is on the line of the name in the file's import.
    lines = source.splitlines()
    for number, line in enumerate(text.splitlines()):
        if line in DEFINITIONS:
            assert imported_name(lines[number]) == NAMES[DEFINITIONS.index(line)], (name, number + 1)


def test_the_sms_layout_has_no_address_variables_and_the_others_have_them():
    def probe(layout: str, variable: str) -> str | None:
        child = (
            f'{{% extends "layouts/{layout}" %}}{{% block content %}}[{{{{ {variable} }}}}]{{% endblock %}}'
        )
        return render_sources({"contentText": child}, {"company": COMPANY}).content_text

    for variable in ADDRESS:
        assert "[]" in probe("text.txt", variable)
        strict_child = (
            '{% extends "layouts/text.txt" %}{% block content %}{{ ' + variable + " }}{% endblock %}"
        )
        with pytest.raises(TemplateRenderError, match=f"'{variable}' is undefined"):
            render_sources({"contentText": strict_child}, {"company": COMPANY}, strict=True)
    assert "[Peach Lending]" in probe("email.txt", "legalName")
    assert "[Peach Lending]" in probe("letter.html", "legalName")


@pytest.mark.parametrize("name", BRANDED)
@pytest.mark.parametrize("strict", [False, True])
def test_a_branded_layout_renders_with_only_the_company(name, strict):
    part = "contentHtml" if name.endswith(".html") else "contentText"
    child = f'{{% extends "layouts/{name}" %}}{{% block content %}}Body {{{{ brand }}}}{{% endblock %}}'
    out = render_sources({part: child}, {"company": COMPANY}, strict=strict).as_json()[part]
    assert "Body Peach" in out


def test_an_error_in_a_shared_definition_names_the_layout_and_the_line_of_the_name():
    child = '{% extends "layouts/email.txt" %}{% block content %}x{% endblock %}'
    with pytest.raises(TemplateRenderError) as raised:
        render_sources({"contentText": child}, {"company": COMPANY, "loan": {"dueDate": "soon"}})
    line = next(
        number
        for number, text in enumerate((LAYOUTS_DIR / "email.txt").read_text().splitlines(), 1)
        if imported_name(text) == "dueDateText"
    )
    assert f"layouts/email.txt line {line}: date: 'soon' is not an ISO-8601 date" in str(raised.value)


def test_the_packaged_loader_serves_the_shared_file_once_read():
    env = environment(html=False, strict=False)
    assert f"layouts/{SHARED_VARIABLES}" in env.loader.list_templates()
    # Plain Jinja's import works too (what the stock environments of the tests run).
    module = env.from_string(
        f'{{% from "layouts/{SHARED_VARIABLES}" import brand, reachUs with context %}}'
        "{{ brand }}: {{ reachUs }}"
    )
    assert module.render(company=COMPANY) == "Peach: call us at (415) 555-0100"


SHARED = (
    '{#- shared -#}\n{%- set a = x|default("A", true) -%}\n{%- set b = a ~ "B" -%}\n{%- set c = b ~ "C" -%}\n'
)


def _layouts(tmp_path, layout: str, shared: str = SHARED) -> TemplateSandbox:
    (tmp_path / SHARED_VARIABLES).write_text(shared)
    (tmp_path / "base.txt").write_text(layout)
    return TemplateSandbox(loader=LayoutLoader(tmp_path), auto_reload=True)


def test_a_layout_takes_the_first_names_one_a_line(tmp_path):
    env = _layouts(
        tmp_path,
        '{%- from "layouts/_variables.jinja" import a,\n    b with context -%}\n{{ a }}{{ b }}|{{ c }}',
    )
    assert env.get_template("layouts/base.txt").render() == "AAB|"
    source = env.loader.get_source(env, "layouts/base.txt")[0]
    assert source == '{%- set a = x|default("A", true) -%}\n{%- set b = a ~ "B" -%}\n{{ a }}{{ b }}|{{ c }}'


@pytest.mark.parametrize(
    ("layout", "shared", "problem"),
    [
        ('{%- from "layouts/_variables.jinja" import b,\n    c with context -%}', SHARED, "the first names"),
        ('{%- from "layouts/_variables.jinja" import a,\n    c with context -%}', SHARED, "the first names"),
        ('{%- from "layouts/_variables.jinja" import a, b with context -%}', SHARED, "one name a line"),
        (
            '{%- from "layouts/_variables.jinja" import a with context -%}',
            SHARED + "{{ a }}\n",
            "one {%- set",
        ),
    ],
)
def test_a_layout_that_cannot_take_them_line_for_line_is_a_syntax_error(tmp_path, layout, shared, problem):
    env = _layouts(tmp_path, "\n" + layout, shared)
    with pytest.raises(TemplateSyntaxError, match=re.escape(problem)) as raised:
        env.get_template("layouts/base.txt")
    assert raised.value.lineno == 2 and raised.value.name == "layouts/base.txt"


def test_an_edited_shared_file_is_picked_up_outside_the_packaged_directory(tmp_path):
    env = _layouts(tmp_path, '{%- from "layouts/_variables.jinja" import a with context -%}\n{{ a }}')
    assert env.get_template("layouts/base.txt").render() == "A"
    (tmp_path / SHARED_VARIABLES).write_text(SHARED.replace('"A"', '"Z"'))
    os.utime(tmp_path / SHARED_VARIABLES, (1, 1))  # a different mtime, even on a coarse clock
    assert env.get_template("layouts/base.txt").render() == "Z"

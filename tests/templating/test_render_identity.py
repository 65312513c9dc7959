"""The sandbox's additions change no output: every built-in template, every part, renders
exactly as stock Jinja renders it with the same settings (a reference path with none of the
sandbox's hooks).

The sandbox's hooks (limits, refusals) only ever stop a render; a render they let through
must be byte for byte the plain one. No database: the built-ins are read from their files.
"""

from __future__ import annotations

import copy
import functools
import os

import pytest
from jinja2 import ChainableUndefined, FileSystemLoader, StrictUndefined, Template
from jinja2.exceptions import UndefinedError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from templating.builtin import builtin_template_files
from templating.rendering import PARTS, TemplateRenderError, render_sources
from templating.rendering import loader as loader_module
from templating.rendering.environment import LAYOUTS_DIR, LayoutLoader, TemplateSandbox, environment
from templating.rendering.filters import FILTERS
from templating.sample_context import sample_context

BUILTINS = builtin_template_files()
EXTRAS = {
    "actionUrl": "https://app.example/pay?a=1&b=2",
    "paymentAmount": "250.00",
    "paymentDate": "2026-11-20",
    "paymentMethod": "checking <account> ending in 6789",
    "referenceNumber": "PMT-3381",
    "reason": "insufficient funds",
    "details": "We reviewed the account history & the signed agreement.",
    "effectiveDate": "2026-12-15",
    "confirmationCode": "482913",
    "payoffAmount": "5120.77",
    "payoffDate": "2026-12-10",
    "settlementAmount": "1500.00",
    "settlementDueDate": "2026-12-31",
    "creditorName": "Peach Lending LLC",
    "itemizationDate": "2026-06-30",
    "amountOnItemizationDate": "1100.00",
    "interest": "84.50",
    "fees": "50.00",
    "payments": "0.00",
    "credits": "0.00",
    "validationEndDate": "2027-01-09",
    "licenseNumber": "2098765",
    "letterDate": "2026-12-02",
}


def contexts(subject: str, channel: str) -> dict[str, dict]:
    """The sample context (what hydration gives), with every variable a built-in reads,
    with markup in the data, and with every object null."""
    sample = sample_context(channel, subject)
    full = {**sample, **EXTRAS}
    hostile = copy.deepcopy(full)
    hostile["company"].update(brandName="A&B <Lending> \"'", supportPhone="", mailingAddress={})
    hostile["person"].update(borrowerType="business", businessName="O'Hara & <Sons>", name=None)
    hostile["loan"].update(displayId="<LN-99&12>", amountDue="1,234,567.895")
    hostile["loans"] = [hostile["loan"], {**hostile["loan"], "id": "LN-2", "amountDue": 3}]
    nulls = {**full, **dict.fromkeys(("person", "contact", "loan", "case", "statement")), "loans": []}
    return {"sample": sample, "full": full, "hostile": hostile, "nulls": nulls}


def _reference_environment(*, html: bool, strict: bool) -> ImmutableSandboxedEnvironment:
    """Stock Jinja with the renderer's settings and filters, none of its hooks, and the
    layouts read from disk on every render."""
    env = ImmutableSandboxedEnvironment(
        loader=FileSystemLoader(LAYOUTS_DIR.parent),  # layouts/<name>, checked on every load
        autoescape=html,
        undefined=StrictUndefined if strict else ChainableUndefined,
        finalize=lambda value: "" if value is None else value,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=True,
    )
    env.globals.pop("lipsum", None)
    env.filters.pop("pprint", None)
    env.filters.update(FILTERS)
    return env


REFERENCE = {(h, s): _reference_environment(html=h, strict=s) for h in (True, False) for s in (True, False)}


@functools.cache
def _reference_template(html: bool, strict: bool, source: str) -> Template:
    return REFERENCE[(html, strict)].from_string(source)


def reference_render(part_name: str, source: str, context: dict, *, strict: bool) -> str:
    part = next(part for part in PARTS if part.name == part_name)
    text = _reference_template(part.html, strict, source).render(copy.deepcopy(context)).strip()
    return " ".join(text.split()) if part_name == "subjectLine" else text


PART_OF = {part.attribute: part.name for part in PARTS}


@pytest.mark.parametrize("key", sorted(BUILTINS), ids="/".join)
def test_every_builtin_renders_as_stock_jinja_renders_it(key):
    subject, channel = key
    sources = {PART_OF[attribute]: source for attribute, source in BUILTINS[key].items() if source}
    for name, context in contexts(subject, channel).items():
        for strict in (False, True):
            label = f"{subject}/{channel}/{name}/{'strict' if strict else 'lenient'}"
            expected: dict[str, str] = {}
            try:
                for part_name, source in sources.items():
                    expected[part_name] = reference_render(part_name, source, context, strict=strict)
            except UndefinedError:
                with pytest.raises(TemplateRenderError, match="undefined|has no attribute"):
                    render_sources(sources, copy.deepcopy(context), strict=strict)
                continue
            # Twice: the second render takes the cached template and layouts.
            for _ in range(2):
                rendered = render_sources(sources, copy.deepcopy(context), strict=strict).as_json()
                assert {k: v for k, v in rendered.items() if v is not None} == expected, label


# --- what the sandbox and its environments do ------------------------------------------


@pytest.mark.parametrize("strict", [False, True])
def test_a_dicts_keys_read_as_attributes_unless_a_dict_method_has_the_name(strict):
    """Jinja's lookup: the attribute first, then the key; a missing one is undefined."""
    data = {"name": "Ada", "_private": 2, "items": "key", "get": 1, "x": None}
    source = "{{ d.name }}|{{ d._private }}|{{ d['items'] }}|{{ d['get'] }}|{{ d.x }}|{{ d.get('name') }}"
    assert render_sources({"contentText": source}, {"d": data}, strict=strict).content_text == (
        "Ada|2|key|1||Ada"
    )
    assert render_sources({"contentText": "[{{ d.missing }}]"}, {"d": data}).content_text == "[]"
    with pytest.raises(TemplateRenderError, match="'dict object' has no attribute 'missing'"):
        render_sources({"contentText": "{{ d.missing }}"}, {"d": data}, strict=True)


def test_packaged_layouts_are_compiled_once_without_a_stat_per_render(monkeypatch):
    env = environment(html=True, strict=False)
    assert env.auto_reload is False
    first = env.get_template("layouts/email.html")

    def no_stat(path):  # noqa: ANN001, ANN202
        raise AssertionError(f"stat of {path}")

    monkeypatch.setattr(loader_module.os.path, "getmtime", no_stat)
    assert env.get_template("layouts/email.html", "contentHtmlTemplate") is first
    child = '{% extends "layouts/text.txt" %}{% block content %}Due.{% endblock %}'
    assert render_sources(
        {"contentText": child}, {"company": {"brandName": "Peach"}}
    ).content_text.startswith("Peach: Due.")


def test_a_layout_directory_other_than_the_packaged_one_is_reloaded_when_it_changes(tmp_path):
    (tmp_path / "base.txt").write_text("one {% block b %}{% endblock %}")
    env = TemplateSandbox(loader=LayoutLoader(tmp_path), auto_reload=True)
    child = env.from_string('{% extends "layouts/base.txt" %}{% block b %}x{% endblock %}')
    assert child.render() == "one x"
    (tmp_path / "base.txt").write_text("two {% block b %}{% endblock %}")
    os.utime(tmp_path / "base.txt", (1, 1))  # a different mtime, even on a coarse clock
    assert child.render() == "two x"


TWIN_FILTERS = [
    "{{ xs|first }}|{{ xs|sum }}|{{ xs|unique|join(',') }}|{{ xs|list }}|{{ xs|slice(2)|list }}",
    "{{ xs|select|join('-') }}|{{ xs|reject('odd')|list }}|{{ xs|map('string')|join }}",
    "{{ rows|selectattr('a')|map(attribute='b')|join }}|{{ rows|rejectattr('a')|list|length }}",
    "{% for g in rows|groupby('a') %}{{ g.grouper }}:{{ g.list|map(attribute='b')|join }};{% endfor %}",
    "{{ ['<b>', none, 'x']|select|join('&') }}|{{ rows|map(attribute='b')|sum }}",
]


@pytest.mark.parametrize("source", TWIN_FILTERS)
@pytest.mark.parametrize("part", ["contentHtml", "contentText"])
def test_filters_with_an_async_twin_render_as_stock_jinja_renders_them(source, part):
    """``select``, ``join``, ``list`` … (Jinja's filters with an async twin) through the
    sandbox's filter guard."""
    assert not environment(html=True, strict=False).is_async
    context = {"xs": [3, 0, 1, 2, 3], "rows": [{"a": 1, "b": 2}, {"a": 0, "b": 5}, {"a": 1, "b": 7}]}
    expected = reference_render(part, source, context, strict=False)
    assert render_sources({part: source}, context).as_json()[part] == expected


@pytest.mark.parametrize(
    "source",
    [
        "{{ x }}",
        "{{ 3 }}",
        "{{ x|default('') }}",
        "{{ xs|join }}",
        "{{ xs|list|length }}",
        "{{ 'a' ~ x }}",
        "{% for i in xs %}a{% endfor %}",
        "{% for i in [] %}{% endfor %}",
        '{% extends "layouts/text.txt" %}',
    ],
)
def test_every_output_filter_loop_and_layout_checks_the_clock(source):
    """A render already past its deadline stops at the first output, filter or loop."""
    with pytest.raises(TemplateRenderError, match="the render took longer than -1 seconds"):
        render_sources({"contentText": source}, {"x": "v", "xs": [1, 2]}, seconds=-1)

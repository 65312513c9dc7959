"""The sandboxed renderer: escaping, undefined variables, filters, sandbox escapes, limits."""

from __future__ import annotations

import time

import pytest

from peachcomms.errors import InvalidInput
from templating.rendering import TemplateRenderError, render_sources, source_errors, validate_sources
from templating.rendering import render as render_module
from templating.rendering.render import CONTENT_HTML, CONTENT_TEXT


def html(source: str, context: dict | None = None, *, strict: bool = False) -> str | None:
    return render_sources({"contentHtml": source}, context or {}, strict=strict).content_html


def text(source: str, context: dict | None = None, *, strict: bool = False) -> str | None:
    return render_sources({"contentText": source}, context or {}, strict=strict).content_text


def failure(
    source: str, context: dict | None = None, *, part: str = "contentHtml", strict: bool = False
) -> str:
    with pytest.raises(TemplateRenderError) as raised:
        render_sources({part: source}, context or {}, strict=strict)
    assert raised.value.status_code == 422
    return raised.value.message


PERSON = {"name": {"firstName": "Ada <b>&", "lastName": "O'Hara"}}


def test_html_part_is_escaped_text_and_subject_are_not():
    rendered = render_sources(
        {
            "subjectLine": "Hi {{ person.name.firstName }}",
            "contentHtml": "<p>{{ person.name.firstName }} {{ person.name.lastName }}</p>",
            "contentText": "{{ person.name.firstName }} {{ person.name.lastName }}",
        },
        {"person": PERSON},
    )
    assert rendered.subject_line == "Hi Ada <b>&"
    assert rendered.content_html == "<p>Ada &lt;b&gt;&amp; O&#39;Hara</p>"
    assert rendered.content_text == "Ada <b>& O'Hara"


def test_missing_parts_are_none_and_output_is_stripped_and_subject_one_line():
    rendered = render_sources({"subjectLine": "  Due\n  soon \n", "contentText": "\n\nBody\n\n"}, {})
    assert rendered.subject_line == "Due soon"
    assert rendered.content_html is None
    assert rendered.content_text == "Body"
    assert rendered.as_json() == {"subjectLine": "Due soon", "contentHtml": None, "contentText": "Body"}


def test_lenient_undefined_renders_empty_even_through_attributes_and_none():
    source = "[{{ missing }}|{{ missing.deeper.still }}|{{ loan.amountDue }}|{{ contact }}]"
    assert text(source, {"loan": None, "contact": None}) == "[|||]"


def test_strict_undefined_names_the_variable_and_line():
    message = failure("Hello\n\n{{ loan.amountDue }}", {}, strict=True)
    assert message == "Template render failed: contentHtmlTemplate line 3: 'loan' is undefined."
    message = failure("{{ person.name.nickname }}", {"person": PERSON}, part="contentText", strict=True)
    assert message == (
        "Template render failed: contentTextTemplate line 1: 'dict object' has no attribute 'nickname'."
    )
    # A filter given an undefined value fails the same way.
    assert "'amount' is undefined" in failure("{{ amount|currency }}", strict=True)
    # `default` and `is defined` still work in strict mode.
    assert text("{{ amount|default('n/a') }}{% if x is defined %}x{% endif %}", strict=True) == "n/a"


@pytest.mark.parametrize(
    "source, expected",
    [
        ("{{ 1234.5|currency }}", "$1,234.50"),
        ("{{ '1234.505'|currency }}", "$1,234.51"),
        ("{{ -3|currency }}", "-$3.00"),
        ("{{ 0|currency }}", "$0.00"),
        ("{{ 1234.5|currency('EUR') }}", "€1,234.50"),
        ("{{ 99|currency('chf') }}", "CHF 99.00"),
        ("{{ none|currency }}", ""),
        ("{{ '2026-01-05'|date }}", "January 5, 2026"),
        ("{{ '2026-01-05'|date('%m/%d/%Y') }}", "01/05/2026"),
        ("{{ '2026-01-05T23:30:00-05:00'|date(tz='UTC') }}", "January 6, 2026"),
        # 2026-03-08: US clocks go forward at 2:00 local (07:00Z).
        ("{{ '2026-03-08T06:30:00Z'|datetime(tz='America/New_York') }}", "March 8, 2026 1:30 AM EST"),
        ("{{ '2026-03-08T07:30:00Z'|datetime(tz='America/New_York') }}", "March 8, 2026 3:30 AM EDT"),
        # 2026-11-01: back at 2:00 local; 1:30 happens twice.
        ("{{ '2026-11-01T05:30:00Z'|datetime('%H:%M %Z', 'America/New_York') }}", "01:30 EDT"),
        ("{{ '2026-11-01T06:30:00Z'|datetime('%H:%M %Z', 'America/New_York') }}", "01:30 EST"),
        ("{{ '2026-07-04T12:00:00'|datetime }}", "July 4, 2026 12:00 PM UTC"),
        ("{{ '+14155551234'|lastFour }}", "1234"),
        ("{{ 'LN-AB12-9Z7Q'|lastFour }}", "9Z7Q"),
        ("{{ 'ada lovelace-byron'|title }}", "Ada Lovelace-Byron"),
        ("{{ none|title }}{{ none|lastFour }}{{ none|date }}{{ none|datetime }}", ""),
        ("{{ '+14155550123'|phone }}", "(415) 555-0123"),
        ("{{ '+14155550123'|phone('US') }}", "(415) 555-0123"),
        ("{{ '+14155550123'|phone('United States') }}", "(415) 555-0123"),
        ("{{ '+14155550123'|phone('GB') }}", "+1 415-555-0123"),
        ("{{ '+442079460958'|phone('US') }}", "+44 20 7946 0958"),
        ("{{ '+442079460958'|phone }}", "020 7946 0958"),
        ("{{ '+442079460958'|phone('gb') }}", "020 7946 0958"),
        ("{{ '+442079460958'|phone('Mars') }}", "020 7946 0958"),
        ("{{ '4155550123'|phone }}", "(415) 555-0123"),
        ("{{ 4155550123|phone('US') }}", "(415) 555-0123"),
        ("{{ '1-800-PEACHES'|phone }}", "1-800-PEACHES"),
        ("{{ '12'|phone }}", "12"),
        ("{{ none|phone }}{{ ''|phone }}", ""),
    ],
)
def test_filters(source, expected):
    assert text(source, {"none": None}) == expected


@pytest.mark.parametrize(
    "source, message",
    [
        ("{{ 'abc'|currency }}", "currency: 'abc' is not an amount"),
        ("{{ 1|currency('dollars') }}", "currency: 'dollars' is not a currency code"),
        ("{{ 'soon'|date }}", "date: 'soon' is not an ISO-8601 date or time"),
        ("{{ [1]|phone }}", "phone: '[1]' is not a phone number"),
        (
            "{{ '2026-01-01T00:00:00Z'|datetime(tz='Mars/Olympus') }}",
            "datetime: unknown time zone 'Mars/Olympus'",
        ),
    ],
)
def test_filter_errors_name_the_filter(source, message):
    assert (
        failure(source, part="contentText")
        == f"Template render failed: contentTextTemplate line 1: {message}."
    )


SANDBOX_ESCAPES = [
    "{{ ''.__class__ }}",
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ ''|attr('__class__') }}",
    "{{ (''|attr('__class__')|attr('__base__')|attr('__subclasses__'))() }}",
    "{{ x['__class__'] }}",
    "{{ x.__globals__ }}",
    "{{ cycler.__init__.__globals__.os }}",
    "{{ joiner.__init__.__globals__ }}",
    "{{ namespace.__init__.__globals__ }}",
    "{{ self._TemplateReference__context }}",
    "{{ range.__self__ }}",
    "{{ x|map(attribute='__class__')|list }}",
    "{{ '{0.__class__.__init__.__globals__}'.format(x) }}",
    "{{ '{a.__class__}'.format_map({'a': x}) }}",
    "{{ x.encode() }}",
    "{{ person.items }}",
    "{{ (x|list).append(1) }}",
    "{{ {}.update(a=1) }}",
]


@pytest.mark.parametrize("source", SANDBOX_ESCAPES)
def test_sandbox_escapes_are_a_clean_422(source):
    for strict in (False, True):
        message = failure(source, {"x": "abc", "person": {"name": "Ada"}}, strict=strict)
        assert message == (
            "Template render failed: contentHtmlTemplate line 1: "
            "the template used something the sandbox does not allow."
        )


@pytest.mark.parametrize(
    "source, problem",
    [
        ("{{ range(100000000)|list }}", "range() is limited to 10000 items"),
        (
            "{% for i in range(10000) %}{% for j in range(10000) %}{% endfor %}{% endfor %}",
            "more than 100000 loop iterations",
        ),
        ("{{ 'x' * 1000000000 }}", "a repetition of more than 1000000 characters or items"),
        ("{{ [1] * 1000000000 }}", "a repetition of more than 1000000 characters or items"),
        ("{{ '%999999999d' % 1 }}", "format widths are limited to 10000"),
        ("{{ '%*d' % (999999999, 1) }}", "format widths are limited to 10000"),
        ("{{ '{:>999999999}'.format(1) }}", "format widths are limited to 10000"),
        ("{{ '{:{w}}'.format(1, w=999999999) }}", "nested format fields are not allowed"),
        ("{{ '%999999999d'|format(1) }}", "format widths are limited to 10000"),
        ("{{ 'x'|center(1000000000) }}", "center width is limited to 10000"),
        ("{{ 'x'|indent(1000000000) }}", "indent width is limited to 10000"),
        ("{{ 'x'.ljust(1000000000) }}", "ljust() width is limited to 10000"),
        ("{{ 'x'.zfill(1000000000) }}", "zfill() width is limited to 10000"),
        ("{{ 2 ** 100000000 }}", "exponents are limited to 1000"),
        ("{{ (2 ** 1000) ** 1000 }}", "an integer larger than 4096 bits"),
        ("{{ x|replace('', 'y' * 5000) }}", "a replacement of more than 1000000 characters"),
        ("{{ [1, 2]|batch(1000000000, 0)|list }}", "batch size is limited to 10000"),
        ("{{ [1, 2]|slice(1000000000)|list }}", "slice count is limited to 10000"),
        (
            "{% set ns = namespace(s='x') %}{% for i in range(40) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}",
            "a value of more than 1000000 characters",
        ),
        (
            "{% macro m() %}{% for i in range(10000) %}"
            + "y" * 5000
            + "{% endfor %}{% endmacro %}{{ m()|length }}",
            "the template built more than 8000000 characters of text",
        ),
        (
            "{% macro m() %}{% for i in range(3000) %}{{ big }}{% endfor %}{% endmacro %}{{ m()|length }}",
            "the template built more than 8000000 characters of text",
        ),
    ],
)
def test_limits_stop_a_render_with_a_clean_422(source, problem):
    context = {"x": "abc" * 100, "big": "z" * 5000}
    started = time.monotonic()
    assert failure(source, context) == f"Template render failed: contentHtmlTemplate line 1: {problem}."
    assert time.monotonic() - started < 3


def test_render_time_is_limited_without_signals():
    source = "{% macro f(n) %}{% if n %}{{ f(n - 1) }}{{ f(n - 1) }}{% endif %}{% endmacro %}{{ f(40) }}"
    started = time.monotonic()
    with pytest.raises(TemplateRenderError) as raised:
        render_sources({"contentText": source}, {}, seconds=0.3)
    assert (
        raised.value.message
        == "Template render failed: contentTextTemplate line 1: the render took longer than 0.3 seconds."
    )
    assert time.monotonic() - started < 2


def test_output_size_is_limited():
    assert failure("{% for i in range(30) %}{{ big }}{% endfor %}", {"big": "z" * 40000}) == (
        "Template render failed: contentHtmlTemplate: the output is longer than 1000000 characters."
    )


def test_other_errors_are_reported_without_internals():
    assert (
        failure("a\n{{ 1 / 0 }}") == "Template render failed: contentHtmlTemplate line 2: division by zero."
    )
    assert failure("{% include 'secrets.txt' %}") == (
        "Template render failed: contentHtmlTemplate line 1: template 'secrets.txt' not found "
        "(only layouts/… templates can be extended or included)."
    )
    assert failure("{% extends 'layouts/../../settings.py' %}").startswith(
        "Template render failed: contentHtmlTemplate line 1: template '../../settings.py' not found"
    )
    assert "lipsum" in failure("{{ lipsum(1000) }}", strict=True)


def test_layouts_can_be_extended():
    rendered = text(
        '{% extends "layouts/text.txt" %}{% block content %}Your payment is due.{% endblock %}',
        {"company": {"brandName": "Peach"}, "person": None, "loan": None},
    )
    assert rendered.startswith("Peach: Your payment is due.")
    assert rendered.endswith("Reply STOP to opt out.")


def test_syntax_errors_on_save_name_the_part_and_line():
    assert source_errors(CONTENT_HTML, "<p>\n{{ person.name }}\n{{ oops }\n</p>") == [
        "line 3: unexpected '}'"
    ]
    assert source_errors(CONTENT_TEXT, "{{ x|nosuchfilter }}") == ["line 1: No filter named 'nosuchfilter'."]
    assert source_errors(CONTENT_TEXT, "ok {{ x|currency }}") == []
    assert source_errors(CONTENT_TEXT, "{% extends 'layouts/nope.html' %}") == [
        "line 1: template 'layouts/nope.html' not found (only layouts/… templates can be extended, "
        "included or imported)"
    ]
    assert source_errors(CONTENT_TEXT, "x" * 100_001) == ["Longer than 100000 characters."]
    with pytest.raises(InvalidInput) as raised:
        validate_sources({"contentHtmlTemplate": "a\nb\n{% if %}", "contentTextTemplate": "fine"})
    assert raised.value.errors == {
        "contentHtmlTemplate": ["line 3: Expected an expression, got 'end of statement block'"]
    }
    assert raised.value.message.startswith("Template syntax error in contentHtmlTemplate: line 3:")


def test_compiled_templates_are_cached_by_version_id_and_drafts_by_content(monkeypatch):
    calls = []
    original = render_module._compile

    def counting(part, source, *, strict):  # noqa: ANN001, ANN202
        calls.append(source)
        return original(part, source, strict=strict)

    monkeypatch.setattr(render_module, "_compile", counting)
    for _ in range(3):
        render_sources({"contentText": "v1 {{ x }}"}, {"x": 1}, version_id="TV-AAAA-0001")
    assert calls == ["v1 {{ x }}"]
    # A draft is keyed by its content, so an edit is never served stale.
    render_sources({"contentText": "draft {{ x }}"}, {"x": 1})
    render_sources({"contentText": "draft {{ x }}"}, {"x": 1})
    assert render_sources({"contentText": "edited {{ x }}"}, {"x": 1}).content_text == "edited 1"
    assert calls == ["v1 {{ x }}", "draft {{ x }}", "edited {{ x }}"]

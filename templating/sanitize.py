"""Caller-supplied HTML (free-form emails) reduced to a safe allow-list with nh3 (the
Rust ``ammonia`` sanitiser) before it is placed in a branded layout.

Kept: text formatting, headings, lists, tables, links (``http``, ``https``, ``mailto``,
``tel``; ``rel="noopener noreferrer"`` added) and images (``http``/``https`` sources).
Removed: every other tag (``script`` and ``style`` with their content), every event
handler and ``style``/``class``/``id`` attribute, comments, ``javascript:`` and ``data:``
URLs.
"""

from __future__ import annotations

import html
import re

import nh3

ALLOWED_TAGS = frozenset(
    {
        "a", "abbr", "b", "blockquote", "br", "caption", "code", "dd", "div", "dl", "dt", "em",
        "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "li", "ol", "p", "pre", "s",
        "small", "span", "strong", "sub", "sup", "table", "tbody", "td", "tfoot", "th", "thead",
        "tr", "u", "ul",
    }
)  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "width", "height"},
    "td": {"colspan", "rowspan", "align"},
    "th": {"colspan", "rowspan", "align", "scope"},
    "table": {"align"},
    "ol": {"start"},
}
URL_SCHEMES = frozenset({"http", "https", "mailto", "tel"})
_IMG_SCHEMES = ("http://", "https://")


def _attribute_filter(tag: str, attribute: str, value: str) -> str | None:
    if tag == "img" and attribute == "src" and not value.lower().startswith(_IMG_SCHEMES):
        return None
    return value


def sanitize_html(value: str) -> str:
    """``value`` with only the allow-listed tags, attributes and URL schemes."""
    return nh3.clean(
        value,
        tags=set(ALLOWED_TAGS),
        clean_content_tags={"script", "style"},
        attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
        attribute_filter=_attribute_filter,
        url_schemes=set(URL_SCHEMES),
        link_rel="noopener noreferrer",
        strip_comments=True,
    )


_BREAK = re.compile(r"<br\s*/?>", re.IGNORECASE)
_BLOCK_END = re.compile(r"</(p|div|h[1-6]|li|tr|blockquote|pre|table|ul|ol)\s*>", re.IGNORECASE)
_BLANK_LINES = re.compile(r"\n\s*\n\s*(\n\s*)+")
_SPACES = re.compile(r"[ \t]+")


def html_to_text(value: str) -> str:
    """A plain-text rendering of (sanitised) HTML: tags dropped, line breaks kept."""
    text = _BLOCK_END.sub("\n\n", _BREAK.sub("\n", value))
    text = html.unescape(nh3.clean(text, tags=set(), clean_content_tags={"script", "style"}))
    lines = [_SPACES.sub(" ", line).strip() for line in text.splitlines()]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()

"""The content of a send: the template version to render (the company's active one for
the subject and channel, a fallback channel's, or ``overrideTemplateId``), the render
itself, or with ``useTemplate: false`` the caller's own parts; and the part each channel
cannot go without."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from borrowers.models import Company
from peachcomms.errors import BusinessRuleViolation, InvalidInput, NotFound
from templating.models import TemplateVersion
from templating.rendering import RenderedContent, render_version
from templating.sanitize import html_to_text
from templating.selectors import template_select

#: Channels with no default templates of their own use another channel's when the company
#: has none for them: a chat message reads like a text, the portal shows the email.
TEMPLATE_FALLBACK = {"chat": "text", "gui": "email"}


def template_for(
    company: Company, subject: str, channel: str, override_id: str | None, version: int | None
) -> TemplateVersion:
    if override_id:
        return template_select(company, subject, channel, override_version_id=override_id)
    for candidate in (channel, TEMPLATE_FALLBACK.get(channel)):
        if candidate is None:
            continue
        try:
            return template_select(company, subject, candidate, settings_version=version)
        except NotFound:
            continue
    raise BusinessRuleViolation(
        f"No template for subject {subject} on channel {channel}: create one (POST "
        "/api/communicator/templatedescriptors), or send with useTemplate false."
    )


def content_from_context(channel: str, context: Mapping[str, Any]) -> RenderedContent:
    """``useTemplate: false``: the caller's own ``context.subjectLine``,
    ``context.contentHtml`` and ``context.contentText``, as given (a text part is derived
    from the HTML when only HTML is given)."""
    parts: dict[str, str | None] = {}
    for name in ("subjectLine", "contentHtml", "contentText"):
        value = context.get(name)
        if value is not None and not isinstance(value, str):
            raise InvalidInput.for_field(f"context.{name}", "Must be a string.")
        parts[name] = value.strip() if value and value.strip() else None
    if parts["contentText"] is None and parts["contentHtml"] is not None and channel != "mail":
        parts["contentText"] = html_to_text(parts["contentHtml"]) or None
    missing = missing_part(channel, parts)
    if missing:
        raise InvalidInput.for_field(
            f"context.{missing}", f"Required for a {channel} message with useTemplate false."
        )
    return RenderedContent(parts["subjectLine"], parts["contentHtml"], parts["contentText"])


def missing_part(channel: str, parts: Mapping[str, str | None]) -> str | None:
    """The part a ``channel`` message cannot go without, if it is empty."""
    if channel == "mail":
        return None if parts.get("contentHtml") else "contentHtml"
    if channel == "email" or channel == "gui":
        return None if parts.get("contentHtml") or parts.get("contentText") else "contentHtml"
    return None if parts.get("contentText") else "contentText"


def render_for_send(
    company: Company,
    subject: str,
    channel: str,
    data: Mapping[str, Any],
    context: dict[str, Any],
    settings_version: int | None = None,
) -> tuple[str | None, RenderedContent]:
    if not data.get("useTemplate", True):
        return None, content_from_context(channel, data.get("context") or {})
    version = template_for(company, subject, channel, data.get("overrideTemplateId"), settings_version)
    if data.get("overrideTemplateId") and version.descriptor.subject != subject:
        # A message is judged by its subject (theme, transactional or not): its content
        # must be a template of that subject, or a collection text could go out as a
        # transactional reminder.
        raise BusinessRuleViolation(
            f"overrideTemplateId {version.pk} is a template of subject {version.descriptor.subject}, "
            f"not {subject}: a send may only use a version of its own subject."
        )
    rendered = render_version(version, context, strict=bool(data.get("strictUndefined")))
    missing = missing_part(channel, rendered.as_json())
    if missing:
        raise BusinessRuleViolation(
            f"Template version {version.pk} rendered no {missing}, which a {channel} message needs."
        )
    return version.pk, rendered


__all__ = ["TEMPLATE_FALLBACK", "content_from_context", "missing_part", "render_for_send", "template_for"]

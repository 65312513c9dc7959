"""Reads of template descriptors and versions, and template selection.

A company sees its own descriptors and the built-in ones (``company`` null), which are
readable by every company and writable by none through the API.
"""

from __future__ import annotations

import re

from django.db.models import Q, QuerySet

from borrowers import settings_cache
from borrowers.models import Company
from interactions.catalogue import channel_is_deprecated, channel_values
from peachcomms.api.ids import is_valid_id
from peachcomms.errors import InvalidInput, NotFound, ServiceError
from peachcomms.scoping import get_scoped
from templating.models import TemplateDescriptor, TemplateVersion

DEFAULT_LANGUAGE = "en"
_LANGUAGE = re.compile(r"^[a-z]{2}$")


class BuiltInTemplateReadOnly(ServiceError):
    """403: a built-in descriptor (or its versions) cannot be changed through the API."""

    status_code = 403
    default_message = (
        "Built-in templates are read-only: create your own template descriptor for this "
        "subject, channel and language (it overrides the built-in one)."
    )


def template_channels() -> list[str]:
    """Channels a template can be written for: the InteractionChannel catalogue
    (``interactions/catalogue/channels.json``) without its deprecated values (``fax``).
    ``document`` is the channel of render-to-document templates."""
    return channel_values(include_deprecated=False)


def channel_check(channel: str, *, field: str = "channel") -> str:
    """The channel, or InvalidInput (400) naming the unknown or deprecated value."""
    if channel_is_deprecated(channel):
        raise InvalidInput(
            f"The channel '{channel}' is deprecated and cannot be used.",
            errors={field: [f"'{channel}' is deprecated."]},
        )
    if channel not in template_channels():
        raise InvalidInput(
            f"Unknown channel '{str(channel)[:32]}'.",
            errors={field: [f"Must be one of: {', '.join(template_channels())}."]},
        )
    return channel


def language_check(language: str, *, field: str = "language") -> str:
    if not isinstance(language, str) or not _LANGUAGE.match(language):
        raise InvalidInput(
            "The language must be a 2-letter lower-case code such as 'en'.",
            errors={field: ["Must be a 2-letter lower-case code such as 'en'."]},
        )
    return language


def _visible(company: Company) -> Q:
    return Q(company_id=company.pk) | Q(company__isnull=True)


def template_descriptor_list(
    company: Company,
    *,
    include_builtin: bool = False,
    subject: str | None = None,
    channel: str | None = None,
    language: str | None = None,
) -> QuerySet[TemplateDescriptor]:
    """The company's descriptors (and the built-in ones with ``include_builtin``)."""
    queryset = TemplateDescriptor.objects.filter(
        _visible(company) if include_builtin else Q(company_id=company.pk)
    )
    if subject is not None:
        queryset = queryset.filter(subject=subject)
    if channel is not None:
        queryset = queryset.filter(channel=channel)
    if language is not None:
        queryset = queryset.filter(language=language)
    return queryset


def template_descriptor_get(company: Company, value: str, *, for_write: bool = False) -> TemplateDescriptor:
    """A descriptor of the company (``TD-…`` or ``ext-…``) or a built-in one (``TD-…``).

    ``for_write``: a built-in descriptor raises :class:`BuiltInTemplateReadOnly` (403).
    """
    try:
        return get_scoped(TemplateDescriptor, company.pk, value)
    except NotFound:
        if not is_valid_id(value, "TD"):
            raise
        builtin = TemplateDescriptor.objects.filter(pk=value, company__isnull=True).first()
        if builtin is None:
            raise
    if for_write:
        raise BuiltInTemplateReadOnly()
    return builtin


def template_version_list(descriptor: TemplateDescriptor) -> QuerySet[TemplateVersion]:
    return TemplateVersion.objects.filter(descriptor_id=descriptor.pk)


def template_version_get(descriptor: TemplateDescriptor, value: str) -> TemplateVersion:
    version = None
    if is_valid_id(value, "TV"):
        version = TemplateVersion.objects.filter(pk=value, descriptor_id=descriptor.pk).first()
    if version is None:
        raise NotFound(f"No template version '{str(value)[:80]}' of template descriptor '{descriptor.pk}'.")
    version.descriptor = descriptor
    return version


def template_select(
    company: Company,
    subject: str,
    channel: str,
    language: str = DEFAULT_LANGUAGE,
    override_version_id: str | None = None,
    *,
    settings_version: int | None = None,
) -> TemplateVersion:
    """The version to render for (subject, channel, language).

    ``override_version_id``: that version (any status) if it belongs to the company or is
    built-in, else NotFound. Otherwise, in order: the company's enabled descriptor for the
    language, the built-in one for the language, then the same two for ``en``; a
    descriptor counts only with an active version. None → NotFound "No template for …".
    The selection comes from the process cache (``borrowers.settings_cache``;
    ``settings_version`` as read in the caller's unit of work, or read here): the version
    returned is shared, do not modify it.
    """
    if override_version_id:
        version = None
        if is_valid_id(override_version_id, "TV"):
            version = (
                TemplateVersion.objects.select_related("descriptor")
                .filter(Q(descriptor__company_id=company.pk) | Q(descriptor__company__isnull=True))
                .filter(pk=override_version_id)
                .first()
            )
        if version is None:
            raise NotFound(f"overrideTemplateId: no template version '{override_version_id[:80]}'.")
        return version
    version = settings_cache.cached(
        company.pk,
        ("templating.select", subject, channel, language),
        settings_version,
        lambda: _template_select(company, subject, channel, language),
    )
    if version is None:
        raise NotFound(f"No template for subject {subject} on channel {channel}.")
    return version


def _template_select(company: Company, subject: str, channel: str, language: str) -> TemplateVersion | None:
    languages = [language] if language == DEFAULT_LANGUAGE else [language, DEFAULT_LANGUAGE]
    candidates = list(
        TemplateDescriptor.objects.select_related("active_version")
        .filter(_visible(company))
        .filter(
            subject=subject,
            channel=channel,
            language__in=languages,
            enabled=True,
            active_version__isnull=False,
        )
        .order_by()
    )
    if not candidates:
        return None
    best = min(candidates, key=lambda d: (languages.index(d.language), d.company_id is None))
    version = best.active_version
    version.descriptor = best
    return version

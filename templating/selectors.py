"""Reads of template descriptors and versions, and template selection.

A company sees its own descriptors and the built-in ones (``company`` null), which are
readable by every company and writable by none through the API.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.db.models import CharField, OuterRef, Q, QuerySet, Subquery, Value

from borrowers import settings_cache
from borrowers.models import Company
from interactions.catalogue import channel_is_deprecated, channel_values
from peachcomms.api.ids import is_valid_id
from peachcomms.errors import InvalidInput, NotFound, ServiceError
from peachcomms.scoping import get_scoped
from templating.hydration import REQUEST_OBJECTS
from templating.models import TemplateDescriptor, TemplateVersion
from templating.rendering.variables import version_variables

DEFAULT_LANGUAGE = "en"
DESCRIPTORS_PATH = "/api/communicator/templatedescriptors"
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


def _overriding(company: Company) -> QuerySet[TemplateDescriptor]:
    """The company's descriptor that template selection prefers to the built-in one of
    the outer row's slot: enabled, with an active version."""
    return TemplateDescriptor.objects.filter(
        company_id=company.pk,
        subject=OuterRef("subject"),
        channel=OuterRef("channel"),
        language=OuterRef("language"),
        enabled=True,
        active_version__isnull=False,
    ).values("pk")[:1]


def template_descriptor_list(
    company: Company,
    *,
    include_builtin: bool = True,
    subject: str | None = None,
    channel: str | None = None,
    language: str | None = None,
) -> QuerySet[TemplateDescriptor]:
    """The company's descriptors and (unless ``include_builtin`` is False) the built-in
    ones, each built-in row with ``overridden_by``: the id of the company's descriptor
    that selection uses instead, or None. One query, whatever the page size: the
    override is a correlated subquery on the slot index, the active version a join."""
    queryset = (
        TemplateDescriptor.objects.filter(_visible(company) if include_builtin else Q(company_id=company.pk))
        .select_related("active_version")
        .annotate(
            overridden_by=Subquery(_overriding(company), output_field=CharField())
            if include_builtin
            else Value(None, output_field=CharField())
        )
    )
    if subject is not None:
        queryset = queryset.filter(subject=subject)
    if channel is not None:
        queryset = queryset.filter(channel=channel)
    if language is not None:
        queryset = queryset.filter(language=language)
    return queryset


def template_descriptor_get(company: Company, value: str, *, for_write: bool = False) -> TemplateDescriptor:
    """A descriptor of the company (``TD-…`` or ``ext-…``) or a built-in one (``TD-…``,
    with ``overridden_by`` as :func:`template_descriptor_list` gives it).

    ``for_write``: a built-in descriptor raises :class:`BuiltInTemplateReadOnly` (403).
    """
    try:
        return get_scoped(TemplateDescriptor, company.pk, value)
    except NotFound:
        if not is_valid_id(value, "TD"):
            raise
        builtin = template_descriptor_list(company).filter(pk=value, company__isnull=True).first()
        if builtin is None:
            raise
    if for_write:
        raise BuiltInTemplateReadOnly()
    return builtin


@dataclass(frozen=True)
class ContextNeeds:
    """What rendering a version takes: ``objects``, the hydrated objects its parts use
    that a request names by id (``person``, ``contact``, ``loan``, ``loans``, ``case``,
    ``statement``, in that order; ``company`` is always there and not listed), and
    ``variables``, the other names it reads, which come from the request's ``context``."""

    objects: tuple[str, ...]
    variables: tuple[str, ...]


def template_context_needs(version: TemplateVersion | None) -> ContextNeeds:
    """The context ``version`` uses (nothing for None), from its parts' source; cached
    by version id for active and archived versions, which never change."""
    if version is None:
        return ContextNeeds((), ())
    names = version_variables(version)
    return ContextNeeds(
        objects=tuple(name for name in REQUEST_OBJECTS if name in names),
        variables=tuple(sorted(names - set(REQUEST_OBJECTS) - {"company"})),
    )


def template_channels_by_subject(
    company: Company, *, settings_version: int | None = None
) -> dict[str, list[str]]:
    """``{subject: [channel, ...]}`` (channels sorted): the channels the company has a
    template for, of each subject that has one: its own enabled descriptors and the
    built-in ones, with an active version, in any language. One query, cached per
    company until a template or setting of it changes (``borrowers.settings_cache``).
    Shared: do not modify."""

    def load() -> dict[str, list[str]]:
        slots = (
            TemplateDescriptor.objects.filter(_visible(company), enabled=True, active_version__isnull=False)
            .order_by()
            .values_list("subject", "channel")
            .distinct()
        )
        channels: dict[str, set[str]] = {}
        for subject, channel in slots:
            channels.setdefault(subject, set()).add(channel)
        return {subject: sorted(found) for subject, found in sorted(channels.items())}

    return settings_cache.cached(company.pk, "templating.channels", settings_version, load)


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
        raise NotFound(_no_template_message(company, subject, channel, language, settings_version))
    return version


def _no_template_message(
    company: Company, subject: str, channel: str, language: str, settings_version: int | None
) -> str:
    """Why selection found nothing, and what the subject does have, so that the caller
    needs no source tree to pick another channel."""
    channels = template_channels_by_subject(company, settings_version=settings_version).get(subject, [])
    missing = f"No template for subject {subject} on channel {channel}"
    if language != DEFAULT_LANGUAGE:
        missing += f" in language {language} or {DEFAULT_LANGUAGE}"
    if not channels:
        return f"{missing}: it has no template on any channel (create one: POST {DESCRIPTORS_PATH})."
    return f"{missing}. {subject} has templates for: {', '.join(channels)}; name one of them in `channel`."


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

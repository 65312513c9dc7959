"""Writes of template descriptors and versions, and the render services the API, the
admin and the send path call.

Version lifecycle: a version is created as a ``draft`` and may be edited while it is one;
``template_version_activate`` makes it the descriptor's one ``active`` version and
archives the previous one in the same transaction (under a lock on the descriptor row,
and the database's partial unique index as the last word). Active and archived versions
never change again (409), so what was sent stays auditable; an archived version may be
activated again (a rollback).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from markupsafe import Markup

from borrowers import services as borrower_services
from borrowers.models import Borrower, Company, Contact, Document
from borrowers.selectors import borrower_contacts, contact_select
from peachcomms.errors import Conflict
from peachcomms.scoping import get_scoped
from subjects.selectors import subject_check, subject_descriptor
from templating import selectors
from templating.hydration import hydrate_context
from templating.models import TemplateDescriptor, TemplateVersion
from templating.rendering import PARTS, RenderedContent, TemplateRenderError, render_version, validate_sources
from templating.rendering.pdf import html_to_pdf
from templating.sanitize import html_to_text, sanitize_html

logger = logging.getLogger(__name__)

DESCRIPTOR_FIELDS = ("subject", "channel", "language", "name", "enabled", "external_id")
DESCRIPTOR_UPDATE_FIELDS = ("name", "enabled", "external_id")
VERSION_FIELDS = tuple(part.attribute for part in PARTS)


def created_by_api_key(api_key: Any) -> dict[str, Any]:
    """The ``createdBy`` of a write made with an API key."""
    return {
        "id": api_key.pk,
        "name": api_key.name or api_key.key_hint,
        "userType": "integration",
        "descriptor": None,
    }


def created_by_user(user: Any) -> dict[str, Any]:
    """The ``createdBy`` of a write made by a staff user in the admin."""
    return {"id": str(user.pk), "name": user.get_username(), "userType": "agent", "descriptor": "admin"}


def _sources(data: dict[str, Any]) -> dict[str, str]:
    return {part.field: data[part.attribute] for part in PARTS if part.attribute in data}


# --- descriptors ----------------------------------------------------------------------------


def _save_descriptor(descriptor: TemplateDescriptor, update_fields: list[str] | None = None) -> None:
    try:
        with transaction.atomic():
            if update_fields is None:
                descriptor.save()
            else:
                descriptor.save(update_fields=[*update_fields, "updated_at"])
    except IntegrityError as error:
        if "external_id" in str(error):
            raise Conflict(
                f"A template descriptor with externalId '{descriptor.external_id}' already exists."
            ) from error
        if "slot_unique" in str(error):
            existing = (
                TemplateDescriptor.objects.filter(
                    company_id=descriptor.company_id,
                    subject=descriptor.subject,
                    channel=descriptor.channel,
                    language=descriptor.language,
                )
                .values_list("pk", flat=True)
                .first()
            )
            raise Conflict(
                f"A template descriptor for subject {descriptor.subject}, channel {descriptor.channel} "
                f"and language {descriptor.language} already exists ({existing}); add a version to it."
            ) from error
        raise


def template_descriptor_create(*, company: Company | None, data: dict[str, Any]) -> TemplateDescriptor:
    """A descriptor for (subject, channel, language) of ``company`` (None: built-in).
    ``subject`` is rewritten to its canonical name; unknown subject or channel → 400;
    the slot already taken → 409."""
    data = dict(data)
    if company is not None:
        data["subject"] = subject_descriptor(company, data["subject"]).subject
    else:
        data["subject"] = subject_check(data["subject"])
    selectors.channel_check(data["channel"])
    selectors.language_check(data.get("language", selectors.DEFAULT_LANGUAGE))
    descriptor = TemplateDescriptor(
        company=company, **{k: v for k, v in data.items() if k in DESCRIPTOR_FIELDS}
    )
    _save_descriptor(descriptor)
    return descriptor


def template_descriptor_update(*, descriptor: TemplateDescriptor, data: dict[str, Any]) -> TemplateDescriptor:
    """Change ``name``, ``enabled`` or ``external_id``. A disabled descriptor is skipped
    by selection (the built-in default is used instead)."""
    fields = [field for field in DESCRIPTOR_UPDATE_FIELDS if field in data]
    for field in fields:
        setattr(descriptor, field, data[field])
    if fields:
        _save_descriptor(descriptor, update_fields=fields)
    return descriptor


# --- versions ------------------------------------------------------------------------------


def template_version_create(
    *, descriptor: TemplateDescriptor, data: dict[str, Any], created_by: dict[str, Any] | None = None
) -> TemplateVersion:
    """A new draft. Each part's template syntax is checked (400 naming the part and the
    line of the first error)."""
    fields = {field: data.get(field) or "" for field in VERSION_FIELDS}
    validate_sources(_sources(fields))
    return TemplateVersion.objects.create(
        descriptor=descriptor,
        company_id=descriptor.company_id,
        status=TemplateVersion.Status.DRAFT,
        created_by=created_by,
        **fields,
    )


def _immutable(version: TemplateVersion) -> Conflict:
    return Conflict(
        f"Template version {version.pk} is {version.status}; active and archived versions cannot "
        "be changed. Create a new draft version instead (POST "
        f"/api/communicator/templatedescriptors/{version.descriptor_id}/versions)."
    )


def template_version_update(*, version: TemplateVersion, data: dict[str, Any]) -> TemplateVersion:
    """Edit a draft (only the parts given). Not a draft → 409."""
    fields = [field for field in VERSION_FIELDS if field in data]
    validate_sources(_sources({field: data[field] or "" for field in fields}))
    with transaction.atomic():
        locked = TemplateVersion.objects.select_for_update().get(pk=version.pk)
        if locked.status != TemplateVersion.Status.DRAFT:
            raise _immutable(locked)
        for field in fields:
            setattr(locked, field, data[field] or "")
        if fields:
            locked.save(update_fields=[*fields, "updated_at"])
    locked.descriptor = version.descriptor
    return locked


def template_version_activate(*, version: TemplateVersion) -> TemplateVersion:
    """Make ``version`` the descriptor's active version and archive the one it replaces,
    in one transaction under a lock on the descriptor. Activating the active version
    changes nothing; an archived one may be activated again."""
    with transaction.atomic():
        descriptor = TemplateDescriptor.objects.select_for_update().get(pk=version.descriptor_id)
        locked = TemplateVersion.objects.select_for_update().get(pk=version.pk)
        if locked.status == TemplateVersion.Status.ACTIVE:
            locked.descriptor = descriptor
            return locked
        now = timezone.now()
        TemplateVersion.objects.filter(
            descriptor_id=descriptor.pk, status=TemplateVersion.Status.ACTIVE
        ).update(status=TemplateVersion.Status.ARCHIVED, updated_at=now)
        locked.status = TemplateVersion.Status.ACTIVE
        locked.activated_at = now
        locked.save(update_fields=["status", "activated_at", "updated_at"])
        descriptor.active_version = locked
        descriptor.save(update_fields=["active_version", "updated_at"])
    locked.descriptor = descriptor
    return locked


# --- rendering -------------------------------------------------------------------------------


@dataclass(frozen=True)
class RenderRequest:
    """What a render route (and later the send path) asks to render."""

    subject: str
    channel: str
    language: str = selectors.DEFAULT_LANGUAGE
    person_id: str | None = None
    contact_id: str | None = None
    loan_id: str | None = None
    loan_ids: tuple[str, ...] | None = None
    case_id: str | None = None
    statement_id: str | None = None
    context: dict[str, Any] | None = None
    override_template_id: str | None = None
    strict_undefined: bool = False


@dataclass(frozen=True)
class RenderResult:
    subject: str
    version: TemplateVersion
    content: RenderedContent
    person: Borrower | None


def template_render(
    *,
    company: Company,
    request: RenderRequest,
    person: Borrower | None = None,
    contact: Contact | None = None,
    parts: tuple[str, ...] | None = None,
) -> RenderResult:
    """Resolve, select and render: unknown subject or channel → 400; unknown ids → 404
    naming the field; no template → 404; render failure → 422.

    ``person`` and ``contact`` may be given already resolved (the send path chooses the
    contact itself); otherwise ``request.person_id`` and ``request.contact_id`` are
    resolved within the company (the contact within the person). A letter (``mail``) of a
    person that names no contact is addressed as its send would be: to the address
    contact data.md's "Contact selection" picks (the primary first), if the person has one."""
    subject = subject_descriptor(company, request.subject).subject
    channel = selectors.channel_check(request.channel)
    language = selectors.language_check(request.language)
    if person is None and request.person_id:
        person = get_scoped(Borrower, company.pk, request.person_id, field="personId")
    if contact is None and request.contact_id:
        contact = get_scoped(
            Contact,
            company.pk,
            request.contact_id,
            borrower_id=person.pk if person is not None else None,
            field="contactId",
        )
    if contact is None and person is not None and not request.contact_id and channel == "mail":
        contact = contact_select(borrower_contacts(person), channel)
    context = hydrate_context(
        company,
        person=person,
        contact=contact,
        loan_id=request.loan_id,
        loan_ids=request.loan_ids,
        case_id=request.case_id,
        statement_id=request.statement_id,
        context=request.context,
    )
    version = selectors.template_select(
        company, subject, channel, language, override_version_id=request.override_template_id
    )
    content = render_version(version, context, strict=request.strict_undefined, parts=parts)
    return RenderResult(subject=subject, version=version, content=content, person=person)


FORMATS = {
    "text": ("contentText", "text/plain; charset=utf-8", "txt"),
    "html": ("contentHtml", "text/html; charset=utf-8", "html"),
    "pdf": ("contentHtml", "application/pdf", "pdf"),
}


@dataclass(frozen=True)
class RenderedFile:
    content: bytes
    content_type: str
    file_name: str
    version: TemplateVersion


def template_render_file(
    *, company: Company, request: RenderRequest, fmt: str, person: Borrower | None = None
) -> RenderedFile:
    """The ``fmt`` part (text, html or pdf of the HTML part) as a file. A template that
    lacks that part → 422."""
    part, content_type, extension = FORMATS[fmt]
    result = template_render(company=company, request=request, person=person, parts=(part,))
    text = getattr(result.content, {"contentText": "content_text", "contentHtml": "content_html"}[part])
    if text is None:
        raise TemplateRenderError(
            f"Template version {result.version.pk} has no {part} part to render as {fmt}."
        )
    body = html_to_pdf(text) if fmt == "pdf" else text.encode("utf-8")
    return RenderedFile(body, content_type, f"{result.subject}.{extension}", result.version)


def template_render_to_document(
    *, company: Company, request: RenderRequest, fmt: str, document_id: str
) -> Document:
    """Render as :func:`template_render_file` and store the file as the content of the
    borrower's document ``document_id``, replacing what it had. The person defaults to
    the document's borrower; a document of another borrower than ``personId`` → 404."""
    person = None
    if request.person_id:
        person = get_scoped(Borrower, company.pk, request.person_id, field="personId")
    document = get_scoped(
        Document,
        company.pk,
        document_id,
        borrower_id=person.pk if person is not None else None,
        field="documentId",
    )
    if person is None:
        person = document.borrower
    rendered = template_render_file(company=company, request=request, fmt=fmt, person=person)
    if not document.file_name:
        document.file_name = rendered.file_name
    with transaction.atomic():
        stored = borrower_services.document_content_upload(
            document=document,
            content=ContentFile(rendered.content, name=rendered.file_name),
            size=len(rendered.content),
            content_type=rendered.content_type.split(";")[0],
        )
        stored.file_name = document.file_name
        stored.template_version_id = rendered.version.pk
        stored.autogenerated = True
        stored.save(update_fields=["file_name", "template_version_id", "autogenerated", "updated_at"])
    return stored


# --- free-form branded email ---------------------------------------------------------------

FREE_FORM_BRANDED = "freeFormBranded"


def free_form_context(
    company: Company,
    *,
    subject_line: str = "",
    content_html: str = "",
    content_plain: str = "",
    person: Borrower | None = None,
    contact: Contact | None = None,
) -> dict[str, Any]:
    """The context of the ``freeFormBranded`` template: the hydrated ``company``,
    ``person`` and ``contact`` plus the caller's ``subjectLine``, ``contentHtml``
    (sanitised to the allow-list of :mod:`templating.sanitize`, then marked safe so the
    layout does not escape it again) and ``contentPlain`` (derived from the sanitised HTML
    when not given)."""
    clean_html = sanitize_html(content_html or "")
    context = hydrate_context(company, person=person, contact=contact)
    context.update(
        {
            "subjectLine": subject_line or "",
            "contentHtml": Markup(clean_html),
            "contentPlain": content_plain or html_to_text(clean_html),
        }
    )
    return context


def free_form_email_render(
    *,
    company: Company,
    subject_line: str = "",
    content_html: str = "",
    content_plain: str = "",
    language: str = selectors.DEFAULT_LANGUAGE,
    person: Borrower | None = None,
    person_id: str | None = None,
    contact: Contact | None = None,
    settings_version: int | None = None,
) -> tuple[TemplateVersion, RenderedContent]:
    """The caller's content rendered through the active ``freeFormBranded`` email
    template (the company's own, else the built-in one). No template → 404.
    ``person`` is hydrated as ``person``; ``person_id`` (the preview's ``personId``) is
    resolved within the company when no ``person`` is given (404 naming ``personId``).
    ``settings_version``: the company's, as read in the caller's unit of work (read here
    when not given), so that rendering for several recipients reads it once."""
    language = selectors.language_check(language)
    if person is None and person_id:
        person = get_scoped(Borrower, company.pk, person_id, field="personId")
    version = selectors.template_select(
        company, FREE_FORM_BRANDED, "email", language, settings_version=settings_version
    )
    context = free_form_context(
        company,
        subject_line=subject_line,
        content_html=content_html,
        content_plain=content_plain,
        person=person,
        contact=contact,
    )
    return version, render_version(version, context)

"""``POST /communicator/send``: render a message, check it against Compliance Guard and
record it as a scheduled outbound interaction, atomically per borrower; then queue it.

Order of work (api.md): validate → resolve borrower, contact, loans, case → subject
descriptor and theme → template selection and render (render errors are a 422 now, not a
failure later) → Compliance Guard and the insert, in one transaction under the borrower's
row lock (:func:`compliance.recording.decide_and_record`) → after commit, hand a due row to
the broker (a later one stays a row: the beat enqueues it at its ``send_at``).

The guard is evaluated at the instant the message is due: now for an immediate send, else
``sendAt`` plus the jitter drawn for this message, so a caller cannot schedule into quiet
hours or past a frequency cap.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from contextlib import nullcontext
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.utils import timezone

from borrowers.models import ApiKey, Borrower, Company, Contact, Document
from borrowers.selectors import borrower_with_contacts
from borrowers.settings_cache import settings_version as current_settings_version
from borrowers.validators import ValueInvalid, normalize_email, normalize_phone
from compliance.facts import BorrowerFacts
from compliance.guard import Decision, GuardRequest
from compliance.recording import decide_and_record
from interactions.dispatch import interaction_publish_after_commit
from interactions.models import Interaction
from interactions.selectors import interaction_get
from interactions.services.contact_selection import contact_for_send
from interactions.services.records import EXTERNAL_ID_CONSTRAINT, created_by_api_key
from peachcomms.db import insert, is_unique_violation
from peachcomms.errors import BusinessRuleViolation, Conflict, InvalidInput, NotFound, ServiceError
from peachcomms.scoping import get_scoped
from subjects.selectors import SubjectDescriptor, subject_canonical, subject_descriptor, theme_get
from templating.hydration import hydrate_context, merge, plain
from templating.models import TemplateVersion
from templating.rendering import RenderedContent, render_version
from templating.sanitize import html_to_text
from templating.selectors import template_select

#: The channels a message can be sent on (``document`` is render-to-document's; ``fax``
#: is deprecated).
SEND_CHANNELS = ("email", "text", "voice", "mail", "chat", "gui")
#: Channels with no default templates of their own use another channel's when the company
#: has none for them: a chat message reads like a text, the portal shows the email.
TEMPLATE_FALLBACK = {"chat": "text", "gui": "email"}
#: The channels ``overrideRecipient`` can redirect, and how its value is checked.
OVERRIDABLE = {"email": normalize_email, "text": normalize_phone, "voice": normalize_phone}
OVERRIDE_RECIPIENT_PERMISSION = "communicator:overrideRecipient"
#: A ``sendAt`` further ahead than this is a mistake, not a plan.
SEND_AT_HORIZON = timedelta(days=366)
SEND_JITTER_MAX = 86_400
ATTACHMENTS_MAX = 10

Actor = ApiKey | AbstractBaseUser | Mapping[str, Any]


class SendResult(NamedTuple):
    interaction: Interaction
    #: False for an idempotent retry (``interactionExternalId`` already used by this send).
    created: bool


class PermissionMissing(ServiceError):
    """403: the caller's key lacks a permission one field of the request needs."""

    status_code = 403
    default_message = "This API key does not have permission for this action."


class ComplianceGuardRefused(BusinessRuleViolation):
    """422 with the guard's ``sendAt``, ``complianceGuardRuleId`` and ``reason``."""

    def __init__(self, decision: Decision) -> None:
        self.decision = decision
        body = decision.as_dict()
        super().__init__(
            decision.message,
            extra={
                "sendAt": body["sendAt"],
                "complianceGuardRuleId": body["complianceGuardRuleId"],
                "reason": body["reason"],
            },
        )


# Who sends


def created_by_actor(actor: Actor) -> dict[str, Any]:
    """``createdBy`` of an interaction: an API key is an integration; a Django user (the
    admin) an agent; a mapping (``{"id", "name", "userType", "descriptor"}``) is taken as
    it is (management commands, system tasks)."""
    if isinstance(actor, ApiKey):
        return created_by_api_key(actor)
    if isinstance(actor, AbstractBaseUser):
        name = getattr(actor, "get_full_name", lambda: "")() or actor.get_username()
        return {"id": str(actor.pk), "name": name, "userType": "agent", "descriptor": "admin"}
    if isinstance(actor, Mapping) and {"id", "name", "userType"} <= set(actor):
        return {
            "id": actor["id"],
            "name": actor["name"],
            "userType": actor["userType"],
            "descriptor": actor.get("descriptor"),
        }
    raise TypeError(f"Cannot record {actor!r} as the author of an interaction.")


def _may_override_recipient(actor: Actor) -> bool:
    if isinstance(actor, ApiKey):
        return actor.has_permission(OVERRIDE_RECIPIENT_PERMISSION)
    if isinstance(actor, AbstractBaseUser):
        return bool(getattr(actor, "is_superuser", False))
    return isinstance(actor, Mapping) and actor.get("userType") == "system"


# Checks


def _invalid(field: str, problem: str) -> InvalidInput:
    return InvalidInput(f"Invalid field '{field}': {problem}", errors={field: [problem]})


def channel_check_sendable(channel: str) -> str:
    if channel == "fax":
        raise _invalid("channel", "'fax' is deprecated; no new fax interactions.")
    if channel not in SEND_CHANNELS:
        raise _invalid("channel", f"Must be one of: {', '.join(SEND_CHANNELS)}.")
    return channel


def _theme_for(descriptor: SubjectDescriptor, theme: str | None) -> str:
    if theme is not None:
        return theme_get(theme).theme
    if descriptor.theme is None:
        raise _invalid("theme", f"Required: subject '{descriptor.subject}' has no implicit theme.")
    return descriptor.theme


def _existing_send(
    company: Company, borrower: Borrower, external_id: str, *, channel: str, subject: str
) -> Interaction | None:
    """The interaction an earlier send with this ``interactionExternalId`` created, or
    None. The id naming anything else (another borrower, channel or subject, a logged or
    inbound interaction) is a 409: the retry is not the same request."""
    from interactions.selectors import interaction_queryset

    row = interaction_queryset().filter(company_id=company.pk, external_id=external_id).first()
    if row is None:
        return None
    same = (
        row.borrower_id == borrower.pk
        and row.direction == Interaction.Direction.OUTBOUND
        and not row.is_external
        and row.channel == channel
        and row.subject == (subject_canonical(subject) or subject)
    )
    if not same:
        raise Conflict(
            f"interactionExternalId '{external_id[:80]}' is already used by interaction {row.pk}, "
            "which is not this send (another borrower, channel or subject)."
        )
    return row


def _send_at(data: Mapping[str, Any], now: datetime) -> tuple[datetime, bool]:
    """(the instant the message is due, whether that is later than now)."""
    requested = data.get("sendAt")
    if requested is not None and requested - now > SEND_AT_HORIZON:
        raise _invalid("sendAt", f"At most {SEND_AT_HORIZON.days} days ahead.")
    base = requested if requested is not None and requested > now else now
    jitter = data.get("sendJitter") or 0
    if not 0 <= jitter <= SEND_JITTER_MAX:
        raise _invalid("sendJitter", f"Must be between 0 and {SEND_JITTER_MAX} seconds.")
    send_at = base + timedelta(seconds=random.uniform(0, jitter)) if jitter else base
    return send_at, send_at > now


def _attachments(company: Company, borrower: Borrower, channel: str, values: list[str]) -> list[Document]:
    if not values:
        return []
    if channel != "email":
        raise _invalid("attachments", "Only email messages can carry attachments.")
    if len(values) > ATTACHMENTS_MAX:
        raise _invalid("attachments", f"At most {ATTACHMENTS_MAX} attachments.")
    documents: list[Document] = []
    for index, value in enumerate(values):
        document = get_scoped(
            Document, company.pk, value, borrower_id=borrower.pk, field=f"attachments[{index}]"
        )
        if not document.content:
            raise BusinessRuleViolation(
                f"attachments[{index}]: document {document.pk} has no content yet; upload it first."
            )
        if document.pk not in (d.pk for d in documents):
            documents.append(document)
    return documents


# Recipient and sender


def address_line(contact: Contact) -> str:
    """A postal address contact on one line (the ``to`` of a letter)."""
    city = " ".join(part for part in (contact.state, contact.postal_code) if part)
    parts = (contact.address_line1, contact.address_line2, contact.city, city, contact.country)
    return ", ".join(part for part in parts if part)


def _recipient(
    actor: Actor, borrower: Borrower, channel: str, contact: Contact | None, override: str | None
) -> str:
    if override is not None:
        if not _may_override_recipient(actor):
            raise PermissionMissing(
                f"overrideRecipient needs the '{OVERRIDE_RECIPIENT_PERMISSION}' permission."
            )
        normalize = OVERRIDABLE.get(channel)
        if normalize is None:
            raise _invalid("overrideRecipient", f"Only {', '.join(OVERRIDABLE)} messages can be redirected.")
        try:
            return normalize(override)
        except ValueInvalid as error:
            raise _invalid("overrideRecipient", str(error)) from None
    if contact is None:
        return borrower.pk  # chat and gui: the borrower's portal
    if contact.contact_type == Contact.ContactType.ADDRESS:
        return address_line(contact)
    return contact.value


def sender_of(company: Company, channel: str) -> str | None:
    """``content.from``: the configured sending identity of the channel, else the
    company's own support address or phone, else None."""
    from django.conf import settings

    if channel == "email":
        return getattr(settings, "SENDGRID_FROM_EMAIL", "") or company.support_email or None
    if channel in ("text", "voice"):
        return getattr(settings, "TWILIO_FROM_NUMBER", "") or company.support_phone or None
    if channel == "mail":
        address = company.mailing_address or {}
        line = ", ".join(str(address[key]) for key in ("addressLine1", "city", "state") if address.get(key))
        return line or None
    return None


# Content


def _template(
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


def _content_from_context(channel: str, context: Mapping[str, Any]) -> RenderedContent:
    """``useTemplate: false``: the caller's own ``context.subjectLine``,
    ``context.contentHtml`` and ``context.contentText``, as given (a text part is derived
    from the HTML when only HTML is given)."""
    parts: dict[str, str | None] = {}
    for name in ("subjectLine", "contentHtml", "contentText"):
        value = context.get(name)
        if value is not None and not isinstance(value, str):
            raise _invalid(f"context.{name}", "Must be a string.")
        parts[name] = value.strip() if value and value.strip() else None
    if parts["contentText"] is None and parts["contentHtml"] is not None and channel != "mail":
        parts["contentText"] = html_to_text(parts["contentHtml"]) or None
    missing = _missing_part(channel, parts)
    if missing:
        raise _invalid(f"context.{missing}", f"Required for a {channel} message with useTemplate false.")
    return RenderedContent(parts["subjectLine"], parts["contentHtml"], parts["contentText"])


def _missing_part(channel: str, parts: Mapping[str, str | None]) -> str | None:
    """The part a ``channel`` message cannot go without, if it is empty."""
    if channel == "mail":
        return None if parts.get("contentHtml") else "contentHtml"
    if channel == "email" or channel == "gui":
        return None if parts.get("contentHtml") or parts.get("contentText") else "contentHtml"
    return None if parts.get("contentText") else "contentText"


def _render(
    company: Company,
    subject: str,
    channel: str,
    data: Mapping[str, Any],
    context: dict[str, Any],
    settings_version: int | None = None,
) -> tuple[str | None, RenderedContent]:
    if not data.get("useTemplate", True):
        return None, _content_from_context(channel, data.get("context") or {})
    version = _template(company, subject, channel, data.get("overrideTemplateId"), settings_version)
    rendered = render_version(version, context, strict=bool(data.get("strictUndefined")))
    missing = _missing_part(channel, rendered.as_json())
    if missing:
        raise BusinessRuleViolation(
            f"Template version {version.pk} rendered no {missing}, which a {channel} message needs."
        )
    return version.pk, rendered


# The service


def interaction_send(
    company: Company, actor: Actor, data: Mapping[str, Any], *, settings_version: int | None = None
) -> SendResult:
    """Send a message (``POST /communicator/send``); returns (interaction, created).

    ``data`` is the validated body in camelCase (``interactions.api.send_inputs``).
    ``actor`` is the caller: an :class:`ApiKey` (an integration; every key is one for
    now), a Django user (an agent: refused for subjects with ``agentCanSend`` false), or a
    ``createdBy`` mapping. Errors: 400 invalid (unknown subject or theme, theme missing,
    fax, attachments off email, bad ``overrideRecipient``); 403 ``overrideRecipient``
    without ``communicator:overrideRecipient``; 404 a referenced object not of this
    company and borrower; 409 an ``interactionExternalId`` used by something else; 422 no
    eligible contact, ``previewOnly`` or agent-forbidden subject, no template, render
    failure, or Compliance Guard's refusal (:class:`ComplianceGuardRefused`).

    On success the interaction is ``scheduled`` with its content frozen, ``send_at`` the
    instant it is due; a due one is handed to the broker after commit. A repeat of an
    ``interactionExternalId`` returns the interaction the first send created with
    ``created`` False and changes nothing, also when two arrive at once (the unique
    constraint on (company, externalId) decides).

    ``settings_version``: the company's ``settings_version`` read in this unit of work
    (the API passes the one its key lookup read); read here when not given.
    """
    channel = channel_check_sendable(data["channel"])
    # The company's cached settings (rules, subject settings, templates) as of now.
    version = settings_version if settings_version is not None else current_settings_version(company.pk)
    now = timezone.now()
    send_at, later = _send_at(data, now)  # drawn once: the guard judges this very instant
    borrower, contacts = borrower_with_contacts(company, data["personId"])  # contacts: selection and guard
    external_id = data.get("interactionExternalId")
    if external_id:
        existing = _existing_send(company, borrower, external_id, channel=channel, subject=data["subject"])
        if existing is not None:
            return SendResult(existing, False)
    if data.get("companyId") and data["companyId"] != company.pk:
        raise NotFound(f"companyId: no company '{data['companyId'][:80]}'.")

    # References: the contact, then loans, case and statement (hydration resolves them
    # within the borrower, 404 naming the field) and the other ids of the body.
    contact = contact_for_send(company, borrower, channel, data.get("contactId"), contacts=contacts)
    hydrated = hydrate_context(
        company,
        person=borrower,
        contact=contact,
        loan_id=data.get("loanId"),
        loan_ids=data.get("loanIds"),
        case_id=data.get("caseId"),
        statement_id=data.get("statementId"),
    )
    loan_pk = hydrated["loan"]["id"] if hydrated["loan"] else None
    loan_pks = [loan_pk] if loan_pk else []
    if data.get("loanIds"):
        loan_pks += [loan["id"] for loan in hydrated["loans"] if loan["id"] not in loan_pks]
    case_pk = hydrated["case"]["id"] if hydrated["case"] else None
    statement_pk = hydrated["statement"]["id"] if hydrated["statement"] else None
    previous = None
    if data.get("previousInteractionId"):
        previous = interaction_get(company, data["previousInteractionId"], field="previousInteractionId")
    documents = _attachments(company, borrower, channel, list(data.get("attachments") or []))

    # Subject and theme.
    descriptor = subject_descriptor(company, data["subject"], version=version)
    theme = _theme_for(descriptor, data.get("theme"))
    if descriptor.preview_only:
        raise BusinessRuleViolation(f"Subject {descriptor.subject} is preview-only: it cannot be sent.")
    created_by = created_by_actor(actor)
    if created_by["userType"] == "agent" and not descriptor.agent_can_send:
        raise BusinessRuleViolation(
            f"Subject {descriptor.subject} cannot be sent by an agent (agentCanSend)."
        )
    to = _recipient(actor, borrower, channel, contact, data.get("overrideRecipient"))

    # Render now: a template error is the caller's 422, not a failed message later.
    context = merge(hydrated, plain(dict(data["context"]))) if data.get("context") else hydrated
    version_id, rendered = _render(company, descriptor.subject, channel, data, context, version)
    content = {
        **rendered.as_json(),
        "to": to,
        "from": sender_of(company, channel),
        "attachments": [document.pk for document in documents],
        "providerMessageId": None,
    }
    meta_data: dict[str, Any] = {}
    if data.get("overrideRecipient") is not None:
        meta_data["overrideRecipient"] = {"to": to, "contactId": contact.pk if contact else None}
    if documents:
        meta_data["attachmentFileNames"] = [document.file_name or document.pk for document in documents]
    is_transactional = data.get("isTransactional", descriptor.is_transactional)

    guard_request = GuardRequest(
        company=company,
        borrower=borrower,
        channel=channel,
        subject=descriptor.subject,
        theme=theme,
        contact=contact,
        loan_ids=tuple(loan_pks),
        is_transactional=is_transactional,
        facts=BorrowerFacts(contacts=tuple(contacts)),
        descriptor=descriptor,
        settings_version=version,
    )

    def record(decision: Decision) -> SendResult:
        stamp = timezone.now()
        interaction = Interaction(
            company=company,
            borrower=borrower,
            contact=contact,
            channel=channel,
            direction=Interaction.Direction.OUTBOUND,
            subject=descriptor.subject,
            theme=theme,
            status=Interaction.Status.SCHEDULED,
            status_updated_at=stamp,
            is_transactional=is_transactional,
            external_id=external_id or None,
            previous_interaction=previous,
            loan_id=loan_pk,
            loan_ids=loan_pks,
            case_id=case_pk,
            statement_id=statement_pk,
            supercase_bulk_operation_id=data.get("supercaseBulkOperationId"),
            template_version_id=version_id,
            send_at=send_at if later else decision.send_at,
            # Due now: marked enqueued in this insert, published after commit (_enqueue).
            enqueued_at=None if later else stamp,
            content=content,
            meta_data=meta_data,
            created_by=created_by,
            compliance_checked=True,
        )
        try:
            # A savepoint only when the insert may collide (an idempotency key): the
            # transaction must stay usable to read the row that won.
            with transaction.atomic() if external_id else nullcontext():
                insert(interaction)  # save(force_insert=True), without compiling the INSERT
        except IntegrityError as error:
            if not external_id or not is_unique_violation(error, Interaction, EXTERNAL_ID_CONSTRAINT):
                raise
            # A concurrent send with the same interactionExternalId won the insert.
            existing = _existing_send(
                company, borrower, external_id, channel=channel, subject=descriptor.subject
            )
            if existing is None:  # pragma: no cover - the constraint names a committed row
                raise
            return SendResult(existing, False)
        if not later:
            _enqueue(interaction.pk, stamp)
        interaction.contact_external_id = contact.external_id if contact is not None else None
        return SendResult(interaction, True)

    decision, result = decide_and_record(guard_request, record, at=send_at if later else None)
    if result is None:
        if external_id:  # a concurrent first send may have used up what this retry asks for
            existing = _existing_send(
                company, borrower, external_id, channel=channel, subject=descriptor.subject
            )
            if existing is not None:
                return SendResult(existing, False)
        raise ComplianceGuardRefused(decision)
    return result


def _enqueue(interaction_id: str, stamp: datetime) -> None:
    """Hand a due row, inserted with ``enqueued_at = stamp``, to the broker after commit
    (the dispatcher's outbox: if this is lost, the beat finds the row)."""
    interaction_publish_after_commit(interaction_id, stamp)


__all__ = [
    "SEND_CHANNELS",
    "ComplianceGuardRefused",
    "PermissionMissing",
    "SendResult",
    "address_line",
    "channel_check_sendable",
    "created_by_actor",
    "interaction_send",
    "sender_of",
]

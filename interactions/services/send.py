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
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from django.utils import timezone

from borrowers.models import Borrower, Company, Document
from borrowers.selectors import borrower_with_contacts
from borrowers.settings_cache import settings_version as current_settings_version
from compliance.facts import BorrowerFacts
from compliance.guard import Decision, GuardRequest
from compliance.recording import decide_and_record
from compliance.transactional import transactional_treatment
from interactions.dispatch import interaction_publish_after_commit
from interactions.models import Interaction
from interactions.services.contact_selection import contact_for_send
from interactions.services.records import EXTERNAL_ID_CONFLICT
from interactions.services.send_content import render_for_send
from interactions.services.senders import Actor, PermissionMissing, created_by_actor, recipient_of, sender_of
from peachcomms.db import fetch, insert
from peachcomms.errors import BusinessRuleViolation, Conflict, InvalidInput, NotFound
from peachcomms.scoping import get_scoped, scoped_not_found, scoped_rows
from subjects.selectors import SubjectDescriptor, subject_canonical, subject_descriptor, theme_get
from templating.hydration import hydrate_context, merge, plain

#: The channels a message can be sent on (``document`` is render-to-document's; ``fax``
#: is deprecated).
SEND_CHANNELS = ("email", "text", "voice", "mail", "chat", "gui")
#: A ``sendAt`` further ahead than this is a mistake, not a plan.
SEND_AT_HORIZON = timedelta(days=366)
SEND_JITTER_MAX = 86_400
ATTACHMENTS_MAX = 10


class SendResult(NamedTuple):
    interaction: Interaction
    #: False for an idempotent retry (``interactionExternalId`` already used by this send).
    created: bool


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


# Checks


def channel_check_sendable(channel: str) -> str:
    if channel == "fax":
        raise InvalidInput.for_field("channel", "'fax' is deprecated; no new fax interactions.")
    if channel not in SEND_CHANNELS:
        raise InvalidInput.for_field("channel", f"Must be one of: {', '.join(SEND_CHANNELS)}.")
    return channel


def _theme_for(descriptor: SubjectDescriptor, theme: str | None) -> str:
    if theme is not None:
        return theme_get(theme).theme
    if descriptor.theme is None:
        raise InvalidInput.for_field(
            "theme", f"Required: subject '{descriptor.subject}' has no implicit theme."
        )
    return descriptor.theme


def _existing_send(
    company: Company, borrower: Borrower, external_id: str, *, channel: str, subject: str
) -> Interaction | None:
    """The interaction an earlier send with this ``interactionExternalId`` created, or
    None. The id naming anything else (another borrower, channel or subject, a logged or
    inbound interaction) is a 409: the retry is not the same request.

    Every send with an ``interactionExternalId`` asks, and almost always finds nothing: the
    question is one hand-written read (:func:`peachcomms.db.fetch`); a retry reads the row
    again with what its representation joins in."""
    from interactions.selectors import interaction_queryset

    where, params = "company_id = %s AND external_id = %s", [company.pk, external_id]
    found = fetch(Interaction, where, params, suffix="ORDER BY id LIMIT 1")
    if not found:
        return None
    row = interaction_queryset().get(pk=found[0].pk)
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
        raise InvalidInput.for_field("sendAt", f"At most {SEND_AT_HORIZON.days} days ahead.")
    base = requested if requested is not None and requested > now else now
    jitter = data.get("sendJitter") or 0
    if not 0 <= jitter <= SEND_JITTER_MAX:
        raise InvalidInput.for_field("sendJitter", f"Must be between 0 and {SEND_JITTER_MAX} seconds.")
    send_at = base + timedelta(seconds=random.uniform(0, jitter)) if jitter else base
    return send_at, send_at > now


def _attachments(company: Company, borrower: Borrower, channel: str, values: list[str]) -> list[Document]:
    if not values:
        return []
    if channel != "email":
        raise InvalidInput.for_field("attachments", "Only email messages can carry attachments.")
    if len(values) > ATTACHMENTS_MAX:
        raise InvalidInput.for_field("attachments", f"At most {ATTACHMENTS_MAX} attachments.")
    # All in one round trip; checked in order, so the first bad one is the error.
    wanted = [(Document, value, f"attachments[{index}]") for index, value in enumerate(values)]
    documents: list[Document] = []
    found = scoped_rows(company.pk, wanted, borrower_id=borrower.pk)
    for (_, value, field), document in zip(wanted, found, strict=True):
        if document is None:
            raise scoped_not_found(Document, value, borrower_id=borrower.pk, field=field)
        if not document.content:
            raise BusinessRuleViolation(
                f"{field}: document {document.pk} has no content yet; upload it first."
            )
        if document.pk not in (d.pk for d in documents):
            documents.append(document)
    return documents


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
    # Subject and theme are validation (an unknown one is a 400 before any lookup).
    descriptor = subject_descriptor(company, data["subject"], version=version)
    theme = _theme_for(descriptor, data.get("theme"))
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
        # Only its id is kept: the row without the representation's join, as the hot reads do.
        previous = get_scoped(
            Interaction, company.pk, data["previousInteractionId"], field="previousInteractionId"
        )
    documents = _attachments(company, borrower, channel, list(data.get("attachments") or []))

    if descriptor.preview_only:
        raise BusinessRuleViolation(f"Subject {descriptor.subject} is preview-only: it cannot be sent.")
    created_by = created_by_actor(actor)
    if created_by["userType"] == "agent" and not descriptor.agent_can_send:
        raise BusinessRuleViolation(
            f"Subject {descriptor.subject} cannot be sent by an agent (agentCanSend)."
        )
    if data.get("overrideRecipient") is not None and theme_get(theme).is_debt_collection:
        raise BusinessRuleViolation(
            f"overrideRecipient cannot be used for a {theme} message: it is a debt-collection theme, and "
            "a collection message may go only to a contact whose affiliation Compliance Guard checks "
            "(Regulation F 1006.6(d): no communication with third parties)."
        )
    to = recipient_of(actor, borrower, channel, contact, data.get("overrideRecipient"))

    # Render now: a template error is the caller's 422, not a failed message later.
    context = merge(hydrated, plain(dict(data["context"]))) if data.get("context") else hydrated
    version_id, rendered = render_for_send(company, descriptor.subject, channel, data, context, version)
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
    # What the message is decides (compliance.transactional): the caller's isTransactional
    # can only make it stricter; the interaction records how it was treated.
    own_content = not data.get("useTemplate", True)
    treatment = transactional_treatment(
        descriptor, theme, claimed=data.get("isTransactional"), own_content=own_content
    )
    is_transactional = treatment.transactional

    guard_request = GuardRequest(
        company=company,
        borrower=borrower,
        channel=channel,
        subject=descriptor.subject,
        theme=theme,
        contact=contact,
        loan_ids=tuple(loan_pks),
        is_transactional=data.get("isTransactional"),
        own_content=own_content,
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
        # save(force_insert=True), without compiling the INSERT. With an idempotency key,
        # a row whose key a concurrent send has just committed is not written (the INSERT
        # waits for that send's transaction), and the transaction stays usable to read it.
        if not insert(interaction, unless_conflict=EXTERNAL_ID_CONFLICT if external_id else None):
            existing = _existing_send(
                company, borrower, external_id, channel=channel, subject=descriptor.subject
            )
            if existing is None:  # pragma: no cover - the conflict was with a committed row
                raise RuntimeError(f"interactionExternalId {external_id[:80]!r} conflicts with no row")
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
    "channel_check_sendable",
    "created_by_actor",
    "interaction_send",
    "sender_of",
]

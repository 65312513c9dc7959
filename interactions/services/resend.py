"""``POST /communicator/interactions/{id}/resend``: send an outbound interaction again,
exactly as it was rendered.

This single resend is **not** checked against Compliance Guard, neither now nor in the
worker (``compliance_checked`` False): the caller decided that this message must go out
again (a lost letter, a borrower who asks for the email once more), and owns that decision
(compliance.md, "Where it runs"). It still counts, like every outbound message, in the
guard's frequency history of later sends. The bulk resend (``manage.py
resend_interactions``, the admin action) makes the same copy but checks it by default:
:mod:`interactions.services.bulk_resend`.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from borrowers.models import Company
from interactions.dispatch import interaction_publish_after_commit
from interactions.models import Interaction
from interactions.selectors import interaction_get
from interactions.services.send import SEND_CHANNELS
from interactions.services.senders import Actor, created_by_actor
from peachcomms.errors import InvalidInput

#: Keys of ``content`` a resend copies (``providerMessageId`` starts again as null).
COPIED_CONTENT = ("subjectLine", "contentText", "contentHtml", "to", "from", "attachments")


def resend_problem(original: Interaction) -> str | None:
    """Why ``original`` cannot be resent (inbound, a channel that cannot be sent, no
    recorded content), or None. The single and the bulk resend refuse the same rows."""
    if original.direction != Interaction.Direction.OUTBOUND:
        return f"Interaction {original.pk} is inbound: only outbound messages can be resent."
    if original.channel not in SEND_CHANNELS:
        return f"Interaction {original.pk} is a {original.channel} interaction, which cannot be sent."
    if not original.content:
        return f"Interaction {original.pk} has no recorded content to resend."
    return None


def resend_copy(
    original: Interaction, actor: Actor, *, at: datetime, compliance_checked: bool
) -> Interaction:
    """The unsaved copy of ``original`` (see :func:`interaction_resend` for what is
    copied), due at ``at`` and marked enqueued then (its insert is published after commit).
    ``compliance_checked``: whether the dispatcher re-runs Compliance Guard just before the
    provider call (True for a copy the bulk resend checked, as for a send)."""
    content = {key: (original.content or {}).get(key) for key in COPIED_CONTENT}
    content["attachments"] = list(content["attachments"] or [])
    content["providerMessageId"] = None
    return Interaction(
        company_id=original.company_id,
        borrower_id=original.borrower_id,
        contact_id=original.contact_id,
        channel=original.channel,
        direction=Interaction.Direction.OUTBOUND,
        subject=original.subject,
        theme=original.theme,
        status=Interaction.Status.SCHEDULED,
        status_updated_at=at,
        is_transactional=original.is_transactional,
        sensitive=original.sensitive,
        previous_interaction_id=original.pk,
        loan_id=original.loan_id,
        loan_ids=list(original.loan_ids or []),
        case_id=original.case_id,
        statement_id=original.statement_id,
        template_version_id=original.template_version_id,
        send_at=at,
        enqueued_at=at,  # published after commit
        content=content,
        meta_data=dict(original.meta_data or {}),
        created_by=created_by_actor(actor),
        compliance_checked=compliance_checked,
        is_autodialed=original.is_autodialed,
    )


def interaction_resend(company: Company, actor: Actor, interaction_id: str) -> Interaction:
    """A new ``scheduled`` interaction copying ``interaction_id`` (subject, channel, theme,
    contact, loans, case, statement, the frozen content with its recipient and attachment
    ids, ``isTransactional``, ``sensitive``, ``metaData``), linked to it by
    ``previousInteractionId``, due now and handed to the broker after commit.

    Not copied: ``externalId`` (unique), ``supercaseBulkOperationId`` (a resend is not part
    of the original bulk operation, so re-running a bulk resend does not resend the
    resends), statuses and provider ids. 404 when the interaction is not the company's;
    400 for an inbound original, a channel that cannot be sent, or an original without
    content (a logged interaction that recorded none)."""
    original = interaction_get(company, interaction_id)
    problem = resend_problem(original)
    if problem is not None:
        raise InvalidInput(problem, errors={"interactionId": [problem]})
    now = timezone.now()
    copy = resend_copy(original, actor, at=now, compliance_checked=False)
    with transaction.atomic():
        copy.save(force_insert=True)
        interaction_publish_after_commit(copy.pk, now)
    copy.contact_external_id = getattr(original, "contact_external_id", None)
    return copy


__all__ = ["COPIED_CONTENT", "interaction_resend", "resend_copy", "resend_problem"]

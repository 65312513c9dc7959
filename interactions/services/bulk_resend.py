"""Bulk resend (``manage.py resend_interactions`` and the admin's "Resend selected"
action): copy outbound interactions as the single resend does, but check each copy against
Compliance Guard first, unless the operator explicitly skips the check.

Why checked by default, when the single resend is not: one resend is a person's decision
about one message they looked at; a bulk resend repeats hundreds of messages nobody looked
at one by one, at an hour nobody chose for them (a night-time collection text among them).
The check is the one a send gets: the guard's request is built from the original (its
borrower, contact, channel, subject, theme, loans, ``isTransactional``, autodialing),
evaluated at the instant the copy is due (now), and the decision and the insert of the
copy run in one transaction under the borrower's row lock
(:func:`compliance.recording.decide_and_record`), so concurrent sends and resends to one
borrower cannot exceed a cap together. A checked copy is re-checked by the dispatcher just
before the provider call, as a send is (``compliance_checked``). The choice of rows (which
are inbound, which are themselves resends) is :func:`interactions.selectors.resend_selection`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from compliance.guard import Decision, GuardRequest, decide
from compliance.recording import decide_and_record
from compliance.timezones import format_utc
from interactions.dispatch import interaction_publish_after_commit
from interactions.models import Interaction
from interactions.services.resend import resend_copy, resend_problem
from interactions.services.senders import Actor
from peachcomms.errors import ServiceError

#: Channels whose copy goes to the original's contact (its address is frozen in the
#: content): without that contact the guard could only judge another one.
CONTACT_CHANNELS = ("email", "text", "voice", "mail")


def describe_send_at(value: datetime | None) -> str:
    """A refusal's next allowed time as an operator reads it."""
    return format_utc(value) if value is not None else "none (waiting will not help)"


@dataclass(frozen=True)
class ResendOutcome:
    """What happened to one original: ``copy`` when resent; ``refusal`` (the guard's
    decision, or one made in its terms) when Compliance Guard refused it; ``error`` when it
    cannot be resent at all (no content, a channel that cannot be sent, …)."""

    original: Interaction
    copy: Interaction | None = None
    refusal: Decision | None = None
    error: str | None = None

    @property
    def kind(self) -> str:
        """``resent``, ``refused`` or ``error`` (a preview's allowed row is ``resent``)."""
        return "refused" if self.refusal is not None else "error" if self.error is not None else "resent"

    def describe(self, *, preview: bool = False) -> str:
        """One line for an operator: which message, and what happened (``preview``: what
        would happen) to it."""
        row = self.original
        what = f"{row.pk} ({row.channel} {row.subject or '-'}, person {row.borrower_id or '-'})"
        if self.kind == "resent":
            return f"would resend {what}" if self.copy is None else f"resent {what} as {self.copy.pk}"
        if self.refusal is not None:
            refusal, send_at = self.refusal, describe_send_at(self.refusal.send_at)
            verb = "would be refused" if preview else "refused"
            return f"{verb} {what}: {refusal.reason}: {refusal.message} sendAt: {send_at}"
        return f"error {what}: {self.error}"


@dataclass
class BulkResendReport:
    resent: list[ResendOutcome] = field(default_factory=list)
    refused: list[ResendOutcome] = field(default_factory=list)
    errors: list[ResendOutcome] = field(default_factory=list)

    def add(self, outcome: ResendOutcome) -> None:
        {"resent": self.resent, "refused": self.refused, "error": self.errors}[outcome.kind].append(outcome)


def _not_checkable(original: Interaction) -> Decision | None:
    """A refusal, in the guard's terms, for a copy the guard cannot judge: no borrower to
    judge it for, or the contact it would go to no longer exists."""
    if original.borrower_id is None:
        message = f"Interaction {original.pk} has no borrower, so Compliance Guard cannot check a copy"
        return Decision(False, "noBorrower", message + "; waiting will not help.", None, None)
    if original.channel in CONTACT_CHANNELS and original.contact_id is None:
        message = (
            f"The contact interaction {original.pk} went to no longer exists, so Compliance Guard "
            "cannot check the address the copy would go to"
        )
        return Decision(False, "contactEligibility", message + "; waiting will not help.", None, None)
    return None


def _guard_request(original: Interaction) -> GuardRequest:
    # As the dispatcher's re-check builds it from a row (interactions.dispatch.recheck).
    return GuardRequest(
        company=original.company,
        borrower=original.borrower,
        channel=original.channel,
        subject=original.subject or None,
        theme=original.theme,
        contact=original.contact,
        loan_ids=tuple(original.loan_ids or ([original.loan_id] if original.loan_id else [])),
        is_autodialed=original.is_autodialed,
        is_transactional=original.is_transactional,
        own_content=original.template_version_id is None,
    )


def interaction_resend_checked(
    original: Interaction, actor: Actor, *, check_compliance: bool = True
) -> ResendOutcome:
    """Resend one ``original`` (a row with its company, borrower and contact loaded, as
    :func:`interactions.selectors.resend_selection` reads them). With ``check_compliance``
    the copy is inserted only if Compliance Guard allows it now, atomically with the
    decision; otherwise it is inserted unchecked (``compliance_checked`` False, as the
    single resend). A resent copy is handed to the broker after commit."""
    problem = resend_problem(original)
    if problem is not None:
        return ResendOutcome(original, error=problem)

    def record(decision: Decision | None) -> Interaction:
        at = decision.send_at if decision is not None and decision.send_at else timezone.now()
        copy = resend_copy(original, actor, at=at, compliance_checked=check_compliance)
        copy.save(force_insert=True)
        interaction_publish_after_commit(copy.pk, at)
        return copy

    if not check_compliance:
        with transaction.atomic():
            return ResendOutcome(original, copy=record(None))
    refusal = _not_checkable(original)
    if refusal is not None:
        return ResendOutcome(original, refusal=refusal)
    try:
        decision, copy = decide_and_record(_guard_request(original), record)
    except ServiceError as error:  # e.g. a subject the company no longer knows
        return ResendOutcome(original, error=error.message)
    if copy is None:
        return ResendOutcome(original, refusal=decision)
    return ResendOutcome(original, copy=copy)


def interaction_resend_preview(original: Interaction, *, check_compliance: bool = True) -> ResendOutcome:
    """What :func:`interaction_resend_checked` would do now, writing nothing (a dry run):
    an ``error``, a ``refusal`` of the guard's decision at this instant, or neither."""
    problem = resend_problem(original)
    if problem is not None:
        return ResendOutcome(original, error=problem)
    if not check_compliance:
        return ResendOutcome(original)
    refusal = _not_checkable(original)
    if refusal is not None:
        return ResendOutcome(original, refusal=refusal)
    try:
        decision = decide(_guard_request(original))
    except ServiceError as error:
        return ResendOutcome(original, error=error.message)
    return ResendOutcome(original, refusal=None if decision.result else decision)


def interactions_resend_bulk(
    originals: Iterable[Interaction],
    actor: Actor,
    *,
    check_compliance: bool = True,
    on_outcome: Callable[[ResendOutcome], None] | None = None,
) -> BulkResendReport:
    """Resend each of ``originals`` with :func:`interaction_resend_checked`, one
    transaction each (a refusal or an error never undoes the others); ``on_outcome`` is
    told of each as it happens (a progress bar)."""
    report = BulkResendReport()
    for original in originals:
        outcome = interaction_resend_checked(original, actor, check_compliance=check_compliance)
        report.add(outcome)
        if on_outcome is not None:
            on_outcome(outcome)
    return report


__all__ = [
    "BulkResendReport",
    "ResendOutcome",
    "describe_send_at",
    "interaction_resend_checked",
    "interaction_resend_preview",
    "interactions_resend_bulk",
]

"""Compliance Guard, re-checked at dispatch for a reserved batch, and what a refusal
writes (docs/adr/0005-dispatch-exactly-once.md; compliance.md, "Where it runs")."""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import datetime

from django.utils import timezone

from interactions.dispatch.common import Outcome, Status
from interactions.dispatch.writes import Columns, finish_columns, release_columns
from interactions.models import Interaction

logger = logging.getLogger("interactions.dispatch")


def refusal_columns(refusal: object, now: datetime) -> tuple[Columns, str]:
    """The columns and outcome for a row :func:`compliance_recheck` refused: released
    when the guard failed, failed when the refusal lasts, else rescheduled."""
    from compliance.guard import Decision

    if not isinstance(refusal, Decision):  # the guard failed on this row: try again later
        note = f"Released: Compliance Guard could not decide ({type(refusal).__name__}: {refusal})."
        return release_columns(
            send_at=None, error=note, now=now, started=False, requeue=False
        ), Outcome.RELEASED
    if refusal.lasting:
        columns = finish_columns(
            Status.FAILED,
            "blockedByComplianceGuard",
            short=f"Blocked by Compliance Guard ({refusal.reason})",
            long=refusal.message,
            now=now,
        )
        columns["compliance_guard_rule_id"] = refusal.compliance_guard_rule_id
        columns["last_error"] = refusal.message
        return columns, Outcome.BLOCKED
    note = (
        f"Rescheduled by Compliance Guard ({refusal.reason}, "
        f"{refusal.compliance_guard_rule_id}): {refusal.message}"
    )
    return release_columns(send_at=refusal.send_at, error=note, now=now, started=False), Outcome.RESCHEDULED


def compliance_recheck(rows: list[Interaction]) -> dict[str, object]:
    """Run the guard for the rows the send service compliance-checked, as they would go
    out now. Returns the refused ones: id → the refusal (a Decision), or the exception
    the guard raised for that row. Reads, for the whole batch: the companies (fresh: their
    settings version keys the cached rule rows), the borrowers, and each company's
    borrowers' facts (three queries); then the guard's own history queries per row."""
    checked = [row for row in rows if row.compliance_checked and row.borrower_id is not None]
    if not checked:
        return {}
    from borrowers.models import Borrower, Company, Contact
    from compliance import guard  # the guard's rules import interactions
    from compliance.facts import borrower_facts_many

    at = timezone.now()
    borrowers = Borrower.objects.in_bulk({row.borrower_id for row in checked})
    companies = Company.objects.in_bulk({borrower.company_id for borrower in borrowers.values()})
    by_company: dict[str, set[str]] = defaultdict(set)
    for borrower in borrowers.values():
        borrower.company = companies[borrower.company_id]
        by_company[borrower.company_id].add(borrower.pk)
    facts = {}
    for company_id, borrower_ids in by_company.items():
        facts.update(borrower_facts_many(companies[company_id], borrower_ids, at))
    refused: dict[str, object] = {}
    for row in checked:
        try:
            borrower = borrowers[row.borrower_id]
            contact = None
            if row.contact_id:
                known = facts[borrower.pk].contacts or ()
                contact = next((c for c in known if c.pk == row.contact_id), None)
                contact = contact or Contact.objects.filter(pk=row.contact_id).first()
            decision = guard.decide(
                guard.GuardRequest(
                    company=borrower.company,
                    borrower=borrower,
                    channel=row.channel,
                    subject=row.subject or None,
                    theme=row.theme,
                    contact=contact,
                    loan_ids=tuple(row.loan_ids or ()),
                    is_autodialed=row.is_autodialed,
                    # How the send treated it (compliance.transactional): it can only tighten.
                    is_transactional=row.is_transactional,
                    own_content=row.template_version_id is None,
                    exclude_interaction_id=row.pk,
                    facts=facts[borrower.pk],
                    settings_version=borrower.company.settings_version,
                ),
                at,
            )
        except Exception as error:
            logger.exception("Compliance Guard failed on %s; released for a later attempt", row.pk)
            refused[row.pk] = error
            continue
        if not decision.result:
            refused[row.pk] = decision
    return refused

"""What Compliance Guard reads about a borrower, read ahead of ``decide()``.

A decision needs the borrower's contacts, open cases and active do-not-interact records.
``decide()`` reads them itself unless the request carries them (``GuardRequest.facts``):
the send service passes the contacts it already read to pick the recipient, and the
dispatcher reads the facts of a whole batch of borrowers in three queries
(:func:`borrower_facts_many`). Facts must be read in the same unit of work as the
decision (they are the borrower's current rows, not a cache).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from borrowers.models import Case, Company, Contact
from borrowers.selectors import open_case_q
from compliance.models import DoNotInteract
from compliance.selectors import company_today, do_not_interact_active_q


@dataclass(frozen=True)
class BorrowerFacts:
    """Pre-read rows of one borrower; a None field is read by the guard itself.
    ``contacts`` in (created_at, id) order, all of them; ``open_cases`` those with an
    open status; ``do_not_interacts`` those active on the company's date of the decision."""

    contacts: tuple[Contact, ...] | None = None
    open_cases: tuple[Case, ...] | None = None
    do_not_interacts: tuple[DoNotInteract, ...] | None = None


def borrower_facts_many(
    company: Company, borrower_ids: Iterable[str], at: datetime
) -> dict[str, BorrowerFacts]:
    """The facts of each of ``borrower_ids`` (borrowers of ``company``) for a decision at
    ``at``: three queries, whatever the number of borrowers."""
    ids = list(dict.fromkeys(borrower_ids))
    contacts: dict[str, list[Contact]] = {pk: [] for pk in ids}
    cases: dict[str, list[Case]] = {pk: [] for pk in ids}
    records: dict[str, list[DoNotInteract]] = {pk: [] for pk in ids}
    if ids:
        for contact in Contact.objects.filter(company_id=company.pk, borrower_id__in=ids).order_by(
            "created_at", "id"
        ):
            contacts[contact.borrower_id].append(contact)
        for case in Case.objects.filter(open_case_q(), company_id=company.pk, borrower_id__in=ids).order_by(
            "created_at", "id"
        ):
            cases[case.borrower_id].append(case)
        today = company_today(company, at)
        for record in (
            DoNotInteract.objects.filter(company_id=company.pk, borrower_id__in=ids)
            .filter(do_not_interact_active_q(today))
            .order_by("created_at", "id")
        ):
            records[record.borrower_id].append(record)
    return {pk: BorrowerFacts(tuple(contacts[pk]), tuple(cases[pk]), tuple(records[pk])) for pk in ids}


__all__ = ["BorrowerFacts", "borrower_facts_many"]

"""Writes of a borrower's loans and cases."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from borrowers import selectors
from borrowers.models import Borrower, Case, Loan
from borrowers.services._common import apply, save_unique
from borrowers.validators import FieldErrors


def loan_create(*, borrower: Borrower, data: dict[str, Any]) -> Loan:
    loan = Loan(company_id=borrower.company_id, borrower=borrower)
    apply(loan, data)
    save_unique(loan)
    return loan


def loan_update(*, loan: Loan, data: dict[str, Any]) -> Loan:
    save_unique(loan, update_fields=apply(loan, data))
    return loan


def case_create(*, borrower: Borrower, data: dict[str, Any]) -> Case:
    """A new case of ``borrower``. ``loan_ids`` (ids or ``ext-`` ids) must be loans of
    that borrower and are stored as loan ids; ``started_at`` defaults to now; a case
    created completed or canceled gets ``closed_at`` now unless given."""
    case = Case(company_id=borrower.company_id, borrower=borrower)
    apply(case, _clean(case, data, creating=True))
    save_unique(case)
    return case


def case_update(*, case: Case, data: dict[str, Any]) -> Case:
    """Change the fields in ``data``. Closing a case (``completed``/``canceled``) sets
    ``closed_at`` to now unless given; reopening it clears ``closed_at``."""
    changes = _clean(case, data, creating=False)
    save_unique(case, update_fields=apply(case, changes))
    return case


def _clean(case: Case, data: dict[str, Any], *, creating: bool) -> dict[str, Any]:
    errors = FieldErrors()
    data = dict(data)
    if "loan_ids" in data:
        loan_ids, unknown = selectors.loan_ids_of_borrower(
            case.company_id, case.borrower_id, data["loan_ids"]
        )
        for value in unknown:
            errors.add("loanIds", f"No loan '{value[:80]}' of this borrower.")
        data["loan_ids"] = loan_ids
    if creating and not data.get("started_at"):
        data["started_at"] = timezone.now()
    status = data.get("status", case.status)
    is_open = status in Case.OPEN_STATUSES
    if is_open and data.get("closed_at"):
        errors.add("closedAt", f"Only a completed or canceled case has closedAt (status is {status}).")
    elif is_open and case.closed_at is not None:
        data["closed_at"] = None
    elif not is_open and not data.get("closed_at", case.closed_at):
        data["closed_at"] = timezone.now()
    started_at = data.get("started_at", case.started_at)
    closed_at = data.get("closed_at", case.closed_at)
    if started_at and closed_at and closed_at < started_at and "closedAt" not in errors.errors:
        errors.add("closedAt", "Must not be before startedAt.")
    errors.raise_if_any()
    return data

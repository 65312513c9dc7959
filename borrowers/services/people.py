"""Writes of borrowers (people)."""

from __future__ import annotations

from typing import Any

from borrowers.models import Borrower, Company
from borrowers.services._common import apply, save_unique


def borrower_create(*, company: Company, data: dict[str, Any]) -> Borrower:
    borrower = Borrower(company=company)
    apply(borrower, data)
    save_unique(borrower)
    return borrower


def borrower_update(*, borrower: Borrower, data: dict[str, Any]) -> Borrower:
    save_unique(borrower, update_fields=apply(borrower, data))
    return borrower

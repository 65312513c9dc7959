"""Reads of borrowers and their records. Writes are in ``borrowers.services``."""

from __future__ import annotations

from django.db.models import QuerySet

from borrowers.models import Borrower, Company
from peachcomms.scoping import get_scoped


def borrower_get(company: Company, person_id: str) -> Borrower:
    return get_scoped(Borrower, company.pk, person_id, field="personId")


def borrower_list(company: Company) -> QuerySet[Borrower]:
    return Borrower.objects.filter(company_id=company.pk)

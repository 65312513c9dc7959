"""The send path's reads of the guard's facts (a borrower's contacts, open cases and active
do-not-interact records) are compiled once from the ORM querysets that define them
(``peachcomms.db.OrmRead``); over random records, they return what the ORM returns and
what the Python predicate the API and admin show (``do_not_interact_is_active``) says."""

from __future__ import annotations

import random
from datetime import date, timedelta

import pytest
from django.utils import timezone

from borrowers.models import Case
from borrowers.selectors import _contacts, _open_cases, contacts_read, open_cases_read
from compliance.models import DoNotInteract
from compliance.selectors import (
    _borrower_active_records,
    do_not_interact_is_active,
    do_not_interacts_active_read,
)
from peachcomms.db import fetch_many
from tests.factories import BorrowerFactory, CaseFactory, ContactFactory, DoNotInteractFactory

pytestmark = pytest.mark.django_db

TODAY = date(2026, 12, 2)


def _ids(rows: list) -> list[str]:  # noqa: ANN001
    return [row.pk for row in rows]


@pytest.mark.parametrize("seed", range(4))
def test_the_compiled_reads_agree_with_the_orm_and_python(company, seed: int) -> None:  # noqa: ANN001
    rng = random.Random(seed)
    borrowers = [BorrowerFactory(company=company) for _ in range(3)]
    for _ in range(30):
        borrower = rng.choice(borrowers)
        end = rng.choice([None, TODAY + timedelta(days=rng.randint(-3, 3))])
        deleted = rng.choice([None, None, timezone.now()])
        DoNotInteractFactory(company=company, borrower=borrower, end_date=end, deleted_at=deleted)
        CaseFactory(company=company, borrower=borrower, status=rng.choice(list(Case.Status)))
        ContactFactory(company=company, borrower=borrower)
    for borrower in borrowers:
        for days in range(-4, 5):
            today = TODAY + timedelta(days=days)
            compiled = fetch_many(
                [
                    do_not_interacts_active_read(company.pk, borrower.pk, today=today),
                    open_cases_read(borrower.pk),
                    contacts_read(borrower.pk),
                ]
            )
            records = _ids(list(_borrower_active_records(company.pk, borrower.pk, today)))
            assert _ids(compiled[0]) == records
            python = [
                record.pk
                for record in DoNotInteract.objects.filter(borrower=borrower).order_by("created_at", "id")
                if do_not_interact_is_active(record, today)
            ]
            assert python == records
            cases = _ids(list(_open_cases(borrower.pk)))
            assert _ids(compiled[1]) == cases
            assert cases == [
                case.pk
                for case in Case.objects.filter(borrower=borrower).order_by("created_at", "id")
                if case.status in Case.OPEN_STATUSES
            ]
            assert _ids(compiled[2]) == _ids(list(_contacts(borrower.pk)))
    # Not another borrower's or company's records.
    assert {row.borrower_id for row in compiled[0] + compiled[1] + compiled[2]} <= {borrowers[-1].pk}

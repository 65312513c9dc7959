"""``borrowers.selectors.borrower_with_contacts``: what get_scoped and borrower_contacts
read, in one round trip for a public id."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from borrowers.selectors import borrower_contacts, borrower_get, borrower_with_contacts
from peachcomms.errors import NotFound
from tests.factories import BorrowerFactory, CompanyFactory, ContactFactory

pytestmark = pytest.mark.django_db


def test_a_public_id_reads_the_borrower_and_contacts_together(company):  # noqa: ANN001
    borrower = BorrowerFactory(company=company, external_id="b-1")
    contacts = [ContactFactory(borrower=borrower) for _ in range(2)]
    with CaptureQueriesContext(connection) as captured:
        found, found_contacts = borrower_with_contacts(company, borrower.pk)
    assert len(captured.captured_queries) == (1 if connection.vendor == "postgresql" else 2)
    assert found.pk == borrower.pk
    assert [c.pk for c in found_contacts] == [c.pk for c in borrower_contacts(borrower)] != []
    assert {c.pk for c in found_contacts} == {c.pk for c in contacts}

    by_external, external_contacts = borrower_with_contacts(company, "ext-b-1")
    assert by_external.pk == borrower.pk
    assert [c.pk for c in external_contacts] == [c.pk for c in found_contacts]


@pytest.mark.parametrize("value", ["BO-NONE-NONE", "ext-nobody", "LN-AAAA-BBBB", "garbage"])
def test_unknown_ids_are_the_same_404_as_borrower_get(company, value):  # noqa: ANN001
    with pytest.raises(NotFound) as expected:
        borrower_get(company, value)
    with pytest.raises(NotFound) as raised:
        borrower_with_contacts(company, value)
    assert str(raised.value) == str(expected.value)


def test_another_companys_borrower_is_not_found(company):  # noqa: ANN001
    other = BorrowerFactory(company=CompanyFactory())
    ContactFactory(borrower=other)
    with pytest.raises(NotFound, match="personId: no"):
        borrower_with_contacts(company, other.pk)

"""Context hydration: the API representations as plain JSON data, scoped to the company and
the borrower, with the caller's context merged over them."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from borrowers.models import Contact
from peachcomms.errors import NotFound
from templating.hydration import hydrate_context
from tests.factories import (
    BorrowerFactory,
    CaseFactory,
    ContactFactory,
    DocumentFactory,
    LoanFactory,
)

pytestmark = pytest.mark.django_db

JSON_SCALARS = (str, int, float, bool, type(None))


def assert_plain(value, path: str = "context") -> None:  # noqa: ANN001
    if isinstance(value, dict):
        for key, item in value.items():
            assert type(key) is str, path
            assert_plain(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            assert_plain(item, f"{path}[{index}]")
    else:
        assert type(value) in JSON_SCALARS, f"{path} is a {type(value).__name__}"


@pytest.fixture
def records(company):  # noqa: ANN001, ANN201
    company.brand_name = "Peach"
    company.support_phone = "+18005550100"
    company.mailing_address = {"addressLine1": "1 Main St", "city": "Springfield", "state": "IL"}
    company.save()
    person = BorrowerFactory(company=company, first_name="Ada", meta_data={"tier": "gold"})
    return {
        "person": person,
        "contact": ContactFactory(borrower=person, value="ada@example.com"),
        "loan": LoanFactory(
            borrower=person, amount_due=Decimal("1234.50"), due_date=dt.date(2026, 12, 15), external_id="L-1"
        ),
        "loan2": LoanFactory(borrower=person),
        "case": CaseFactory(borrower=person),
        "statement": DocumentFactory(borrower=person),
    }


def test_context_is_plain_data_in_the_api_shape(company, records):
    context = hydrate_context(
        company,
        person=records["person"],
        contact=records["contact"],
        loan_id="ext-L-1",
        loan_ids=[records["loan"].pk, records["loan2"].pk],
        case_id=records["case"].pk,
        statement_id=records["statement"].pk,
        context={"actionUrl": "https://pay.example/x"},
    )
    assert_plain(context)
    assert set(context) == {"company", "person", "contact", "loan", "loans", "case", "statement", "actionUrl"}
    assert context["company"]["brandName"] == "Peach"
    assert context["company"]["supportPhone"] == "+18005550100"
    assert context["company"]["mailingAddress"] == {
        "addressLine1": "1 Main St",
        "addressLine2": "",
        "city": "Springfield",
        "state": "IL",
        "postalCode": "",
        "country": "",
    }
    assert context["person"]["name"]["firstName"] == "Ada"
    assert context["person"]["metaData"] == {"tier": "gold"}
    assert context["contact"]["value"] == "ada@example.com"
    assert context["loan"]["id"] == records["loan"].pk
    assert context["loan"]["amountDue"] == 1234.5
    assert context["loan"]["dueDate"] == "2026-12-15"
    assert [loan["id"] for loan in context["loans"]] == [records["loan"].pk, records["loan2"].pk]
    assert context["case"]["id"] == records["case"].pk
    assert context["statement"]["id"] == records["statement"].pk
    assert context["actionUrl"] == "https://pay.example/x"


def test_person_and_contact_are_always_present(company):
    context = hydrate_context(company)
    assert context["person"] is None and context["contact"] is None
    assert context["loan"] is None and context["loans"] == [] and context["case"] is None
    assert context["company"]["id"] == company.pk


def test_only_loan_id_gives_a_one_item_loans(company, records):
    context = hydrate_context(company, person=records["person"], loan_id=records["loan"].pk)
    assert [loan["id"] for loan in context["loans"]] == [records["loan"].pk]


def test_caller_context_merges_objects_key_by_key(company, records):
    context = hydrate_context(
        company,
        person=records["person"],
        context={"company": {"brandName": "Other"}, "person": {"name": {"firstName": "Bo"}}, "loan": 5},
    )
    assert context["company"]["brandName"] == "Other"
    assert context["company"]["supportPhone"] == "+18005550100"
    assert context["person"]["name"] == {**context["person"]["name"], "firstName": "Bo"}
    assert context["person"]["name"]["lastName"] == records["person"].last_name
    assert context["loan"] == 5


@pytest.mark.parametrize("field", ["loan_id", "loan_ids", "case_id", "statement_id"])
def test_ids_of_another_company_or_borrower_are_404_naming_the_field(company, other_company, records, field):
    theirs = BorrowerFactory(company=other_company)
    foreign = {
        "loan_id": LoanFactory(borrower=theirs).pk,
        "loan_ids": [LoanFactory(borrower=theirs).pk],
        "case_id": CaseFactory(borrower=theirs).pk,
        "statement_id": DocumentFactory(borrower=theirs).pk,
    }
    names = {"loan_id": "loanId", "loan_ids": "loanIds", "case_id": "caseId", "statement_id": "statementId"}
    with pytest.raises(NotFound) as raised:
        hydrate_context(company, person=records["person"], **{field: foreign[field]})
    assert raised.value.message.startswith(f"{names[field]}: no ")

    # Same company, another borrower: also 404 when a person is given.
    sibling = BorrowerFactory(company=company)
    own_other = {
        "loan_id": LoanFactory(borrower=sibling).pk,
        "loan_ids": [LoanFactory(borrower=sibling).pk],
        "case_id": CaseFactory(borrower=sibling).pk,
        "statement_id": DocumentFactory(borrower=sibling).pk,
    }
    with pytest.raises(NotFound):
        hydrate_context(company, person=records["person"], **{field: own_other[field]})


def test_address_contact_is_plain(company, records):
    address = ContactFactory(
        borrower=records["person"],
        contact_type=Contact.ContactType.ADDRESS,
        value="",
        address_line1="12 Way",
        city="Chicago",
        state="IL",
        postal_code="60601",
    )
    context = hydrate_context(company, person=records["person"], contact=address)
    assert_plain(context)
    assert context["contact"]["address"]["addressLine1"] == "12 Way"
    assert context["contact"]["value"] is None


def test_every_named_row_is_read_in_one_round_trip(company, records):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    extra = [LoanFactory(borrower=records["person"]) for _ in range(3)]
    with CaptureQueriesContext(connection) as queries:
        context = hydrate_context(
            company,
            person=records["person"],
            loan_id=records["loan"].pk,
            loan_ids=["ext-L-1", records["loan2"].pk, *(loan.pk for loan in extra), records["loan2"].pk],
            case_id=records["case"].pk,
            statement_id=records["statement"].pk,
        )
    # One round trip on PostgreSQL; elsewhere (the SQLite smoke run) one statement per row.
    expected = 1 if connection.vendor == "postgresql" else 8
    assert len(queries.captured_queries) == expected, [q["sql"][:80] for q in queries.captured_queries]
    assert context["loan"]["id"] == records["loan"].pk
    assert [loan["id"] for loan in context["loans"]] == [
        records["loan"].pk,  # ext-L-1
        records["loan2"].pk,
        *(loan.pk for loan in extra),
    ]
    assert context["case"]["id"] == records["case"].pk
    assert context["statement"]["id"] == records["statement"].pk


def test_the_404_is_the_first_missing_reference_in_request_order(company, records):
    person = records["person"]
    cases = [
        # (arguments, the field the 404 names)
        (
            {"loan_ids": [records["loan"].pk, "LN-AAAA-AAAA", "not-an-id"], "case_id": "CA-AAAA-AAAA"},
            "loanIds: no loan 'LN-AAAA-AAAA'",
        ),
        ({"loan_id": "garbage", "loan_ids": ["LN-AAAA-AAAA"]}, "loanId: no loan 'garbage'"),
        (
            {"loan_id": records["loan"].pk, "case_id": records["case"].pk, "statement_id": "DD-AAAA-AAAA"},
            "statementId: no ",
        ),
        ({"loan_ids": ["ext-nope"], "statement_id": "DD-AAAA-AAAA"}, "loanIds: no loan 'ext-nope'"),
    ]
    for arguments, message in cases:
        with pytest.raises(NotFound) as raised:
            hydrate_context(company, person=person, **arguments)
        assert raised.value.message.startswith(message), (arguments, raised.value.message)

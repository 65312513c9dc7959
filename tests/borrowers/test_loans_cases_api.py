from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from borrowers.models import Case, Loan
from tests.factories import CaseFactory, LoanFactory

pytestmark = pytest.mark.django_db

TS = "%Y-%m-%dT%H:%M:%S.%fZ"


def url(kind: str, person, item=None) -> str:  # noqa: ANN001
    base = f"/api/people/{getattr(person, 'pk', person)}/{kind}"
    return base if item is None else f"{base}/{getattr(item, 'pk', item)}"


# Loans


def test_create_get_update_loan(api, borrower):
    response = api.post(
        url("loans", borrower),
        {
            "externalId": "L-1",
            "displayId": "#1001",
            "status": "active",
            "amountDue": "1234.50",
            "dueDate": "2026-12-01",
            "daysPastDue": 3,
            "productName": "Personal loan",
            "metaData": {"apr": "12.5%"},
        },
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert response.json()["message"] == "created"
    loan = response.json()["data"]
    row = Loan.objects.get()
    assert loan == {
        "id": row.pk,
        "object": "loan",
        "personId": borrower.pk,
        "companyId": api.company.pk,
        "externalId": "L-1",
        "displayId": "#1001",
        "status": "active",
        "amountDue": 1234.5,
        "dueDate": "2026-12-01",
        "daysPastDue": 3,
        "productName": "Personal loan",
        "metaData": {"apr": "12.5%"},
        "createdAt": row.created_at.strftime(TS),
        "updatedAt": row.updated_at.strftime(TS),
    }
    assert row.amount_due == Decimal("1234.50")
    assert api.get(url("loans", borrower, row)).json()["data"] == loan
    assert api.get(url("loans", "ext-B-1", "ext-L-1")).json()["data"]["id"] == row.pk

    updated = api.put(url("loans", borrower, "ext-L-1"), {"status": "paidOff", "amountDue": 0}, format="json")
    assert updated.status_code == 200, updated.json()
    data = updated.json()["data"]
    assert (data["status"], data["amountDue"], data["displayId"], data["dueDate"]) == (
        "paidOff",
        0.0,
        "#1001",
        "2026-12-01",
    )
    row.refresh_from_db()
    assert (row.status, row.amount_due) == ("paidOff", Decimal("0.00"))


def test_loan_defaults(api, borrower):
    loan = api.post(url("loans", borrower), {}, format="json").json()["data"]
    assert (loan["status"], loan["amountDue"], loan["dueDate"], loan["daysPastDue"], loan["externalId"]) == (
        "active",
        None,
        None,
        0,
        None,
    )


def test_loans_list_paginates_newest_first(api, borrower, sibling):
    ids = [api.post(url("loans", borrower), {}, format="json").json()["data"]["id"] for _ in range(5)]
    LoanFactory(borrower=sibling)
    newest_first = list(reversed(ids))
    page1 = api.get(url("loans", borrower) + "?limit=2").json()
    assert [loan["id"] for loan in page1["data"]] == newest_first[:2]
    assert (page1["count"], page1["previousUrl"]) == (2, None)
    page2 = api.get(page1["nextUrl"]).json()
    assert [loan["id"] for loan in page2["data"]] == newest_first[2:4]
    page3 = api.get(page2["nextUrl"]).json()
    assert [loan["id"] for loan in page3["data"]] == newest_first[4:]
    assert page3["nextUrl"] is None
    back = api.get(page3["previousUrl"]).json()
    assert [loan["id"] for loan in back["data"]] == newest_first[2:4]
    assert api.get(url("loans", borrower) + "?limit=101").status_code == 400


def test_duplicate_loan_external_id_is_409(api, borrower, sibling):
    LoanFactory(borrower=sibling, external_id="L-1")
    response = api.post(url("loans", borrower), {"externalId": "L-1"}, format="json")
    assert response.status_code == 409
    assert response.json()["message"] == "A loan with externalId 'L-1' already exists in this company."
    assert Loan.objects.count() == 1
    other = LoanFactory(borrower=borrower, external_id="L-2")
    response = api.put(url("loans", borrower, other), {"externalId": "L-1"}, format="json")
    assert response.status_code == 409
    other.refresh_from_db()
    assert other.external_id == "L-2"


@pytest.mark.parametrize(
    "body, field, problem",
    [
        (
            {"status": "zombie"},
            "status",
            (
                "'zombie' is not a valid choice. "
                "Must be one of: pending, active, paidOff, chargedOff, canceled, accelerated."
            ),
        ),
        ({"amountDue": "lots"}, "amountDue", "A valid number is required."),
        ({"amountDue": "1.234"}, "amountDue", "Ensure that there are no more than 2 decimal places."),
        ({"daysPastDue": -1}, "daysPastDue", "Ensure this value is greater than or equal to 0."),
        ({"daysPastDue": "three"}, "daysPastDue", "A valid integer is required."),
        (
            {"dueDate": "12/01/2026"},
            "dueDate",
            "Date has wrong format. Use one of these formats instead: YYYY-MM-DD.",
        ),
        ({"productName": "x" * 201}, "productName", "Ensure this field has no more than 200 characters."),
        ({"metaData": {f"k{i}": i for i in range(51)}}, "metaData", "At most 50 keys (got 51)."),
        ({"metaData": "x"}, "metaData", "Must be a JSON object."),
        ({"loanNumber": "1"}, "loanNumber", "Unknown field."),
    ],
)
def test_bad_loan_input_is_400_and_writes_nothing(api, borrower, body, field, problem):
    response = api.post(url("loans", borrower), body, format="json")
    assert response.status_code == 400, response.json()
    assert response.json()["errors"] == {field: [problem]}
    assert response.json()["message"] == f"Invalid field '{field}': {problem}"
    assert Loan.objects.count() == 0


def test_malformed_json_is_400(api, borrower):
    for kind in ("loans", "cases"):
        response = api.post(url(kind, borrower), "[1, 2", content_type="application/json")
        assert response.status_code == 400
        assert response.json()["message"].startswith("Malformed JSON")
    assert Loan.objects.count() == Case.objects.count() == 0


# Cases


def test_create_case_with_loans_by_id_and_external_id(api, borrower):
    first = LoanFactory(borrower=borrower)
    second = LoanFactory(borrower=borrower, external_id="L-2")
    before = timezone.now()
    response = api.post(
        url("cases", borrower),
        {
            "caseType": "bankruptcy",
            "outcome": "chapter 7",
            "loanIds": [first.pk, "ext-L-2", first.pk],
            "externalId": "K-1",
            "metaData": {"court": "SDNY"},
        },
        format="json",
    )
    assert response.status_code == 200, response.json()
    case = response.json()["data"]
    row = Case.objects.get()
    assert before <= row.started_at <= timezone.now()
    assert case == {
        "id": row.pk,
        "object": "case",
        "personId": borrower.pk,
        "companyId": api.company.pk,
        "externalId": "K-1",
        "caseType": "bankruptcy",
        "status": "initiated",
        "outcome": "chapter 7",
        "loanIds": [first.pk, second.pk],
        "startedAt": row.started_at.strftime(TS),
        "closedAt": None,
        "metaData": {"court": "SDNY"},
        "createdAt": row.created_at.strftime(TS),
        "updatedAt": row.updated_at.strftime(TS),
    }
    assert api.get(url("cases", "ext-B-1", "ext-K-1")).json()["data"] == case
    assert [c["id"] for c in api.get(url("cases", borrower)).json()["data"]] == [row.pk]


def test_case_loans_must_be_the_borrowers(api, borrower, sibling, stranger):
    own = LoanFactory(borrower=borrower)
    siblings = LoanFactory(borrower=sibling, external_id="L-9")
    foreign = LoanFactory(borrower=stranger)
    response = api.post(
        url("cases", borrower),
        {"caseType": "collection", "loanIds": [own.pk, siblings.pk, "ext-L-9", foreign.pk, "LN-0000-0000"]},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["errors"] == {
        "loanIds": [
            f"No loan '{siblings.pk}' of this borrower.",
            "No loan 'ext-L-9' of this borrower.",
            f"No loan '{foreign.pk}' of this borrower.",
            "No loan 'LN-0000-0000' of this borrower.",
        ]
    }
    assert response.json()["message"] == (
        f"Invalid field 'loanIds': No loan '{siblings.pk}' of this borrower."
    )
    assert Case.objects.count() == 0
    case = CaseFactory(borrower=borrower, loan_ids=[own.pk])
    response = api.put(url("cases", borrower, case), {"loanIds": [foreign.pk]}, format="json")
    assert response.status_code == 400
    case.refresh_from_db()
    assert case.loan_ids == [own.pk]


def test_closing_and_reopening_a_case(api, borrower):
    case = CaseFactory(borrower=borrower, started_at=datetime(2026, 1, 1, tzinfo=UTC))
    closed = api.put(
        url("cases", borrower, case), {"status": "completed", "outcome": "resolved"}, format="json"
    )
    assert closed.status_code == 200, closed.json()
    case.refresh_from_db()
    assert case.closed_at is not None
    assert closed.json()["data"]["closedAt"] == case.closed_at.strftime(TS)
    reopened = api.put(url("cases", borrower, case), {"status": "processing"}, format="json")
    assert reopened.json()["data"]["closedAt"] is None
    explicit = api.put(
        url("cases", borrower, case),
        {"status": "canceled", "closedAt": "2026-02-01T00:00:00Z"},
        format="json",
    )
    assert explicit.json()["data"]["closedAt"] == "2026-02-01T00:00:00.000000Z"


@pytest.mark.parametrize(
    "body, field, problem",
    [
        ({}, "caseType", "This field is required."),
        (
            {"caseType": "divorce"},
            "caseType",
            (
                "'divorce' is not a valid choice. Must be one of: generic, bankruptcy, ceaseCommunication, "
                "collection, deceased, disputeOfDebt, federalEmergency, identityTheft, legalAction, "
                "militaryDuty, debtValidation."
            ),
        ),
        (
            {"caseType": "generic", "status": "open"},
            "status",
            ("'open' is not a valid choice. Must be one of: initiated, processing, completed, canceled."),
        ),
        (
            {"caseType": "generic", "loanIds": "LN-AAAA-AAAA"},
            "loanIds",
            'Expected a list of items but got type "str".',
        ),
        (
            {"caseType": "generic", "loanIds": ["BO-AAAA-AAAA"]},
            "loanIds.0",
            "Must be an id like LN-XXXX-XXXX or ext-<externalId>.",
        ),
        (
            {"caseType": "generic", "outcome": "x" * 201},
            "outcome",
            "Ensure this field has no more than 200 characters.",
        ),
        (
            {"caseType": "generic", "closedAt": "2026-01-01T00:00:00Z"},
            "closedAt",
            "Only a completed or canceled case has closedAt (status is initiated).",
        ),
        (
            {
                "caseType": "generic",
                "status": "completed",
                "startedAt": "2026-02-01T00:00:00Z",
                "closedAt": "2026-01-01T00:00:00Z",
            },
            "closedAt",
            "Must not be before startedAt.",
        ),
        ({"caseType": "generic", "startedAt": "yesterday"}, "startedAt", None),
    ],
)
def test_bad_case_input_is_400_and_writes_nothing(api, borrower, body, field, problem):
    response = api.post(url("cases", borrower), body, format="json")
    assert response.status_code == 400, response.json()
    errors = response.json()["errors"]
    assert list(errors) == [field]
    if problem is not None:
        assert errors[field] == [problem]
    assert response.json()["message"].startswith(f"Invalid field '{field}': ")
    assert Case.objects.count() == 0


# Scoping and permissions

ROUTES = [
    ("get", "loans", False),
    ("post", "loans", False),
    ("get", "loans", True),
    ("put", "loans", True),
    ("get", "cases", False),
    ("post", "cases", False),
    ("get", "cases", True),
    ("put", "cases", True),
]


@pytest.mark.parametrize("method, kind, item", ROUTES)
def test_rows_of_another_company_or_borrower_are_404(api, borrower, sibling, stranger, method, kind, item):
    factory = LoanFactory if kind == "loans" else CaseFactory
    sibling_row = factory(borrower=sibling, external_id="X-2")
    foreign_row = factory(borrower=stranger, external_id="X-1")
    body = {"caseType": "generic", "status": "canceled"} if kind == "cases" else {"status": "canceled"}
    if item:
        targets = [
            (borrower.pk, sibling_row.pk),
            (borrower.pk, "ext-X-2"),
            (stranger.pk, foreign_row.pk),
            (borrower.pk, foreign_row.pk),
            (borrower.pk, "ext-X-1"),
        ]
    else:
        targets = [(stranger.pk, None), ("ext-NOPE", None)]
    for person, row in targets:
        response = getattr(api, method)(url(kind, person, row), body, format="json")
        assert response.status_code == 404, (person, row, response.json())
        assert response.json()["status"] == 404
    model = factory._meta.model
    assert model.objects.count() == 2
    assert set(model.objects.values_list("status", flat=True)) != {"canceled"}


def test_read_only_key_cannot_write_loans_or_cases(company, borrower, client_with):
    reader = client_with(company, ["people:read"])
    loan = LoanFactory(borrower=borrower)
    case = CaseFactory(borrower=borrower)
    assert reader.get(url("loans", borrower, loan)).status_code == 200
    assert reader.get(url("cases", borrower)).status_code == 200
    for response in (
        reader.post(url("loans", borrower), {}, format="json"),
        reader.put(url("loans", borrower, loan), {"status": "paidOff"}, format="json"),
        reader.post(url("cases", borrower), {"caseType": "generic"}, format="json"),
        reader.put(url("cases", borrower, case), {"status": "completed"}, format="json"),
    ):
        assert response.status_code == 403
        assert response.json()["message"] == "This API key lacks the 'people:write' permission."
    assert (Loan.objects.count(), Case.objects.count()) == (1, 1)
    loan.refresh_from_db()
    assert loan.status == "active"

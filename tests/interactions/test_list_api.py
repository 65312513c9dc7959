from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from interactions.models import Interaction
from tests.factories import BorrowerFactory, CaseFactory, ContactFactory, InteractionFactory, LoanFactory

pytestmark = pytest.mark.django_db


def _at(month: int) -> datetime:
    return datetime(2026, month, 1, tzinfo=UTC)


@pytest.fixture
def world(company, other_company, borrower):
    """Four interactions of two borrowers, created a month apart, and a decoy in another
    company that matches every filter of ``email_out``."""
    other_borrower = BorrowerFactory(company=company, external_id="B-2")
    loan_a = LoanFactory(borrower=borrower, external_id="L-A")
    loan_b = LoanFactory(borrower=other_borrower, external_id="L-B")
    case_a = CaseFactory(borrower=borrower, external_id="C-A")
    rows = {
        "email_out": InteractionFactory(
            borrower=borrower,
            status="succeeded",
            status_details="emailDelivered",
            loan=loan_a,
            loan_ids=[loan_a.pk],
        ),
        "text_in": InteractionFactory(
            borrower=borrower,
            channel="text",
            direction="inbound",
            status="succeeded",
            status_details="textReceived",
            subject="freeForm",
            theme="opsCollDebt",
            case=case_a,
        ),
        "voice_out": InteractionFactory(
            borrower=other_borrower,
            channel="voice",
            status="attempted",
            status_details="voiceNoAnswer",
            subject="loanOverdueFirstNotice",
            theme="opsCollDebt",
            loan_ids=[loan_b.pk],
            supercase_bulk_operation_id="BULK-1",
        ),
        "scheduled": InteractionFactory(
            borrower=other_borrower,
            subject="statementGenerated",
            supercase_bulk_operation_id="BULK-1",
            external_id="S-1",
        ),
    }
    for month, row in enumerate(rows.values(), start=1):
        Interaction.objects.filter(pk=row.pk).update(created_at=_at(month))
    decoy_borrower = BorrowerFactory(company=other_company, external_id="B-1")
    InteractionFactory(
        borrower=decoy_borrower,
        status="succeeded",
        status_details="emailDelivered",
        supercase_bulk_operation_id="BULK-1",
        external_id="S-1",
    )
    return {
        "rows": {name: row.pk for name, row in rows.items()},
        "borrower": borrower,
        "other_borrower": other_borrower,
        "decoy_borrower": decoy_borrower,
        "loan_a": loan_a,
        "loan_b": loan_b,
        "case_a": case_a,
    }


def _ids(response) -> list[str]:  # noqa: ANN001
    assert response.status_code == 200, response.json()
    return [item["id"] for item in response.json()["data"]]


def test_company_list_is_newest_first_and_scoped(api, world):
    rows = world["rows"]
    assert _ids(api.get("/api/interactions")) == [
        rows["scheduled"],
        rows["voice_out"],
        rows["text_in"],
        rows["email_out"],
    ]


@pytest.mark.parametrize(
    "query, expected",
    [
        ("personId={borrower}", ["text_in", "email_out"]),
        ("personId=ext-B-1", ["text_in", "email_out"]),
        ("personId=ext-B-2", ["scheduled", "voice_out"]),
        ("personId=BO-ZZZZ-ZZZZ", []),
        ("personId=ext-nobody", []),
        ("personId={decoy_borrower}", []),
        ("channel=email", ["scheduled", "email_out"]),
        ("channel=fax", []),
        ("direction=inbound", ["text_in"]),
        ("direction=outbound", ["scheduled", "voice_out", "email_out"]),
        ("status=attempted", ["voice_out"]),
        ("status=scheduled", ["scheduled"]),
        ("statusDetails=emailDelivered", ["email_out"]),
        ("subject=loanOverdueFirstNotice", ["voice_out"]),
        ("subject=locStatementGenerated", ["scheduled"]),
        ("theme=opsCollDebt", ["voice_out", "text_in"]),
        ("loanId={loan_a}", ["email_out"]),
        ("loanId=ext-L-B", ["voice_out"]),
        ("loanId=ext-L-nope", []),
        ("caseId={case_a}", ["text_in"]),
        ("caseId=ext-C-A", ["text_in"]),
        ("supercaseBulkOperationId=BULK-1", ["scheduled", "voice_out"]),
        ("createdAtFrom=2026-02-01T00:00:00Z", ["scheduled", "voice_out", "text_in"]),
        ("createdAtTo=2026-03-01T00:00:00Z", ["text_in", "email_out"]),
        ("createdAtFrom=2026-02-01T00:00:00Z&createdAtTo=2026-03-01T00:00:00Z", ["text_in"]),
        ("channel=email&personId=ext-B-2", ["scheduled"]),
    ],
)
def test_filters(api, world, query, expected):
    names = {key: getattr(world[key], "pk", None) for key in world if key != "rows"}
    response = api.get("/api/interactions?" + query.format(**names))
    assert _ids(response) == [world["rows"][name] for name in expected]


@pytest.mark.parametrize(
    "query, field",
    [
        ("channel=pigeon", "channel"),
        ("direction=up", "direction"),
        ("status=lost", "status"),
        ("statusDetails=emailTeleported", "statusDetails"),
        ("subject=noSuchSubject", "subject"),
        ("theme=noSuchTheme", "theme"),
        ("createdAtFrom=yesterday", "createdAtFrom"),
        ("personId=LN-AAAA-BBBB", "personId"),
        ("loanId=garbage", "loanId"),
        ("caseId=CS-1", "caseId"),
        ("chanel=email", "chanel"),
    ],
)
def test_bad_filters_are_400(api, world, query, field):
    response = api.get("/api/interactions?" + query)
    assert response.status_code == 400
    assert field in response.json()["errors"]


def test_borrower_list(api, world):
    rows, borrower = world["rows"], world["borrower"]
    assert _ids(api.get(f"/api/people/{borrower.pk}/interactions")) == [rows["text_in"], rows["email_out"]]
    assert _ids(api.get("/api/people/ext-B-2/interactions?status=scheduled")) == [rows["scheduled"]]
    assert _ids(api.get(f"/api/people/{borrower.pk}/interactions?channel=text")) == [rows["text_in"]]
    response = api.get(f"/api/people/{borrower.pk}/interactions?personId=ext-B-2")
    assert response.status_code == 400 and "personId" in response.json()["errors"]


def test_cross_company_is_404_on_every_route(api, other_api, world):
    decoy_borrower = world["decoy_borrower"]
    decoy = Interaction.objects.get(borrower=decoy_borrower)
    borrower = world["borrower"]
    own = world["rows"]["email_out"]
    theirs = f"/api/people/{decoy_borrower.pk}/interactions"
    body = {"channel": "email", "direction": "outbound", "subject": "paymentDueReminder"}
    responses = [
        api.get(f"/api/interactions/{decoy.pk}"),
        api.get(f"/api/people/{decoy_borrower.pk}/interactions/{decoy.pk}"),
        api.get(theirs),
        api.post(theirs, body, format="json"),
        api.put(f"{theirs}/{decoy.pk}", {"agentOutcome": "other"}, format="json"),
        # their interaction under our borrower, ours under another of our borrowers
        api.get(f"/api/people/{borrower.pk}/interactions/{decoy.pk}"),
        api.put(
            f"/api/people/{borrower.pk}/interactions/{decoy.pk}", {"agentOutcome": "other"}, format="json"
        ),
        api.get(f"/api/people/ext-B-2/interactions/{own}"),
        api.put(f"/api/people/ext-B-2/interactions/{own}", {"agentOutcome": "other"}, format="json"),
        other_api.get(f"/api/interactions/{own}"),
    ]
    assert [r.status_code for r in responses] == [404] * len(responses)
    # ext-S-1 exists in both companies: each sees only its own
    assert api.get("/api/interactions/ext-S-1").json()["data"]["id"] == world["rows"]["scheduled"]
    assert other_api.get("/api/interactions/ext-S-1").json()["data"]["id"] == decoy.pk
    decoy.refresh_from_db()
    assert (decoy.agent_outcome, Interaction.objects.filter(borrower=decoy_borrower).count()) == (None, 1)
    assert Interaction.objects.get(pk=own).agent_outcome is None


def test_pagination_walks_both_ways(api, borrower):
    ids = [InteractionFactory(borrower=borrower).pk for _ in range(5)]
    for minute, pk in enumerate(ids):
        Interaction.objects.filter(pk=pk).update(created_at=datetime(2026, 1, 1, 0, minute, tzinfo=UTC))
    newest_first = list(reversed(ids))
    page1 = api.get("/api/interactions?limit=2&channel=email").json()
    assert [p["id"] for p in page1["data"]] == newest_first[:2]
    assert page1["count"] == 2 and page1["previousUrl"] is None
    assert "channel=email" in page1["nextUrl"]
    page2 = api.get(page1["nextUrl"]).json()
    assert [p["id"] for p in page2["data"]] == newest_first[2:4]
    page3 = api.get(page2["nextUrl"]).json()
    assert [p["id"] for p in page3["data"]] == newest_first[4:]
    assert page3["nextUrl"] is None
    back = api.get(page3["previousUrl"]).json()
    assert [p["id"] for p in back["data"]] == newest_first[2:4]
    person_page = api.get(f"/api/people/{borrower.pk}/interactions?limit=3").json()
    assert [p["id"] for p in person_page["data"]] == newest_first[:3]
    assert api.get("/api/interactions?limit=101").status_code == 400
    assert api.get("/api/interactions?startingAfter=IT-XXXX-XXXX").status_code == 404
    assert api.get("/api/interactions?startingAfter=IT-XXXX").status_code == 400


def _list_queries(api, url: str) -> int:  # noqa: ANN001
    with CaptureQueriesContext(connection) as captured:
        response = api.get(url)
    assert response.status_code == 200
    return len(captured)


def test_list_query_count_does_not_grow_with_rows(api, borrower, django_assert_max_num_queries):
    def add(n: int) -> None:
        for _ in range(n):
            InteractionFactory(borrower=borrower, contact=ContactFactory(borrower=borrower))

    api.get("/api/interactions")  # the key's first use records last_used_at
    add(2)
    company_few = _list_queries(api, "/api/interactions")
    person_few = _list_queries(api, f"/api/people/{borrower.pk}/interactions?channel=email")
    add(40)
    with django_assert_max_num_queries(2):  # the API key, the page
        data = api.get("/api/interactions?limit=100").json()["data"]
    assert len(data) == 42
    assert all(item["contactId"] for item in data)
    assert _list_queries(api, "/api/interactions?limit=100") == company_few
    with django_assert_max_num_queries(3):  # the API key, the borrower, the page
        assert len(api.get(f"/api/people/{borrower.pk}/interactions?limit=100").json()["data"]) == 42
    assert _list_queries(api, f"/api/people/{borrower.pk}/interactions?channel=email") == person_few


def test_contact_external_id_on_lists(api, borrower):
    contact = ContactFactory(borrower=borrower, external_id="C-77")
    with_contact = InteractionFactory(borrower=borrower, contact=contact)
    without = InteractionFactory(borrower=borrower)
    data = {
        i["id"]: (i["contactId"], i["contactExternalId"]) for i in api.get("/api/interactions").json()["data"]
    }
    assert data == {with_contact.pk: (contact.pk, "C-77"), without.pk: (None, None)}

"""Do-not-interact records: ``GET /people/{id}/do-not-interacts``,
``POST /people/{id}/cases/{caseId}/do-not-interact`` and ``GET|PUT|DELETE`` on
``…/do-not-interact/{doNotInteractId}``."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from compliance.models import DoNotInteract
from tests.factories import BorrowerFactory, CaseFactory

pytestmark = pytest.mark.django_db

# 2026-11-26 02:30 UTC is still 2026-11-25 in New York (the company's zone).
NOW = datetime(2026, 11, 26, 2, 30, tzinfo=ZoneInfo("UTC"))
COMPANY_TODAY = date(2026, 11, 25)
KEYS = {
    "id",
    "object",
    "personId",
    "caseId",
    "channels",
    "themes",
    "endDate",
    "active",
    "createdAt",
    "updatedAt",
    "deletedAt",
}


class Clock:
    """``django.utils.timezone.now`` (which ``auto_now`` fields and the services read),
    frozen at ``now`` until moved."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def travel(self, delta: timedelta) -> mock._patch:
        return mock.patch("django.utils.timezone.now", return_value=self.now + delta)


@pytest.fixture(autouse=True)
def clock():  # noqa: ANN201
    with mock.patch("django.utils.timezone.now", return_value=NOW):
        yield Clock(NOW)


@pytest.fixture
def case(borrower):  # noqa: ANN001, ANN201
    return CaseFactory(borrower=borrower, case_type="ceaseCommunication")


def base(borrower, case) -> str:  # noqa: ANN001
    return f"/api/people/{borrower.pk}/cases/{case.pk}/do-not-interact"


def create(api, borrower, case, **body):  # noqa: ANN001, ANN003, ANN201
    body = {"channels": ["voice"], "themes": ["all"], **body}
    return api.post(base(borrower, case), body, format="json")


def test_create_get_list(api, borrower, case):
    response = create(api, borrower, case, channels=["voice", "text", "voice"], endDate="2026-11-25")
    assert response.status_code == 200, response.json()
    assert response.json()["message"] == "created"
    record = response.json()["data"]
    assert set(record) == KEYS
    assert record == {
        "id": record["id"],
        "object": "doNotInteract",
        "personId": borrower.pk,
        "caseId": case.pk,
        "channels": ["voice", "text"],
        "themes": ["all"],
        "endDate": "2026-11-25",  # today in New York although 26 Nov in UTC
        "active": True,
        "createdAt": "2026-11-26T02:30:00.000000Z",
        "updatedAt": "2026-11-26T02:30:00.000000Z",
        "deletedAt": None,
    }
    row = DoNotInteract.objects.get(pk=record["id"])
    assert (row.company_id, row.borrower_id, row.case_id) == (borrower.company_id, borrower.pk, case.pk)

    assert api.get(f"{base(borrower, case)}/{record['id']}").json()["data"] == record
    listed = api.get(f"/api/people/{borrower.pk}/do-not-interacts").json()
    assert listed["count"] == 1 and listed["data"] == [record]


def test_active_is_derived_and_filterable(api, borrower, case, clock):
    forever = create(api, borrower, case).json()["data"]
    ends_today = create(api, borrower, case, endDate=COMPANY_TODAY.isoformat()).json()["data"]
    deleted = create(api, borrower, case).json()["data"]
    api.delete(f"{base(borrower, case)}/{deleted['id']}")
    with clock.travel(timedelta(days=1)):
        listed = api.get(f"/api/people/{borrower.pk}/do-not-interacts").json()["data"]
        assert {r["id"]: r["active"] for r in listed} == {
            forever["id"]: True,
            ends_today["id"]: False,  # ended yesterday (company time)
            deleted["id"]: False,
        }
        active = api.get(f"/api/people/{borrower.pk}/do-not-interacts?active=true").json()["data"]
        assert [r["id"] for r in active] == [forever["id"]]
        inactive = api.get(f"/api/people/{borrower.pk}/do-not-interacts?active=false").json()["data"]
        assert {r["id"] for r in inactive} == {ends_today["id"], deleted["id"]}
    assert api.get(f"/api/people/{borrower.pk}/do-not-interacts?active=yes").status_code == 400


def test_update_changes_only_fields_sent(api, borrower, case):
    record = create(api, borrower, case, endDate="2026-12-31").json()["data"]
    url = f"{base(borrower, case)}/{record['id']}"
    response = api.put(url, {"themes": ["opsCollDebt", "marketing"]}, format="json")
    assert response.status_code == 200, response.json()
    data = response.json()["data"]
    assert (data["channels"], data["themes"], data["endDate"]) == (
        ["voice"],
        ["opsCollDebt", "marketing"],
        "2026-12-31",
    )
    data = api.put(url, {"endDate": None, "id": "ignored", "active": False}, format="json").json()["data"]
    assert data["endDate"] is None and data["active"] is True
    row = DoNotInteract.objects.get(pk=record["id"])
    assert (row.themes, row.end_date) == (["opsCollDebt", "marketing"], None)


def test_delete_is_soft_and_idempotent(api, borrower, case, clock):
    record = create(api, borrower, case).json()["data"]
    url = f"{base(borrower, case)}/{record['id']}"
    response = api.delete(url)
    assert response.status_code == 200
    deleted = response.json()["data"]
    assert deleted["deletedAt"] == "2026-11-26T02:30:00.000000Z"
    assert deleted["active"] is False
    assert DoNotInteract.objects.filter(pk=record["id"]).exists()
    with clock.travel(timedelta(hours=1)):
        assert api.delete(url).json()["data"]["deletedAt"] == deleted["deletedAt"]
    response = api.put(url, {"channels": ["email"]}, format="json")
    assert response.status_code == 409
    assert DoNotInteract.objects.get(pk=record["id"]).channels == ["voice"]


BAD_BODIES = [
    ({"channels": ["pigeon"], "themes": ["all"]}, "channels"),
    ({"channels": ["fax"], "themes": ["all"]}, "channels"),  # deprecated
    ({"channels": [], "themes": ["all"]}, "channels"),
    ({"channels": ["all", "voice"], "themes": ["all"]}, "channels"),
    ({"channels": "voice", "themes": ["all"]}, "channels"),
    ({"channels": ["voice"], "themes": ["opsNope"]}, "themes"),
    ({"channels": ["voice"], "themes": []}, "themes"),
    ({"channels": ["voice"]}, "themes"),
    ({"themes": ["all"]}, "channels"),
    ({"channels": ["voice"], "themes": ["all"], "endDate": "soon"}, "endDate"),
    ({"channels": ["voice"], "themes": ["all"], "enddate": "2026-12-01"}, "enddate"),
]


@pytest.mark.parametrize("body, field", BAD_BODIES, ids=[f"{i}-{f}" for i, (_, f) in enumerate(BAD_BODIES)])
def test_bad_create_is_400_and_writes_nothing(api, borrower, case, body, field):
    response = api.post(base(borrower, case), body, format="json")
    assert response.status_code == 400, response.json()
    assert field in response.json()["errors"], response.json()
    assert DoNotInteract.objects.count() == 0


@pytest.mark.parametrize(
    "body, field",
    [
        ({"channels": ["pigeon"]}, "channels"),
        ({"themes": ["all", "marketing"]}, "themes"),
        ({"endDate": "2026-13-01"}, "endDate"),
    ],
)
def test_bad_update_is_400_and_writes_nothing(api, borrower, case, body, field):
    record = create(api, borrower, case).json()["data"]
    response = api.put(f"{base(borrower, case)}/{record['id']}", body, format="json")
    assert response.status_code == 400
    assert field in response.json()["errors"]
    row = DoNotInteract.objects.get(pk=record["id"])
    assert (row.channels, row.themes, row.end_date, row.updated_at) == (["voice"], ["all"], None, NOW)


def test_case_of_another_borrower_is_404(api, borrower, case, company):
    sibling = BorrowerFactory(company=company)
    their_case = CaseFactory(borrower=sibling)
    response = create(api, borrower, their_case)
    assert response.status_code == 404
    assert "caseId" in response.json()["message"]
    record = create(api, borrower, case).json()["data"]
    # The record exists, but not on that case / borrower.
    assert (
        api.get(f"/api/people/{borrower.pk}/cases/{their_case.pk}/do-not-interact/{record['id']}").status_code
        == 404
    )
    other_case = CaseFactory(borrower=borrower)
    assert api.delete(f"{base(borrower, other_case)}/{record['id']}").status_code == 404
    assert (
        api.put(
            f"/api/people/{sibling.pk}/cases/{their_case.pk}/do-not-interact/{record['id']}",
            {},
            format="json",
        ).status_code
        == 404
    )
    assert DoNotInteract.objects.get(pk=record["id"]).deleted_at is None
    assert DoNotInteract.objects.count() == 1


def test_other_company_is_404_on_every_route(api, other_api, borrower, case):
    record = create(api, borrower, case).json()["data"]
    item = f"{base(borrower, case)}/{record['id']}"
    for response in (
        other_api.get(f"/api/people/{borrower.pk}/do-not-interacts"),
        create(other_api, borrower, case),
        other_api.get(item),
        other_api.put(item, {"channels": ["email"]}, format="json"),
        other_api.delete(item),
    ):
        assert response.status_code == 404, response.json()
    # Their own borrower and case, our record id.
    theirs = BorrowerFactory(company=other_api.company)
    their_case = CaseFactory(borrower=theirs)
    assert (
        other_api.delete(
            f"/api/people/{theirs.pk}/cases/{their_case.pk}/do-not-interact/{record['id']}"
        ).status_code
        == 404
    )
    row = DoNotInteract.objects.get(pk=record["id"])
    assert (row.channels, row.deleted_at) == (["voice"], None)
    assert DoNotInteract.objects.count() == 1


@pytest.mark.parametrize("record_id", ["DN-0000-0000", "ext-123", "CS-0000-0000"])
def test_unknown_record_is_404(api, borrower, case, record_id):
    assert api.get(f"{base(borrower, case)}/{record_id}").status_code == 404
    assert api.delete(f"{base(borrower, case)}/{record_id}").status_code == 404


def test_permissions(company, borrower, case, client_with):
    reader = client_with(company, ["compliance:read"])
    assert reader.get(f"/api/people/{borrower.pk}/do-not-interacts").status_code == 200
    response = create(reader, borrower, case)
    assert response.status_code == 403
    assert "compliance:manage" in response.json()["message"]
    assert DoNotInteract.objects.count() == 0
    manager = client_with(company, ["compliance:manage"])
    record = create(manager, borrower, case).json()["data"]
    url = f"{base(borrower, case)}/{record['id']}"
    assert reader.put(url, {"channels": ["email"]}, format="json").status_code == 403
    assert reader.delete(url).status_code == 403
    assert reader.get(url).status_code == 200
    assert DoNotInteract.objects.get(pk=record["id"]).deleted_at is None
    assert (
        client_with(company, ["people:read"]).get(f"/api/people/{borrower.pk}/do-not-interacts").status_code
        == 403
    )


def test_list_pages_newest_first(api, borrower, case, clock):
    ids = []
    for minutes in range(3):
        with clock.travel(timedelta(minutes=minutes)):
            ids.append(create(api, borrower, case).json()["data"]["id"])
    page = api.get(f"/api/people/{borrower.pk}/do-not-interacts?limit=2").json()
    assert [r["id"] for r in page["data"]] == ids[::-1][:2]
    assert [r["id"] for r in api.get(page["nextUrl"]).json()["data"]] == [ids[0]]
    other = BorrowerFactory(company=borrower.company)
    assert api.get(f"/api/people/{other.pk}/do-not-interacts").json()["data"] == []


def test_list_queries_do_not_grow_with_rows(api, borrower, case):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert api.get(f"/api/people/{borrower.pk}/do-not-interacts").status_code == 200
        return len(captured)

    create(api, borrower, case)
    few = queries()
    for _ in range(5):
        create(api, borrower, case)
    assert queries() == few


def test_past_end_date_is_accepted_and_inactive(api, borrower, case):
    """Decisions may be asked for past instants (``can-interact`` ``at``), so a record may
    end in the past; it does not apply now."""
    response = create(api, borrower, case, endDate="2026-11-24")  # yesterday in New York
    assert response.status_code == 200, response.json()
    assert response.json()["data"]["active"] is False
    assert api.get(f"/api/people/{borrower.pk}/do-not-interacts?active=true").json()["data"] == []

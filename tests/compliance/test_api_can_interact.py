"""``POST /api/people/{personId}/can-interact``: always 200 with the guard's decision when
one was computed; bad input is a 400 (or a 404 naming the field) before the guard runs."""

from __future__ import annotations

import pytest

from compliance.models import DoNotInteract
from tests.factories import BorrowerFactory, CaseFactory, ContactFactory, LoanFactory

pytestmark = pytest.mark.django_db

DECISION_KEYS = {"result", "reason", "message", "complianceGuardRuleId", "sendAt"}
# New York, 2026-11-25 (EST, UTC-5): 20:59 and 21:00 local.
BEFORE_NINE_PM = "2026-11-26T01:59:00Z"
NINE_PM = "2026-11-26T02:00:00Z"
NEXT_EIGHT_AM = "2026-11-26T13:00:00Z"
MIDDAY = "2026-11-25T17:00:00Z"


@pytest.fixture
def person(company, rules):  # noqa: ANN001, ANN201
    """A New York borrower with an email and a (212) mobile that accepts texts."""
    borrower = BorrowerFactory(company=company, timezone="America/New_York")
    ContactFactory(borrower=borrower, value="ada@example.com")
    ContactFactory(
        borrower=borrower,
        contact_type="phone",
        label="mobile",
        value="+12125550100",
        receive_text_messages=True,
    )
    return borrower


def ask(api, borrower, **body):  # noqa: ANN001, ANN003, ANN201
    return api.post(f"/api/people/{borrower.pk}/can-interact", body, format="json")


def test_plain_message_is_allowed(api, person):
    response = ask(api, person, channel="email", subject="paymentDueReminder", at=MIDDAY)
    assert response.status_code == 200, response.json()
    body = response.json()
    assert set(body) == {"status", "message", "data"}
    assert body["status"] == 200
    decision = body["data"]
    assert set(decision) == DECISION_KEYS
    assert decision["result"] is True
    assert decision["reason"] is None
    assert decision["complianceGuardRuleId"] is None
    assert decision["sendAt"] == MIDDAY
    assert decision["message"]


def test_quiet_hours_refusal_names_the_rule_and_the_next_opening(api, person, rules):
    allowed = ask(api, person, channel="voice", theme="opsCollDebt", at=BEFORE_NINE_PM).json()["data"]
    assert allowed["result"] is True, allowed

    response = ask(api, person, channel="voice", theme="opsCollDebt", at=NINE_PM)
    assert response.status_code == 200  # a refusal is still a computed decision
    decision = response.json()["data"]
    assert decision["result"] is False
    assert decision["reason"] == "timeOfDay"
    assert decision["complianceGuardRuleId"] == rules["timeOfDay.federal"].pk
    assert decision["sendAt"] == NEXT_EIGHT_AM
    assert NEXT_EIGHT_AM in decision["message"]


def test_check_at_company_noon(api, person):
    decision = ask(api, person, channel="text", theme="opsCollDebt", at=NINE_PM, checkAtCompanyNoon=True)
    assert decision.status_code == 200
    assert decision.json()["data"]["reason"] != "timeOfDay"


def test_do_not_interact_recorded_through_the_api_refuses(api, person):
    case = CaseFactory(borrower=person, case_type="ceaseCommunication", status="completed")
    created = api.post(
        f"/api/people/{person.pk}/cases/{case.pk}/do-not-interact",
        {"channels": ["email"], "themes": ["all"]},
        format="json",
    )
    assert created.status_code == 200
    decision = ask(api, person, channel="email", subject="paymentDueReminder", at=MIDDAY).json()["data"]
    assert (decision["result"], decision["reason"], decision["sendAt"]) == (False, "doNotInteract", None)
    assert decision["complianceGuardRuleId"].startswith("CG-")
    assert ask(api, person, channel="text", subject="paymentDueReminder", at=MIDDAY).json()["data"]["result"]

    record = DoNotInteract.objects.get()
    api.delete(f"/api/people/{person.pk}/cases/{case.pk}/do-not-interact/{record.pk}")
    assert ask(api, person, channel="email", subject="paymentDueReminder", at=MIDDAY).json()["data"]["result"]


def test_do_not_interact_applies_through_the_last_day_of_its_end_date(api, person):
    case = CaseFactory(borrower=person, case_type="disputeOfDebt")
    created = api.post(
        f"/api/people/{person.pk}/cases/{case.pk}/do-not-interact",
        {"channels": ["all"], "themes": ["opsServicing"], "endDate": "2026-11-25"},
        format="json",
    )
    assert created.status_code == 200, created.json()
    last_minute = "2026-11-26T04:59:00Z"  # 23:59 on 25 Nov in New York (company time zone)
    decision = ask(api, person, channel="email", subject="paymentDueReminder", at=last_minute).json()["data"]
    assert (decision["result"], decision["reason"]) == (False, "doNotInteract")
    assert decision["sendAt"] == "2026-11-26T05:00:00Z"  # the next day's start
    after = ask(api, person, channel="email", subject="paymentDueReminder", at="2026-11-26T05:00:00Z")
    assert after.json()["data"]["result"] is True


def test_contact_and_loans_of_the_borrower_are_accepted(api, person):
    contact = person.contacts.get(contact_type="phone")
    loan, other_loan = LoanFactory(borrower=person, external_id="L-1"), LoanFactory(borrower=person)
    response = ask(
        api,
        person,
        channel="text",
        theme="opsCollDebt",
        contactId=contact.pk,
        loanId="ext-L-1",
        loanIds=[loan.pk, other_loan.pk],
        isAutodialed=False,
        at=MIDDAY,
    )
    assert response.status_code == 200, response.json()
    assert response.json()["data"]["result"] is True


BAD_BODIES = [
    ({}, "channel"),
    ({"channel": "pigeon"}, "channel"),
    ({"channel": "fax"}, "channel"),
    ({"channel": "email", "subject": "noSuchSubject"}, "subject"),
    ({"channel": "email", "theme": "noSuchTheme"}, "theme"),
    ({"channel": "email", "contactId": "XX-1"}, "contactId"),
    ({"channel": "email", "loanIds": "LN-0000-0000"}, "loanIds"),
    ({"channel": "email", "at": "tomorrow"}, "at"),
    ({"channel": "email", "isAutodialed": "perhaps"}, "isAutodialed"),
    ({"channel": "email", "sendAt": "2026-11-26T02:00:00Z"}, "sendAt"),
]


@pytest.mark.parametrize("body, field", BAD_BODIES, ids=[f for _, f in BAD_BODIES])
def test_bad_input_is_400(api, person, body, field):
    response = ask(api, person, **body)
    assert response.status_code == 400, response.json()
    assert field in response.json()["errors"]
    assert response.json()["message"]


def test_records_of_another_borrower_are_404_naming_the_field(api, person, company):
    sibling = BorrowerFactory(company=company)
    their_contact = ContactFactory(borrower=sibling)
    their_loan = LoanFactory(borrower=sibling)
    own_loan = LoanFactory(borrower=person)
    for body, field in (
        ({"contactId": their_contact.pk}, "contactId"),
        ({"loanId": their_loan.pk}, "loanId"),
        ({"loanIds": [own_loan.pk, their_loan.pk]}, "loanIds[1]"),
        ({"contactId": "ext-nope"}, "contactId"),
    ):
        response = ask(api, person, channel="email", **body)
        assert response.status_code == 404, (body, response.json())
        assert response.json()["message"].startswith(f"{field}:"), response.json()


def test_other_company_and_unknown_borrower_are_404(api, other_api, person):
    assert ask(other_api, person, channel="email").status_code == 404
    assert (
        api.post("/api/people/BO-0000-0000/can-interact", {"channel": "email"}, format="json").status_code
        == 404
    )


def test_permissions(company, person, client_with):
    assert (
        ask(client_with(company, ["compliance:read"]), person, channel="email", at=MIDDAY).status_code == 200
    )
    response = ask(client_with(company, ["people:read", "compliance:manage"]), person, channel="email")
    assert response.status_code == 403
    assert "compliance:read" in response.json()["message"]

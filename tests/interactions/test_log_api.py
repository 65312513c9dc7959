from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from interactions.models import Interaction
from tests.factories import (
    BorrowerFactory,
    CaseFactory,
    ContactFactory,
    DocumentFactory,
    InteractionFactory,
    LoanFactory,
)

pytestmark = pytest.mark.django_db

REPRESENTATION_FIELDS = {
    "id",
    "object",
    "companyId",
    "personId",
    "contactId",
    "contactExternalId",
    "channel",
    "direction",
    "subject",
    "theme",
    "borrowerSelectedTheme",
    "status",
    "statusDetails",
    "statusUpdatedAt",
    "statusDetailsUpdatedAt",
    "agentOutcome",
    "agentOutcomeUpdatedAt",
    "isTransactional",
    "sensitive",
    "isExternal",
    "externalId",
    "previousInteractionId",
    "loanId",
    "loanIds",
    "caseId",
    "statementId",
    "supercaseBulkOperationId",
    "templateVersionId",
    "sendAt",
    "startedAt",
    "endedAt",
    "scheduledAtFrom",
    "scheduledAtTo",
    "content",
    "metaData",
    "twilioErrorCode",
    "failureDescriptionShort",
    "failureDescriptionLong",
    "complianceGuardRuleId",
    "createdBy",
    "lastTaskMeta",
    "createdAt",
    "updatedAt",
    "deletedAt",
}
CONTENT = {
    "subjectLine": "Your payment",
    "contentText": "Please pay.",
    "contentHtml": "<p>Please pay.</p>",
    "to": "ada@example.com",
    "from": "billing@lender.example",
}


def _parse(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def test_log_then_get_by_every_route(api, borrower, log):
    contact = ContactFactory(borrower=borrower, external_id="C-9")
    loan = LoanFactory(borrower=borrower, external_id="L-1")
    other_loan = LoanFactory(borrower=borrower)
    case = CaseFactory(borrower=borrower)
    statement = DocumentFactory(borrower=borrower, external_id="S-7")
    previous = InteractionFactory(borrower=BorrowerFactory(company=borrower.company))
    response = log(
        channel="voice",
        direction="outbound",
        subject="loanOverdueFirstNotice",
        statusDetails="voiceLeftVoicemail",
        agentOutcome="promiseToPay",
        contactId="ext-C-9",
        loanId="ext-L-1",
        loanIds=[other_loan.pk, loan.pk],
        caseId=case.pk,
        externalId="CALL-1",
        previousInteractionId=previous.pk,
        statementId="ext-S-7",
        supercaseBulkOperationId="BULK-1",
        startedAt="2026-11-20T15:00:00Z",
        endedAt="2026-11-20T15:04:00Z",
        content=CONTENT,
        metaData={"agent": "Sam"},
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["status"], body["message"]) == (200, "logged")
    data = body["data"]
    assert set(data) == REPRESENTATION_FIELDS
    assert data["id"].startswith("IT-")
    expected = {
        "object": "interaction",
        "companyId": borrower.company_id,
        "personId": borrower.pk,
        "contactId": contact.pk,
        "contactExternalId": "C-9",
        "channel": "voice",
        "direction": "outbound",
        "subject": "loanOverdueFirstNotice",
        "theme": "opsCollDebt",
        "borrowerSelectedTheme": None,
        "status": "attempted",
        "statusDetails": "voiceLeftVoicemail",
        "agentOutcome": "promiseToPay",
        "isTransactional": False,
        "sensitive": False,
        "isExternal": True,
        "externalId": "CALL-1",
        "previousInteractionId": previous.pk,
        "loanId": loan.pk,
        "loanIds": [loan.pk, other_loan.pk],
        "caseId": case.pk,
        "statementId": statement.pk,
        "supercaseBulkOperationId": "BULK-1",
        "templateVersionId": None,
        "sendAt": "2026-11-20T15:00:00.000000Z",
        "startedAt": "2026-11-20T15:00:00.000000Z",
        "endedAt": "2026-11-20T15:04:00.000000Z",
        "scheduledAtFrom": None,
        "scheduledAtTo": None,
        "content": {**CONTENT, "attachments": [], "providerMessageId": None},
        "metaData": {"agent": "Sam"},
        "twilioErrorCode": None,
        "failureDescriptionShort": None,
        "failureDescriptionLong": None,
        "complianceGuardRuleId": None,
        "createdBy": {
            "id": api.api_key.pk,
            "name": api.api_key.name,
            "userType": "integration",
            "descriptor": None,
        },
        "lastTaskMeta": None,
        "deletedAt": None,
    }
    assert {k: data[k] for k in expected} == expected
    assert data["statusUpdatedAt"] == data["statusDetailsUpdatedAt"] == data["agentOutcomeUpdatedAt"]
    assert data["statusUpdatedAt"] is not None

    for url in (
        f"/api/interactions/{data['id']}",
        "/api/interactions/ext-CALL-1",
        f"/api/people/{borrower.pk}/interactions/{data['id']}",
        "/api/people/ext-B-1/interactions/ext-CALL-1",
    ):
        fetched = api.get(url)
        assert fetched.status_code == 200, url
        assert fetched.json()["data"] == data, url
    listed = api.get(f"/api/people/{borrower.pk}/interactions").json()["data"]
    assert listed == [data]
    row = Interaction.objects.get(pk=data["id"])
    assert row.send_at == _parse("2026-11-20T15:00:00Z")


def test_defaults(log, borrower):
    before = timezone.now()
    data = log().json()["data"]
    assert data["theme"] == "opsServicing"  # the subject's implicit theme
    assert data["status"] == "succeeded"  # a logged interaction happened
    assert data["statusDetails"] is None and data["statusDetailsUpdatedAt"] is None
    assert data["agentOutcome"] is None and data["agentOutcomeUpdatedAt"] is None
    assert data["isTransactional"] is True  # paymentDueReminder is transactional
    assert data["sensitive"] is False
    assert data["content"] is None and data["metaData"] == {} and data["loanIds"] == []
    assert before <= _parse(data["sendAt"]) <= timezone.now()  # outbound: now

    inbound = log(channel="text", direction="inbound", subject="freeForm", theme="opsCollDebt").json()["data"]
    assert inbound["sendAt"] is None
    assert (inbound["theme"], inbound["isTransactional"]) == ("opsCollDebt", False)


def test_overrides_and_alias(log):
    data = log(
        subject="locStatementGenerated", theme="marketing", isTransactional=False, status="failed"
    ).json()
    assert data["data"]["subject"] == "statementGenerated"
    assert data["data"]["theme"] == "marketing"
    assert data["data"]["isTransactional"] is False
    assert data["data"]["status"] == "failed"


@pytest.mark.parametrize(
    "channel, direction, details, status, code, expected",
    [
        ("email", "outbound", "emailDelivered", None, 200, "succeeded"),
        ("voice", "outbound", "emailDelivered", None, 400, "statusDetails"),
        ("email", "inbound", "emailDelivered", None, 400, "statusDetails"),
        ("text", "outbound", "textDelivered", None, 200, "succeeded"),
        ("text", "inbound", "textReceived", None, 200, "succeeded"),
        ("voice", "inbound", "voiceMissedCall", None, 200, "failed"),
        ("voice", "outbound", "voiceMissedCall", None, 400, "statusDetails"),
        ("voice", "inbound", "voiceSpokeWithFirstParty", None, 200, "succeeded"),
        ("email", "outbound", "emailSent", "attempted", 200, "attempted"),
        ("email", "outbound", "emailSent", "succeeded", 400, "status"),
        ("mail", "outbound", "providerError", None, 200, "failed"),
        ("text", "inbound", "providerError", None, 400, "statusDetails"),
        ("email", "outbound", None, "scheduled", 200, "scheduled"),
    ],
)
def test_status_details_fit_and_implication(log, channel, direction, details, status, code, expected):
    body = {"channel": channel, "direction": direction}
    if details:
        body["statusDetails"] = details
    if status:
        body["status"] = status
    response = log(**body)
    assert response.status_code == code, response.json()
    if code == 200:
        assert response.json()["data"]["status"] == expected
        assert response.json()["data"]["statusDetails"] == details
    else:
        assert list(response.json()["errors"]) == [expected]
        assert Interaction.objects.count() == 0


@pytest.mark.parametrize(
    "body, field",
    [
        ({"channel": "fax"}, "channel"),
        ({"channel": "pigeon"}, "channel"),
        ({"channel": None}, "channel"),
        ({"direction": "sideways"}, "direction"),
        ({"status": "lost"}, "status"),
        ({"statusDetails": "emailTeleported"}, "statusDetails"),
        ({"agentOutcome": "shrug"}, "agentOutcome"),
        ({"subject": "noSuchSubject"}, "subject"),
        ({"subject": "s" * 65}, "subject"),
        ({"theme": "noSuchTheme"}, "theme"),
        ({"subject": "freeForm"}, "theme"),
        ({"subject": "custom3"}, "theme"),
        ({"sensitive": "maybe"}, "sensitive"),
        ({"isTransactional": [True]}, "isTransactional"),
        ({"startedAt": "yesterday"}, "startedAt"),
        ({"startedAt": "2026-11-20T15:00:00Z", "endedAt": "2026-11-20T14:00:00Z"}, "endedAt"),
        ({"loanIds": "LN-AAAA-BBBB"}, "loanIds"),
        ({"loanIds": [f"LN-AAAA-{i:04d}" for i in range(101)]}, "loanIds"),
        ({"contactId": "CS-AAAA-BBBB"}, "contactId"),
        ({"contactId": 12}, "contactId"),
        ({"content": "hello"}, "content"),
        ({"content": {"bcc": "x@example.com"}}, "content.bcc"),
        ({"content": {"contentText": "x" * 100_001}}, "content.contentText"),
        ({"content": {"subjectLine": "x" * 1_001}}, "content.subjectLine"),
        ({"content": {"from": "x" * 321}}, "content.from"),
        ({"metaData": {f"k{i}": i for i in range(51)}}, "metaData"),
        ({"metaData": ["a"]}, "metaData"),
        ({"externalId": "x" * 256}, "externalId"),
        ({"subject": None}, "theme"),  # no subject: the theme is required
        ({"subject": ""}, "subject"),
        ({"statementId": "ST-7"}, "statementId"),
        ({"statementId": "LN-AAAA-BBBB"}, "statementId"),
        ({"sendat": "2026-11-20T15:00:00Z"}, "sendat"),
    ],
)
def test_bad_input_is_400_and_writes_nothing(log, body, field):
    response = log(**body)
    assert response.status_code == 400, response.json()
    assert field in response.json()["errors"], response.json()
    assert response.json()["message"]
    assert Interaction.objects.count() == 0


def test_missing_required_fields(api, borrower):
    response = api.post(f"/api/people/{borrower.pk}/interactions", {}, format="json")
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"channel", "direction"}


def test_malformed_json_is_400(api, borrower):
    response = api.post(f"/api/people/{borrower.pk}/interactions", "{nope", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["message"].startswith("Malformed JSON")
    assert Interaction.objects.count() == 0


def test_duplicate_external_id_is_409(log, other_api):
    assert log(externalId="X-1").status_code == 200
    response = log(externalId="X-1")
    assert response.status_code == 409
    assert (
        response.json()["message"] == "An interaction with externalId 'X-1' already exists in this company."
    )
    assert Interaction.objects.count() == 1
    # unique per company only
    other = BorrowerFactory(company=other_api.company)
    assert log(client=other_api, person=other, externalId="X-1").status_code == 200


def test_references_must_belong_to_the_borrower(log, borrower, company, other_company):
    someone_else = BorrowerFactory(company=company)
    cases = [
        ({"contactId": ContactFactory(borrower=someone_else).pk}, "contactId"),
        ({"loanId": LoanFactory(borrower=someone_else).pk}, "loanId"),
        ({"loanIds": [LoanFactory(borrower=borrower).pk, "ext-missing"]}, "loanIds[1]"),
        ({"caseId": CaseFactory(borrower=someone_else).pk}, "caseId"),
        ({"caseId": "ext-nope"}, "caseId"),
        ({"statementId": DocumentFactory(borrower=someone_else).pk}, "statementId"),
        ({"statementId": DocumentFactory(borrower=BorrowerFactory(company=other_company)).pk}, "statementId"),
        ({"statementId": "DD-AAAA-BBBB"}, "statementId"),
        ({"statementId": "ext-nope"}, "statementId"),
        (
            {"previousInteractionId": InteractionFactory(borrower=BorrowerFactory(company=other_company)).pk},
            "previousInteractionId",
        ),
    ]
    existing = Interaction.objects.count()
    for body, field in cases:
        response = log(**body)
        assert response.status_code == 404, (body, response.json())
        assert response.json()["message"].startswith(f"{field}: no "), response.json()
    assert Interaction.objects.count() == existing


def test_unknown_borrower_is_404(api, other_api, log):
    stranger = BorrowerFactory(company=other_api.company)
    for person in ("BO-AAAA-BBBB", "ext-nobody", stranger.pk):
        response = api.post(
            f"/api/people/{person}/interactions",
            {"channel": "email", "direction": "outbound", "subject": "paymentDueReminder"},
            format="json",
        )
        assert response.status_code == 404
    assert Interaction.objects.count() == 0


def test_sensitive_content_is_masked_without_permission(log, company, borrower, client_with):
    secret = log(sensitive=True, content=CONTENT).json()["data"]
    plain = log(content=CONTENT).json()["data"]
    assert secret["content"]["contentText"] == "Please pay."  # the full key can read it

    reader = client_with(company, ["interactions:read"])
    trusted = client_with(company, ["interactions:read", "interactions:readSensitive"])
    for client, visible in ((reader, False), (trusted, True)):
        for url in (
            f"/api/interactions/{secret['id']}",
            f"/api/people/{borrower.pk}/interactions/{secret['id']}",
        ):
            content = client.get(url).json()["data"]["content"]
            assert (content == secret["content"]) if visible else (content is None)
        listed = {i["id"]: i["content"] for i in client.get("/api/interactions").json()["data"]}
        assert listed[secret["id"]] == (secret["content"] if visible else None)
        assert listed[plain["id"]] == plain["content"]

    # a writer without readSensitive does not see what it just logged
    writer = client_with(company, ["interactions:write"])
    logged = log(client=writer, sensitive=True, content=CONTENT).json()["data"]
    assert logged["sensitive"] is True and logged["content"] is None
    assert Interaction.objects.get(pk=logged["id"]).content == CONTENT


def test_permissions(company, borrower, client_with, log):
    reader = client_with(company, ["interactions:read"])
    response = log(client=reader)
    assert response.status_code == 403
    assert "interactions:write" in response.json()["message"]
    people_only = client_with(company, ["people:read", "people:write"])
    assert people_only.get("/api/interactions").status_code == 403
    assert log(client=people_only).status_code == 403
    assert Interaction.objects.count() == 0


def test_logged_outbound_send_at_is_when_it_happened(log):
    started = timezone.now() - timedelta(days=3)
    data = log(channel="text", startedAt=started.isoformat()).json()["data"]
    assert _parse(data["sendAt"]) == started


def test_a_call_logged_with_a_theme_and_no_subject(log, api, borrower):
    response = log(
        channel="voice",
        direction="outbound",
        subject=None,
        theme="opsCollDebt",
        statusDetails="voiceSpokeWithFirstParty",
    )
    assert response.status_code == 200, response.json()
    data = response.json()["data"]
    assert {k: data[k] for k in ("subject", "theme", "status", "isTransactional", "isExternal")} == {
        "subject": None,
        "theme": "opsCollDebt",
        "status": "succeeded",
        "isTransactional": False,  # no subject, no descriptor default
        "isExternal": True,
    }
    assert Interaction.objects.get(pk=data["id"]).subject is None
    assert api.get(f"/api/interactions/{data['id']}").json()["data"] == data

    # the key may also be left out; the flag is the caller's to give
    absent = {"channel": "voice", "direction": "inbound", "theme": "opsServicing", "isTransactional": True}
    response = api.post(f"/api/people/{borrower.pk}/interactions", absent, format="json")
    assert response.status_code == 200, response.json()
    assert (response.json()["data"]["subject"], response.json()["data"]["isTransactional"]) == (None, True)

    # a PUT may send the null subject back as read
    put = api.put(
        f"/api/people/{borrower.pk}/interactions/{data['id']}",
        {"subject": None, "agentOutcome": "promiseToPay"},
        format="json",
    )
    assert put.status_code == 200, put.json()
    assert (put.json()["data"]["subject"], put.json()["data"]["agentOutcome"]) == (None, "promiseToPay")


def test_no_subject_and_no_theme_is_400_naming_the_theme(log):
    response = log(subject=None)
    assert response.status_code == 400
    assert response.json()["errors"] == {"theme": ["Required when no subject is given."]}
    assert response.json()["message"]
    assert Interaction.objects.count() == 0


def test_statement_id_cannot_be_changed_by_a_put(log, api, borrower):
    first, second = DocumentFactory(borrower=borrower), DocumentFactory(borrower=borrower)
    data = log(statementId=first.pk).json()["data"]
    assert data["statementId"] == first.pk
    url = f"/api/people/{borrower.pk}/interactions/{data['id']}"
    response = api.put(url, {"statementId": second.pk}, format="json")
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["statementId"]
    assert Interaction.objects.get(pk=data["id"]).statement_id == first.pk
    assert api.put(url, {"statementId": first.pk}, format="json").status_code == 200  # sent back as read

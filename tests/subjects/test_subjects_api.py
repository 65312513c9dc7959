import pytest

from subjects.catalogue import read_catalogue
from subjects.models import CompanySubjectSetting

pytestmark = pytest.mark.django_db

PAYMENT_DUE_REMINDER = {
    "subject": "paymentDueReminder",
    "title": "Payment due reminder",
    "theme": "opsServicing",
    "caseTypes": [],
    "agentCanSend": True,
    "previewOnly": False,
    "isTransactional": True,
    "channels": ["email", "text", "voice"],
}
FREE_FORM = {
    "subject": "freeForm",
    "title": "Free form",
    "theme": None,
    "caseTypes": [],
    "agentCanSend": True,
    "previewOnly": False,
    "isTransactional": False,
    "channels": [],
}


def test_list_is_the_whole_catalogue_bare(api, django_assert_num_queries):
    api.get("/api/communicator/subjects")  # warms the per-process catalogue, stamps the key
    with django_assert_num_queries(2):  # the key, the company's settings version
        response = api.get("/api/communicator/subjects")
    assert response.status_code == 200
    body = response.json()
    assert isinstance(body, list)  # bare: no envelope
    catalogue = sorted(row["subject"] for row in read_catalogue()["subjects"])
    assert len(catalogue) == 84
    assert [item["subject"] for item in body] == catalogue
    by_name = {item["subject"]: item for item in body}
    assert by_name["paymentDueReminder"] == PAYMENT_DUE_REMINDER
    assert by_name["freeForm"] == FREE_FORM
    assert by_name["autopayAgreement"] == {
        "subject": "autopayAgreement",
        "title": "Autopay agreement",
        "theme": "opsServicing",
        "caseTypes": [],
        "agentCanSend": True,
        "previewOnly": True,
        "isTransactional": True,
        "channels": ["email", "text", "voice"],
    }
    assert by_name["ceaseCommunicationAcknowledgement"]["caseTypes"] == ["ceaseCommunication"]
    assert by_name["loanOverdueFirstNotice"]["theme"] == "opsCollDebt"
    assert by_name["confirmationCode"]["theme"] == "opsAccountCredentials"
    assert by_name["custom20"]["theme"] is None
    assert "locStatementGenerated" not in by_name  # aliases are not subjects


def test_get_one_subject(api):
    response = api.get("/api/communicator/subjects/paymentDueReminder")
    assert response.status_code == 200
    assert response.json() == PAYMENT_DUE_REMINDER


def test_deprecated_alias_resolves_to_the_current_subject(api):
    response = api.get("/api/communicator/subjects/locStatementGenerated")
    assert response.status_code == 200
    assert response.json()["subject"] == "statementGenerated"
    assert response.json() == api.get("/api/communicator/subjects/statementGenerated").json()


def test_unknown_subject_is_404(api):
    response = api.get("/api/communicator/subjects/noSuchSubject")
    assert response.status_code == 404
    assert response.json() == {
        "status": 404,
        "message": "Unknown subject 'noSuchSubject'. "
        "See GET /api/communicator/subjects for the valid values.",
    }
    response = api.put("/api/communicator/subjects/noSuchSubject", {"agentCanSend": False}, format="json")
    assert response.status_code == 404
    assert CompanySubjectSetting.objects.count() == 0


def test_override_is_visible_only_to_its_company(api, other_api):
    response = api.put(
        "/api/communicator/subjects/paymentDueReminder",
        {
            "theme": "marketing",
            "caseTypes": ["collection", "generic"],
            "agentCanSend": False,
            "previewOnly": True,
        },
        format="json",
    )
    assert response.status_code == 200, response.json()
    changed = {
        **PAYMENT_DUE_REMINDER,
        "theme": "marketing",
        "caseTypes": ["collection", "generic"],
        "agentCanSend": False,
        "previewOnly": True,
    }
    assert response.json() == changed
    assert api.get("/api/communicator/subjects/paymentDueReminder").json() == changed
    listed = {item["subject"]: item for item in api.get("/api/communicator/subjects").json()}
    assert listed["paymentDueReminder"] == changed

    assert other_api.get("/api/communicator/subjects/paymentDueReminder").json() == PAYMENT_DUE_REMINDER
    other_listed = {item["subject"]: item for item in other_api.get("/api/communicator/subjects").json()}
    assert other_listed["paymentDueReminder"] == PAYMENT_DUE_REMINDER

    setting = CompanySubjectSetting.objects.get()
    assert (setting.company_id, setting.subject_id, setting.theme_id) == (
        api.company.pk,
        "paymentDueReminder",
        "marketing",
    )


def test_put_changes_only_the_fields_sent_and_null_restores_the_built_in(api):
    url = "/api/communicator/subjects/paymentDueReminder"
    assert api.put(url, {"agentCanSend": False}, format="json").json()["agentCanSend"] is False
    after = api.put(url, {"theme": "opsCollDebt"}, format="json").json()
    assert (after["theme"], after["agentCanSend"]) == ("opsCollDebt", False)

    after = api.put(url, {"theme": None}, format="json").json()
    assert (after["theme"], after["agentCanSend"]) == ("opsServicing", False)
    assert CompanySubjectSetting.objects.count() == 1

    # Nothing left to override: the company's row goes away.
    assert api.put(url, {"agentCanSend": None}, format="json").json() == PAYMENT_DUE_REMINDER
    assert CompanySubjectSetting.objects.count() == 0


def test_empty_put_changes_nothing(api):
    url = "/api/communicator/subjects/paymentDueReminder"
    assert api.put(url, {}, format="json").json() == PAYMENT_DUE_REMINDER
    assert CompanySubjectSetting.objects.count() == 0


def test_what_was_read_may_be_sent_back(api):
    url = "/api/communicator/subjects/paymentDueReminder"
    response = api.put(
        url, {**PAYMENT_DUE_REMINDER, "title": "Renamed", "isTransactional": False}, format="json"
    )
    assert response.status_code == 200
    assert response.json() == PAYMENT_DUE_REMINDER  # read-only fields ignored
    # The editable values sent are now the company's own (they no longer follow the built-in).
    setting = CompanySubjectSetting.objects.get()
    assert (setting.theme_id, setting.case_types, setting.agent_can_send, setting.preview_only) == (
        "opsServicing",
        [],
        True,
        False,
    )


def test_list_queries_do_not_grow_with_overrides(api, django_assert_num_queries):
    for name in ("welcome", "loanPaidOff", "freeForm"):
        api.put(f"/api/communicator/subjects/{name}", {"theme": "marketing"}, format="json")
    with django_assert_num_queries(2):
        listed = api.get("/api/communicator/subjects").json()
    assert [item["subject"] for item in listed if item["theme"] == "marketing"] == [
        "freeForm",
        "loanPaidOff",
        "welcome",
    ]


def test_free_form_subject_gets_an_implicit_theme_for_one_company(api, other_api):
    response = api.put("/api/communicator/subjects/freeForm", {"theme": "opsServicing"}, format="json")
    assert response.status_code == 200
    assert response.json() == {**FREE_FORM, "theme": "opsServicing"}
    assert other_api.get("/api/communicator/subjects/freeForm").json()["theme"] is None
    assert api.put("/api/communicator/subjects/freeForm", {"theme": None}, format="json").json() == FREE_FORM


def test_put_through_an_alias_writes_the_current_subject(api):
    response = api.put(
        "/api/communicator/subjects/locStatementGenerated", {"previewOnly": True}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["subject"] == "statementGenerated"
    assert CompanySubjectSetting.objects.get().subject_id == "statementGenerated"


@pytest.mark.parametrize(
    "body, field",
    [
        ({"theme": "opsNope"}, "theme"),
        ({"theme": 5}, "theme"),
        ({"theme": ["opsServicing"]}, "theme"),
        ({"theme": ""}, "theme"),
        ({"caseTypes": ["bankruptcy", "notACase"]}, "caseTypes"),
        ({"caseTypes": "bankruptcy"}, "caseTypes"),
        ({"caseTypes": [{"caseType": "bankruptcy"}]}, "caseTypes"),
        ({"agentCanSend": "maybe"}, "agentCanSend"),
        ({"previewOnly": [True]}, "previewOnly"),
        ({"agentcansend": False}, "agentcansend"),
        ({"color": "red", "agentCanSend": False}, "color"),
        ({"theme": "marketing", "caseTypes": ["notACase"]}, "caseTypes"),
    ],
)
def test_bad_input_is_400_and_writes_nothing(api, body, field):
    response = api.put("/api/communicator/subjects/paymentDueReminder", body, format="json")
    assert response.status_code == 400, response.json()
    assert [key for key in response.json()["errors"] if key.split(".")[0] == field], response.json()
    assert response.json()["message"]
    assert CompanySubjectSetting.objects.count() == 0
    assert api.get("/api/communicator/subjects/paymentDueReminder").json() == PAYMENT_DUE_REMINDER


def test_body_that_is_not_an_object_is_400(api):
    response = api.put("/api/communicator/subjects/paymentDueReminder", [], format="json")
    assert response.status_code == 400
    assert CompanySubjectSetting.objects.count() == 0


def test_permissions(company, client_with, client):
    reader = client_with(company, ["communicator:read"])
    assert reader.get("/api/communicator/subjects").status_code == 200
    assert reader.get("/api/communicator/subjects/welcome").status_code == 200
    response = reader.put("/api/communicator/subjects/welcome", {"agentCanSend": False}, format="json")
    assert response.status_code == 403
    assert response.json() == {
        "status": 403,
        "message": "This API key lacks the 'communicator:write' permission.",
    }
    assert CompanySubjectSetting.objects.count() == 0

    people_only = client_with(company, ["people:read"])
    assert people_only.get("/api/communicator/subjects").status_code == 403
    assert client.get("/api/communicator/subjects").status_code == 401

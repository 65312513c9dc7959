"""The OpenAPI document declares what the server enforces (peachcomms/api/schema_constraints.py),
and the server answers as the document says at the edges the schemathesis run found."""

import pytest

from compliance.services import rules_create_defaults

pytestmark = pytest.mark.django_db

ID = "[A-Z0-9]{4}-[A-Z0-9]{4}"


@pytest.fixture
def schema(client) -> dict:  # noqa: ANN001
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    return response.json()


def _parameter(schema: dict, path: str, method: str, name: str) -> dict:
    found = [p for p in schema["paths"][path][method]["parameters"] if p["name"] == name]
    assert len(found) == 1, (path, name)
    return found[0]["schema"]


def test_list_routes_declare_limit_and_cursor_ids(schema):
    assert _parameter(schema, "/api/people", "get", "limit") == {
        "type": "integer",
        "minimum": 1,
        "maximum": 100,
    }
    assert _parameter(schema, "/api/people", "get", "startingAfter")["pattern"] == f"^(BO-{ID})?$"
    changes = "/api/compliance/rules/{ruleId}/changes"
    assert _parameter(schema, changes, "get", "endingBefore")["pattern"] == "^[0-9]{0,18}$"
    assert "404" in schema["paths"]["/api/people"]["get"]["responses"]


def test_path_and_body_ids_have_patterns(schema):
    assert _parameter(schema, "/api/people/{personId}", "get", "personId")["pattern"] == f"^(BO-{ID}|ext-.+)$"
    send = schema["components"]["schemas"]["SendRequest"]
    assert send["properties"]["personId"]["pattern"] == f"^(BO-{ID}|ext-.+)$"
    assert send["properties"]["attachments"]["items"]["pattern"] == f"^(DD-{ID}|ext-.+)$"
    assert "404" in schema["paths"]["/api/communicator/render-json"]["post"]["responses"]


def test_request_bodies_refuse_unknown_fields_and_null_objects(schema):
    components = schema["components"]["schemas"]
    for name in ("SendRequest", "BorrowerRequest", "BorrowerNameRequest", "ComplianceRuleRequest"):
        assert components[name]["additionalProperties"] is False, name
    meta = components["BorrowerRequest"]["properties"]["metaData"]
    assert meta["type"] == "object" and meta["maxProperties"] == 50 and "nullable" not in meta
    assert components["ComplianceRuleRequest"]["properties"]["parameters"]["type"] == "object"
    assert components["SendRequest"]["properties"]["context"]["type"] == "object"
    assert "welcome" in components["SendRequest"]["properties"]["subject"]["enum"]
    assert "opsCollDebt" in components["SendRequest"]["properties"]["theme"]["enum"]
    assert components["FreeFormEmailRequest"]["properties"]["personalizations"]["minItems"] == 1


def test_an_unknown_cursor_is_404_and_a_malformed_one_400(api):
    unknown = api.get("/api/communicator/templatedescriptors?startingAfter=TD-AAAA-AAAA")
    assert unknown.status_code == 404
    assert unknown.json() == {
        "status": 404,
        "message": "startingAfter: no object with id 'TD-AAAA-AAAA' to page from.",
    }
    assert api.get("/api/communicator/templatedescriptors?startingAfter=TD-AAAA").status_code == 400


def test_an_empty_limit_is_400(api):
    response = api.get("/api/people?limit=")
    assert response.status_code == 400
    assert response.json()["errors"] == {"limit": ["Must be an integer from 1 to 100."]}


def test_a_boolean_field_takes_true_or_false_only_and_nothing_is_written(api):
    before = api.get("/api/communicator/subjects/welcome").json()
    response = api.put("/api/communicator/subjects/welcome", {"agentCanSend": 0}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"] == {"agentCanSend": ["Must be a valid boolean."]}
    assert api.get("/api/communicator/subjects/welcome").json() == before


def test_a_string_field_takes_strings_only_and_nothing_is_written(api):
    response = api.post("/api/people", {"externalId": 12, "name": {"firstName": 7}}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"] == {"externalId": ["Not a valid string."]}
    nested = api.post("/api/people", {"name": {"firstName": 7}}, format="json")
    assert nested.status_code == 400
    assert nested.json()["errors"] == {"name.firstName": ["Not a valid string."]}
    assert api.get("/api/people").json()["data"] == []
    assert api.post("/api/people", {"externalId": "12"}, format="json").status_code == 200


def test_the_send_body_takes_strings_and_booleans_only(api):
    """The send body runs StrictMixin's checks like every other body."""
    body = {"personId": "BO-AAAA-AAAA", "subject": "welcome", "channel": "email"}
    response = api.post("/api/communicator/send", {**body, "loanIds": ["LN-AAAA-AAAA", 3]}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"] == {"loanIds": ["Not a valid string."]}
    response = api.post("/api/communicator/send", {**body, "isTransactional": "false"}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"] == {"isTransactional": ["Must be a valid boolean."]}
    response = api.post("/api/communicator/send", {**body, "interactionExternalId": 5}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"] == {"interactionExternalId": ["Not a valid string."]}


def test_rules_that_depend_on_stored_values_are_declared(schema):
    components = schema["components"]["schemas"]
    update = components["TemplateDescriptorUpdateRequest"]["properties"]
    read_only = [name for name, prop in update.items() if prop.get("readOnly")]
    assert read_only == ["subject", "channel", "language"]
    assert components["EmailAddressRequest"]["properties"]["email"]["format"] == "email"
    rule = components["ComplianceRuleRequest"]["properties"]
    assert "uniqueItems" not in rule["states"] and "uniqueItems" not in rule["channels"]
    assert components["CompanyRequest"]["properties"]["supportPhone"]["format"] == "phone"


def test_a_repeated_state_is_accepted_and_stored_once(api, company):
    rules_create_defaults(company)
    rule = api.get("/api/compliance/rules").json()["data"][0]
    response = api.put(f"/api/compliance/rules/{rule['id']}", {"states": ["CA", "NY", "CA"]}, format="json")
    assert response.status_code == 200
    assert response.json()["data"]["states"] == ["CA", "NY"]


def test_rules_between_fields_are_declared(schema):
    components = schema["components"]["schemas"]
    send_theme = components["SendRequest"]["anyOf"]
    assert send_theme[0] == {"required": ["theme"]}
    implicit = send_theme[1]["properties"]["subject"]["enum"]
    assert "welcome" in implicit and "locStatementGenerated" in implicit
    assert "custom1" not in implicit and "freeForm" not in implicit
    contact = components["ContactRequest"]["oneOf"]
    assert [branch["properties"]["contactType"]["enum"] for branch in contact] == [
        ["email"],
        ["phone"],
        ["address"],
    ]
    assert [branch["properties"].get("value", {}).get("format") for branch in contact] == [
        "email",
        "phone",
        None,
    ]
    assert components["ContactAddressRequest"]["required"] == ["addressLine1"]
    assert "required" not in components["AddressRequest"]  # merged into the stored address


def test_a_subject_without_a_theme_needs_one_in_a_send(api):
    body = {"personId": "BO-AAAA-AAAA", "subject": "custom1", "channel": "email"}
    response = api.post("/api/communicator/send", body, format="json")
    assert response.status_code == 400
    assert response.json()["errors"] == {"theme": ["Required: subject 'custom1' has no implicit theme."]}

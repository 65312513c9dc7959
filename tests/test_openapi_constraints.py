"""The OpenAPI document declares what the server enforces (peachcomms/api/schema_constraints.py),
and the server answers as the document says at the edges the schemathesis run found."""

import pytest

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

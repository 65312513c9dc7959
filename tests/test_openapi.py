"""The machine-readable contract and the error plumbing every route shares: the schema and
its docs page are served by the app itself, every operation documents its errors, and
whatever escapes a view leaves in the JSON error format."""

import re

import pytest
from django.test import Client
from drf_spectacular.validation import validate_schema
from rest_framework.test import APIClient

from peachcomms.api.errors import STATUS_MESSAGES
from subjects.api import views as subject_views

pytestmark = pytest.mark.django_db

HTTP_METHODS = {"get", "put", "post", "patch", "delete"}
ERROR_REF = {"$ref": "#/components/schemas/Error"}


@pytest.fixture
def schema(client) -> dict:  # noqa: ANN001
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.oai.openapi+json")
    return response.json()


def operations(schema: dict) -> list[tuple[str, str, dict]]:
    return [
        (path, method, operation)
        for path, item in schema["paths"].items()
        for method, operation in item.items()
        if method in HTTP_METHODS
    ]


def _component(schema: dict, ref: dict) -> dict:
    """The component a ``{"$ref": ...}`` names (an error body may extend Error)."""
    return schema["components"]["schemas"][ref["$ref"].rsplit("/", 1)[-1]]


def test_schema_is_served_as_valid_openapi_3(schema):
    assert schema["openapi"].startswith("3.")
    validate_schema(schema)  # raises on any deviation from the OpenAPI 3 JSON schema
    assert schema["info"]["title"] == "peachcomms API"
    assert "/api/communicator/subjects" in schema["paths"]
    assert "/api/communicator/subjects/{subject}" in schema["paths"]
    assert {"ApiKeyHeader", "BearerKey"} <= set(schema["components"]["securitySchemes"])
    assert schema["components"]["schemas"]["Error"]["required"] == ["message", "status"]


def test_schema_is_also_served_as_yaml(client):
    response = client.get("/api/schema/")
    assert response.status_code == 200
    assert response.content.startswith(b"openapi: 3.")


def test_every_operation_documents_its_errors_and_has_a_summary(schema):
    found = operations(schema)
    assert len(found) >= 5
    ids = [operation["operationId"] for _, _, operation in found]
    assert len(ids) == len(set(ids)), "operationIds must be unique"
    for path, method, operation in found:
        label = f"{method.upper()} {path}"
        responses = operation["responses"]
        assert responses["401"]["content"]["application/json"]["schema"] == ERROR_REF, label
        assert path.startswith("/api/"), label
        assert operation.get("summary", "").strip(), f"{label} has no summary"
        for code, response in responses.items():
            if code.startswith(("4", "5")):
                body = _component(schema, response["content"]["application/json"]["schema"])
                assert {"status", "message"} <= set(body["required"]), (label, code)
        if "{" in path:
            assert "404" in responses, label
        if method in ("post", "put", "patch"):
            assert {"400", "413"} <= set(responses), label


def test_subject_routes_are_documented_bare(schema):
    list_ok = schema["paths"]["/api/communicator/subjects"]["get"]["responses"]["200"]
    assert list_ok["content"]["application/json"]["schema"] == {
        "type": "array",
        "items": {"$ref": "#/components/schemas/SubjectDescriptor"},
    }
    detail = schema["paths"]["/api/communicator/subjects/{subject}"]
    for method in ("get", "put"):
        ok = detail[method]["responses"]["200"]["content"]["application/json"]["schema"]
        assert ok == {"$ref": "#/components/schemas/SubjectDescriptor"}
        assert detail[method]["responses"]["404"]["content"]["application/json"]["schema"] == ERROR_REF
    assert set(schema["components"]["schemas"]["SubjectDescriptor"]["properties"]) == {
        "subject",
        "title",
        "theme",
        "caseTypes",
        "agentCanSend",
        "previewOnly",
        "isTransactional",
        "channels",
    }


def _asset_urls(html: str) -> list[str]:
    return re.findall(r'(?:src|href)="([^"]+)"', html)


def test_docs_page_uses_the_apps_own_assets(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    for cdn in ("cdn", "jsdelivr", "unpkg"):
        assert cdn not in html.lower()
    assets = _asset_urls(html)
    assert any(url.endswith("swagger-ui-bundle.js") for url in assets)
    assert any(url.endswith("swagger-ui.css") for url in assets)
    for url in assets:
        assert url.startswith("/static/drf_spectacular_sidecar/"), url
    assert 'url: "/api/schema/"' in html


def test_docs_assets_are_served_by_the_app_with_debug_off(settings):
    settings.DEBUG = False
    # A new client builds a new middleware chain, so WhiteNoise starts with DEBUG off.
    client = Client()
    html = client.get("/api/docs/").content.decode()
    assets = _asset_urls(html)
    assert len(assets) >= 3
    for url in assets:
        response = client.get(url)
        assert response.status_code == 200, url
        body = b"".join(response.streaming_content) if response.streaming else response.content
        assert len(body) > 500, url
    bundle = next(url for url in assets if url.endswith("swagger-ui-bundle.js"))
    response = client.get(bundle)
    assert response["Content-Type"].startswith(("text/javascript", "application/javascript"))
    assert "max-age" in response.get("Cache-Control", "")


@pytest.mark.parametrize("debug", [False, True])
def test_a_500_is_json_without_a_traceback(api, monkeypatch, settings, debug):
    settings.DEBUG = debug

    def explode(company):  # noqa: ANN001, ANN202
        raise RuntimeError("secret internal detail")

    monkeypatch.setattr(subject_views, "subject_descriptors", explode)
    client = APIClient(raise_request_exception=False)
    client.credentials(HTTP_X_API_KEY=api.raw_key)
    response = client.get("/api/communicator/subjects")
    assert response.status_code == 500
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"status": 500, "message": STATUS_MESSAGES[500]}
    assert b"Traceback" not in response.content
    assert b"secret internal detail" not in response.content


@pytest.mark.parametrize("path", ["/api/nope", "/api/communicator/subjects/a/b", "/api/people/"])
def test_unknown_api_path_is_json_404(api, client, path):
    for caller in (api, client):
        response = caller.get(path)
        assert response.status_code == 404
        assert response["Content-Type"] == "application/json"
        assert response.json() == {"status": 404, "message": f"No route {path}."}


def test_wrong_method_is_json_405(api):
    response = api.delete("/api/communicator/subjects/welcome")
    assert response.status_code == 405
    assert response.json() == {"status": 405, "message": "Method DELETE is not allowed on this path."}


@pytest.mark.parametrize(
    "method, path",
    [("put", "/api/communicator/subjects/welcome"), ("post", "/api/people")],
)
def test_oversize_body_is_413_json(api, settings, method, path):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 200
    body = {"metaData": {"k": "x" * 400}}
    response = getattr(api, method)(path, body, format="json")
    assert response.status_code == 413
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"status": 413, "message": STATUS_MESSAGES[413]}


def test_body_at_the_limit_is_accepted(api, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 200
    response = api.put("/api/communicator/subjects/welcome", {"agentCanSend": False}, format="json")
    assert response.status_code == 200


@pytest.mark.parametrize("cursor", ["BO-AAAA\x00AAAA", "\x00", "x" * 300])
def test_impossible_cursor_is_400_not_a_database_error(api, cursor):
    for param in ("startingAfter", "endingBefore"):
        response = api.get("/api/people", {param: cursor})
        assert response.status_code == 400, response.content
        assert list(response.json()["errors"]) == [param]


def test_external_id_with_nul_is_404_not_a_database_error(api):
    response = api.get("/api/people/ext-a%00b")
    assert response.status_code == 404
    assert response.json()["status"] == 404

"""Every route of the URL conf, walked through the resolver: OPTIONS answers without a
5xx (peachcomms/api/metadata.py), and a JSON body nested past the limit is a 400 on every
route that parses JSON, with nothing written (peachcomms/api/parsers.py)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RoutePattern

from borrowers.models import Borrower, Case, Contact, Loan
from compliance.models import ComplianceRule, DoNotInteract
from compliance.services import rules_create_defaults
from interactions.models import Interaction
from peachcomms.api.parsers import DEPTH_MESSAGE, MAX_DEPTH, StrictJSONParser
from templating.models import TemplateDescriptor, TemplateVersion
from tests.factories import (
    BorrowerFactory,
    CaseFactory,
    ContactFactory,
    DocumentFactory,
    DoNotInteractFactory,
    InteractionFactory,
    LoanFactory,
    TemplateVersionFactory,
)

pytestmark = pytest.mark.django_db

_CONVERTER = re.compile(r"<(?:(?P<kind>\w+):)?(?P<name>\w+)>")


def _routes(patterns: list, prefix: str = "") -> Iterator[tuple[str, URLPattern]]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            if isinstance(pattern.pattern, RoutePattern):
                yield from _routes(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern.pattern, RoutePattern):
            yield prefix + str(pattern.pattern), pattern


ROUTES = sorted(_routes(get_resolver().url_patterns), key=lambda item: item[0])
API_ROUTES = [(route, pattern) for route, pattern in ROUTES if route.startswith("api/")]


@pytest.fixture
def ids(api) -> dict[str, str]:  # noqa: ANN001
    """A real row of the caller's company for every path parameter of the API."""
    company = api.company
    rules_create_defaults(company)
    borrower = BorrowerFactory(company=company)
    case = CaseFactory(borrower=borrower)
    descriptor_version = TemplateVersionFactory(descriptor__company=company)
    return {
        "personId": borrower.pk,
        "contactId": ContactFactory(borrower=borrower).pk,
        "loanId": LoanFactory(borrower=borrower).pk,
        "caseId": case.pk,
        "documentId": DocumentFactory(borrower=borrower).pk,
        "interactionId": InteractionFactory(borrower=borrower).pk,
        "companyId": company.pk,
        "subject": "paymentDueReminder",
        "templateDescriptorId": descriptor_version.descriptor.pk,
        "templateVersionId": descriptor_version.pk,
        "ruleId": ComplianceRule.objects.filter(company=company).first().pk,
        "doNotInteractId": DoNotInteractFactory(borrower=borrower, case=case).pk,
    }


def _url(route: str, ids: dict[str, str]) -> str:
    return "/" + _CONVERTER.sub(lambda match: ids.get(match["name"], "1"), route)


def _counts() -> list[int]:
    models = [Borrower, Contact, Loan, Case, Interaction, TemplateDescriptor, TemplateVersion, DoNotInteract]
    return [model.objects.count() for model in models]


def test_every_path_parameter_of_the_api_has_a_real_row():
    names = {match["name"] for route, _ in API_ROUTES for match in _CONVERTER.finditer(route)}
    assert names == {
        "personId",
        "contactId",
        "loanId",
        "caseId",
        "documentId",
        "interactionId",
        "companyId",
        "subject",
        "templateDescriptorId",
        "templateVersionId",
        "ruleId",
        "doNotInteractId",
    }


def test_options_on_every_api_route_is_200_and_reads_no_object(api, ids):
    assert len(API_ROUTES) >= 39
    for route, pattern in API_ROUTES:
        view = pattern.callback.cls
        response = api.options(_url(route, ids), HTTP_ACCEPT="application/json")
        assert response.status_code == 200, (route, response.content)
        assert response.json() == {
            "name": view().get_view_name(),
            "description": view().get_view_description(),
            "renders": [renderer.media_type for renderer in view.renderer_classes],
            "parses": [parser.media_type for parser in view.parser_classes],
            "schema": "/api/schema/",
        }, route
        assert api.options(_url(route, ids)).status_code == 200, route  # whatever Accept says
        allowed = {method.strip() for method in response["Allow"].split(",")}
        assert allowed - {"HEAD"} == set(view().allowed_methods), route


@pytest.mark.parametrize(
    "path",
    [
        "/api/communicator/subjects/paymentDueReminder",
        "/api/communicator/subjects/noSuchSubject",
        "/api/communicator/templatedescriptors/TD-AAAA-BBBB",
        "/api/communicator/templatedescriptors/TD-AAAA-BBBB/versions/TV-AAAA-BBBB",
    ],
)
def test_options_on_the_routes_that_were_500_is_200_for_any_id(api, path):
    response = api.options(path)
    assert response.status_code == 200, response.content
    assert response.json()["parses"] == ["application/json"]


def test_options_on_every_other_route_is_not_a_server_error(api, ids):
    # The admin's and the health check's OPTIONS are Django's own; none may be a 5xx.
    for route, _ in ROUTES:
        if not route.startswith("api/"):
            assert api.options(_url(route, ids)).status_code < 500, route


def test_options_needs_a_key(client):  # noqa: ANN001
    response = client.options("/api/communicator/subjects/paymentDueReminder")
    assert response.status_code == 401


def _nested(depth: int) -> str:
    """A body ``{"a": [[…[]…]]}``: the object and ``depth - 1`` arrays inside it."""
    return '{"a": ' + "[" * (depth - 1) + "]" * (depth - 1) + "}"


# Routes whose POST reads no body (a bare action on the path's object).
BODYLESS = {
    "api/communicator/templatedescriptors/<str:templateDescriptorId>/versions/<str:templateVersionId>/activate"
}


def _json_write_routes() -> list[tuple[str, str]]:
    cases = []
    for route, pattern in API_ROUTES:
        view = pattern.callback.cls
        if route in BODYLESS or not any(
            issubclass(parser, StrictJSONParser) for parser in view.parser_classes
        ):
            continue
        cases += [(route, method) for method in ("post", "put") if hasattr(view, method)]
    return cases


JSON_WRITE_ROUTES = _json_write_routes()


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 950, 100_000])
def test_a_body_nested_past_the_limit_is_400_on_every_json_route(api, ids, depth):
    assert len(JSON_WRITE_ROUTES) >= 25
    body = _nested(depth)
    before = _counts()
    for route, method in JSON_WRITE_ROUTES:
        response = getattr(api, method)(_url(route, ids), body, content_type="application/json")
        assert response.status_code == 400, (route, method, response.content[:300])
        assert response.json() == {
            "status": 400,
            "message": DEPTH_MESSAGE,
            "errors": {"nonFieldErrors": [DEPTH_MESSAGE]},
        }, (route, method)
    assert _counts() == before


def test_a_body_at_the_limit_is_accepted_and_one_level_more_is_not(api):
    # The body object, metaData, the object in it and 61 arrays: 64 levels.
    at_limit = '{"metaData": ' + _nested(MAX_DEPTH - 1) + "}"
    response = api.post("/api/people", at_limit, content_type="application/json")
    assert response.status_code == 200, response.content
    stored = Borrower.objects.get(pk=response.json()["data"]["id"]).meta_data
    assert stored == json.loads(_nested(MAX_DEPTH - 1))
    over = '{"metaData": ' + _nested(MAX_DEPTH) + "}"
    response = api.post("/api/people", over, content_type="application/json")
    assert (response.status_code, response.json()["message"]) == (400, DEPTH_MESSAGE)
    assert Borrower.objects.count() == 1


SURROGATE = "Surrogate characters are not allowed: U+D800."


@pytest.mark.parametrize(
    ("context", "field"),
    [
        ({"note": "\ud800"}, "context.note"),
        ({"loan": {"names": ["ok", "x\ud800"]}}, "context.loan.names[1]"),
        ({"\ud800": "value"}, "context.\\ud800"),
    ],
    ids=["value", "nested value", "key"],
)
def test_a_lone_surrogate_in_a_render_json_context_is_400_naming_it(api, context, field):
    body = {"subject": "paymentDueReminder", "channel": "email"}
    clean = api.post(
        "/api/communicator/render-json",
        json.dumps({**body, "context": {"note": "ok"}}),
        content_type="application/json",
    )
    assert clean.status_code == 200, clean.content
    response = api.post(
        "/api/communicator/render-json",
        json.dumps({**body, "context": context}),
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json() == {
        "status": 400,
        "message": f"Invalid field '{field}': {SURROGATE}",
        "errors": {field: [SURROGATE]},
    }


def test_a_lone_surrogate_in_metadata_is_400_and_writes_nothing(api):
    body = json.dumps({"externalId": "crm-1", "metaData": {"tags": {"a": "\udfff"}}})
    response = api.post("/api/people", body, content_type="application/json")
    assert response.status_code == 400
    message = "Surrogate characters are not allowed: U+DFFF."
    assert response.json()["errors"] == {"metaData.tags.a": [message]}
    assert Borrower.objects.count() == 0


def test_a_surrogate_pair_is_one_character_and_accepted(api):
    # "\ud83d\ude00" is the escape of U+1F600, not a lone surrogate.
    response = api.post(
        "/api/people", '{"metaData": {"mood": "\\ud83d\\ude00"}}', content_type="application/json"
    )
    assert response.status_code == 200, response.content
    assert Borrower.objects.get().meta_data == {"mood": "\U0001f600"}


@pytest.mark.parametrize(
    ("body", "charset", "field", "problem"),
    [
        ('{"metaData": {"a": "\\uD800"}}', "utf-8", "metaData.a", SURROGATE),
        (
            '{"metaData": {"a": "\\udBfF"}}',
            "utf-8",
            "metaData.a",
            "Surrogate characters are not allowed: U+DBFF.",
        ),
        ('{"metaData": {"a": "\\ud800"}}', "utf-16", "metaData.a", SURROGATE),
        (
            '{"metaData": {"a": "x\\u0000"}}',
            "utf-16-le",
            "metaData.a",
            "NUL characters (\\u0000) are not allowed.",
        ),
        ('{"metaData": {"a": "\\ud800"}}', "latin-1", "metaData.a", SURROGATE),
    ],
    ids=["upper case", "mixed case", "utf-16", "utf-16 nul", "latin-1"],
)
def test_escapes_are_found_in_any_case_and_charset(api, body, charset, field, problem):
    response = api.post(
        "/api/people", body.encode(charset), content_type=f"application/json; charset={charset}"
    )
    assert response.status_code == 400, response.content
    assert response.json()["errors"] == {field: [problem]}
    assert Borrower.objects.count() == 0


@pytest.mark.parametrize(
    "raw",
    [b'{"metaData": {"a": "\xed\xa0\x80"}}', b'{"metaData": {"a": "x\x00y"}}'],
    ids=["utf-8 encoded surrogate", "raw nul"],
)
def test_a_raw_surrogate_or_nul_is_malformed_json(api, raw):
    response = api.post("/api/people", raw, content_type="application/json")
    assert response.status_code == 400, response.content
    assert response.json()["message"].startswith("Malformed JSON: JSON parse error - ")
    assert Borrower.objects.count() == 0


def test_many_brackets_side_by_side_are_not_depth(api):
    # 100 arrays side by side: more brackets than the limit, three levels deep.
    context = {"rows": [[i] for i in range(100)]}
    body = json.dumps({"subject": "paymentDueReminder", "channel": "email", "context": context})
    response = api.post("/api/communicator/render-json", body, content_type="application/json")
    assert response.status_code == 200, response.content
    assert response.json()["subjectLine"] == "Your payment is due soon"

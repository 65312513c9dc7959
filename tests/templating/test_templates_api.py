"""Template descriptors and versions over the API: lifecycle, immutability, syntax errors,
built-ins read-only, scoping and bad input."""

from __future__ import annotations

import pytest

from templating.models import TemplateDescriptor, TemplateVersion

pytestmark = pytest.mark.django_db

BASE = "/api/communicator/templatedescriptors"
DRAFT = {
    "subjectLineTemplate": "Payment due, {{ person.name.firstName }}",
    "contentHtmlTemplate": "<p>Due: {{ loan.amountDue|currency }}</p>",
    "contentTextTemplate": "Due: {{ loan.amountDue|currency }}",
}


def create_descriptor(api, **body) -> dict:  # noqa: ANN001
    response = api.post(BASE, {"subject": "paymentDueReminder", "channel": "email", **body}, format="json")
    assert response.status_code == 200, response.json()
    return response.json()["data"]


def test_descriptor_create_get_update(api):
    descriptor = create_descriptor(api, name="Reminder", externalId="tpl-1")
    assert descriptor["object"] == "templateDescriptor"
    assert descriptor["id"].startswith("TD-")
    assert descriptor["companyId"] == api.company.pk
    assert descriptor["isBuiltIn"] is False
    assert descriptor["language"] == "en"
    assert descriptor["enabled"] is True
    assert descriptor["activeVersionId"] is None
    assert api.get(f"{BASE}/{descriptor['id']}").json()["data"] == descriptor
    assert api.get(f"{BASE}/ext-tpl-1").json()["data"]["id"] == descriptor["id"]

    updated = api.put(
        f"{BASE}/{descriptor['id']}", {**descriptor, "enabled": False, "name": "Off"}, format="json"
    )
    assert updated.status_code == 200, updated.json()
    assert updated.json()["data"]["enabled"] is False
    assert updated.json()["data"]["name"] == "Off"

    moved = api.put(f"{BASE}/{descriptor['id']}", {"channel": "text"}, format="json")
    assert moved.status_code == 400
    assert "channel" in moved.json()["errors"]


def test_deprecated_subject_alias_is_rewritten_and_slot_is_unique(api):
    descriptor = create_descriptor(api, subject="locStatementGenerated")
    assert descriptor["subject"] == "statementGenerated"
    again = api.post(BASE, {"subject": "statementGenerated", "channel": "email"}, format="json")
    assert again.status_code == 409
    assert descriptor["id"] in again.json()["message"]
    assert TemplateDescriptor.objects.filter(company=api.company).count() == 1


def test_version_lifecycle(api):
    descriptor = create_descriptor(api)
    versions_url = f"{BASE}/{descriptor['id']}/versions"

    first = api.post(versions_url, DRAFT, format="json")
    assert first.status_code == 200, first.json()
    first = first.json()["data"]
    assert first["object"] == "templateVersion"
    assert first["status"] == "draft"
    assert first["descriptorId"] == descriptor["id"]
    assert first["createdBy"] == {
        "id": api.api_key.pk,
        "name": api.api_key.key_hint,
        "userType": "integration",
        "descriptor": None,
    }

    edited = api.put(
        f"{versions_url}/{first['id']}", {"contentTextTemplate": "Pay {{ loan.amountDue }}"}, format="json"
    )
    assert edited.status_code == 200, edited.json()
    assert edited.json()["data"]["contentTextTemplate"] == "Pay {{ loan.amountDue }}"
    assert edited.json()["data"]["contentHtmlTemplate"] == DRAFT["contentHtmlTemplate"]

    activated = api.post(f"{versions_url}/{first['id']}/activate")
    assert activated.status_code == 200, activated.json()
    assert activated.json()["message"] == "activated"
    assert activated.json()["data"]["status"] == "active"
    assert activated.json()["data"]["activatedAt"]
    assert api.get(f"{BASE}/{descriptor['id']}").json()["data"]["activeVersionId"] == first["id"]

    second = api.post(versions_url, DRAFT, format="json").json()["data"]
    assert api.post(f"{versions_url}/{second['id']}/activate").status_code == 200
    statuses = {v["id"]: v["status"] for v in api.get(versions_url).json()["data"]}
    assert statuses == {first["id"]: "archived", second["id"]: "active"}
    assert [v["id"] for v in api.get(versions_url).json()["data"]] == [second["id"], first["id"]]

    # Activating the active version again changes nothing; an archived one may come back.
    assert api.post(f"{versions_url}/{second['id']}/activate").json()["data"]["status"] == "active"
    assert api.post(f"{versions_url}/{first['id']}/activate").json()["data"]["status"] == "active"
    assert TemplateVersion.objects.get(pk=second["id"]).status == "archived"
    assert TemplateVersion.objects.filter(descriptor_id=descriptor["id"], status="active").count() == 1


@pytest.mark.parametrize("status", ["active", "archived"])
def test_active_and_archived_versions_are_immutable(api, status):
    descriptor = create_descriptor(api)
    versions_url = f"{BASE}/{descriptor['id']}/versions"
    old = api.post(versions_url, DRAFT, format="json").json()["data"]
    api.post(f"{versions_url}/{old['id']}/activate")
    if status == "archived":
        new = api.post(versions_url, DRAFT, format="json").json()["data"]
        api.post(f"{versions_url}/{new['id']}/activate")

    response = api.put(f"{versions_url}/{old['id']}", {"contentTextTemplate": "changed"}, format="json")
    assert response.status_code == 409
    message = response.json()["message"]
    assert f"is {status}" in message
    assert "Create a new draft version" in message
    assert TemplateVersion.objects.get(pk=old["id"]).content_text_template == DRAFT["contentTextTemplate"]


def test_syntax_error_on_save_is_400_with_the_line(api):
    descriptor = create_descriptor(api)
    versions_url = f"{BASE}/{descriptor['id']}/versions"
    bad = {**DRAFT, "contentHtmlTemplate": "<p>\n{{ person.name }}\n{{ oops }\n</p>"}
    response = api.post(versions_url, bad, format="json")
    assert response.status_code == 400
    assert response.json()["errors"] == {"contentHtmlTemplate": ["line 3: unexpected '}'"]}
    assert TemplateVersion.objects.filter(company=api.company).count() == 0

    draft = api.post(versions_url, DRAFT, format="json").json()["data"]
    response = api.put(f"{versions_url}/{draft['id']}", {"subjectLineTemplate": "{% if %}"}, format="json")
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["subjectLineTemplate"]
    assert TemplateVersion.objects.get(pk=draft["id"]).subject_line_template == DRAFT["subjectLineTemplate"]


def test_builtin_descriptors_are_readable_not_writable(api, make_template):
    builtin = make_template(None, subject="custom7", channel="email", text="Built-in {{ company.brandName }}")
    descriptor_id = builtin.descriptor_id
    own = create_descriptor(api)

    own_only = api.get(f"{BASE}?includeBuiltIn=false").json()["data"]
    assert [d["id"] for d in own_only] == [own["id"]]
    with_builtin = api.get(f"{BASE}?subject=custom7").json()["data"]
    assert [d["id"] for d in with_builtin] == [descriptor_id]
    assert with_builtin[0]["companyId"] is None and with_builtin[0]["isBuiltIn"] is True
    assert api.get(f"{BASE}/{descriptor_id}").status_code == 200
    assert api.get(f"{BASE}/{descriptor_id}/versions").json()["data"][0]["id"] == builtin.pk
    assert api.get(f"{BASE}/{descriptor_id}/versions/{builtin.pk}").status_code == 200

    writes = [
        api.put(f"{BASE}/{descriptor_id}", {"enabled": False}, format="json"),
        api.post(f"{BASE}/{descriptor_id}/versions", DRAFT, format="json"),
        api.put(f"{BASE}/{descriptor_id}/versions/{builtin.pk}", {"contentTextTemplate": "x"}, format="json"),
        api.post(f"{BASE}/{descriptor_id}/versions/{builtin.pk}/activate"),
    ]
    for response in writes:
        assert response.status_code == 403, response.json()
        assert response.json()["message"].startswith("Built-in templates are read-only")
    assert TemplateVersion.objects.filter(descriptor_id=descriptor_id).count() == 1


def test_builtin_list_pages_through_builtin_rows(api, make_template):
    for n in range(1, 4):
        make_template(None, subject=f"custom{n}", text="x")
    page1 = api.get(f"{BASE}?includeBuiltIn=true&limit=2&channel=email&language=en").json()
    assert page1["count"] == 2
    page2 = api.get(page1["nextUrl"]).json()
    assert page2["count"] == 2
    seen = {d["id"] for d in page1["data"]} | {d["id"] for d in page2["data"]}
    assert len(seen) == 4


def test_other_company_templates_are_404(api, other_api):
    theirs = create_descriptor(other_api)
    version = other_api.post(f"{BASE}/{theirs['id']}/versions", DRAFT, format="json").json()["data"]
    assert api.get(f"{BASE}/{theirs['id']}").status_code == 404
    assert api.get(f"{BASE}/{theirs['id']}/versions").status_code == 404
    assert api.post(f"{BASE}/{theirs['id']}/versions/{version['id']}/activate").status_code == 404
    mine = create_descriptor(api)
    assert api.get(f"{BASE}/{mine['id']}/versions/{version['id']}").status_code == 404
    assert TemplateVersion.objects.get(pk=version["id"]).status == "draft"


@pytest.mark.parametrize(
    "body, field",
    [
        ({"subject": "noSuchSubject", "channel": "email"}, "subject"),
        ({"subject": "paymentDueReminder", "channel": "pigeon"}, "channel"),
        ({"subject": "paymentDueReminder", "channel": "fax"}, "channel"),
        ({"subject": "paymentDueReminder", "channel": "email", "language": "EN"}, "language"),
        ({"subject": "paymentDueReminder"}, "channel"),
        ({"subject": "paymentDueReminder", "channel": "email", "enabled": "maybe"}, "enabled"),
        ({"subject": "paymentDueReminder", "channel": "email", "colour": "red"}, "colour"),
    ],
)
def test_bad_descriptor_input_is_400_and_writes_nothing(api, body, field):
    response = api.post(BASE, body, format="json")
    assert response.status_code == 400, response.json()
    assert field in response.json()["errors"]
    assert TemplateDescriptor.objects.filter(company=api.company).count() == 0


def test_bad_version_input_is_400(api):
    descriptor = create_descriptor(api)
    url = f"{BASE}/{descriptor['id']}/versions"
    assert api.post(url, {"contentHtmlTemplate": 5}, format="json").status_code == 400
    assert api.post(url, {"contentHtmlTemplate": "x" * 100_001}, format="json").status_code == 400
    assert api.post(url, {"status": "active", "bogus": 1}, format="json").status_code == 400
    assert api.post(url, "{not json", content_type="application/json").status_code == 400
    assert api.get(f"{BASE}?includeBuiltIn=maybe").status_code == 400
    assert TemplateVersion.objects.filter(company=api.company).count() == 0


def test_permissions(company, client_with):
    reader = client_with(company, ["templates:read"])
    assert reader.get(BASE).status_code == 200
    response = reader.post(BASE, {"subject": "paymentDueReminder", "channel": "email"}, format="json")
    assert response.status_code == 403
    assert "templates:write" in response.json()["message"]
    assert client_with(company, ["people:read"]).get(BASE).status_code == 403

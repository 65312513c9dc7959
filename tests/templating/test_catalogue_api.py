"""The template catalogue is discoverable through the API alone: the built-in templates
(loaded by migrations) are listed with what they need, a company's own descriptor
overrides and flags the built-in one, subjects say which channels they have templates
for, and a render on a channel without a template says which ones exist."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from templating import services
from templating.models import TemplateDescriptor, TemplateVersion
from templating.rendering import variables
from tests.factories import TemplateVersionFactory

pytestmark = pytest.mark.django_db

BASE = "/api/communicator/templatedescriptors"
SUBJECTS = "/api/communicator/subjects"


def _builtin(subject: str, channel: str) -> TemplateDescriptor:
    return TemplateDescriptor.objects.get(company=None, subject=subject, channel=channel, language="en")


def _queries(call) -> int:  # noqa: ANN001
    with CaptureQueriesContext(connection) as captured:
        response = call()
    assert response.status_code == 200, response.json()
    return len(captured.captured_queries)


def test_a_fresh_install_lists_the_builtin_templates_with_what_they_need(api):
    first_page = api.get(BASE).json()
    assert first_page["count"] == 25 and first_page["nextUrl"] is not None
    assert {d["isBuiltIn"] for d in first_page["data"]} == {True}

    listed = api.get(f"{BASE}?subject=loanOverdueFirstNotice").json()["data"]
    by_channel = {d["channel"]: d for d in listed}
    assert sorted(by_channel) == ["email", "text", "voice"]
    email = by_channel["email"]
    assert email == {
        "id": _builtin("loanOverdueFirstNotice", "email").pk,
        "object": "templateDescriptor",
        "companyId": None,
        "isBuiltIn": True,
        "overriddenBy": None,
        "subject": "loanOverdueFirstNotice",
        "channel": "email",
        "language": "en",
        "name": "loanOverdueFirstNotice (email, built-in)",
        "enabled": True,
        "activeVersionId": _builtin("loanOverdueFirstNotice", "email").active_version_id,
        "requiredContext": ["loan"],
        "contextVariables": ["actionUrl"],
        "externalId": None,
        "createdAt": email["createdAt"],
        "updatedAt": email["updatedAt"],
    }
    assert (by_channel["text"]["requiredContext"], by_channel["text"]["contextVariables"]) == (
        ["person", "loan"],
        [],
    )
    # The debt validation notices keep their text in a shared layout; what it reads counts.
    notice = api.get(f"{BASE}/{_builtin('debtValidationNotice', 'mail').pk}").json()["data"]
    assert notice["requiredContext"] == ["person", "contact", "loan"]
    assert notice["contextVariables"] == [
        "amountOnItemizationDate",
        "creditorName",
        "credits",
        "fees",
        "interest",
        "itemizationDate",
        "payments",
        "validationEndDate",
    ]
    code = api.get(f"{BASE}?subject=confirmationCode&channel=text").json()["data"]
    assert [(d["requiredContext"], d["contextVariables"]) for d in code] == [([], ["confirmationCode"])]


def test_a_company_descriptor_overrides_and_flags_the_builtin_one(api, other_api, make_template):
    builtin = _builtin("paymentDueReminder", "email")
    own = make_template(
        api.company, subject="paymentDueReminder", channel="email", text="{{ case.status }} {{ code }}"
    )
    query = f"{BASE}?subject=paymentDueReminder&channel=email"

    listed = api.get(query).json()["data"]
    assert [(d["id"], d["isBuiltIn"], d["overriddenBy"]) for d in listed] == [
        (own.descriptor_id, False, None),
        (builtin.pk, True, own.descriptor_id),
    ]
    assert (listed[0]["requiredContext"], listed[0]["contextVariables"]) == (["case"], ["code"])
    assert api.get(f"{BASE}/{builtin.pk}").json()["data"]["overriddenBy"] == own.descriptor_id
    assert [d["id"] for d in api.get(f"{query}&includeBuiltIn=false").json()["data"]] == [own.descriptor_id]
    # Another company still uses the built-in one.
    assert [d["overriddenBy"] for d in other_api.get(query).json()["data"]] == [None]

    # Disabled, the company's descriptor no longer overrides: selection falls back.
    assert api.put(f"{BASE}/{own.descriptor_id}", {"enabled": False}, format="json").status_code == 200
    assert [d["overriddenBy"] for d in api.get(query).json()["data"]] == [None, None]


def test_a_descriptor_without_an_active_version_needs_nothing_and_overrides_nothing(api):
    created = api.post(BASE, {"subject": "welcome", "channel": "text"}, format="json").json()["data"]
    assert (created["requiredContext"], created["contextVariables"], created["overriddenBy"]) == (
        [],
        [],
        None,
    )
    listed = api.get(f"{BASE}?subject=welcome&channel=text").json()["data"]
    assert [(d["id"], d["overriddenBy"]) for d in listed] == [
        (created["id"], None),
        (_builtin("welcome", "text").pk, None),
    ]


def test_a_migration_loaded_builtin_is_read_only(api):
    builtin = _builtin("loanOverdueFirstNotice", "email")
    path = f"{BASE}/{builtin.pk}"
    writes = [
        api.put(path, {"name": "mine"}, format="json"),
        api.post(f"{path}/versions", {"contentTextTemplate": "x"}, format="json"),
        api.put(f"{path}/versions/{builtin.active_version_id}", {"contentTextTemplate": "x"}, format="json"),
        api.post(f"{path}/versions/{builtin.active_version_id}/activate"),
    ]
    for response in writes:
        assert response.status_code == 403
        assert response.json()["message"] == (
            "Built-in templates are read-only: create your own template descriptor for this "
            "subject, channel and language (it overrides the built-in one)."
        )
    assert TemplateVersion.objects.filter(descriptor=builtin).count() == 1
    assert _builtin("loanOverdueFirstNotice", "email").name == "loanOverdueFirstNotice (email, built-in)"


def test_the_descriptor_list_costs_the_same_whatever_its_length(api, make_template):
    for n in range(1, 6):
        make_template(api.company, subject=f"custom{n}", channel="email", text="{{ loan.id }}")
        make_template(api.company, subject="paymentDueReminder", channel="text", language=f"f{n}", text="x")
    make_template(api.company, subject="paymentDueReminder", channel="email", text="x")
    api.get(BASE)  # the first request of a key reads what later ones find cached
    short = _queries(lambda: api.get(f"{BASE}?limit=2"))
    long = _queries(lambda: api.get(f"{BASE}?limit=100"))
    assert short == long


def test_subjects_list_the_channels_they_have_templates_for(api, other_api, make_template):
    catalogue = {s["subject"]: s for s in api.get(SUBJECTS).json()}
    assert catalogue["loanOverdueFirstNotice"]["channels"] == ["email", "text", "voice"]
    assert catalogue["statementGenerated"]["channels"] == ["email", "mail", "text", "voice"]
    assert catalogue["freeFormBranded"]["channels"] == ["email"]
    assert catalogue["custom4"]["channels"] == []

    own = make_template(api.company, subject="custom4", channel="text", text="Hi")
    make_template(api.company, subject="custom4", channel="email", text="Hi", active=False)
    assert api.get(f"{SUBJECTS}/custom4").json()["channels"] == ["text"]
    assert other_api.get(f"{SUBJECTS}/custom4").json()["channels"] == []
    put = api.put(f"{SUBJECTS}/custom4", {"agentCanSend": False}, format="json").json()
    assert put["channels"] == ["text"]

    services.template_descriptor_update(descriptor=own.descriptor, data={"enabled": False})
    assert api.get(f"{SUBJECTS}/custom4").json()["channels"] == []


def test_the_subject_list_costs_the_same_with_more_templates(api, make_template):
    api.get(f"{SUBJECTS}/welcome")  # the first request of a key reads what later ones find cached
    before = _queries(lambda: api.get(SUBJECTS))
    make_template(api.company, subject="custom1", channel="email", text="x")
    # A template change gives the company a new settings version: the next read rebuilds
    # its cached overrides and channels (one query each), however many templates it has.
    one = _queries(lambda: api.get(SUBJECTS))
    for n in range(2, 7):
        make_template(api.company, subject=f"custom{n}", channel="email", text="x")
    assert _queries(lambda: api.get(SUBJECTS)) == one == before + 2
    assert _queries(lambda: api.get(SUBJECTS)) == before


def test_a_render_on_a_channel_without_a_template_names_the_channels_there_are(api):
    response = api.post(
        "/api/communicator/render?fmt=pdf", {"subject": "loanOverdueFirstNotice"}, format="json"
    )
    assert response.status_code == 404
    assert response.json() == {
        "status": 404,
        "message": "No template for subject loanOverdueFirstNotice on channel mail. loanOverdueFirstNotice "
        "has templates for: email, text, voice; name one of them in `channel`.",
    }
    response = api.post(
        "/api/communicator/render-json", {"subject": "custom9", "language": "fr"}, format="json"
    )
    assert response.status_code == 404
    assert response.json()["message"] == (
        "No template for subject custom9 on channel email in language fr or en: it has no template "
        "on any channel (create one: POST /api/communicator/templatedescriptors)."
    )


def test_context_needs_of_a_draft_follow_its_source_and_an_active_version_is_cached(make_template):
    variables.clear_cache()
    draft = TemplateVersionFactory(
        subject_line_template="", content_html_template="", content_text_template="{{ statement.fileName }}"
    )
    assert variables.version_variables(draft) == {"statement"}
    draft.content_text_template = "{% for l in loans %}{{ l.id }} {{ loop.index }}{% endfor %}"
    assert variables.version_variables(draft) == {"loans"}

    active = make_template(None, subject="custom8", text="{{ loan.id }}")
    assert variables.version_variables(active) == {"loan"}
    active.content_text_template = "{{ case.id }}"  # never saved: active versions are immutable
    assert variables.version_variables(active) == {"loan"}

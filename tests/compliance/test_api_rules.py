"""``/api/compliance/rules``: the company's rule rows, edits with their audit rows, and the
parameter shapes each family accepts."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest
from django import db
from django.db import connection
from django.test.utils import CaptureQueriesContext

from borrowers.models import ApiKey
from compliance.models import ComplianceRule, ComplianceRuleChange
from compliance.services import SYSTEM_ACTOR, rule_update, rules_create_defaults

pytestmark = pytest.mark.django_db

DEFAULTS = json.loads((Path(__file__).parents[2] / "compliance" / "defaults.json").read_text())["rules"]
RULE_KEYS = {
    "id",
    "object",
    "family",
    "code",
    "name",
    "description",
    "parameters",
    "channels",
    "states",
    "enabled",
    "createdAt",
    "updatedAt",
}


def test_defaults_are_created_once_per_code(company, other_company):
    ComplianceRule.objects.filter(company__in=[company, other_company]).delete()  # however they were made
    created = rules_create_defaults(company)
    assert sorted(r.code for r in created) == sorted(d["code"] for d in DEFAULTS)
    assert rules_create_defaults(company) == []
    ComplianceRule.objects.filter(company=company, code="frequency.MA").delete()
    again = rules_create_defaults(company)
    assert [r.code for r in again] == ["frequency.MA"]
    assert ComplianceRule.objects.filter(company=company).count() == len(DEFAULTS)
    assert ComplianceRule.objects.filter(company=other_company).count() == 0
    voice = ComplianceRule.objects.get(company=company, code="frequency.voice")
    assert (voice.family, voice.channels, voice.parameters) == (
        "frequency",
        ["voice"],
        {"windowDays": 7, "caps": {"light": 2, "normal": 7, "heavy": 7}},
    )
    creation = voice.changes.get()
    assert creation.changed_by == SYSTEM_ACTOR
    assert creation.before is None
    assert creation.after["parameters"] == voice.parameters


def test_list_and_get(api, rules):
    body = api.get("/api/compliance/rules?limit=100").json()
    assert body["status"] == 200
    assert body["count"] == len(DEFAULTS)
    assert {r["code"] for r in body["data"]} == set(rules)
    rule = next(r for r in body["data"] if r["code"] == "timeOfDay.WA")
    assert set(rule) == RULE_KEYS
    assert rule["object"] == "complianceGuardRule"
    assert rule["id"] == rules["timeOfDay.WA"].pk
    assert (rule["family"], rule["channels"], rule["states"], rule["enabled"]) == (
        "timeOfDay",
        ["voice", "text"],
        ["WA"],
        True,
    )
    assert rule["parameters"]["start"] == "07:30"

    fetched = api.get(f"/api/compliance/rules/{rule['id']}")
    assert fetched.status_code == 200
    assert fetched.json()["data"] == rule


def test_list_filters_by_family_and_pages(api, rules):
    frequency = api.get("/api/compliance/rules?family=frequency").json()["data"]
    assert sorted(r["code"] for r in frequency) == [
        "frequency.MA",
        "frequency.email",
        "frequency.text",
        "frequency.voice",
    ]
    response = api.get("/api/compliance/rules?family=loudness")
    assert response.status_code == 400
    assert "family" in response.json()["errors"]

    page1 = api.get("/api/compliance/rules?limit=5").json()
    page2 = api.get(page1["nextUrl"]).json()
    assert page1["count"] == 5 and page2["count"] == 5
    assert not {r["id"] for r in page1["data"]} & {r["id"] for r in page2["data"]}


def test_update_records_who_and_exact_before_after(api, rules):
    rule = rules["timeOfDay.federal"]
    response = api.put(
        f"/api/compliance/rules/{rule.pk}",
        {"parameters": {"start": "09:00"}, "enabled": False, "name": rule.name},
        format="json",
    )
    assert response.status_code == 200, response.json()
    data = response.json()["data"]
    assert data["parameters"] == {
        "start": "09:00",
        "end": "21:00",
        "scope": {"voice": "nonTransactional", "text": "nonTransactional", "email": "debtCollection"},
    }
    assert data["enabled"] is False
    rule.refresh_from_db()
    assert rule.parameters["start"] == "09:00" and rule.enabled is False

    change = ComplianceRuleChange.objects.filter(rule=rule).first()  # newest
    assert change.company_id == rule.company_id
    assert change.changed_by == {
        "id": api.api_key.pk,
        "name": f"{api.api_key.key_hint}…",  # the key has no name
        "userType": "integration",
    }
    assert change.before == {
        "enabled": True,
        "parameters": {
            "start": "08:00",
            "end": "21:00",
            "scope": {"voice": "nonTransactional", "text": "nonTransactional", "email": "debtCollection"},
        },
    }
    assert change.after == {"enabled": False, "parameters": data["parameters"]}

    history = api.get(f"/api/compliance/rules/{rule.pk}/changes").json()
    assert history["count"] == 2
    newest, creation = history["data"]
    assert newest == {
        "id": change.pk,
        "object": "complianceGuardRuleChange",
        "ruleId": rule.pk,
        "changedAt": newest["changedAt"],
        "changedBy": change.changed_by,
        "before": change.before,
        "after": change.after,
    }
    assert creation["before"] is None and creation["changedBy"]["userType"] == "system"
    older = api.get(f"/api/compliance/rules/{rule.pk}/changes?limit=1").json()
    assert [c["id"] for c in api.get(older["nextUrl"]).json()["data"]] == [creation["id"]]


def test_update_of_every_editable_field(api, rules):
    rule = rules["frequency.MA"]
    body = {
        "name": "Massachusetts, tightened",
        "description": "Internal policy.",
        "channels": ["voice", "text", "email"],
        "states": ["ma", "RI"],
        "parameters": {"caps": {"light": 1, "normal": 1, "heavy": 2}, "windowDays": 10},
    }
    data = api.put(f"/api/compliance/rules/{rule.pk}", body, format="json").json()["data"]
    assert data["states"] == ["MA", "RI"]
    assert data["channels"] == ["voice", "text", "email"]
    assert data["parameters"] == {
        "windowDays": 10,
        "caps": {"light": 1, "normal": 1, "heavy": 2},
        "combineChannels": True,
    }
    change = ComplianceRuleChange.objects.filter(rule=rule).first()
    assert set(change.before) == {"name", "description", "channels", "states", "parameters"}
    assert change.before["states"] == ["MA"]


def test_same_values_record_nothing(api, rules):
    rule = rules["frequency.voice"]
    response = api.put(
        f"/api/compliance/rules/{rule.pk}",
        {"enabled": True, "parameters": {"windowDays": 7}, "id": rule.pk, "family": "timeOfDay"},
        format="json",
    )
    assert response.status_code == 200
    assert response.json()["data"]["family"] == "frequency"  # read-only fields are ignored
    assert ComplianceRuleChange.objects.filter(rule=rule).count() == 1  # the creation only


def test_update_by_admin_user_is_an_agent_change(rules, admin_user):
    rule = rule_update(rules["frequency.text"], {"enabled": False}, changed_by=admin_user)
    change = ComplianceRuleChange.objects.filter(rule=rule).first()
    assert change.changed_by == {
        "id": str(admin_user.pk),
        "name": admin_user.get_username(),
        "userType": "agent",
    }
    assert (change.before, change.after) == ({"enabled": True}, {"enabled": False})


BAD_UPDATES = [
    ("timeOfDay.federal", {"parameters": {"start": "8:00"}}, "parameters.start"),
    ("timeOfDay.federal", {"parameters": {"start": "24:00"}}, "parameters.start"),
    ("timeOfDay.federal", {"parameters": {"start": "21:00"}}, "parameters.end"),
    ("timeOfDay.federal", {"parameters": {"end": "07:59"}}, "parameters.end"),
    ("timeOfDay.federal", {"parameters": {"scope": {"voice": "sometimes"}}}, "parameters.scope.voice"),
    ("timeOfDay.federal", {"parameters": {"scope": {"pigeon": "debtCollection"}}}, "parameters.scope"),
    (
        "frequency.voice",
        {"parameters": {"caps": {"light": 2, "normal": 0, "heavy": 7}}},
        "parameters.caps.normal",
    ),
    (
        "frequency.voice",
        {"parameters": {"caps": {"light": 2, "normal": "7", "heavy": 7}}},
        "parameters.caps.normal",
    ),
    (
        "frequency.voice",
        {"parameters": {"caps": {"light": 2, "normal": 1.5, "heavy": 7}}},
        "parameters.caps.normal",
    ),
    ("frequency.voice", {"parameters": {"caps": {"normal": 5}}}, "parameters.caps"),
    ("frequency.voice", {"parameters": {"windowDays": 0}}, "parameters.windowDays"),
    ("frequency.voice", {"parameters": {"windowDays": 91}}, "parameters.windowDays"),
    ("frequency.voice", {"parameters": {"windowDays": True}}, "parameters.windowDays"),
    ("frequency.voice", {"parameters": {"windowdays": 7}}, "parameters.windowdays"),
    ("frequency.voice", {"parameters": ["not", "an", "object"]}, "parameters"),
    ("postConversation.voice", {"parameters": {"days": -1}}, "parameters.days"),
    ("postConversation.voice", {"parameters": {"statusDetails": ["chatted"]}}, "parameters.statusDetails"),
    ("borrowerStatus.inactive", {"parameters": {"statuses": ["zombie"]}}, "parameters.statuses"),
    ("borrowerStatus.inactive", {"parameters": {"allowThemes": ["nope"]}}, "parameters.allowThemes"),
    ("caseHold.bankruptcy", {"parameters": {"caseType": "divorce"}}, "parameters.caseType"),
    ("caseHold.bankruptcy", {"parameters": {"blockThemes": "some"}}, "parameters.blockThemes"),
    (
        "caseHold.bankruptcy",
        {"parameters": {"exceptions": [{"subjects": ["noSuchSubject"]}]}},
        "parameters.exceptions[0].subjects",
    ),
    (
        "caseHold.deceased",
        {"parameters": {"exceptions": [{"affiliations": ["neighbour"]}]}},
        "parameters.exceptions[0].affiliations",
    ),
    (
        "contactEligibility.default",
        {"parameters": {"channelContactTypes": {"text": ["pager"]}}},
        "parameters.channelContactTypes.text",
    ),
    (
        "contactEligibility.default",
        {"parameters": {"textRequiresConsent": "yes"}},
        "parameters.textRequiresConsent",
    ),
    (
        "doNotInteract.records",
        {"parameters": {"neverCoveredByAll": ["nope"]}},
        "parameters.neverCoveredByAll",
    ),
    ("frequency.voice", {"channels": ["pigeon"]}, "channels"),
    ("frequency.voice", {"channels": "voice"}, "channels"),
    ("frequency.MA", {"states": ["Massachusetts"]}, "states"),
    ("frequency.MA", {"states": ["ZZ"]}, "states"),
    ("frequency.MA", {"name": ""}, "name"),
    ("frequency.MA", {"enabled": "maybe"}, "enabled"),
    ("frequency.MA", {"family": "timeOfDay", "code": "x", "sendat": 1}, "sendat"),
]


@pytest.mark.parametrize("code, body, field", BAD_UPDATES, ids=[f"{c}-{f}" for c, _, f in BAD_UPDATES])
def test_bad_update_is_400_and_writes_nothing(api, rules, code, body, field):
    rule = rules[code]
    before = ComplianceRule.objects.filter(company=rule.company).order_by("code").values()
    before = [dict(row) for row in before]
    response = api.put(f"/api/compliance/rules/{rule.pk}", body, format="json")
    assert response.status_code == 400, response.json()
    assert field in response.json()["errors"], response.json()
    assert response.json()["message"]
    after = [
        dict(row) for row in ComplianceRule.objects.filter(company=rule.company).order_by("code").values()
    ]
    assert after == before
    assert ComplianceRuleChange.objects.filter(company=rule.company, before__isnull=False).count() == 0


def test_permissions(company, rules, client_with):
    reader = client_with(company, ["compliance:read"])
    rule = rules["frequency.voice"]
    assert reader.get("/api/compliance/rules").status_code == 200
    assert reader.get(f"/api/compliance/rules/{rule.pk}").status_code == 200
    assert reader.get(f"/api/compliance/rules/{rule.pk}/changes").status_code == 200
    response = reader.put(f"/api/compliance/rules/{rule.pk}", {"enabled": False}, format="json")
    assert response.status_code == 403
    assert "compliance:manage" in response.json()["message"]
    rule.refresh_from_db()
    assert rule.enabled is True

    people_only = client_with(company, ["people:read", "people:write"])
    assert people_only.get("/api/compliance/rules").status_code == 403
    writer = client_with(company, ["compliance:manage"])
    assert (
        writer.put(f"/api/compliance/rules/{rule.pk}", {"enabled": False}, format="json").status_code == 200
    )
    assert writer.get(f"/api/compliance/rules/{rule.pk}").status_code == 403  # manage does not imply read


def test_other_company_rules_are_404(api, other_api, rules):
    rules_create_defaults(other_api.company)
    theirs = ComplianceRule.objects.get(company=other_api.company, code="frequency.voice")
    for response in (
        api.get(f"/api/compliance/rules/{theirs.pk}"),
        api.put(f"/api/compliance/rules/{theirs.pk}", {"enabled": False}, format="json"),
        api.get(f"/api/compliance/rules/{theirs.pk}/changes"),
    ):
        assert response.status_code == 404
        assert response.json()["status"] == 404
    theirs.refresh_from_db()
    assert theirs.enabled is True
    listed = {r["id"] for r in api.get("/api/compliance/rules?limit=100").json()["data"]}
    assert theirs.pk not in listed


@pytest.mark.parametrize("rule_id", ["CG-0000-0000", "ext-frequency.voice", "nonsense"])
def test_unknown_rule_is_404(api, rules, rule_id):
    assert api.get(f"/api/compliance/rules/{rule_id}").status_code == 404
    assert api.get(f"/api/compliance/rules/{rule_id}/changes").status_code == 404


def test_named_api_key_is_recorded_by_name(company, rules, client_with):
    client = client_with(company, ["compliance:manage"])
    ApiKey.objects.filter(pk=client.api_key.pk).update(name="CRM sync")
    rule = rules["frequency.email"]
    assert (
        client.put(f"/api/compliance/rules/{rule.pk}", {"enabled": False}, format="json").status_code == 200
    )
    change = ComplianceRuleChange.objects.filter(rule=rule).first()
    assert change.changed_by == {"id": client.api_key.pk, "name": "CRM sync", "userType": "integration"}


def test_list_queries_do_not_grow_with_rows(api, rules):
    def queries(path: str) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert api.get(path).status_code == 200
        return len(captured)

    rule = rules["frequency.voice"]
    queries("/api/compliance/rules")  # the key's first use writes its last_used_at
    assert queries("/api/compliance/rules?limit=2") == queries("/api/compliance/rules?limit=100")
    few = queries(f"/api/compliance/rules/{rule.pk}/changes")
    for enabled in (False, True, False):
        rule_update(rule, {"enabled": enabled}, changed_by=api.api_key)
    assert queries(f"/api/compliance/rules/{rule.pk}/changes") == few


@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # keeps the catalogue rows
def test_concurrent_edits_of_one_rule_keep_both_and_chain_their_history(company, rules):
    """Each edit merges into the row as locked, not as read before: neither is lost, and
    each change row's ``before`` is what the other left."""
    rule = rules["frequency.text"]
    barrier = threading.Barrier(2)
    edits = [
        {"parameters": {"windowDays": 10}},
        {"parameters": {"caps": {"light": 1, "normal": 2, "heavy": 3}}},
    ]

    def edit(data: dict) -> None:
        try:
            barrier.wait(timeout=10)
            rule_update(ComplianceRule.objects.get(pk=rule.pk), data, changed_by=SYSTEM_ACTOR)
        finally:
            db.connection.close()

    threads = [threading.Thread(target=edit, args=(data,)) for data in edits]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    rule.refresh_from_db()
    assert rule.parameters == {"windowDays": 10, "caps": {"light": 1, "normal": 2, "heavy": 3}}
    first, second = ComplianceRuleChange.objects.filter(rule=rule, before__isnull=False).order_by("id")
    assert second.before["parameters"] == first.after["parameters"]

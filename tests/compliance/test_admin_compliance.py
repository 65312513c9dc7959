"""Compliance Guard in the staff console: rule edits go through ``rule_update`` (and are
recorded), do-not-interact records through their services, the change history is
read-only, and a borrower's "can we contact now?" page shows every channel."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from django.db.models import Model
from django.urls import reverse
from django.utils import timezone

from compliance import services
from compliance.models import ComplianceRule, ComplianceRuleChange, DoNotInteract
from compliance.selectors import CONTACT_CHANNELS
from tests.factories import BorrowerFactory, CaseFactory, ContactFactory

pytestmark = pytest.mark.django_db


def url(model: type[Model], action: str, *args: object) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{action}", args=args)


def rule_form(rule: ComplianceRule, **changes: object) -> dict[str, object]:
    form = {
        "name": rule.name,
        "description": rule.description,
        "enabled": "on" if rule.enabled else "",
        "channels": rule.channels,
        "states": ", ".join(rule.states),
        "parameters": json.dumps(rule.parameters),
        "changes-TOTAL_FORMS": "0",
        "changes-INITIAL_FORMS": str(rule.changes.count()),
        "changes-MIN_NUM_FORMS": "0",
        "changes-MAX_NUM_FORMS": "1000",
    }
    form.update(changes)
    return {key: value for key, value in form.items() if value != ""}


@pytest.fixture
def record(borrower):  # noqa: ANN001, ANN201
    case = CaseFactory(borrower=borrower, case_type="ceaseCommunication")
    return services.do_not_interact_create(
        borrower=borrower, case=case, data={"channels": ["voice"], "themes": ["all"]}
    )


def test_pages_load(admin_client, rules, record):
    rule = rules["frequency.voice"]
    change = rule.changes.get()
    pages = [
        url(ComplianceRule, "changelist"),
        url(ComplianceRule, "change", rule.pk),
        url(ComplianceRuleChange, "changelist"),
        url(ComplianceRuleChange, "change", change.pk),
        url(DoNotInteract, "changelist"),
        url(DoNotInteract, "change", record.pk),
        url(DoNotInteract, "add"),
        url(DoNotInteract, "changelist") + "?state=active",
        url(DoNotInteract, "changelist") + "?state=deleted",
        url(DoNotInteract, "changelist") + f"?q={record.borrower_id}",
        url(ComplianceRule, "changelist") + f"?company__id__exact={rule.company_id}&family=frequency",
    ]
    for page in pages:
        response = admin_client.get(page)
        assert response.status_code == 200, page
    rule_page = admin_client.get(url(ComplianceRule, "change", rule.pk)).content.decode()
    assert "Change history (newest first)" in rule_page
    assert "shipped defaults (system)" in rule_page


def test_rules_cannot_be_added_or_deleted_and_history_is_read_only(admin_client, rules):
    rule = rules["frequency.voice"]
    change = rule.changes.get()
    assert admin_client.get(url(ComplianceRule, "add")).status_code == 403
    assert admin_client.post(url(ComplianceRule, "delete", rule.pk), {"post": "yes"}).status_code == 403
    assert admin_client.post(url(ComplianceRuleChange, "change", change.pk), {}).status_code == 403
    assert (
        admin_client.post(url(ComplianceRuleChange, "delete", change.pk), {"post": "yes"}).status_code == 403
    )
    assert ComplianceRule.objects.filter(pk=rule.pk).exists()
    assert ComplianceRuleChange.objects.filter(pk=change.pk).exists()


def test_rule_edit_goes_through_rule_update_and_is_recorded(admin_client, admin_user, rules):
    rule = rules["timeOfDay.WA"]
    parameters = {**rule.parameters, "start": "08:30"}
    response = admin_client.post(
        url(ComplianceRule, "change", rule.pk),
        rule_form(rule, parameters=json.dumps(parameters), states="wa, or"),
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    rule.refresh_from_db()
    assert rule.parameters == parameters
    assert rule.states == ["WA", "OR"]
    change = rule.changes.first()
    assert change.changed_by == {
        "id": str(admin_user.pk),
        "name": admin_user.get_username(),
        "userType": "agent",
    }
    assert change.before == {"states": ["WA"], "parameters": {**parameters, "start": "07:30"}}
    assert change.after == {"states": ["WA", "OR"], "parameters": parameters}


def test_rule_edit_replaces_the_whole_parameters_object(admin_client, rules):
    rule = rules["frequency.MA"]
    parameters = {"windowDays": 7, "caps": {"light": 2, "normal": 2, "heavy": 2}}  # combineChannels removed
    assert (
        admin_client.post(
            url(ComplianceRule, "change", rule.pk), rule_form(rule, parameters=json.dumps(parameters))
        ).status_code
        == 302
    )
    rule.refresh_from_db()
    assert rule.parameters == parameters


@pytest.mark.parametrize(
    "changes, problem",
    [
        (
            {
                "parameters": json.dumps(
                    {"start": "21:00", "end": "08:00", "scope": {"voice": "nonTransactional"}}
                )
            },
            "parameters.end",
        ),
        ({"parameters": json.dumps({"start": "08:00", "end": "21:00", "scope": {}})}, "parameters.scope"),
        ({"states": "WA, Narnia"}, "Unknown 2-letter USPS state code"),
        ({"name": "   "}, "name"),
    ],
)
def test_bad_rule_edit_shows_the_problem_and_writes_nothing(admin_client, rules, changes, problem):
    rule = rules["timeOfDay.WA"]
    before = ComplianceRule.objects.filter(pk=rule.pk).values().get()
    response = admin_client.post(url(ComplianceRule, "change", rule.pk), rule_form(rule, **changes))
    assert response.status_code == 200
    assert problem in response.content.decode()
    assert ComplianceRule.objects.filter(pk=rule.pk).values().get() == before
    assert rule.changes.count() == 1


def test_unchanged_save_records_nothing(admin_client, rules):
    rule = rules["frequency.text"]
    assert admin_client.post(url(ComplianceRule, "change", rule.pk), rule_form(rule)).status_code == 302
    assert rule.changes.count() == 1


def dni_form(**fields: object) -> dict[str, object]:
    return {"channels": ["voice"], "themes": ["all"], **fields}


def test_do_not_interact_add_edit_delete_through_services(admin_client, borrower):
    case = CaseFactory(borrower=borrower)
    end = (timezone.now() + timedelta(days=30)).date()
    response = admin_client.post(
        url(DoNotInteract, "add"),
        dni_form(borrower=borrower.pk, case=case.pk, channels=["voice", "text"], end_date=end.isoformat()),
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    record = DoNotInteract.objects.get()
    assert (record.company_id, record.borrower_id, record.case_id) == (
        borrower.company_id,
        borrower.pk,
        case.pk,
    )
    assert (record.channels, record.themes, record.end_date) == (["voice", "text"], ["all"], end)

    response = admin_client.post(
        url(DoNotInteract, "change", record.pk), dni_form(themes=["opsCollDebt"], end_date="")
    )
    assert response.status_code == 302
    record.refresh_from_db()
    assert (record.channels, record.themes, record.end_date) == (["voice"], ["opsCollDebt"], None)

    response = admin_client.post(url(DoNotInteract, "delete", record.pk), {"post": "yes"})
    assert response.status_code == 302
    record.refresh_from_db()
    assert record.deleted_at is not None  # soft: the row stays
    page = admin_client.get(url(DoNotInteract, "change", record.pk)).content.decode()
    assert 'name="_save"' not in page  # a deleted record is history


@pytest.mark.parametrize(
    "fields, problem",
    [
        ({"channels": ["all", "voice"]}, "stands alone"),
        ({"end_date": "someday"}, "Enter a valid date"),
        ({"other_case": True}, "not the borrower"),
    ],
)
def test_bad_do_not_interact_shows_the_problem_and_writes_nothing(admin_client, borrower, fields, problem):
    case = (
        CaseFactory(borrower=BorrowerFactory(company=borrower.company))
        if fields.pop("other_case", None)
        else None
    )
    form = dni_form(borrower=borrower.pk, **fields)
    if case is not None:
        form["case"] = case.pk
    response = admin_client.post(url(DoNotInteract, "add"), form)
    assert response.status_code == 200
    assert problem in response.content.decode()
    assert DoNotInteract.objects.count() == 0


def _rows(html: str) -> dict[str, str]:
    return {
        channel: body
        for channel, body in re.findall(r'<tr class="channel-(\w+)">(.*?)</tr>', html, flags=re.DOTALL)
    }


def test_can_contact_page_shows_every_channel(admin_client, rules, borrower):
    borrower.timezone = "America/New_York"
    borrower.save()
    ContactFactory(borrower=borrower, value="ada@example.com")
    ContactFactory(borrower=borrower, contact_type="phone", value="+12125550100", receive_text_messages=True)
    page_url = reverse("admin:compliance_can_contact", args=[borrower.pk])
    response = admin_client.get(page_url)
    assert response.status_code == 200
    html = response.content.decode()
    assert list(_rows(html)) == list(CONTACT_CHANNELS) == ["email", "text", "voice", "mail"]
    assert f"?company__id__exact={borrower.company_id}" in html  # the rules' changelist

    # 21:00 in New York: every channel but mail waits for 08:00; mail has no address.
    rows = _rows(admin_client.get(page_url + "?at=2026-11-26T02:00:00Z").content.decode())
    for channel in ("email", "text", "voice"):
        assert "not allowed" in rows[channel]
        assert "timeOfDay" in rows[channel]
        assert rules["timeOfDay.federal"].pk in rows[channel]
        assert "2026-11-26 13:00:00 UTC" in rows[channel]
        assert "2026-11-26 08:00:00 EST" in rows[channel]
    assert "contactEligibility" in rows["mail"]
    assert "never (waiting will not help)" in rows["mail"]

    # Midday, a servicing theme: email, text and voice are allowed.
    rows = _rows(admin_client.get(page_url + "?theme=opsServicing&at=2026-11-25T17:00:00Z").content.decode())
    for channel in ("email", "text", "voice"):
        assert "<strong>allowed</strong>" in rows[channel], rows[channel]

    assert admin_client.get(page_url + "?theme=nope&at=soon").status_code == 200
    assert admin_client.get(reverse("admin:compliance_can_contact", args=["BO-0000-0000"])).status_code == 404


def test_can_contact_page_needs_staff(client, borrower):
    response = client.get(reverse("admin:compliance_can_contact", args=[borrower.pk]))
    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_rule_list_search_by_code_and_id(admin_client, rules):
    rule = rules["frequency.MA"]
    by_id = admin_client.get(url(ComplianceRule, "changelist") + f"?q={rule.pk}").content.decode()
    assert url(ComplianceRule, "change", rule.pk) in by_id
    by_code = admin_client.get(url(ComplianceRule, "changelist") + "?q=frequency.MA").content.decode()
    assert url(ComplianceRule, "change", rule.pk) in by_code
    assert url(ComplianceRule, "change", rules["timeOfDay.WA"].pk) not in by_code

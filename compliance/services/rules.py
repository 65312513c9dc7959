"""The company's rule rows: created from the shipped defaults, edited with an audit row
(:class:`ComplianceRuleChange`) naming who changed what."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction

from borrowers.models import ApiKey, Company
from borrowers.validators import US_STATES, FieldErrors
from compliance.models import ComplianceRule, ComplianceRuleChange
from compliance.services.checks import _channels, _check_parameters, _unique_values
from compliance.services.defaults import default_rules

#: The fields of a rule row compliance staff may change (model names; the API's are equal).
RULE_EDITABLE_FIELDS = ("name", "description", "enabled", "parameters", "channels", "states")
#: ``changedBy`` of the rows created from the shipped defaults.
SYSTEM_ACTOR: dict[str, Any] = {"id": None, "name": "shipped defaults", "userType": "system"}

NAME_MAX = 200
DESCRIPTION_MAX = 5_000

Actor = ApiKey | AbstractBaseUser | Mapping[str, Any]


def actor_of(who: Actor) -> dict[str, Any]:
    """``changedBy`` for an API key (an integration) or an admin user (an agent)."""
    if isinstance(who, ApiKey):
        return {"id": who.pk, "name": who.name or f"{who.key_hint}…", "userType": "integration"}
    if isinstance(who, AbstractBaseUser):
        name = getattr(who, "get_full_name", lambda: "")() or who.get_username()
        return {"id": str(who.pk), "name": name, "userType": "agent"}
    if isinstance(who, Mapping) and {"id", "name", "userType"} <= set(who):
        return {"id": who["id"], "name": who["name"], "userType": who["userType"]}
    raise TypeError(f"Cannot record {who!r} as the author of a change.")


def rule_snapshot(rule: ComplianceRule) -> dict[str, Any]:
    """The editable fields of a rule row, as an audit row stores them."""
    return {field: copy.deepcopy(getattr(rule, field)) for field in RULE_EDITABLE_FIELDS}


# Rule rows


def rules_create_defaults(company: Company) -> list[ComplianceRule]:
    """Create the company's rule rows from the shipped defaults, one per ``code`` the
    company does not have yet; rows it has (edited or not) are left alone, so calling this
    again, concurrently or after a release ships a new default, only adds what is missing.
    Each row created gets a change row (``before`` null, ``changedBy`` the system).
    Returns the rows created."""
    with transaction.atomic():
        existing = set(ComplianceRule.objects.filter(company_id=company.pk).values_list("code", flat=True))
        rows = [
            ComplianceRule(
                company=company,
                family=default["family"],
                code=default["code"],
                name=default["name"],
                description=default.get("description", ""),
                parameters=copy.deepcopy(default.get("parameters", {})),
                channels=list(default.get("channels", [])),
                states=list(default.get("states", [])),
                enabled=default.get("enabled", True),
            )
            for default in default_rules()
            if default["code"] not in existing
        ]
        if not rows:
            return []
        # A concurrent call may have created some codes since the read: skip those.
        ComplianceRule.objects.bulk_create(rows, ignore_conflicts=True)
        inserted = set(
            ComplianceRule.objects.filter(pk__in=[r.pk for r in rows]).values_list("pk", flat=True)
        )
        created = [row for row in rows if row.pk in inserted]
        ComplianceRuleChange.objects.bulk_create(
            ComplianceRuleChange(
                rule=row, company=company, changed_by=SYSTEM_ACTOR, before=None, after=rule_snapshot(row)
            )
            for row in created
        )
    return created


def rule_update(
    rule: ComplianceRule, data: Mapping[str, Any], changed_by: Actor, *, merge_parameters: bool = True
) -> ComplianceRule:
    """Change the fields of ``data`` (a subset of :data:`RULE_EDITABLE_FIELDS`).

    ``parameters`` is merged one level deep: each key sent replaces that key, keys not
    sent keep their value (``merge_parameters=False``, for a form that edits the whole
    object: it replaces them), and the result must be a valid whole for the rule's family
    (:func:`rule_clean`). Any problem raises :class:`InvalidInput` naming each field
    (``parameters.start``) and writes nothing. A change saves the row and one
    :class:`ComplianceRuleChange` (the changed fields before and after, and who) in one
    transaction, under a row lock, so concurrent edits each record the state they replaced.
    Sending the current values changes nothing and records nothing. Returns the row as saved.
    """
    actor = actor_of(changed_by)
    with transaction.atomic():
        locked = ComplianceRule.objects.select_for_update().get(pk=rule.pk)
        cleaned = rule_clean(locked, data, merge_parameters=merge_parameters)
        changed = {field: value for field, value in cleaned.items() if getattr(locked, field) != value}
        if not changed:
            return locked
        before = {field: copy.deepcopy(getattr(locked, field)) for field in changed}
        for field, value in changed.items():
            setattr(locked, field, value)
        locked.save(update_fields=[*changed, "updated_at"])
        ComplianceRuleChange.objects.create(
            rule=locked,
            company_id=locked.company_id,
            changed_by=actor,
            before=before,
            after=copy.deepcopy(changed),
        )
    return locked


def rule_clean(
    rule: ComplianceRule, data: Mapping[str, Any], *, merge_parameters: bool = True
) -> dict[str, Any]:
    """The normalised values ``data`` would give ``rule``, or :class:`InvalidInput` naming
    every problem. Used by :func:`rule_update` and by the admin form (to show the problems
    next to the fields); writes nothing."""
    errors = FieldErrors()
    cleaned: dict[str, Any] = {}
    for field in sorted(set(data) - set(RULE_EDITABLE_FIELDS)):
        errors.add(field, "Not an editable field of a rule.")
    if "name" in data:
        name = data["name"].strip() if isinstance(data["name"], str) else None
        if not name or len(name) > NAME_MAX:
            errors.add("name", f"Must be a non-empty text of at most {NAME_MAX} characters.")
        cleaned["name"] = name
    if "description" in data:
        description = data["description"]
        if not isinstance(description, str) or len(description) > DESCRIPTION_MAX:
            errors.add("description", f"Must be a text of at most {DESCRIPTION_MAX} characters.")
        cleaned["description"] = description
    if "enabled" in data:
        if not isinstance(data["enabled"], bool):
            errors.add("enabled", "Must be true or false.")
        cleaned["enabled"] = data["enabled"]
    if "channels" in data:
        cleaned["channels"] = _unique_values(
            data["channels"], _channels(), errors, "channels", "channel", allow_empty=True
        )
    if "states" in data:
        states = data["states"]
        if isinstance(states, list) and all(isinstance(s, str) for s in states):
            states = [s.strip().upper() for s in states]
        cleaned["states"] = _unique_values(
            states, US_STATES, errors, "states", "2-letter USPS state code", allow_empty=True
        )
    if "parameters" in data:
        sent = data["parameters"]
        if not isinstance(sent, dict):
            errors.add("parameters", "Must be a JSON object.")
        else:
            merged = {**(rule.parameters if merge_parameters else {}), **sent}
            merged = copy.deepcopy(merged)
            _check_parameters(rule.family, merged, errors)
            cleaned["parameters"] = merged
    errors.raise_if_any()
    return cleaned

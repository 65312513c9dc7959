"""Writes of Compliance Guard's data: the company's rule rows (created from the shipped
defaults, edited with an audit row) and do-not-interact records.

Rule parameters are data the guard reads (``compliance/rules/<family>.py``); this module
checks that an edit keeps them in the shape the guard expects, so a rule can never be
saved in a form the guard would misread.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable, Collection, Mapping
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from borrowers.models import ApiKey, Borrower, Case, Company, Contact
from borrowers.validators import US_STATES, FieldErrors
from compliance.models import ComplianceRule, ComplianceRuleChange, DoNotInteract, RuleFamily
from interactions import catalogue
from peachcomms.errors import Conflict, NotFound
from subjects.selectors import subject_names, theme_names

DEFAULTS_PATH = Path(__file__).with_name("defaults.json")

#: The fields of a rule row compliance staff may change (model names; the API's are equal).
RULE_EDITABLE_FIELDS = ("name", "description", "enabled", "parameters", "channels", "states")
#: ``changedBy`` of the rows created from the shipped defaults.
SYSTEM_ACTOR: dict[str, Any] = {"id": None, "name": "shipped defaults", "userType": "system"}
#: ``channels``/``themes`` of a do-not-interact may be exactly this instead of a list of values.
ALL = "all"

NAME_MAX = 200
DESCRIPTION_MAX = 5_000
WINDOW_DAYS_MAX = 90
#: A cap above this is a typo; it also bounds the ``cap + 1`` rows a frequency check reads.
CAP_MAX = 1_000
TIME_SCOPES = ("nonTransactional", "debtCollection")
BLOCK_THEME_GROUPS = ("debtCollection", "all")
_HHMM_RE = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")

Actor = ApiKey | AbstractBaseUser | Mapping[str, Any]


@cache
def default_rules() -> tuple[dict[str, Any], ...]:
    """The shipped rule rows (``compliance/defaults.json``), read once per process."""
    return tuple(json.loads(DEFAULTS_PATH.read_text())["rules"])


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


# Parameters of each family: {key: checker}; a checker adds problems to ``errors`` under
# the field name it is given. ``required`` keys must be present after the merge.

Checker = Callable[[Any, FieldErrors, str], None]


def _channels() -> list[str]:
    return catalogue.channel_values(include_deprecated=False)


def _unique_values(
    value: Any,
    known: Any,
    errors: FieldErrors,
    field: str,
    what: str,
    *,
    allow_empty: bool,
) -> list[str]:
    """A list of distinct known strings (order kept)."""
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        errors.add(field, "Must be a list of strings.")
        return value
    if not value and not allow_empty:
        errors.add(field, "Must not be empty.")
    unknown = [item for item in value if item not in known]
    if unknown:
        errors.add(field, f"Unknown {what}: {', '.join(repr(u[:40]) for u in unknown[:5])}.")
    return list(dict.fromkeys(value))


def _values_of(known: Callable[[], Any], what: str, *, allow_empty: bool = True) -> Checker:
    def check(value: Any, errors: FieldErrors, field: str) -> None:
        _unique_values(value, set(known()), errors, field, what, allow_empty=allow_empty)

    return check


def _boolean(value: Any, errors: FieldErrors, field: str) -> None:
    if not isinstance(value, bool):
        errors.add(field, "Must be true or false.")


def _integer(low: int, high: int) -> Checker:
    def check(value: Any, errors: FieldErrors, field: str) -> None:
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            errors.add(field, f"Must be an integer from {low} to {high}.")

    return check


def _hhmm(value: Any, errors: FieldErrors, field: str) -> None:
    if not isinstance(value, str) or not _HHMM_RE.match(value):
        errors.add(field, "Must be a local time HH:MM (00:00 to 23:59).")


def _choice(choices: tuple[str, ...] | list[str]) -> Checker:
    def check(value: Any, errors: FieldErrors, field: str) -> None:
        if value not in choices:
            errors.add(field, f"Must be one of: {', '.join(choices)}.")

    return check


def _caps(value: Any, errors: FieldErrors, field: str) -> None:
    intensities = Borrower.CollectionsIntensity.values
    if not isinstance(value, dict) or set(value) != set(intensities):
        errors.add(field, f"Must be an object with exactly the keys {', '.join(intensities)}.")
        return
    for intensity in intensities:
        _integer(1, CAP_MAX)(value[intensity], errors, f"{field}.{intensity}")


def _time_scope(value: Any, errors: FieldErrors, field: str) -> None:
    if not isinstance(value, dict) or not value:
        errors.add(field, "Must be an object {channel: " + " | ".join(TIME_SCOPES) + "}.")
        return
    for channel, scope in value.items():
        if channel not in _channels():
            errors.add(field, f"Unknown channel '{channel[:40]}'.")
        else:
            _choice(TIME_SCOPES)(scope, errors, f"{field}.{channel}")


def _channel_contact_types(value: Any, errors: FieldErrors, field: str) -> None:
    if not isinstance(value, dict) or not value:
        errors.add(field, "Must be an object {channel: [contactType, ...]}.")
        return
    for channel, types in value.items():
        if channel not in _channels():
            errors.add(field, f"Unknown channel '{channel[:40]}'.")
        else:
            _values_of(lambda: Contact.ContactType.values, "contact type")(
                types, errors, f"{field}.{channel}"
            )


def _block_themes(value: Any, errors: FieldErrors, field: str) -> None:
    if isinstance(value, str):
        _choice(BLOCK_THEME_GROUPS)(value, errors, field)
    else:
        _values_of(theme_names, "theme", allow_empty=False)(value, errors, field)


def _subject_prefixes(value: Any, errors: FieldErrors, field: str) -> None:
    if not isinstance(value, list) or not all(isinstance(p, str) and p for p in value):
        errors.add(field, "Must be a list of non-empty strings.")


_EXCEPTION_KEYS: dict[str, Checker] = {
    "subjects": _values_of(subject_names, "subject"),
    "subjectPrefixes": _subject_prefixes,
    "affiliations": _values_of(lambda: Contact.Affiliation.values, "affiliation"),
}


def _case_exceptions(value: Any, errors: FieldErrors, field: str) -> None:
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        errors.add(field, "Must be a list of objects {subjects, subjectPrefixes, affiliations}.")
        return
    for index, exception in enumerate(value):
        _check_object(exception, _EXCEPTION_KEYS, set(), errors, f"{field}[{index}]")


FAMILY_PARAMETERS: dict[str, tuple[dict[str, Checker], set[str]]] = {
    RuleFamily.BORROWER_STATUS: (
        {
            "statuses": _values_of(lambda: Borrower.Status.values, "borrower status", allow_empty=False),
            "allowTransactional": _boolean,
            "allowThemes": _values_of(theme_names, "theme"),
        },
        {"statuses"},
    ),
    RuleFamily.DO_NOT_INTERACT: ({"neverCoveredByAll": _values_of(theme_names, "theme")}, set()),
    RuleFamily.CASE_HOLD: (
        {
            "caseType": _choice(Case.CaseType.values),
            "blockThemes": _block_themes,
            "blockSubjects": _values_of(subject_names, "subject", allow_empty=False),
            "exceptThemes": _values_of(theme_names, "theme"),
            "exceptions": _case_exceptions,
        },
        {"caseType"},
    ),
    RuleFamily.CONTACT_ELIGIBILITY: (
        {
            "channelContactTypes": _channel_contact_types,
            "textRequiresConsent": _boolean,
            "autodialRequiresConsent": _boolean,
            "debtCollectionAffiliations": _values_of(
                lambda: Contact.Affiliation.values, "affiliation", allow_empty=False
            ),
        },
        {"channelContactTypes", "debtCollectionAffiliations"},
    ),
    RuleFamily.TIME_OF_DAY: ({"start": _hhmm, "end": _hhmm, "scope": _time_scope}, {"start", "end", "scope"}),
    RuleFamily.FREQUENCY: (
        {"windowDays": _integer(1, WINDOW_DAYS_MAX), "caps": _caps, "combineChannels": _boolean},
        {"windowDays", "caps"},
    ),
    RuleFamily.POST_CONVERSATION: (
        {
            "days": _integer(1, WINDOW_DAYS_MAX),
            "statusDetails": _values_of(catalogue.status_details_values, "status details", allow_empty=False),
        },
        {"days", "statusDetails"},
    ),
}


def _check_object(
    value: dict[str, Any],
    checkers: Mapping[str, Checker],
    required: set[str],
    errors: FieldErrors,
    field: str,
    *,
    also_allowed: Collection[str] = (),
) -> None:
    for key in sorted(required - set(value)):
        errors.add(f"{field}.{key}", "Required.")
    for key, item in value.items():
        if key in checkers:
            checkers[key](item, errors, f"{field}.{key}")
        elif key not in also_allowed:
            errors.add(f"{field}.{key}", "Unknown parameter.")


def _check_parameters(family: str, parameters: dict[str, Any], errors: FieldErrors) -> None:
    checkers, required = FAMILY_PARAMETERS[family]
    # Keys a shipped default of the family carries are the guard's even if not checked here.
    shipped = {key for d in default_rules() if d["family"] == family for key in d.get("parameters", {})}
    _check_object(parameters, checkers, required, errors, "parameters", also_allowed=shipped)
    if family == RuleFamily.CASE_HOLD and not {"blockThemes", "blockSubjects"} & set(parameters):
        errors.add("parameters", "A case hold needs blockThemes or blockSubjects.")
    if family == RuleFamily.TIME_OF_DAY:
        start, end = parameters.get("start"), parameters.get("end")
        valid = all(isinstance(t, str) and _HHMM_RE.match(t) for t in (start, end))
        if valid and start >= end:
            errors.add("parameters.end", f"Must be later than start ({start}).")


# Do-not-interact records


def do_not_interact_create(
    *, borrower: Borrower, data: Mapping[str, Any], case: Case | None = None
) -> DoNotInteract:
    """A do-not-interact record of ``borrower``, usually on one of its cases.

    ``data``: ``channels`` and ``themes`` (required; known values, or exactly ``["all"]``)
    and ``end_date`` (optional; the record is active through the end of that day in the
    company's time zone; any date is accepted, since decisions may be asked for past or
    future instants, and a past one makes a record that is no longer active now). A case of
    another borrower is :class:`NotFound`; bad values are :class:`InvalidInput` naming each
    field; nothing is written either way.
    """
    if case is not None and (case.borrower_id != borrower.pk or case.company_id != borrower.company_id):
        raise NotFound(f"caseId: no case '{case.pk}' of this borrower.")
    cleaned = do_not_interact_clean(data, current=None)
    return DoNotInteract.objects.create(
        company_id=borrower.company_id, borrower=borrower, case=case, **cleaned
    )


def do_not_interact_update(*, do_not_interact: DoNotInteract, data: Mapping[str, Any]) -> DoNotInteract:
    """Change the fields of ``data`` (``channels``, ``themes``, ``end_date``; same checks
    as :func:`do_not_interact_create`; ``end_date`` None removes the end). A deleted record
    cannot change (:class:`Conflict`): create a new one."""
    with transaction.atomic():
        locked = (
            DoNotInteract.objects.select_for_update().select_related("company").get(pk=do_not_interact.pk)
        )
        if locked.deleted_at is not None:
            raise Conflict(f"Do-not-interact '{locked.pk}' was deleted; create a new one instead.")
        cleaned = do_not_interact_clean(data, current=locked)
        changed = {field: value for field, value in cleaned.items() if getattr(locked, field) != value}
        if changed:
            for field, value in changed.items():
                setattr(locked, field, value)
            locked.save(update_fields=[*changed, "updated_at"])
    return locked


def do_not_interact_delete(*, do_not_interact: DoNotInteract) -> DoNotInteract:
    """Soft delete: the record stops applying now and stays in the borrower's history.
    Deleting a deleted record changes nothing (its ``deleted_at`` is kept)."""
    with transaction.atomic():
        locked = DoNotInteract.objects.select_for_update().get(pk=do_not_interact.pk)
        if locked.deleted_at is None:
            locked.deleted_at = timezone.now()
            locked.save(update_fields=["deleted_at", "updated_at"])
    return locked


_DO_NOT_INTERACT_FIELDS = {"channels": "channels", "themes": "themes", "end_date": "endDate"}


def do_not_interact_clean(data: Mapping[str, Any], *, current: DoNotInteract | None) -> dict[str, Any]:
    """The normalised values of ``data`` for a new record (``current`` None) or a change
    of ``current``, or :class:`InvalidInput` naming every problem (API names: ``endDate``).
    Used by the services and the admin form; writes nothing."""
    errors = FieldErrors()
    cleaned: dict[str, Any] = {}
    for field in sorted(set(data) - set(_DO_NOT_INTERACT_FIELDS)):
        errors.add(field, "Not a field of a do-not-interact.")
    for field, known, what in (("channels", _channels, "channel"), ("themes", theme_names, "theme")):
        if field not in data:
            if current is None:
                errors.add(field, f'Required: a list of {what}s, or ["all"].')
            continue
        cleaned[field] = _all_or_values(data[field], known(), errors, field, what)
    if "end_date" in data:
        end_date = data["end_date"]
        if end_date is not None and not isinstance(end_date, date):
            errors.add("endDate", "Must be a date YYYY-MM-DD or null.")
        cleaned["end_date"] = end_date
    errors.raise_if_any()
    return cleaned


def _all_or_values(value: Any, known: list[str], errors: FieldErrors, field: str, what: str) -> list[str]:
    values = _unique_values(value, [*known, ALL], errors, field, what, allow_empty=False)
    if isinstance(values, list) and ALL in values and len(values) > 1:
        errors.add(field, f'"all" stands alone: send ["all"] or a list of {what}s.')
    return values


__all__ = [
    "RULE_EDITABLE_FIELDS",
    "actor_of",
    "default_rules",
    "do_not_interact_clean",
    "do_not_interact_create",
    "do_not_interact_delete",
    "do_not_interact_update",
    "rule_clean",
    "rule_snapshot",
    "rule_update",
    "rules_create_defaults",
]

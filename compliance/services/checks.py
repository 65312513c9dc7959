"""Checks of rule parameters, per family, so a rule can never be saved in a form the guard
would misread; and the list-of-known-values check that rule and do-not-interact fields share."""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping
from typing import Any

from borrowers.models import Borrower, Case, Contact
from borrowers.validators import FieldErrors
from compliance.models import RuleFamily
from compliance.services.defaults import default_rules
from interactions import catalogue
from subjects.selectors import subject_names, theme_names

WINDOW_DAYS_MAX = 90
#: A cap above this is a typo; it also bounds the ``cap + 1`` rows a frequency check reads.
CAP_MAX = 1_000
TIME_SCOPES = ("nonTransactional", "debtCollection")
BLOCK_THEME_GROUPS = ("debtCollection", "all")
_HHMM_RE = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


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

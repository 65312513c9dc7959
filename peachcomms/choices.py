"""The one wording of "that value is not one of ours", for every enum the service checks.

A short enum (a channel, a status, a theme) is listed in full, so the caller can fix the
request from the error alone. A long one (the ~90 subjects) would bury the answer, so the
message suggests the closest value instead (``paymentReminder`` → ``paymentDueReminder``)
and says where the full list is.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

#: Enums with at most this many values are listed in full in the error.
LIST_IN_FULL_MAX = 30
#: How alike a suggestion must be (difflib's ratio, case-insensitive).
SUGGESTION_CUTOFF = 0.6
_SHOWN_INPUT = 64


def closest_choice(value: object, choices: Iterable[str]) -> str | None:
    """The choice most like ``value`` (case-insensitive), or None when none is close."""
    if not isinstance(value, str) or not value:
        return None
    by_lower: dict[str, str] = {}
    for choice in choices:
        by_lower.setdefault(str(choice).lower(), str(choice))
    found = difflib.get_close_matches(value.lower(), by_lower, n=1, cutoff=SUGGESTION_CUTOFF)
    return by_lower[found[0]] if found else None


def choice_hint(value: object, choices: Iterable[str], *, listed_at: str | None = None) -> str:
    """What to send instead of ``value``: the valid values when there are few, else the
    closest one (and ``listed_at``, where the caller finds them all)."""
    values = [str(choice) for choice in choices]
    if len(values) <= LIST_IN_FULL_MAX:
        return f"Must be one of: {', '.join(values)}."
    suggestion = closest_choice(value, values)
    where = f"See {listed_at} for the valid values." if listed_at else ""
    if suggestion is None:
        return where or "No valid value is close to it."
    return f"Did you mean '{suggestion}'?" + (f" {where}" if where else "")


def invalid_choice(value: object, choices: Iterable[str], *, listed_at: str | None = None) -> str:
    """The problem of an enum field: ``"'fax' is not a valid choice. Must be one of: …."``."""
    return f"'{shown(value)}' is not a valid choice. {choice_hint(value, choices, listed_at=listed_at)}"


def shown(value: object) -> str:
    """``value`` as quoted in a message, cut to a readable length."""
    return str(value)[:_SHOWN_INPUT]

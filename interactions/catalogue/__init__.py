"""The interaction enums of data.md as shipped data: channels, statuses and their forward
transitions, status details and agent outcomes.

Each JSON file next to this module is read once per process. A lender extends a catalogue
by editing its file; code asks the accessors below and never lists values itself.
Compliance Guard reads the ``counts`` column through :func:`counts_for_frequency`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Literal

CATALOGUE_DIR = Path(__file__).parent

Counts = Literal["A", "C"]


@dataclass(frozen=True)
class StatusDetail:
    value: str
    #: the channels it fits; None: every channel.
    channels: frozenset[str] | None
    directions: frozenset[str]
    implies: str
    #: Compliance Guard frequency counting: "A" attempt, "C" contact, None not counted.
    counts: Counts | None


@dataclass(frozen=True)
class Status:
    value: str
    final: bool
    next: tuple[str, ...]


def _read(name: str) -> dict[str, Any]:
    return json.loads((CATALOGUE_DIR / name).read_text())


@cache
def _channels() -> dict[str, bool]:
    return {row["value"]: row["deprecated"] for row in _read("channels.json")["channels"]}


@cache
def _statuses() -> dict[str, Status]:
    rows = _read("statuses.json")["statuses"]
    return {row["value"]: Status(row["value"], row["final"], tuple(row["next"])) for row in rows}


@cache
def _status_details() -> dict[str, StatusDetail]:
    return {
        row["value"]: StatusDetail(
            value=row["value"],
            channels=None if row["channels"] is None else frozenset(row["channels"]),
            directions=frozenset(row["directions"]),
            implies=row["implies"],
            counts=row["counts"],
        )
        for row in _read("status_details.json")["statusDetails"]
    }


@cache
def _agent_outcomes() -> tuple[str, ...]:
    return tuple(_read("agent_outcomes.json")["agentOutcomes"])


def clear_cache() -> None:
    """Forget the loaded files (tests that swap a catalogue call this)."""
    for cached in (_channels, _statuses, _status_details, status_details_counted, _agent_outcomes):
        cached.cache_clear()


# Channels


def channel_values(*, include_deprecated: bool = True) -> list[str]:
    return [value for value, deprecated in _channels().items() if include_deprecated or not deprecated]


def channel_is_deprecated(value: str) -> bool:
    return _channels().get(value, False)


# Statuses


def status_values() -> list[str]:
    return list(_statuses())


def status_is_final(value: str) -> bool:
    status = _statuses().get(value)
    return status is not None and status.final


def status_next(value: str) -> tuple[str, ...]:
    """The statuses ``value`` may move to (empty for a final or unknown status)."""
    status = _statuses().get(value)
    return status.next if status is not None else ()


def can_transition(old: str, new: str) -> bool:
    """True when a status may move from ``old`` to ``new`` (forward only; staying put is
    not a transition and is False here)."""
    return new in status_next(old)


# Status details


def status_details_values() -> list[str]:
    return list(_status_details())


def status_details_get(value: str) -> StatusDetail | None:
    return _status_details().get(value)


def status_details_fits(value: str, channel: str, direction: str) -> bool:
    detail = _status_details().get(value)
    if detail is None:
        return False
    return (detail.channels is None or channel in detail.channels) and direction in detail.directions


def status_details_implies(value: str) -> str | None:
    detail = _status_details().get(value)
    return detail.implies if detail is not None else None


def counts_for_frequency(value: str | None) -> Counts | None:
    """How Compliance Guard frequency limits count an interaction with these status
    details: "A" (attempt), "C" (contact) or None (not counted; also for None/unknown)."""
    detail = _status_details().get(value) if value else None
    return detail.counts if detail is not None else None


@cache
def status_details_counted() -> frozenset[str]:
    """Every status-details value that frequency limits count (A or C)."""
    return frozenset(value for value, detail in _status_details().items() if detail.counts is not None)


# Agent outcomes


def agent_outcome_values() -> list[str]:
    return list(_agent_outcomes())

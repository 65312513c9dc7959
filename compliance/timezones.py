"""Where a borrower is in time: the candidate time zones Compliance Guard checks a local
window against, and DST-correct window arithmetic.

Resolution (compliance.md, "timeOfDay"): the borrower's explicit ``timezone`` if set;
else the zones of every address contact's state (``compliance/data/us_state_timezones.json``;
a state spanning several zones contributes all of them) and of every phone contact's area
code (``phonenumbers``' time-zone data); else the company's zone. Archived contacts are
ignored. A local window must hold in **every** candidate zone.

Local times are always built from a local date and a wall-clock time with ``zoneinfo``
(never by adding hours to an instant), so spring-forward and fall-back days, Arizona
(no DST) and Hawaii come out right.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from phonenumbers import timezone as phone_timezone

from borrowers.models import Borrower, Company, Contact

DATA_DIR = Path(__file__).with_name("data")
#: Countries whose address ``state`` is a USPS code (blank country means US: addresses
#: are stored with the country defaulted to US).
US_COUNTRIES = frozenset({"", "US"})
#: ``phonenumbers`` answers this for numbers it cannot place.
UNKNOWN_ZONE = "Etc/Unknown"
#: How many window openings :func:`next_common_opening` tries before deciding the zones
#: share no window at all (each try moves past one zone's closing, so a handful suffices).
MAX_OPENING_TRIES = 16


@cache
def _state_data() -> tuple[dict[str, tuple[str, ...]], dict[str, str]]:
    data = json.loads((DATA_DIR / "us_state_timezones.json").read_text())
    states = {code: tuple(zones) for code, zones in data["states"].items()}
    return states, dict(data["names"])


@cache
def zone(name: str) -> ZoneInfo | None:
    """The zone, or None for an empty or unknown name."""
    if not name or name == UNKNOWN_ZONE:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def state_code(state: str, country: str = "") -> str | None:
    """The USPS code of a US address's state (codes and full names accepted), or None."""
    if (country or "").strip().upper() not in US_COUNTRIES:
        return None
    value = (state or "").strip().upper()
    states, names = _state_data()
    if value in states:
        return value
    return names.get(value)


def zones_for_state(code: str) -> tuple[str, ...]:
    return _state_data()[0].get(code, ())


def zones_for_phone(value: str) -> tuple[str, ...]:
    """The zones ``phonenumbers`` gives the number's area code (empty when unknown)."""
    try:
        number = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException:
        return ()
    return tuple(z for z in phone_timezone.time_zones_for_number(number) if zone(z) is not None)


def _located_contacts(contacts: Iterable[Contact]) -> list[Contact]:
    return [c for c in contacts if c.status != Contact.Status.ARCHIVED]


def borrower_states(contacts: Iterable[Contact]) -> frozenset[str]:
    """The US states the borrower is located in: the states of their address contacts
    (archived ones ignored). Phone area codes are not used here: a number moves with its
    owner, an address says where they live, and state rows (e.g. Massachusetts' cap) are
    about residence."""
    codes = (
        state_code(c.state, c.country)
        for c in _located_contacts(contacts)
        if c.contact_type == Contact.ContactType.ADDRESS
    )
    return frozenset(code for code in codes if code)


@dataclass(frozen=True)
class CandidateZones:
    """The zones a local-time rule must hold in, and where they came from
    (``borrower``, ``contacts`` or ``company``) for the decision's message."""

    names: tuple[str, ...]
    source: str

    @property
    def zones(self) -> tuple[ZoneInfo, ...]:
        return tuple(z for z in (zone(name) for name in self.names) if z is not None)

    def describe(self) -> str:
        return f"{', '.join(self.names)} ({_SOURCES[self.source]})"


_SOURCES = {
    "borrower": "the borrower's time zone",
    "contacts": "from the borrower's addresses and phone numbers",
    "company": "the company's time zone; the borrower's location is unknown",
}


def candidate_zones(borrower: Borrower, contacts: Iterable[Contact], company: Company) -> CandidateZones:
    """The borrower's candidate time zones (see the module docstring), sorted by name."""
    if zone(borrower.timezone) is not None:
        return CandidateZones((borrower.timezone,), "borrower")
    names: set[str] = set()
    for contact in _located_contacts(contacts):
        if contact.contact_type == Contact.ContactType.ADDRESS:
            code = state_code(contact.state, contact.country)
            names.update(zones_for_state(code) if code else ())
        elif contact.contact_type == Contact.ContactType.PHONE and contact.value:
            names.update(zones_for_phone(contact.value))
    names = {name for name in names if zone(name) is not None}
    if names:
        return CandidateZones(tuple(sorted(names)), "contacts")
    return CandidateZones((company.timezone if zone(company.timezone) else "UTC",), "company")


# Local-time arithmetic


def local_start_of_day(day: date, tz: ZoneInfo) -> datetime:
    """The instant (UTC) at which ``day`` begins in ``tz``."""
    return local_instant(day, time(0, 0), tz)


def local_instant(day: date, wall: time, tz: ZoneInfo) -> datetime:
    """The instant (UTC) of the wall-clock time ``wall`` on ``day`` in ``tz``. A repeated
    wall time (fall-back) is its first occurrence; one that does not exist (skipped by a
    spring-forward) is read with the offset before the change, so the clock then shows a
    time after the gap, never one before ``wall``."""
    return datetime.combine(day, wall, tzinfo=tz).astimezone(UTC)


def local_date(at: datetime, tz: ZoneInfo) -> date:
    return at.astimezone(tz).date()


def in_window(at: datetime, tz: ZoneInfo, start: time, end: time) -> bool:
    """Whether the local time of ``at`` in ``tz`` is in ``[start, end)``."""
    local = at.astimezone(tz).time()
    return start <= local < end


def next_opening(at: datetime, tz: ZoneInfo, start: time, end: time) -> datetime:
    """The earliest instant ≥ ``at`` whose local time in ``tz`` is in ``[start, end)``,
    found by walking local dates (DST-correct)."""
    if in_window(at, tz, start, end):
        return at
    day = local_date(at, tz)
    for offset in range(3):
        opening = local_instant(day + timedelta(days=offset), start, tz)
        if opening >= at and in_window(opening, tz, start, end):
            return opening
    raise ValueError(f"No opening of {start}-{end} in {tz.key} after {at.isoformat()}")  # pragma: no cover


def next_common_opening(at: datetime, zones: Iterable[ZoneInfo], start: time, end: time) -> datetime | None:
    """The earliest instant ≥ ``at`` at which the local time is in ``[start, end)`` in every
    zone, or None when the zones share no such time (e.g. 13-hour windows 20 hours apart).
    Each step moves to the latest next opening among the zones that are closed; that is a
    lower bound of the answer, so the first instant where all are open is the earliest."""
    zones = tuple(zones)
    current = at
    for _ in range(MAX_OPENING_TRIES):
        closed = [tz for tz in zones if not in_window(current, tz, start, end)]
        if not closed:
            return current
        current = max(next_opening(current, tz, start, end) for tz in closed)
    return None


def format_local(at: datetime, tz: ZoneInfo) -> str:
    """``2026-12-02 07:59 EST`` — a local time as a compliance officer reads it."""
    local = at.astimezone(tz)
    return f"{local:%Y-%m-%d %H:%M} {local.tzname()}"


def format_utc(at: datetime) -> str:
    """ISO-8601 UTC with ``Z`` (seconds; microseconds only when there are some)."""
    value = at.astimezone(UTC)
    # isoformat, not strftime: strftime's %Y does not pad a year before 1000 ("228-04-13…").
    text = value.isoformat(timespec="microseconds" if value.microsecond else "seconds")
    return text.removesuffix("+00:00") + "Z"

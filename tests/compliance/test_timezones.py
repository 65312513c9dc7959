"""Time-zone resolution and DST-correct window arithmetic (compliance/timezones.py)."""

from __future__ import annotations

from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import pytest

from compliance import timezones
from tests.compliance.guard_scenarios import address, phone, utc

NY, LA, CHI, DEN = (
    ZoneInfo(z) for z in ("America/New_York", "America/Los_Angeles", "America/Chicago", "America/Denver")
)
PHX, HNL = ZoneInfo("America/Phoenix"), ZoneInfo("Pacific/Honolulu")
EIGHT, NINE_PM = time(8), time(21)


@pytest.mark.parametrize(
    ("state", "zones"),
    [
        ("NY", ("America/New_York",)),
        ("AZ", ("America/Phoenix",)),
        ("HI", ("Pacific/Honolulu",)),
        ("TX", ("America/Chicago", "America/Denver")),
        ("FL", ("America/New_York", "America/Chicago")),
        ("PR", ("America/Puerto_Rico",)),
        ("AE", ()),
    ],
)
def test_state_zones(state, zones) -> None:  # noqa: ANN001
    assert timezones.zones_for_state(state) == zones


@pytest.mark.parametrize(
    ("state", "country", "code"),
    [
        ("ma", "US", "MA"),
        ("Massachusetts", "", "MA"),
        (" TX ", "us", "TX"),
        ("ON", "CA", None),
        ("ZZ", "US", None),
    ],
)
def test_state_code(state, country, code) -> None:  # noqa: ANN001
    assert timezones.state_code(state, country) == code


@pytest.mark.parametrize(
    ("number", "zones"),
    [
        ("+12125550100", ("America/New_York",)),
        ("+14155550100", ("America/Los_Angeles",)),
        ("+16025550100", ("America/Phoenix",)),
        ("+18085550100", ("Pacific/Honolulu",)),
        ("+15555550100", ()),  # not a real area code: no zone
        ("not a number", ()),
    ],
)
def test_phone_zones(number, zones) -> None:  # noqa: ANN001
    assert timezones.zones_for_phone(number) == zones


@pytest.mark.django_db
def test_candidate_zones_resolution(company, borrower) -> None:  # noqa: ANN001
    contacts = lambda: list(borrower.contacts.all())  # noqa: E731
    assert timezones.candidate_zones(borrower, contacts(), company) == timezones.CandidateZones(
        ("America/New_York",), "company"
    )
    phone(borrower, "+12125550100")
    address(borrower, "TX")
    phone(borrower, "+14155550100", status="archived")  # ignored
    assert timezones.candidate_zones(borrower, contacts(), company).names == (
        "America/Chicago",
        "America/Denver",
        "America/New_York",
    )
    assert timezones.borrower_states(contacts()) == frozenset({"TX"})
    borrower.timezone = "Pacific/Honolulu"
    assert timezones.candidate_zones(borrower, contacts(), company) == timezones.CandidateZones(
        ("Pacific/Honolulu",), "borrower"
    )
    borrower.timezone = "Not/AZone"
    assert timezones.candidate_zones(borrower, contacts(), company).source == "contacts"


@pytest.mark.parametrize(
    ("at", "zone", "opening"),
    [
        # Spring forward (2026-03-08): the opening after Saturday evening is 12:00Z, not 13:00Z.
        ("2026-03-08T02:30:00Z", NY, "2026-03-08T12:00:00Z"),
        ("2026-03-08T06:59:00Z", NY, "2026-03-08T12:00:00Z"),  # 01:59 EST, a minute before the gap
        ("2026-03-08T07:00:00Z", NY, "2026-03-08T12:00:00Z"),  # 03:00 EDT
        ("2026-03-08T15:00:00Z", LA, "2026-03-08T15:00:00Z"),  # 08:00 PDT, open
        ("2026-03-08T14:59:00Z", LA, "2026-03-08T15:00:00Z"),
        # Fall back (2026-11-01): 01:30 happens twice; the opening is 08:00 EST = 13:00Z.
        ("2026-11-01T05:30:00Z", NY, "2026-11-01T13:00:00Z"),  # 01:30 EDT
        ("2026-11-01T06:30:00Z", NY, "2026-11-01T13:00:00Z"),  # 01:30 EST
        ("2026-11-01T08:00:00Z", LA, "2026-11-01T16:00:00Z"),  # 01:00 PDT
        # No DST in Arizona and Hawaii.
        ("2026-03-08T12:00:00Z", PHX, "2026-03-08T15:00:00Z"),
        ("2026-11-01T12:00:00Z", PHX, "2026-11-01T15:00:00Z"),
        ("2026-07-01T07:00:00Z", HNL, "2026-07-01T18:00:00Z"),
    ],
)
def test_next_opening_dst(at, zone, opening) -> None:  # noqa: ANN001
    assert timezones.next_opening(utc(at), zone, EIGHT, NINE_PM) == utc(opening)


@pytest.mark.parametrize(
    ("at", "zones", "opening"),
    [
        ("2026-12-02T14:00:00Z", (NY, LA), "2026-12-02T16:00:00Z"),
        ("2026-12-03T02:00:00Z", (NY, LA), "2026-12-03T16:00:00Z"),
        ("2026-12-02T20:00:00Z", (NY, LA), "2026-12-02T20:00:00Z"),
        ("2026-12-02T13:00:00Z", (CHI, DEN), "2026-12-02T15:00:00Z"),
        # On the spring-forward day Phoenix (UTC-7) and Denver (now UTC-6) differ by an hour.
        ("2026-03-08T13:00:00Z", (PHX, DEN), "2026-03-08T15:00:00Z"),
        ("2026-03-07T13:00:00Z", (PHX, DEN), "2026-03-07T15:00:00Z"),
        # New York and Guam (UTC+10), 15 hours apart, share 22:00Z-02:00Z: 17:00-21:00 EST is
        # 08:00-12:00 ChST the next day.
        ("2026-12-02T15:00:00Z", (NY, ZoneInfo("Pacific/Guam")), "2026-12-02T22:00:00Z"),
        # Honolulu and Kiritimati (UTC+14) are 24 hours apart: the same window.
        ("2026-12-02T15:00:00Z", (HNL, ZoneInfo("Pacific/Kiritimati")), "2026-12-02T18:00:00Z"),
    ],
)
def test_next_common_opening(at, zones, opening) -> None:  # noqa: ANN001
    assert timezones.next_common_opening(utc(at), zones, EIGHT, NINE_PM) == utc(opening)


def test_windows_that_never_meet() -> None:
    # 08:00-12:00 in New York (13:00Z-17:00Z) and in Guam (22:00Z-02:00Z).
    at = utc("2026-12-02T15:00:00Z")
    assert timezones.next_common_opening(at, (NY, ZoneInfo("Pacific/Guam")), EIGHT, time(12)) is None


def test_local_start_of_day_across_dst() -> None:
    from datetime import date

    assert timezones.local_start_of_day(date(2026, 3, 8), NY) == utc("2026-03-08T05:00:00Z")
    assert timezones.local_start_of_day(date(2026, 3, 9), NY) == utc("2026-03-09T04:00:00Z")
    assert timezones.local_start_of_day(date(2026, 11, 2), NY) == utc("2026-11-02T05:00:00Z")


def test_format_utc() -> None:
    assert timezones.format_utc(utc("2026-12-02T15:04:00Z")) == "2026-12-02T15:04:00Z"
    assert timezones.format_utc(utc("2026-12-02T15:04:00.250000Z")) == "2026-12-02T15:04:00.250000Z"
    # A year before 1000 keeps four digits (an RFC 3339 date-time; strftime gave "228-04-13…").
    assert timezones.format_utc(datetime(228, 4, 13, 20, 8, 35, tzinfo=UTC)) == "0228-04-13T20:08:35Z"

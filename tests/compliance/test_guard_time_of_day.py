"""timeOfDay at its boundaries: 07:59/08:00 and 20:59/21:00 local, both 2026 DST change
days, Arizona, Hawaii, several candidate zones, state rows, exemptions and noon mode."""

from __future__ import annotations

import pytest

from tests.compliance.guard_scenarios import (
    LA_PHONE,
    MIDDAY,
    NY_PHONE,
    address,
    decide_at,
    phone,
    reachable,
    summary,
)

pytestmark = pytest.mark.django_db

ALLOWED = (True, None, None)


def refused(send_at: str, code: str = "timeOfDay.federal") -> tuple:
    return (False, "timeOfDay", code, send_at)


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        # New York, EST (UTC-5): the window is 13:00Z-02:00Z.
        ("2026-12-02T12:59:00Z", refused("2026-12-02T13:00:00Z")),  # 07:59
        ("2026-12-02T13:00:00Z", (*ALLOWED, "2026-12-02T13:00:00Z")),  # 08:00
        ("2026-12-03T01:59:00Z", (*ALLOWED, "2026-12-03T01:59:00Z")),  # 20:59
        ("2026-12-03T01:59:59Z", (*ALLOWED, "2026-12-03T01:59:59Z")),  # 20:59:59
        ("2026-12-03T02:00:00Z", refused("2026-12-03T13:00:00Z")),  # 21:00 -> 08:00 tomorrow
        ("2026-12-03T04:59:00Z", refused("2026-12-03T13:00:00Z")),  # 23:59
        ("2026-12-03T05:00:00Z", refused("2026-12-03T13:00:00Z")),  # 00:00
        # Spring forward, Sunday 2026-03-08: 08:00 EDT is 12:00Z (the day before: 13:00Z).
        ("2026-03-08T03:00:00Z", refused("2026-03-08T12:00:00Z")),  # Sat 22:00 EST
        ("2026-03-08T11:59:00Z", refused("2026-03-08T12:00:00Z")),  # 07:59 EDT
        ("2026-03-08T12:00:00Z", (*ALLOWED, "2026-03-08T12:00:00Z")),  # 08:00 EDT
        ("2026-03-09T00:59:00Z", (*ALLOWED, "2026-03-09T00:59:00Z")),  # 20:59 EDT
        ("2026-03-09T01:00:00Z", refused("2026-03-09T12:00:00Z")),  # 21:00 EDT
        # Fall back, Sunday 2026-11-01: 08:00 EST is 13:00Z (the day before: 12:00Z).
        ("2026-11-01T02:00:00Z", refused("2026-11-01T13:00:00Z")),  # Sat 22:00 EDT
        ("2026-11-01T12:59:00Z", refused("2026-11-01T13:00:00Z")),  # 07:59 EST
        ("2026-11-01T13:00:00Z", (*ALLOWED, "2026-11-01T13:00:00Z")),  # 08:00 EST
        ("2026-11-02T01:59:00Z", (*ALLOWED, "2026-11-02T01:59:00Z")),  # 20:59 EST
        ("2026-11-02T02:00:00Z", refused("2026-11-02T13:00:00Z")),  # 21:00 EST
        ("2026-10-31T12:00:00Z", (*ALLOWED, "2026-10-31T12:00:00Z")),  # Sat 08:00 EDT
    ],
)
def test_new_york_window_boundaries(rules, borrower, at, expected) -> None:  # noqa: ANN001
    reachable(borrower)
    assert summary(decide_at(borrower, at), rules) == expected


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        # America/Phoenix is UTC-7 all year: 08:00 is 15:00Z before and after the DST change.
        ("2026-03-07T14:59:00Z", refused("2026-03-07T15:00:00Z")),
        ("2026-03-09T14:59:00Z", refused("2026-03-09T15:00:00Z")),
        ("2026-03-09T15:00:00Z", (*ALLOWED, "2026-03-09T15:00:00Z")),
        ("2026-07-15T15:00:00Z", (*ALLOWED, "2026-07-15T15:00:00Z")),
        ("2026-07-16T03:59:00Z", (*ALLOWED, "2026-07-16T03:59:00Z")),  # 20:59 MST
        ("2026-07-16T04:00:00Z", refused("2026-07-16T15:00:00Z")),  # 21:00 MST
    ],
)
def test_arizona_has_no_dst(rules, borrower, at, expected) -> None:  # noqa: ANN001
    address(borrower, "AZ")
    phone(borrower, "+16025550100")  # Phoenix
    assert summary(decide_at(borrower, at), rules) == expected


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        # Pacific/Honolulu is UTC-10 all year.
        ("2026-12-02T17:59:00Z", refused("2026-12-02T18:00:00Z")),
        ("2026-12-02T18:00:00Z", (*ALLOWED, "2026-12-02T18:00:00Z")),
        ("2026-12-03T06:59:00Z", (*ALLOWED, "2026-12-03T06:59:00Z")),
        ("2026-12-03T07:00:00Z", refused("2026-12-03T18:00:00Z")),
        ("2026-03-08T17:59:00Z", refused("2026-03-08T18:00:00Z")),
    ],
)
def test_hawaii(rules, borrower, at, expected) -> None:  # noqa: ANN001
    reachable(borrower, "+18085550100")
    assert summary(decide_at(borrower, at), rules) == expected


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        # Eastern phone and Pacific address: 08:00 PT (16:00Z) to 21:00 ET (02:00Z).
        ("2026-12-02T14:00:00Z", refused("2026-12-02T16:00:00Z")),  # 09:00 ET, 06:00 PT
        ("2026-12-02T15:59:00Z", refused("2026-12-02T16:00:00Z")),
        ("2026-12-02T16:00:00Z", (*ALLOWED, "2026-12-02T16:00:00Z")),
        ("2026-12-03T01:59:00Z", (*ALLOWED, "2026-12-03T01:59:00Z")),
        ("2026-12-03T02:00:00Z", refused("2026-12-03T16:00:00Z")),  # 21:00 ET, 18:00 PT
    ],
)
def test_eastern_phone_and_pacific_address_both_windows_hold(rules, borrower, at, expected) -> None:  # noqa: ANN001
    reachable(borrower, NY_PHONE)
    address(borrower, "CA")
    assert summary(decide_at(borrower, at), rules) == expected


def test_message_names_the_zone_that_is_closed(rules, borrower) -> None:  # noqa: ANN001
    reachable(borrower, NY_PHONE)
    address(borrower, "CA")
    decision = decide_at(borrower, "2026-12-02T14:00:00Z")
    assert decision.message == (
        "It is 2026-12-02 06:00 PST in America/Los_Angeles, outside the 08:00-21:00 window for voice "
        "(timeOfDay.federal); the borrower's time zones: America/Los_Angeles, America/New_York "
        "(from the borrower's addresses and phone numbers); the next allowed time is 2026-12-02T16:00:00Z."
    )


def test_explicit_borrower_zone_wins_over_contacts(rules, borrower) -> None:  # noqa: ANN001
    borrower.timezone = "America/Chicago"
    borrower.save()
    reachable(borrower, LA_PHONE)
    # 07:30 CST is 13:30Z; Los Angeles would be 05:30 but is not a candidate.
    assert summary(decide_at(borrower, "2026-12-02T13:30:00Z"), rules) == refused("2026-12-02T14:00:00Z")
    assert decide_at(borrower, "2026-12-02T14:00:00Z").result is True


def test_company_zone_when_the_borrower_cannot_be_placed(rules, company, borrower) -> None:  # noqa: ANN001
    company.timezone = "America/Denver"
    company.save()
    email = borrower.contacts.create(company=company, contact_type="email", value="x@example.com")
    assert email.pk
    # Email is debt-collection-scoped: 07:59 MST (14:59Z) is refused, 08:00 MST allowed.
    assert summary(decide_at(borrower, "2026-12-02T14:59:00Z", "email"), rules) == refused(
        "2026-12-02T15:00:00Z"
    )
    assert decide_at(borrower, "2026-12-02T15:00:00Z", "email").result is True


def test_texas_address_counts_both_of_its_zones(rules, borrower) -> None:  # noqa: ANN001
    phone(borrower, "+12145550100")  # Dallas, Central
    address(borrower, "TX")  # Central and Mountain
    # 08:00 CST (14:00Z) is 07:00 MST: wait for 08:00 MST.
    assert summary(decide_at(borrower, "2026-12-02T14:00:00Z"), rules) == refused("2026-12-02T15:00:00Z")


def test_washington_row_is_intersected_with_the_federal_window(rules, borrower) -> None:  # noqa: ANN001
    reachable(borrower, "+12065550100")  # Seattle
    address(borrower, "WA")
    # 07:45 PST: Washington's own 07:30 opening has passed, the federal 08:00 has not.
    assert summary(decide_at(borrower, "2026-12-02T15:45:00Z"), rules) == refused("2026-12-02T16:00:00Z")
    rules["timeOfDay.federal"].enabled = False
    rules["timeOfDay.federal"].save()
    assert decide_at(borrower, "2026-12-02T15:45:00Z").result is True
    assert summary(decide_at(borrower, "2026-12-02T15:29:00Z"), rules) == refused(
        "2026-12-02T15:30:00Z", "timeOfDay.WA"
    )


def test_state_row_ignored_for_borrowers_elsewhere(rules, borrower) -> None:  # noqa: ANN001
    rules["timeOfDay.federal"].enabled = False
    rules["timeOfDay.federal"].save()
    reachable(borrower)  # New York: no row applies
    assert decide_at(borrower, "2026-12-03T04:00:00Z").result is True


@pytest.mark.parametrize(
    ("channel", "subject", "fields", "expected"),
    [
        # Transactional texts and calls are not time-restricted.
        ("text", "paymentProcessed", {}, True),
        ("voice", "paymentProcessed", {}, True),
        # A caller's isTransactional never lifts the window of a debt-collection message.
        ("voice", "loanOverdueFirstNotice", {"is_transactional": True}, False),
        ("text", "loanOverdueFirstNotice", {"is_transactional": True}, False),
        ("email", "loanOverdueFirstNotice", {"is_transactional": True}, False),
        # Nor of a subject that is not transactional.
        ("text", "autopayEnableReminder", {"is_transactional": True}, False),
        # Non-transactional texts and calls are, whatever the theme.
        ("text", "autopayEnableReminder", {}, False),
        ("text", "loanOverdueFirstNotice", {}, False),
        # Email only for debt-collection themes.
        ("email", "autopayEnableReminder", {}, True),
        ("email", "loanOverdueFirstNotice", {}, False),
        ("email", "debtValidationNotice", {}, False),
        # Mail is not time-restricted.
        ("mail", "loanOverdueFirstNotice", {}, True),
    ],
)
def test_scope_per_channel(rules, borrower, channel, subject, fields, expected) -> None:  # noqa: ANN001
    reachable(borrower)
    address(borrower, "NY")
    decision = decide_at(borrower, "2026-12-03T03:30:00Z", channel, subject=subject, **fields)  # 22:30 EST
    assert decision.result is expected
    if not expected:
        assert decision.reason == "timeOfDay"


def test_check_at_company_noon(rules, company, borrower) -> None:  # noqa: ANN001
    reachable(borrower)
    # 22:30 in New York, but the question is about noon today in the company's zone.
    decision = decide_at(borrower, "2026-12-03T03:30:00Z", check_at_company_noon=True)
    assert (decision.result, decision.send_at.isoformat()) == (True, "2026-12-03T03:30:00+00:00")


def test_check_at_company_noon_refusal_is_lasting(rules, company, borrower) -> None:  # noqa: ANN001
    reachable(borrower, "+16715550100")  # Guam: noon in New York is 03:00 there
    decision = decide_at(borrower, "2026-12-02T15:00:00Z", check_at_company_noon=True)
    assert summary(decision, rules) == (False, "timeOfDay", "timeOfDay.federal", None)
    assert decision.message.startswith("At 12:00 company time, it is 2026-12-03 03:00 ChST in Pacific/Guam")


def test_midday_is_allowed(rules, borrower) -> None:  # noqa: ANN001
    reachable(borrower)
    assert decide_at(borrower, MIDDAY).result is True

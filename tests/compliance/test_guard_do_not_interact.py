"""doNotInteract: active through the end of its endDate in the company's time zone, then
allowed from the next day's start; channels/themes coverage; 'all' never covers
opsAccountCredentials; deleted records are ignored."""

from __future__ import annotations

from datetime import date

import pytest
from django.utils import timezone

from tests.compliance.guard_scenarios import MIDDAY, decide_at, reachable, summary
from tests.factories import DoNotInteractFactory

pytestmark = pytest.mark.django_db

REFUSED = (False, "doNotInteract", "doNotInteract.records")


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        # endDate 2026-12-05 in New York (the company's zone): 23:59 EST on the last day.
        ("2026-12-05T15:00:00Z", (*REFUSED, "2026-12-06T13:00:00Z")),
        ("2026-12-06T04:59:00Z", (*REFUSED, "2026-12-06T13:00:00Z")),
        # The next day: the record has ended; the calling window opens at 08:00 EST.
        ("2026-12-06T05:00:00Z", (False, "timeOfDay", "timeOfDay.federal", "2026-12-06T13:00:00Z")),
        ("2026-12-06T13:00:00Z", (True, None, None, "2026-12-06T13:00:00Z")),
    ],
)
def test_last_day_of_end_date(rules, borrower, at, expected) -> None:  # noqa: ANN001
    reachable(borrower)
    DoNotInteractFactory(borrower=borrower, end_date=date(2026, 12, 5))
    assert summary(decide_at(borrower, at), rules) == expected


def test_end_date_is_read_in_the_company_zone(rules, company, borrower) -> None:  # noqa: ANN001
    company.timezone = "America/Los_Angeles"
    company.save()
    reachable(borrower)  # New York borrower
    DoNotInteractFactory(borrower=borrower, end_date=date(2026, 12, 5))
    # 2026-12-06 02:00 EST is still 12-05 in Los Angeles: held until 12-06 00:00 PST (08:00Z),
    # then 08:00 EST (13:00Z).
    decision = decide_at(borrower, "2026-12-06T07:00:00Z")
    assert summary(decision, rules) == (*REFUSED, "2026-12-06T13:00:00Z")
    assert decision.message.startswith(
        "Do-not-interact " + decision.message.split()[1] + " (all channels; all themes) covers this voice "
        "message through 2026-12-05 (America/Los_Angeles, the company's time zone); "
    )


def test_without_end_date_is_lasting(rules, borrower) -> None:  # noqa: ANN001
    reachable(borrower)
    record = DoNotInteractFactory(borrower=borrower)
    decision = decide_at(borrower, MIDDAY)
    assert summary(decision, rules) == (*REFUSED, None)
    assert decision.lasting is True
    assert decision.message == (
        f"Do-not-interact {record.pk} (all channels; all themes) covers this voice message and has no end "
        "date; waiting will not help."
    )


@pytest.mark.parametrize(
    ("channels", "themes", "channel", "subject", "blocked"),
    [
        (["voice"], ["all"], "voice", "loanOverdueFirstNotice", True),
        (["voice"], ["all"], "text", "loanOverdueFirstNotice", False),
        (["all"], ["opsCollDebt"], "email", "loanOverdueFirstNotice", True),
        (["all"], ["opsCollDebt"], "email", "autopayEnableReminder", False),
        (["email", "text"], ["opsServicing"], "text", "autopayEnableReminder", True),
        # 'all' never covers opsAccountCredentials; naming it does.
        (["all"], ["all"], "text", "confirmationCode", False),
        (["all"], ["opsAccountCredentials"], "text", "confirmationCode", True),
    ],
)
def test_coverage(rules, borrower, channels, themes, channel, subject, blocked) -> None:  # noqa: ANN001
    reachable(borrower)
    DoNotInteractFactory(borrower=borrower, channels=channels, themes=themes)
    decision = decide_at(borrower, MIDDAY, channel, subject=subject)
    assert (decision.reason == "doNotInteract") is blocked


def test_deleted_and_ended_records_are_ignored(rules, borrower) -> None:  # noqa: ANN001
    reachable(borrower)
    DoNotInteractFactory(borrower=borrower, deleted_at=timezone.now())
    DoNotInteractFactory(borrower=borrower, end_date=date(2026, 12, 1))
    assert decide_at(borrower, MIDDAY).result is True


def test_the_longest_record_explains_the_hold(rules, borrower) -> None:  # noqa: ANN001
    reachable(borrower)
    DoNotInteractFactory(borrower=borrower, end_date=date(2026, 12, 3))
    DoNotInteractFactory(borrower=borrower, end_date=date(2026, 12, 9), channels=["voice"])
    assert summary(decide_at(borrower, MIDDAY), rules) == (*REFUSED, "2026-12-10T13:00:00Z")


def test_disabled_row_is_ignored(rules, borrower) -> None:  # noqa: ANN001
    reachable(borrower)
    DoNotInteractFactory(borrower=borrower)
    rules["doNotInteract.records"].enabled = False
    rules["doNotInteract.records"].save()
    assert decide_at(borrower, MIDDAY).result is True

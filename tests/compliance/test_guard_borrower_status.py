"""borrowerStatus: an inactive borrower receives only transactional messages and
opsAccountCredentials."""

from __future__ import annotations

import pytest

from tests.compliance.guard_scenarios import MIDDAY, decide_at, reachable, summary

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("channel", "fields", "allowed"),
    [
        ("voice", {}, False),
        ("email", {"subject": "autopayEnableReminder"}, False),
        ("email", {"subject": "paymentProcessed"}, True),  # transactional by default
        # The exemption is the subject's, never a caller's flag.
        ("email", {"subject": "loanOverdueFirstNotice", "is_transactional": True}, False),
        ("email", {"subject": "autopayEnableReminder", "is_transactional": True}, False),
        ("email", {"subject": "paymentProcessed", "is_transactional": False}, False),
        ("text", {"subject": "confirmationCode", "is_transactional": False}, True),  # opsAccountCredentials
        ("email", {"subject": "freeForm", "theme": "opsAccountCredentials"}, True),
        ("email", {"subject": "freeForm", "theme": "marketing"}, False),
    ],
)
def test_inactive_borrower(rules, borrower, channel, fields, allowed) -> None:  # noqa: ANN001
    reachable(borrower)
    borrower.status = "inactive"
    borrower.save()
    decision = decide_at(borrower, MIDDAY, channel, **fields)
    assert decision.result is allowed
    if not allowed:
        assert summary(decision, rules) == (False, "borrowerStatus", "borrowerStatus.inactive", None)


def test_message(rules, borrower) -> None:  # noqa: ANN001
    reachable(borrower)
    borrower.status = "inactive"
    borrower.save()
    assert decide_at(borrower, MIDDAY).message == (
        "The borrower is inactive, so only transactional messages and opsAccountCredentials messages may be "
        "sent and this is a non-transactional opsCollDebt message; waiting will not help."
    )


def test_active_borrower_is_not_held(rules, borrower) -> None:  # noqa: ANN001
    reachable(borrower)
    assert decide_at(borrower, MIDDAY).result is True


def test_disabled_row_is_ignored(rules, borrower) -> None:  # noqa: ANN001
    reachable(borrower)
    borrower.status = "inactive"
    borrower.save()
    rules["borrowerStatus.inactive"].enabled = False
    rules["borrowerStatus.inactive"].save()
    assert decide_at(borrower, MIDDAY).result is True

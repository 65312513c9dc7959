"""decide(): evaluation order, the decision's shape, and sendAt found by iterating across
rules (bounded in iterations and horizon)."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from compliance import guard
from peachcomms.errors import InvalidInput
from tests.compliance.guard_scenarios import MIDDAY, decide_at, reachable, sent, summary
from tests.factories import CaseFactory, DoNotInteractFactory
from tests.sql import statements

pytestmark = pytest.mark.django_db

#: Seven calls; the oldest (2026-11-26 03:00Z) is 22:00 EST on 11-25, so the cap frees at
#: 22:00 EST on 12-02, when the calling window is closed.
CALLS = (
    ["2026-11-26T03:00:00Z"]
    + [f"2026-11-{d}T16:00:00Z" for d in (27, 28, 29, 30)]
    + [
        "2026-12-01T16:00:00Z",
        "2026-12-02T14:00:00Z",
    ]
)


def test_allowed_decision_as_dict(rules, borrower) -> None:  # noqa: ANN001
    reachable(borrower)
    assert decide_at(borrower, MIDDAY).as_dict() == {
        "result": True,
        "reason": None,
        "message": "Allowed: no rule refuses this voice message.",
        "complianceGuardRuleId": None,
        "sendAt": "2026-12-02T15:00:00Z",
    }


def test_frequency_frees_at_night_so_send_at_is_the_next_morning(rules, borrower) -> None:  # noqa: ANN001
    reachable(borrower)
    for at in CALLS:
        sent(borrower, at)
    decision = decide_at(borrower, MIDDAY)
    assert decision.as_dict() == {
        "result": False,
        "reason": "frequency",
        "message": (
            "7 collection calls to this borrower in the 7 days up to 2026-12-02T15:00:00Z reach the cap of 7 "
            "per 7 days (normal intensity, frequency.voice); the window has room again at "
            "2026-12-03T03:00:00Z; the next allowed time is 2026-12-03T13:00:00Z."
        ),
        "complianceGuardRuleId": rules["frequency.voice"].pk,
        "sendAt": "2026-12-03T13:00:00Z",
    }
    assert decision.lasting is False
    # At sendAt every rule allows.
    assert decide_at(borrower, "2026-12-03T13:00:00Z").result is True
    assert decide_at(borrower, "2026-12-03T12:59:59Z").result is False


def test_first_refusal_in_the_documented_order_is_reported(rules, borrower) -> None:  # noqa: ANN001
    reachable(borrower)
    for at in CALLS:
        sent(borrower, at)
    night = "2026-12-03T03:30:00Z"
    assert decide_at(borrower, night).reason == "timeOfDay"  # before frequency
    CaseFactory(borrower=borrower, case_type="disputeOfDebt")
    assert decide_at(borrower, night).reason == "caseHold"
    DoNotInteractFactory(borrower=borrower)
    assert decide_at(borrower, night).reason == "doNotInteract"
    borrower.status = "inactive"
    borrower.save()
    assert summary(decide_at(borrower, night), rules) == (
        False,
        "borrowerStatus",
        "borrowerStatus.inactive",
        None,
    )


def test_do_not_interact_then_frequency_then_calling_window(rules, borrower) -> None:  # noqa: ANN001
    reachable(borrower)
    for at in CALLS[1:]:
        sent(borrower, at)
    for at in ("2026-12-02T23:00:00Z", "2026-12-03T01:00:00Z"):  # 18:00 and 20:00 EST
        sent(borrower, at)
    # Held until 12-03 00:00 EST (05:00Z); the calling window opens at 13:00Z; 8 calls
    # fill the window: two must leave, the second (11-28 16:00Z) 7 days later.
    DoNotInteractFactory(borrower=borrower, end_date=date(2026, 12, 2))
    decision = decide_at(borrower, MIDDAY)
    assert summary(decision, rules) == (
        False,
        "doNotInteract",
        "doNotInteract.records",
        "2026-12-05T16:00:00Z",
    )
    assert decide_at(borrower, "2026-12-05T16:00:00Z").result is True
    assert decide_at(borrower, "2026-12-05T15:59:59Z").result is False


def test_iterations_are_bounded(rules, borrower, monkeypatch) -> None:  # noqa: ANN001
    reachable(borrower)
    for at in CALLS:
        sent(borrower, at)
    monkeypatch.setattr(guard, "MAX_ITERATIONS", 1)
    decision = decide_at(borrower, MIDDAY)
    assert summary(decision, rules) == (False, "frequency", "frequency.voice", None)


def test_horizon_is_bounded(rules, borrower) -> None:  # noqa: ANN001
    reachable(borrower)
    DoNotInteractFactory(borrower=borrower, end_date=date(2029, 12, 31))
    assert decide_at(borrower, MIDDAY).send_at is None
    DoNotInteractFactory(borrower=borrower, end_date=date(2027, 6, 30))
    assert decide_at(borrower, MIDDAY, "email").as_dict()["sendAt"] is None


def test_send_at_is_rounded_up_to_the_second(rules, borrower) -> None:  # noqa: ANN001
    reachable(borrower)
    for at in CALLS[1:]:
        sent(borrower, at)
    sent(borrower, "2026-11-26T16:00:00.250000Z")
    assert decide_at(borrower, MIDDAY).as_dict()["sendAt"] == "2026-12-03T16:00:01Z"


def test_without_theme_the_strictest_reading(rules, borrower) -> None:  # noqa: ANN001
    reachable(borrower)
    employer_phone = borrower.contacts.create(
        company=borrower.company, contact_type="phone", value="+12125550177", affiliation="employer"
    )
    decision = decide_at(borrower, MIDDAY, subject=None, contact=employer_phone)
    assert decision.reason == "contactEligibility"
    assert "debt-collection messages (an unspecified theme (treated as debt collection))" in decision.message


def test_unknown_subject_is_invalid_input(rules, borrower) -> None:  # noqa: ANN001
    reachable(borrower)
    with pytest.raises(InvalidInput):
        decide_at(borrower, MIDDAY, subject="noSuchSubject")


def test_decide_only_reads(rules, borrower) -> None:  # noqa: ANN001
    reachable(borrower)
    for at in CALLS:
        sent(borrower, at)
    with CaptureQueriesContext(connection) as queries:
        decide_at(borrower, MIDDAY)
    assert queries.captured_queries
    executed = [statement for q in queries.captured_queries for statement in statements(q["sql"])]
    assert all(statement.lstrip("( ").upper().startswith("SELECT") for statement in executed), executed


def test_no_rule_rows_allows_everything_but_missing_contacts(company, borrower) -> None:  # noqa: ANN001
    # A company without rule rows (none created yet): nothing holds the message, but a
    # send still needs someone to send it to.
    assert decide_at(borrower, "2026-12-03T03:30:00Z").as_dict() == {
        "result": False,
        "reason": "contactEligibility",
        "message": (
            "No eligible contact: the borrower has no valid, unarchived phone number of their own; "
            "waiting will not help."
        ),
        "complianceGuardRuleId": None,
        "sendAt": None,
    }
    reachable(borrower)
    assert decide_at(borrower, "2026-12-03T03:30:00Z").result is True

"""frequency: the 7th and 8th collection call, intensities, Massachusetts' 2 per 7 days
across calls and texts, what counts and what does not, per-debt counting, scheduled
messages, and the cost of a decision (a fixed number of queries)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from compliance.guard import decide
from compliance.rules.frequency import forbidden_until
from interactions.models import Interaction
from tests.compliance.guard_scenarios import (
    MIDDAY,
    address,
    decide_at,
    reachable,
    request,
    sent,
    summary,
    utc,
)
from tests.factories import LoanFactory

pytestmark = pytest.mark.django_db

#: Six calls on six days before MIDDAY (2026-12-02T15:00Z), oldest first.
SIX_CALLS = [f"2026-11-{day}T16:00:00Z" for day in (27, 28, 29, 30)] + [
    "2026-12-01T16:00:00Z",
    "2026-12-02T14:00:00Z",
]
SEVEN_CALLS = ["2026-11-26T16:00:00Z", *SIX_CALLS]


def test_seventh_call_allowed_eighth_refused(rules, borrower) -> None:  # noqa: ANN001
    reachable(borrower)
    for at in SIX_CALLS:
        sent(borrower, at)
    assert summary(decide_at(borrower, MIDDAY), rules) == (True, None, None, MIDDAY)
    sent(borrower, "2026-11-26T16:00:00Z")  # the seventh, a week ago
    decision = decide_at(borrower, MIDDAY)
    # The oldest leaves the window 7 days after it was placed: 11:00 EST, inside the window.
    assert summary(decision, rules) == (False, "frequency", "frequency.voice", "2026-12-03T16:00:00Z")
    assert decision.lasting is False
    assert decision.message == (
        "7 collection calls to this borrower in the 7 days up to 2026-12-02T15:00:00Z reach the cap of 7 "
        "per 7 days (normal intensity, frequency.voice); the window has room again at 2026-12-03T16:00:00Z; "
        "the next allowed time is 2026-12-03T16:00:00Z."
    )


def test_a_call_exactly_seven_days_old_has_left_the_window(rules, borrower) -> None:  # noqa: ANN001
    reachable(borrower)
    for at in SIX_CALLS:
        sent(borrower, at)
    sent(borrower, "2026-11-25T15:00:00Z")
    assert decide_at(borrower, MIDDAY).result is True
    sent(borrower, "2026-11-25T15:00:01Z")
    assert summary(decide_at(borrower, MIDDAY), rules) == (
        False,
        "frequency",
        "frequency.voice",
        "2026-12-02T15:00:01Z",
    )


@pytest.mark.parametrize(
    ("intensity", "channel", "prior", "expected"),
    [
        ("light", "voice", 1, True),
        ("light", "voice", 2, False),
        ("heavy", "voice", 6, True),
        ("heavy", "voice", 7, False),
        ("normal", "text", 2, True),
        ("normal", "text", 3, False),
        ("heavy", "text", 4, True),
        ("heavy", "text", 5, False),
        ("normal", "email", 3, False),
        ("light", "email", 2, False),
    ],
)
def test_caps_by_intensity(rules, borrower, intensity, channel, prior, expected) -> None:  # noqa: ANN001
    borrower.collections_intensity = intensity
    borrower.save()
    reachable(borrower)
    for at in SEVEN_CALLS[-prior:]:
        sent(borrower, at, channel)
    decision = decide_at(borrower, MIDDAY, channel)
    assert decision.result is expected
    if not expected:
        assert (decision.reason, decision.compliance_guard_rule_id) == (
            "frequency",
            rules[f"frequency.{channel}"].pk,
        )


def test_massachusetts_two_per_seven_days_across_calls_and_texts(rules, borrower) -> None:  # noqa: ANN001
    reachable(borrower, "+16175550100")
    address(borrower, "MA")
    sent(borrower, "2026-11-28T16:00:00Z", "voice")
    assert decide_at(borrower, MIDDAY, "text").result is True
    sent(borrower, "2026-11-30T16:00:00Z", "text")
    # One call and one text: a third of either is refused by the Massachusetts row.
    for channel in ("voice", "text"):
        decision = decide_at(borrower, MIDDAY, channel)
        assert summary(decision, rules) == (False, "frequency", "frequency.MA", "2026-12-05T16:00:00Z")
    assert decision.message.startswith("2 collection calls and texts to this borrower in the 7 days up to")
    # Email is not in the Massachusetts row.
    assert decide_at(borrower, MIDDAY, "email").result is True


def test_massachusetts_row_needs_a_massachusetts_address(rules, borrower) -> None:  # noqa: ANN001
    reachable(borrower, "+16175550100")  # a Boston number, but the borrower lives in New York
    address(borrower, "NY")
    sent(borrower, "2026-11-28T16:00:00Z", "voice")
    sent(borrower, "2026-11-30T16:00:00Z", "text")
    assert decide_at(borrower, MIDDAY, "voice").result is True


def test_state_row_and_federal_row_report_the_one_that_frees_last(rules, borrower) -> None:  # noqa: ANN001
    reachable(borrower, "+16175550100")
    address(borrower, "MA")
    for at in SIX_CALLS:
        sent(borrower, at)
    sent(borrower, "2026-11-26T16:00:00Z")
    # Federal: frees when the oldest of 7 leaves (12-03 16:00Z); Massachusetts: when the
    # second newest leaves (12-08 16:00Z).
    assert summary(decide_at(borrower, MIDDAY), rules) == (
        False,
        "frequency",
        "frequency.MA",
        "2026-12-08T16:00:00Z",
    )


@pytest.mark.parametrize(
    ("fields", "counted"),
    [
        ({}, True),
        ({"status": "scheduled", "status_details": None}, True),
        ({"status": "inProgress", "status_details": None}, True),
        ({"status": "succeeded", "status_details": None}, True),
        ({"status": "succeeded", "status_details": "voiceSpokeWithFirstParty"}, True),
        ({"status": "attempted", "status_details": "voiceNoAnswer"}, True),
        ({"status": "failed", "status_details": "voiceWrongNumber"}, True),  # counts "A" (data.md)
        ({"status": "attempted", "status_details": "voiceBusy"}, False),
        ({"status": "failed", "status_details": "voiceDisconnectedNumber"}, False),
        ({"status": "failed", "status_details": "blockedByComplianceGuard"}, False),
        ({"status": "failed", "status_details": "providerError"}, False),
        ({"status": "failed", "status_details": None}, False),
        ({"status": "canceled", "status_details": None}, False),
        # A debt-collection message counts whatever its isTransactional says.
        ({"is_transactional": True}, True),
        ({"theme": "opsServicing", "subject": "autopayEnableReminder"}, False),
        ({"direction": "inbound"}, False),
        ({"channel": "text", "status_details": "textDelivered"}, False),
    ],
)
def test_what_counts(rules, borrower, fields, counted) -> None:  # noqa: ANN001
    reachable(borrower)
    for at in SIX_CALLS:
        sent(borrower, at)
    sent(borrower, "2026-11-26T16:00:00Z", **fields)
    assert decide_at(borrower, MIDDAY).result is (not counted)


def test_deleted_interactions_do_not_count(rules, borrower) -> None:  # noqa: ANN001
    reachable(borrower)
    for at in SIX_CALLS:
        sent(borrower, at)
    sent(borrower, "2026-11-26T16:00:00Z", deleted_at=utc("2026-11-27T00:00:00Z"))
    assert decide_at(borrower, MIDDAY).result is True


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"subject": "paymentProcessed"}, True),  # transactional by default: not capped
        ({"is_transactional": True}, False),  # a caller's flag never lifts a cap
        ({"subject": "autopayEnableReminder"}, True),  # not a debt-collection theme
        ({"subject": None, "theme": "marketing"}, True),
        ({"subject": None}, False),  # no theme known: judged as debt collection
        ({"subject": "loanOverdueFirstNotice"}, False),
    ],
)
def test_transactional_and_non_collection_messages_are_not_capped(rules, borrower, fields, expected) -> None:  # noqa: ANN001
    reachable(borrower)
    for at in [*SIX_CALLS, "2026-11-26T16:00:00Z"]:
        sent(borrower, at)
    assert decide_at(borrower, MIDDAY, **fields).result is expected


def test_counted_per_debt(rules, borrower) -> None:  # noqa: ANN001
    reachable(borrower)
    loan_a, loan_b = LoanFactory(borrower=borrower), LoanFactory(borrower=borrower)
    for at in SIX_CALLS:
        sent(borrower, at, loan=loan_a, loan_ids=[loan_a.pk])
    sent(borrower, "2026-11-26T16:00:00Z", loan=None, loan_ids=[loan_a.pk, loan_b.pk])
    # Loan A has 7; loan B has 1 (the call about both loans).
    assert decide_at(borrower, MIDDAY, loan_ids=(loan_a.pk,)).result is False
    assert decide_at(borrower, MIDDAY, loan_ids=(loan_b.pk,)).result is True
    # Naming no loan is about all of them: every interaction counts.
    assert decide_at(borrower, MIDDAY).result is False


def test_interactions_about_no_loan_count_for_every_debt(rules, borrower) -> None:  # noqa: ANN001
    reachable(borrower)
    loan = LoanFactory(borrower=borrower)
    for at in [*SIX_CALLS, "2026-11-26T16:00:00Z"]:
        sent(borrower, at)
    decision = decide_at(borrower, MIDDAY, loan_ids=(loan.pk,))
    assert decision.result is False
    assert "to this borrower about this debt in the 7 days" in decision.message


def test_scheduled_messages_count_at_their_send_time(rules, borrower) -> None:  # noqa: ANN001
    reachable(borrower)
    for _ in range(8):
        sent(borrower, "2026-12-03T16:00:00Z", status="scheduled", status_details=None)
    # Calls due tomorrow share a 7-day window with a call now: refused until 7 days after.
    decision = decide_at(borrower, MIDDAY)
    assert summary(decision, rules) == (False, "frequency", "frequency.voice", "2026-12-10T16:00:00Z")
    assert "sent or scheduled from 2026-12-03T16:00:00Z to 2026-12-03T16:00:00Z" in decision.message
    # Re-checked just before it goes out, a scheduled call does not count against itself:
    # 7 others fill the window; with 6 others it may go.
    own = Interaction.objects.filter(borrower=borrower).first()
    recheck = request(borrower, exclude_interaction_id=own.pk)
    assert decide(recheck, at=utc("2026-12-03T16:00:00Z")).result is False
    Interaction.objects.exclude(pk=own.pk).filter(borrower=borrower).first().delete()
    assert decide(recheck, at=utc("2026-12-03T16:00:00Z")).result is True


def test_sliding_window_allows_a_call_between_two_far_apart_groups() -> None:
    window = timedelta(days=7)
    at = utc(MIDDAY)
    times = [at - timedelta(days=6)] * 3 + [at + timedelta(days=6)] * 3
    # With a cap of 4 no 7-day window holds 4 of them and the new one.
    assert forbidden_until(sorted(times), at, window, 4) is None
    # With a cap of 3 the older three hold it until t + 1 day, then the newer three (with
    # it) until 7 days after them.
    assert forbidden_until(sorted(times), at, window, 3) == (0, at + timedelta(days=13))


def _history(borrower, count: int) -> None:  # noqa: ANN001
    """``count`` interactions of every kind the frequency query skips or counts: old calls,
    texts, inbound calls, calls flagged transactional (counted all the same), and 6
    counted calls in the window."""
    kinds = [
        {"channel": "voice"},
        {"channel": "text"},
        {"channel": "voice", "direction": "inbound"},
        {"channel": "voice", "is_transactional": True},
        {"channel": "email"},
    ]
    start = utc("2026-09-01T15:00:00Z")
    for index in range(count):
        at = start + timedelta(hours=7 * index)
        sent(borrower, at.strftime("%Y-%m-%dT%H:%M:%SZ"), **kinds[index % len(kinds)])


@pytest.mark.parametrize("refused", [False, True])
def test_decision_cost_does_not_grow_with_history(rules, company, refused, django_assert_num_queries) -> None:  # noqa: ANN001
    from tests.factories import BorrowerFactory

    counts = []
    for history in (5, 50):
        borrower = reachable(BorrowerFactory(company=company))
        address(borrower, "NY")
        _history(borrower, history)
        for at in SIX_CALLS[: 7 if refused else 5]:
            sent(borrower, at)
        if refused:
            sent(borrower, "2026-11-26T16:00:00Z")
        decide_at(borrower, MIDDAY)  # warm the process-wide catalogue caches
        with CaptureQueriesContext(connection) as queries:
            decision = decide_at(borrower, MIDDAY)
        assert decision.result is (not refused)
        counts.append(len(queries))
    assert counts[0] == counts[1]
    # the settings version (rules and subject settings come from the process cache),
    # contacts, do-not-interacts, cases, frequency (voice), post-conversation; a refusal
    # stops at frequency, then evaluates once more at sendAt (frequency, post-conversation).
    expected = 7 if refused else 6
    borrower = reachable(BorrowerFactory(company=company))
    _history(borrower, 50)
    for at in SIX_CALLS[: 7 if refused else 5]:
        sent(borrower, at)
    if refused:
        sent(borrower, "2026-11-26T16:00:00Z")
    with django_assert_num_queries(expected):
        decide_at(borrower, MIDDAY)

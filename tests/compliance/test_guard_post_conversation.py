"""postConversation: after speaking with the borrower about a debt, no collection call about
that debt for 7 days, the conversation day being day 1."""

from __future__ import annotations

import pytest

from tests.compliance.guard_scenarios import address, decide_at, reachable, sent, summary
from tests.factories import InteractionFactory, LoanFactory

pytestmark = pytest.mark.django_db

#: Tuesday 2026-12-01 10:00 EST: day 1. Day 7 is Monday 12-07, day 8 Tuesday 12-08.
SPOKE = "2026-12-01T15:00:00Z"


def spoke(borrower, at: str = SPOKE, **fields) -> None:  # noqa: ANN001
    sent(borrower, at, status="succeeded", status_details="voiceSpokeWithFirstParty", **fields)


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        # Day 7, 23:59 in New York: the calling window refuses first (it comes first); the
        # next instant both allow is day 8 at 08:00.
        ("2026-12-08T04:59:00Z", (False, "timeOfDay", "timeOfDay.federal", "2026-12-08T13:00:00Z")),
        (
            "2026-12-07T20:00:00Z",
            (False, "postConversation", "postConversation.voice", "2026-12-08T13:00:00Z"),
        ),
        (
            "2026-12-02T15:00:00Z",
            (False, "postConversation", "postConversation.voice", "2026-12-08T13:00:00Z"),
        ),
        # Day 8 from its first calling minute.
        ("2026-12-08T13:00:00Z", (True, None, None, "2026-12-08T13:00:00Z")),
    ],
)
def test_day_seven_and_day_eight(rules, borrower, at, expected) -> None:  # noqa: ANN001
    reachable(borrower)
    spoke(borrower)
    assert summary(decide_at(borrower, at), rules) == expected


def test_message(rules, borrower) -> None:  # noqa: ANN001
    reachable(borrower)
    spoke(borrower)
    assert decide_at(borrower, "2026-12-07T20:00:00Z").message == (
        "The borrower was spoken to on 2026-12-01 (America/New_York; that is day 1 of 7): "
        "no collection voice before 2026-12-08 00:00 EST (postConversation.voice); "
        "the next allowed time is 2026-12-08T13:00:00Z."
    )


def test_inbound_conversation_holds_too(rules, borrower) -> None:  # noqa: ANN001
    from tests.compliance.guard_scenarios import utc

    reachable(borrower)
    InteractionFactory(
        borrower=borrower,
        channel="voice",
        direction="inbound",
        theme="opsCollDebt",
        subject="loanOverdueFirstNotice",
        status="succeeded",
        status_details="voiceSpokeWithFirstParty",
        started_at=utc(SPOKE),
    )
    assert summary(decide_at(borrower, "2026-12-07T20:00:00Z"), rules) == (
        False,
        "postConversation",
        "postConversation.voice",
        "2026-12-08T13:00:00Z",
    )
    assert decide_at(borrower, "2026-12-08T13:00:00Z").result is True


def test_agent_outcome_marks_a_conversation(rules, borrower) -> None:  # noqa: ANN001
    reachable(borrower)
    sent(borrower, SPOKE, status="succeeded", status_details=None, agent_outcome="voiceSpokeWithFirstParty")
    assert decide_at(borrower, "2026-12-07T20:00:00Z").reason == "postConversation"


def test_strictest_candidate_zone(rules, borrower) -> None:  # noqa: ANN001
    reachable(borrower)  # New York phone
    address(borrower, "CA")
    # 01:30 on 12-02 in New York, 22:30 on 12-01 in Los Angeles: New York's day 8 (12-09)
    # starts later than Los Angeles' (12-08).
    spoke(borrower, "2026-12-02T06:30:00Z")
    decision = decide_at(borrower, "2026-12-08T20:00:00Z")
    # Held until 12-09 00:00 EST, then the window of both zones opens at 08:00 PST.
    assert summary(decision, rules) == (
        False,
        "postConversation",
        "postConversation.voice",
        "2026-12-09T16:00:00Z",
    )


@pytest.mark.parametrize(
    ("channel", "fields", "held"),
    [
        ("voice", {}, True),
        ("text", {}, False),  # the row is about calls
        ("email", {}, False),
        ("voice", {"subject": "autopayEnableReminder"}, False),  # not debt collection
        ("voice", {"subject": "paymentProcessed"}, False),  # transactional
    ],
)
def test_only_collection_calls_are_held(rules, borrower, channel, fields, held) -> None:  # noqa: ANN001
    reachable(borrower)
    spoke(borrower)
    assert (
        decide_at(borrower, "2026-12-03T15:00:00Z", channel, **fields).reason == "postConversation"
    ) is held


def test_per_debt(rules, borrower) -> None:  # noqa: ANN001
    reachable(borrower)
    loan_a, loan_b = LoanFactory(borrower=borrower), LoanFactory(borrower=borrower)
    spoke(borrower, loan=loan_a, loan_ids=[loan_a.pk])
    at = "2026-12-03T15:00:00Z"
    assert decide_at(borrower, at, loan_ids=(loan_a.pk,)).reason == "postConversation"
    assert decide_at(borrower, at, loan_ids=(loan_b.pk,)).result is True
    assert decide_at(borrower, at).reason == "postConversation"  # about all loans


def test_other_outcomes_do_not_hold(rules, borrower) -> None:  # noqa: ANN001
    reachable(borrower)
    sent(borrower, SPOKE, status="attempted", status_details="voiceSpokeWithThirdParty")
    assert decide_at(borrower, "2026-12-03T15:00:00Z").result is True


def test_disabled_row_is_ignored(rules, borrower) -> None:  # noqa: ANN001
    reachable(borrower)
    spoke(borrower)
    rules["postConversation.voice"].enabled = False
    rules["postConversation.voice"].save()
    assert decide_at(borrower, "2026-12-03T15:00:00Z").result is True

"""The hand-written history reads of the frequency and postConversation rules
(compliance/rules/history.py) return what their ORM versions return (the ones SQLite
runs), over random histories and requests: every column they filter on varies, including
the debt (loans), the re-checked interaction, deleted rows, inbound rows with and without
``started_at``, and equal send times at the ``LIMIT``."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest

from compliance.guard import GuardRequest
from compliance.models import ComplianceRule
from compliance.rules import history
from compliance.rules.base import GuardContext
from compliance.rules.frequency import counted_send_times, counted_send_times_orm
from compliance.rules.post_conversation import conversation_times, conversation_times_orm
from interactions.models import Interaction
from tests.compliance.guard_scenarios import utc
from tests.factories import InteractionFactory, LoanFactory

pytestmark = pytest.mark.django_db

BASE = utc("2026-12-02T15:00:00Z")
CHANNELS = ["voice", "text", "email"]
THEMES = ["opsCollDebt", "opsCollLocateBorrower", "opsServicing", "marketing", None]
STATUSES = [status.value for status in Interaction.Status]
DETAILS = [
    None,
    None,
    "voiceLeftVoicemail",
    "voiceSpokeWithFirstParty",
    "textDelivered",
    "emailDelivered",
    "emailBounced",
    "textFailed",
    "voiceNoAnswer",
]
OUTCOMES = [None, None, None, "voiceSpokeWithFirstParty", "promiseToPay"]
HISTORIES = 10
ROWS = 40
REQUESTS = 12


def _instant(rng: random.Random) -> object:
    # Whole hours: equal instants happen, so LIMIT meets ties.
    return BASE + timedelta(hours=rng.randint(-10 * 24, 10 * 24))


def _history(rng: random.Random, borrower, loans) -> list[Interaction]:  # noqa: ANN001
    rows = []
    for _ in range(ROWS):
        loan = rng.choice([None, None, *loans])
        loan_ids = rng.choice([[], [], [loan.pk] if loan else [], [item.pk for item in loans]])
        direction = rng.choice(["outbound", "outbound", "inbound"])
        row = InteractionFactory(
            borrower=borrower,
            channel=rng.choice(CHANNELS),
            direction=direction,
            theme=rng.choice(THEMES),
            is_transactional=rng.random() < 0.2,
            status=rng.choice(STATUSES),
            status_details=rng.choice(DETAILS),
            agent_outcome=rng.choice(OUTCOMES),
            loan=loan,
            loan_ids=loan_ids,
            send_at=_instant(rng) if direction == "outbound" or rng.random() < 0.2 else None,
            started_at=_instant(rng) if rng.random() < 0.6 else None,
            deleted_at=BASE if rng.random() < 0.1 else None,
        )
        Interaction.objects.filter(pk=row.pk).update(created_at=_instant(rng))
        rows.append(row)
    return rows


def _context(rng: random.Random, borrower, loans, rows, channel: str) -> GuardContext:  # noqa: ANN001
    loan_ids = rng.choice([(), (), (loans[0].pk,), tuple(item.pk for item in loans), ("LN-NONE-0000",)])
    excluded = rng.choice([None, None, rng.choice(rows).pk])
    request = GuardRequest(
        company=borrower.company,
        borrower=borrower,
        channel=channel,
        subject="loanOverdueFirstNotice",
        loan_ids=loan_ids,
        exclude_interaction_id=excluded,
    )
    return GuardContext.load(request, BASE)


@pytest.mark.parametrize("seed", range(HISTORIES))
def test_hand_written_history_reads_match_the_orm(seed: int, borrower) -> None:  # noqa: ANN001
    assert history.hand_written()
    rng = random.Random(seed)
    loans = [LoanFactory(borrower=borrower), LoanFactory(borrower=borrower)]
    rows = _history(rng, borrower, loans)
    nonempty = 0
    for _ in range(REQUESTS):
        channels = rng.sample(CHANNELS, rng.randint(1, 3))
        ctx = _context(rng, borrower, loans, rows, channels[0])
        at = _instant(rng)
        window = timedelta(days=rng.randint(1, 8))
        limit = rng.randint(1, 6)
        expected = counted_send_times_orm(ctx, channels, at, window, limit)
        assert counted_send_times(ctx, channels, at, window, limit) == expected
        assert history.counted_send_times(ctx, channels, at, window, limit) == expected

        rule = ComplianceRule(
            channels=rng.choice([[], ["voice"], channels]),
            parameters={
                "days": rng.randint(1, 8),
                "statusDetails": rng.sample(DETAILS[2:], rng.randint(1, 3)),
            },
        )
        spoken = sorted(conversation_times_orm(ctx, rule, at))
        assert sorted(conversation_times(ctx, rule, at)) == spoken
        nonempty += bool(expected) + bool(spoken)
    assert (
        history.counted_send_times(ctx, [], at, window, 3)
        == counted_send_times_orm(ctx, [], at, window, 3)
        == []
    )
    assert nonempty, "the random histories never matched anything: the comparison proved nothing"


def test_catalogue_lists_are_written_into_the_text_only_when_they_are_identifiers() -> None:
    from peachcomms.db import rows

    assert history._any("theme", ["opsCollDebt", "marketing"]) == (
        "theme = ANY('{opsCollDebt,marketing}')",
        [],
    )
    odd = ["it's", "50%"]
    clause, params = history._any("theme", odd)
    assert (clause, params) == ("theme = ANY(%s)", [odd])
    assert rows(f"SELECT theme FROM (VALUES ('it''s'), ('x')) AS t(theme) WHERE {clause}", params) == [
        ("it's",)
    ]

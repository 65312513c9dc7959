"""The dispatcher's Compliance Guard re-check ignores a row's ``isTransactional`` for a
debt-collection message (issue 13): rows flagged transactional (stored by an earlier
version, or copied from one) are held by the window, the cap and the post-conversation
days like any collection message. The clock is frozen at the boundary minute."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from compliance.services import rules_create_defaults
from interactions.dispatch import Outcome, interaction_dispatch
from interactions.models import Interaction
from tests.factories import BorrowerFactory, ContactFactory, DueInteractionFactory, InteractionFactory

pytestmark = pytest.mark.django_db

#: New York (EST, UTC-5) on Thursday 2026-12-03.
OPENS = datetime(2026, 12, 3, 13, 0, tzinfo=UTC)  # 08:00
CLOSES = datetime(2026, 12, 4, 2, 0, tzinfo=UTC)  # 21:00
MINUTE = timedelta(minutes=1)
NEXT_MORNING = datetime(2026, 12, 4, 13, 0, tzinfo=UTC)


@pytest.fixture
def freeze(monkeypatch):  # noqa: ANN001, ANN201
    def at(instant: datetime) -> None:
        monkeypatch.setattr("django.utils.timezone.now", lambda: instant)

    return at


@pytest.fixture
def borrower(company):  # noqa: ANN001, ANN201
    rules_create_defaults(company)
    return BorrowerFactory(company=company, timezone="America/New_York")


@pytest.fixture
def phone(borrower):  # noqa: ANN001, ANN201
    return ContactFactory(
        borrower=borrower,
        contact_type="phone",
        label="mobile",
        value="+12125550100",
        receive_text_messages=True,
        consent_autodialed_call=True,
    )


def flagged_text(borrower, phone, at: datetime, channel: str = "text") -> Interaction:  # noqa: ANN001
    return DueInteractionFactory(
        borrower=borrower,
        contact=phone,
        channel=channel,
        subject="loanOverdueFirstNotice",
        theme="opsCollDebt",
        is_transactional=True,
        send_at=at - MINUTE,
        content={"contentText": "Your loan is overdue.", "to": phone.value, "attachments": []},
    )


def reload(row: Interaction) -> Interaction:
    return Interaction.objects.get(pk=row.pk)


@pytest.mark.parametrize(
    ("now", "outcome", "rescheduled_to"),
    [
        (OPENS - MINUTE, Outcome.RESCHEDULED, OPENS),
        (OPENS, Outcome.SENT, None),
        (CLOSES - MINUTE, Outcome.SENT, None),
        (CLOSES, Outcome.RESCHEDULED, NEXT_MORNING),
    ],
)
def test_window_edges_with_the_flag_set(borrower, phone, scripted, freeze, now, outcome, rescheduled_to):
    freeze(now)
    row = flagged_text(borrower, phone, now)

    assert interaction_dispatch(row.pk) == outcome

    row = reload(row)
    if rescheduled_to is None:
        assert len(scripted.calls) == 1
    else:
        assert (row.status, row.send_at, scripted.calls) == ("scheduled", rescheduled_to, [])
        assert "timeOfDay" in row.last_error


@pytest.mark.parametrize(("already", "outcome"), [(2, Outcome.SENT), (3, Outcome.RESCHEDULED)])
def test_cap_with_the_flag_set(borrower, phone, scripted, freeze, already, outcome):
    now = OPENS + timedelta(hours=4)
    freeze(now)
    for hours in range(already):
        InteractionFactory(
            borrower=borrower,
            contact=phone,
            channel="text",
            subject="loanOverdueFirstNotice",
            theme="opsCollDebt",
            is_transactional=True,
            status="succeeded",
            status_details="textDelivered",
            send_at=now - timedelta(days=1, hours=hours),
        )
    row = flagged_text(borrower, phone, now)

    assert interaction_dispatch(row.pk) == outcome
    if outcome == Outcome.RESCHEDULED:
        row = reload(row)
        # Room again 7 days after the oldest of the three.
        oldest = now - timedelta(days=1, hours=already - 1)
        assert (row.status, row.send_at) == ("scheduled", oldest + timedelta(days=7))
        assert "frequency" in row.last_error
        assert scripted.calls == []


@pytest.mark.parametrize(("day", "outcome"), [(7, Outcome.RESCHEDULED), (8, Outcome.SENT)])
def test_post_conversation_day_with_the_flag_set(borrower, phone, scripted, freeze, day, outcome):
    spoke = OPENS + timedelta(hours=2)  # 10:00 on day 1
    InteractionFactory(
        borrower=borrower,
        contact=phone,
        channel="voice",
        subject="loanOverdueFirstNotice",
        theme="opsCollDebt",
        status="succeeded",
        status_details="voiceSpokeWithFirstParty",
        send_at=spoke,
    )
    now = OPENS + timedelta(days=day - 1)  # 08:00 on that day
    freeze(now)
    row = flagged_text(borrower, phone, now, channel="voice")

    assert interaction_dispatch(row.pk) == outcome
    if outcome == Outcome.RESCHEDULED:
        row = reload(row)
        assert (row.status, row.send_at) == ("scheduled", OPENS + timedelta(days=7))
        assert "postConversation" in row.last_error

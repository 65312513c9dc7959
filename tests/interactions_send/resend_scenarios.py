"""What the bulk resend tests share: a clock frozen at a chosen instant (moved by the
tests, so rows created "before" a run are older than it) and originals as the send path
leaves them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from unittest import mock

import pytest

from interactions.models import Interaction
from tests.factories import InteractionFactory
from tests.interactions_send.conftest import NY_PHONE

#: 10:00 in New York (EST): every channel and theme may be sent.
DAYTIME = datetime(2026, 12, 2, 15, 0, tzinfo=UTC)
#: 21:49 in New York: collection texts are in quiet hours until 08:00 (13:00Z) tomorrow.
NIGHT = datetime(2026, 12, 3, 2, 49, tzinfo=UTC)
NEXT_MORNING = "2026-12-03T13:00:00Z"
#: Compliance Guard's refusal of a collection text to the New York borrower at ``NIGHT``.
NIGHT_REFUSAL = (
    "It is 2026-12-02 21:49 EST in America/New_York, outside the 08:00-21:00 window for text "
    "(timeOfDay.federal); the borrower's time zones: America/New_York (the borrower's time zone); "
    f"the next allowed time is {NEXT_MORNING}."
)

EMAIL_CONTENT = {"subjectLine": "Due soon", "contentText": "Pay by Friday.", "contentHtml": None}
TEXT_CONTENT = {"subjectLine": None, "contentText": "Your loan is overdue.", "contentHtml": None}


class Clock:
    """``django.utils.timezone.now`` (which ``auto_now`` fields, the services and the
    guard read) returns ``now`` until a test moves it."""

    def __init__(self, now: datetime) -> None:
        self.now = now


@pytest.fixture
def clock():  # noqa: ANN201
    frozen = Clock(DAYTIME)
    with mock.patch("django.utils.timezone.now", side_effect=lambda: frozen.now):
        yield frozen


def email_original(borrower, contact, **fields: Any) -> Interaction:  # noqa: ANN001
    """A delivered payment reminder email (servicing: no quiet hours, no cap)."""
    values = {
        "borrower": borrower,
        "contact": contact,
        "status": "succeeded",
        "status_details": "emailDelivered",
        "content": {**EMAIL_CONTENT, "to": contact.value},
        **fields,
    }
    return InteractionFactory(**values)


def text_original(borrower, contact, **fields: Any) -> Interaction:  # noqa: ANN001
    """A delivered debt-collection text (quiet hours and the frequency cap apply)."""
    values = {
        "borrower": borrower,
        "contact": contact,
        "channel": "text",
        "subject": "loanOverdueFirstNotice",
        "theme": "opsCollDebt",
        "status": "succeeded",
        "status_details": "textDelivered",
        "content": {**TEXT_CONTENT, "to": NY_PHONE},
        **fields,
    }
    return InteractionFactory(**values)


def copies_of(*originals: Interaction) -> list[tuple[str, bool, str]]:
    """(original id, compliance_checked, status) of every copy of ``originals``, sorted."""
    rows = Interaction.objects.filter(previous_interaction_id__in=[o.pk for o in originals])
    return sorted(rows.values_list("previous_interaction_id", "compliance_checked", "status"))

"""Scenario builders for the guard-engine tests: contacts placed in time zones, logged
history, and requests. All instants are UTC; 2026-12-02 is a Wednesday (EST, UTC-5)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from borrowers.models import Borrower, Contact
from compliance.guard import Decision, GuardRequest, decide
from interactions.models import Interaction
from tests.factories import ContactFactory, InteractionFactory

#: 10:00 in New York on a Wednesday: inside every US calling window east of Hawaii.
MIDDAY = "2026-12-02T15:00:00Z"
NY_PHONE = "+12125550100"
LA_PHONE = "+14155550100"


def utc(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)


def phone(borrower: Borrower, value: str = NY_PHONE, **fields: Any) -> Contact:
    """A self mobile phone with text and autodial consent (override with ``fields``)."""
    defaults = {
        "contact_type": Contact.ContactType.PHONE,
        "label": Contact.Label.MOBILE,
        "receive_text_messages": True,
        "consent_autodialed_call": True,
    }
    return ContactFactory(borrower=borrower, value=value, **{**defaults, **fields})


def email(borrower: Borrower, **fields: Any) -> Contact:
    return ContactFactory(borrower=borrower, contact_type=Contact.ContactType.EMAIL, **fields)


def address(borrower: Borrower, state: str, **fields: Any) -> Contact:
    defaults = {
        "contact_type": Contact.ContactType.ADDRESS,
        "label": Contact.Label.HOME,
        "value": "",
        "address_line1": "1 Main St",
        "city": "Somewhere",
        "postal_code": "00000",
        "country": "US",
    }
    return ContactFactory(borrower=borrower, state=state, **{**defaults, **fields})


def reachable(borrower: Borrower, phone_value: str = NY_PHONE) -> Borrower:
    """Give the borrower a consenting mobile phone (New York by default) and an email."""
    phone(borrower, phone_value)
    email(borrower)
    return borrower


def sent(borrower: Borrower, send_at: str, channel: str = "voice", **fields: Any) -> Interaction:
    """A counted outbound collection interaction (a call that reached voicemail, a
    delivered text or email) at ``send_at``."""
    details = {"voice": "voiceLeftVoicemail", "text": "textDelivered", "email": "emailDelivered"}
    defaults = {
        "channel": channel,
        "subject": "loanOverdueFirstNotice",
        "theme": "opsCollDebt",
        "status": Interaction.Status.ATTEMPTED,
        "status_details": details.get(channel),
    }
    return InteractionFactory(borrower=borrower, send_at=utc(send_at), **{**defaults, **fields})


def request(
    borrower: Borrower, channel: str = "voice", subject: str | None = "loanOverdueFirstNotice", **fields: Any
):
    return GuardRequest(
        company=borrower.company, borrower=borrower, channel=channel, subject=subject, **fields
    )


def decide_at(borrower: Borrower, at: str, channel: str = "voice", **fields: Any) -> Decision:
    return decide(request(borrower, channel, **fields), at=utc(at))


def summary(decision: Decision, rules: dict[str, Any] | None = None) -> tuple:
    """(result, reason, rule code, sendAt) — the rule row named by its code."""
    code = None
    if decision.compliance_guard_rule_id is not None and rules is not None:
        code = next(c for c, row in rules.items() if row.pk == decision.compliance_guard_rule_id)
    return decision.result, decision.reason, code, decision.as_dict()["sendAt"]

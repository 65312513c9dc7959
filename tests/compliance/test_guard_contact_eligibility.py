"""contactEligibility and contact selection: consent for texts and autodialed calls,
third parties on collection themes, contact types, archived/invalid contacts, and "no
eligible contact"."""

from __future__ import annotations

import pytest

from tests.compliance.guard_scenarios import MIDDAY, address, decide_at, email, phone, summary
from tests.factories import BorrowerFactory

pytestmark = pytest.mark.django_db

REFUSED = (False, "contactEligibility", "contactEligibility.default", None)


def test_text_to_a_contact_without_sms_consent(rules, borrower) -> None:  # noqa: ANN001
    mobile = phone(borrower, receive_text_messages=False)
    decision = decide_at(borrower, MIDDAY, "text", contact=mobile)
    assert summary(decision, rules) == REFUSED
    assert decision.message == (
        f"Contact {mobile.pk} has not consented to text messages (receiveTextMessages is false); "
        "waiting will not help."
    )
    # Without a named contact, selection finds no phone that may receive texts.
    decision = decide_at(borrower, MIDDAY, "text")
    assert summary(decision, rules) == REFUSED
    assert decision.message.startswith("No eligible contact: ")


def test_autodialed_call_needs_consent(rules, borrower) -> None:  # noqa: ANN001
    mobile = phone(borrower, consent_autodialed_call=False)
    decision = decide_at(borrower, MIDDAY, "voice", contact=mobile, is_autodialed=True)
    assert summary(decision, rules) == REFUSED
    assert "consentAutodialedCall is false, TCPA" in decision.message
    assert decide_at(borrower, MIDDAY, "voice", contact=mobile).result is True  # dialled by hand
    mobile.consent_autodialed_call = True
    mobile.save()
    assert decide_at(borrower, MIDDAY, "voice", contact=mobile, is_autodialed=True).result is True


@pytest.mark.parametrize(
    ("affiliation", "subject", "allowed"),
    [
        ("employer", "loanOverdueFirstNotice", False),
        ("other", "loanOverdueFirstNotice", False),
        ("coBorrower", "loanOverdueFirstNotice", False),
        ("employer", "debtValidationNotice", False),
        ("employer", "autopayEnableReminder", True),  # not debt collection
        ("spouse", "loanOverdueFirstNotice", True),
        ("attorney", "loanOverdueFirstNotice", True),
        ("executor", "loanOverdueFirstNotice", True),
        ("powerOfAttorney", "loanOverdueFirstNotice", True),
        ("authorizedThirdParty", "loanOverdueFirstNotice", True),
        ("self", "loanOverdueFirstNotice", True),
    ],
)
def test_third_parties_on_collection_themes(rules, borrower, affiliation, subject, allowed) -> None:  # noqa: ANN001
    phone(borrower)  # the borrower's own, for the time zone
    contact = phone(borrower, "+12125550142", affiliation=affiliation, status="secondary")
    decision = decide_at(borrower, MIDDAY, "voice", subject=subject, contact=contact)
    assert decision.result is allowed
    if not allowed:
        assert summary(decision, rules) == REFUSED
        assert "Reg F 1006.6(d)" in decision.message


def test_other_contact_flagged_as_authorized_third_party(rules, borrower) -> None:  # noqa: ANN001
    contact = phone(borrower, affiliation="other", authorized_third_party=True)
    assert decide_at(borrower, MIDDAY, "voice", contact=contact).result is True


@pytest.mark.parametrize(
    ("fields", "channel", "problem"),
    [
        ({"status": "archived"}, "voice", "is archived"),
        ({"valid": False}, "voice", "is marked not valid"),
        ({}, "email", "is a phone contact; email goes to email contacts"),
        ({}, "mail", "is a phone contact; mail goes to address contacts"),
    ],
)
def test_unusable_contacts(rules, borrower, fields, channel, problem) -> None:  # noqa: ANN001
    email(borrower)
    contact = phone(borrower, **fields)
    decision = decide_at(borrower, MIDDAY, channel, contact=contact)
    assert summary(decision, rules) == REFUSED
    assert decision.message.startswith(f"Contact {contact.pk} {problem}")


def test_another_borrowers_contact(rules, company, borrower) -> None:  # noqa: ANN001
    phone(borrower)
    stranger = phone(BorrowerFactory(company=company))
    decision = decide_at(borrower, MIDDAY, "voice", contact=stranger)
    assert decision.message.startswith(f"Contact {stranger.pk} is not one of this borrower's contacts")


def test_selection_order_and_no_eligible_contact(rules, borrower) -> None:  # noqa: ANN001
    assert summary(decide_at(borrower, MIDDAY, "voice"), rules) == REFUSED
    assert decide_at(borrower, MIDDAY, "voice").message == (
        "No eligible contact: the borrower has no valid, unarchived phone number of their own; "
        "waiting will not help."
    )
    # An employer's phone is not selected; an archived or invalid own phone neither.
    phone(borrower, affiliation="employer")
    phone(borrower, status="archived")
    phone(borrower, valid=False)
    assert decide_at(borrower, MIDDAY, "voice").reason == "contactEligibility"
    # The selected phone (primary before secondary) is the one checked for autodial consent.
    phone(borrower, "+12125550101", status="secondary", consent_autodialed_call=True)
    primary = phone(borrower, "+12125550102", status="primary", consent_autodialed_call=False)
    decision = decide_at(borrower, MIDDAY, "voice", is_autodialed=True)
    assert decision.message.startswith(f"Contact {primary.pk} has not consented to autodialed calls")


def test_text_selection_needs_a_mobile_or_personal_phone_with_consent(rules, borrower) -> None:  # noqa: ANN001
    phone(borrower, label="home")
    phone(borrower, label="work")
    assert decide_at(borrower, MIDDAY, "text").reason == "contactEligibility"
    phone(borrower, label="personal")
    assert decide_at(borrower, MIDDAY, "text").result is True


def test_mail_needs_an_address(rules, borrower) -> None:  # noqa: ANN001
    phone(borrower)
    assert decide_at(borrower, MIDDAY, "mail").message.startswith(
        "No eligible contact: the borrower has no valid, unarchived postal address"
    )
    address(borrower, "NY")
    assert decide_at(borrower, MIDDAY, "mail").result is True


def test_portal_channels_need_no_contact(rules, borrower) -> None:  # noqa: ANN001
    phone(borrower)
    assert decide_at(borrower, MIDDAY, "chat").result is True
    assert decide_at(borrower, MIDDAY, "gui").result is True

"""The recipient of a send: the contact the request names, or the one data.md's "Contact
selection" picks for the channel.

The selection rule itself lives with Compliance Guard
(:func:`compliance.rules.contact_eligibility.contact_select`), so that the guard judges
exactly the contact a send will use; this module only applies it to a borrower's rows
and turns "none" into the 422 of api.md.
"""

from __future__ import annotations

from collections.abc import Sequence

from borrowers.models import Borrower, Company, Contact
from borrowers.selectors import borrower_contacts
from compliance.rules.contact_eligibility import contact_needed
from compliance.rules.contact_eligibility import contact_select as _select
from peachcomms.errors import BusinessRuleViolation
from peachcomms.scoping import get_scoped

#: What each channel is delivered to, for the 422 message.
_WANTED = {
    "email": "an email address",
    "text": "a personal or mobile phone with text consent (receiveTextMessages)",
    "voice": "a phone number",
    "mail": "a postal address",
}


class NoEligibleContact(BusinessRuleViolation):
    """422: the send names no contact and the borrower has none the channel can use."""


def contact_for_send(
    company: Company,
    borrower: Borrower,
    channel: str,
    contact_id: str | None,
    *,
    contacts: Sequence[Contact] | None = None,
) -> Contact | None:
    """``contactId`` resolved among the borrower's contacts (another borrower's or
    company's → 404 naming ``contactId``); without one, the contact data.md's selection
    picks (the borrower's own, valid, not archived contacts of the channel's type, primary
    first: :func:`compliance.rules.contact_eligibility.contact_select`), and
    :class:`NoEligibleContact` (422) when a channel that needs a contact has none.
    Whether a named contact fits the channel is Compliance Guard's to say
    (contactEligibility). ``contacts``: the borrower's contacts, when already read
    (:func:`borrowers.selectors.borrower_contacts`); read here otherwise."""
    if contacts is None:
        contacts = borrower_contacts(borrower)
    if contact_id:
        for contact in contacts:
            if contact.pk == contact_id:
                return contact
        return get_scoped(Contact, company.pk, contact_id, borrower_id=borrower.pk, field="contactId")
    contact = _select(contacts, channel)
    if contact is None and contact_needed(channel):
        raise NoEligibleContact(
            f"No eligible contact: borrower {borrower.pk} has no valid, unarchived {channel} contact "
            f"of their own ({_WANTED.get(channel, 'a contact')}); add one or name a contactId."
        )
    return contact


__all__ = ["NoEligibleContact", "contact_for_send"]

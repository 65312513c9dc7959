"""contactEligibility: the recipient must be the borrower's, ``valid``, not archived, of a
contact type that fits the channel; texts need ``receiveTextMessages``; autodialed calls
need ``consentAutodialedCall`` (TCPA); debt-collection themes go only to the affiliations
Reg F 1006.6(d) allows. Lasting.

Parameters::

    {"channelContactTypes": {channel: [contactType]},  # channels not listed need no contact
     "textRequiresConsent": bool, "autodialRequiresConsent": bool,
     "debtCollectionAffiliations": [affiliation]}

A contact flagged ``authorizedThirdParty`` or ``powerOfAttorney`` counts as that
affiliation. When the request names no contact, :func:`contact_select` picks one (data.md,
"Contact selection"; :func:`borrowers.selectors.contact_select`); none → "no eligible
contact".
"""

from __future__ import annotations

from datetime import datetime

from borrowers.models import Contact

# The selection rule lives with the contacts, so that the render of a letter (templating,
# below compliance) picks the same address; re-exported here for the guard and the send.
from borrowers.selectors import SELECTION_TYPES
from borrowers.selectors import contact_select as contact_select
from compliance.models import RuleFamily
from compliance.rules.base import GuardContext, Outcome, Rule


def contact_needed(channel: str) -> bool:
    return channel in SELECTION_TYPES


class ContactEligibilityRule(Rule):
    family = RuleFamily.CONTACT_ELIGIBILITY.value

    def check(self, ctx: GuardContext, at: datetime) -> Outcome | None:
        rows = ctx.rows(self.family)
        contact = ctx.contact
        if contact is None:
            if ctx.request.contact is None and contact_needed(ctx.channel):
                return self.refuse(
                    rows[0] if rows else None,
                    "no eligible contact: the borrower has no valid, unarchived "
                    f"{_wanted(ctx.channel)} of their own",
                )
            return None
        for row in rows:
            problem = _problem(row.parameters, ctx, contact)
            if problem:
                return self.refuse(row, f"contact {contact.pk} {problem}")
        return None


def _wanted(channel: str) -> str:
    if channel == "text":
        return "personal or mobile phone with text consent"
    kind = SELECTION_TYPES[channel]
    return {"email": "email address", "phone": "phone number", "address": "postal address"}[kind]


def _problem(params: dict, ctx: GuardContext, contact: Contact) -> str | None:
    if contact.borrower_id != ctx.borrower.pk:
        return "is not one of this borrower's contacts"
    if contact.status == Contact.Status.ARCHIVED:
        return "is archived"
    if not contact.valid:
        return "is marked not valid"
    types = params.get("channelContactTypes", {}).get(ctx.channel)
    if types is not None and contact.contact_type not in types:
        goes_to = " or ".join(types) or "no"
        return f"is a {contact.contact_type} contact; {ctx.channel} goes to {goes_to} contacts"
    if ctx.channel == "text" and params.get("textRequiresConsent") and not contact.receive_text_messages:
        return "has not consented to text messages (receiveTextMessages is false)"
    if (
        ctx.channel == "voice"
        and ctx.request.is_autodialed
        and params.get("autodialRequiresConsent")
        and not contact.consent_autodialed_call
    ):
        return "has not consented to autodialed calls (consentAutodialedCall is false, TCPA)"
    allowed = params.get("debtCollectionAffiliations")
    if ctx.is_debt_collection and allowed is not None and not _affiliations(contact) & set(allowed):
        return (
            f"is a {contact.affiliation} contact; debt-collection messages ({ctx.theme_label}) go only to "
            f"{', '.join(allowed)} contacts (Reg F 1006.6(d))"
        )
    return None


def _affiliations(contact: Contact) -> set[str]:
    affiliations = {contact.affiliation}
    if contact.authorized_third_party:
        affiliations.add(Contact.Affiliation.AUTHORIZED_THIRD_PARTY)
    if contact.power_of_attorney:
        affiliations.add(Contact.Affiliation.POWER_OF_ATTORNEY)
    return affiliations

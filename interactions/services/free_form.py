"""``POST /communicator/send-free-form-email``: the caller's own content inside the
company's branded layout (the active ``freeFormBranded`` email template), one interaction
per ``to`` recipient.

Not checked against Compliance Guard (compliance.md, "Where it runs"): the caller writes
to addresses it names itself, often people who are not borrowers yet. Hence it refuses a
debt-collection theme (422): such a message must go through the checked send route.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone

from borrowers.models import Borrower, Company, Contact
from borrowers.settings_cache import settings_version as current_settings_version
from borrowers.validators import ValueInvalid, normalize_email
from interactions.models import Interaction
from interactions.services.senders import Actor, created_by_actor, sender_of
from peachcomms.errors import BusinessRuleViolation, InvalidInput
from peachcomms.scoping import get_scoped
from subjects.selectors import theme_get
from templating.rendering import RenderedContent
from templating.selectors import DEFAULT_LANGUAGE
from templating.services import FREE_FORM_BRANDED, free_form_email_render

#: SendGrid's shape, with our limits: personalizations per request, and recipients
#: (to, cc and bcc together) per request.
PERSONALIZATIONS_MAX = 100
RECIPIENTS_MAX = 100


@dataclass(frozen=True)
class Recipient:
    email: str
    name: str | None
    personalization: int
    cc: tuple[str, ...] = ()
    bcc: tuple[str, ...] = ()
    borrower: Borrower | None = None
    contact: Contact | None = None


@dataclass(frozen=True)
class FreeFormResult:
    interactions: list[Interaction] = field(default_factory=list)

    @property
    def interaction_ids(self) -> list[str]:
        return [interaction.pk for interaction in self.interactions]


def _address(value: Any, field_name: str) -> str:
    try:
        return normalize_email(str(value or ""))
    except ValueInvalid as error:
        raise InvalidInput(
            f"Invalid field '{field_name}': {error}", errors={field_name: [str(error)]}
        ) from None


def _recipients(personalizations: list[Mapping[str, Any]]) -> list[Recipient]:
    if not personalizations:
        raise InvalidInput(
            "personalizations: at least one is required.", errors={"personalizations": ["Required."]}
        )
    if len(personalizations) > PERSONALIZATIONS_MAX:
        raise InvalidInput(
            f"At most {PERSONALIZATIONS_MAX} personalizations.",
            errors={"personalizations": [f"At most {PERSONALIZATIONS_MAX}."]},
        )
    recipients: list[Recipient] = []
    total = 0
    for index, item in enumerate(personalizations):
        base = f"personalizations[{index}]"
        to = list(item.get("to") or [])
        if not to:
            raise InvalidInput(
                f"{base}.to: at least one recipient is required.", errors={f"{base}.to": ["Required."]}
            )
        cc = tuple(
            _address(c.get("email"), f"{base}.cc[{n}].email") for n, c in enumerate(item.get("cc") or [])
        )
        bcc = tuple(
            _address(c.get("email"), f"{base}.bcc[{n}].email") for n, c in enumerate(item.get("bcc") or [])
        )
        total += len(to) + len(cc) + len(bcc)
        if total > RECIPIENTS_MAX:
            raise InvalidInput(
                f"At most {RECIPIENTS_MAX} recipients (to, cc and bcc together) per request.",
                errors={"personalizations": [f"At most {RECIPIENTS_MAX} recipients."]},
            )
        for position, person in enumerate(to):
            email = _address(person.get("email"), f"{base}.to[{position}].email")
            recipients.append(Recipient(email, person.get("name") or None, index, cc, bcc))
    return recipients


def _match(company: Company, person: Borrower | None, recipients: list[Recipient]) -> list[Recipient]:
    """Each recipient with the borrower and contact it is linked to: with ``person``,
    that borrower (and their email contact of that address, if any); otherwise the one
    borrower of the company with a non-archived email contact of that address (the domain
    compares case-insensitively: stored and given addresses are both normalised), or none
    when no borrower or several have it. One query."""
    contacts = Contact.objects.filter(
        company_id=company.pk,
        contact_type=Contact.ContactType.EMAIL,
        value__in={r.email for r in recipients},
    ).exclude(status=Contact.Status.ARCHIVED)
    if person is not None:
        contacts = contacts.filter(borrower_id=person.pk)
    by_address: dict[str, list[Contact]] = {}
    for contact in contacts.select_related("borrower").order_by("created_at", "id"):
        by_address.setdefault(contact.value, []).append(contact)
    matched = []
    for recipient in recipients:
        found = by_address.get(recipient.email, [])
        owners = {contact.borrower_id for contact in found}
        if person is not None:
            borrower, contact = person, (found[0] if found else None)
        elif len(owners) == 1:
            borrower, contact = found[0].borrower, found[0]
        else:
            borrower, contact = None, None
        matched.append(dataclasses.replace(recipient, borrower=borrower, contact=contact))
    return matched


def interaction_send_free_form_email(
    company: Company, actor: Actor, data: Mapping[str, Any]
) -> FreeFormResult:
    """Send the caller's ``subjectLine``, ``contentHtml`` (sanitised to the allow-list of
    :mod:`templating.sanitize`) and ``contentPlain`` (derived from the HTML when absent)
    through the company's active ``freeFormBranded`` email template, once per ``to``
    recipient of ``personalizations``.

    Each interaction (subject ``freeFormBranded``, channel ``email``, ``scheduled``, due
    now, not compliance-checked) is linked to ``personId`` when given, else to the one
    borrower whose email contact has the address; an address no borrower (or several)
    has gives an interaction with no borrower (the message still goes to the address the
    caller named). ``cc``/``bcc`` of a personalization are recorded on each of its
    interactions (``metaData.cc``/``metaData.bcc``, and ``content`` for the provider).
    ``theme`` is optional (null: the caller gave no reason); ``isTransactional`` defaults
    to false. All interactions are created in one transaction and handed to the broker
    after commit. 400 bad addresses or too many recipients; 404 unknown ``personId`` or
    ``previousInteractionId``; 404 no ``freeFormBranded`` email template."""
    recipients = _recipients(list(data.get("personalizations") or []))
    person = (
        get_scoped(Borrower, company.pk, data["personId"], field="personId") if data.get("personId") else None
    )
    previous = None
    if data.get("previousInteractionId"):
        # Only its id is kept: the row without the representation's join (as a send does).
        previous = get_scoped(
            Interaction, company.pk, data["previousInteractionId"], field="previousInteractionId"
        )
    theme_info = theme_get(data["theme"]) if data.get("theme") else None
    theme = theme_info.theme if theme_info is not None else None
    if theme_info is not None and theme_info.is_debt_collection:
        # Free-form email is not checked by Compliance Guard, so it cannot carry a
        # debt-collection message (Regulation F's time of day and caps apply to every one):
        # those go through the send route, which checks them (docs/adr/0007).
        raise BusinessRuleViolation(
            f"A free-form email cannot have the debt-collection theme {theme}: free-form email is not "
            "checked by Compliance Guard, and Regulation F's time-of-day and frequency rules apply to every "
            "debt-collection message. Send it with POST /api/communicator/send (subject freeForm or "
            "freeFormBranded, useTemplate as needed), which checks it."
        )
    language = data.get("language") or DEFAULT_LANGUAGE
    recipients = _match(company, person, recipients)
    created_by = created_by_actor(actor)
    sender = sender_of(company, "email")
    now = timezone.now()
    # One template selection for every recipient (the settings read once).
    version_now = current_settings_version(company.pk)

    rendered: dict[tuple[str | None, str | None], tuple[str, RenderedContent]] = {}
    interactions: list[Interaction] = []
    for recipient in recipients:
        key = (
            recipient.borrower.pk if recipient.borrower else None,
            recipient.contact.pk if recipient.contact else None,
        )
        if key not in rendered:
            version, content = free_form_email_render(
                company=company,
                subject_line=data.get("subjectLine") or "",
                content_html=data.get("contentHtml") or "",
                content_plain=data.get("contentPlain") or "",
                language=language,
                person=recipient.borrower,
                contact=recipient.contact,
                settings_version=version_now,
            )
            rendered[key] = (version.pk, content)
        version_id, content = rendered[key]
        meta_data: dict[str, Any] = {}
        if recipient.name:
            meta_data["recipientName"] = recipient.name
        if recipient.cc:
            meta_data["cc"] = list(recipient.cc)
        if recipient.bcc:
            meta_data["bcc"] = list(recipient.bcc)
        interaction = Interaction(
            company=company,
            borrower=recipient.borrower,
            contact=recipient.contact,
            channel="email",
            direction=Interaction.Direction.OUTBOUND,
            subject=FREE_FORM_BRANDED,
            theme=theme,
            status=Interaction.Status.SCHEDULED,
            status_updated_at=now,
            is_transactional=bool(data.get("isTransactional", False)),
            previous_interaction=previous,
            template_version_id=version_id,
            send_at=now,
            content={
                **content.as_json(),
                "to": recipient.email,
                "from": sender,
                "attachments": [],
                "providerMessageId": None,
                "cc": list(recipient.cc),
                "bcc": list(recipient.bcc),
            },
            meta_data=meta_data,
            created_by=created_by,
            compliance_checked=False,
        )
        interaction.contact_external_id = recipient.contact.external_id if recipient.contact else None
        interactions.append(interaction)

    with transaction.atomic():
        Interaction.objects.bulk_create(interactions)
        _enqueue_all([interaction.pk for interaction in interactions])
    return FreeFormResult(interactions)


def _enqueue_all(ids: list[str]) -> None:
    try:
        from interactions.dispatch import interactions_enqueue_after_commit
    except ImportError:  # pragma: no cover - the dispatcher is not installed: the beat sends them
        return
    interactions_enqueue_after_commit(ids)


__all__ = ["FreeFormResult", "interaction_send_free_form_email"]

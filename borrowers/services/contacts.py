"""Writes of a borrower's contacts (email addresses, phones, postal addresses)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils import timezone

from borrowers.models import Borrower, Contact
from borrowers.services._common import save_unique
from borrowers.validators import FieldErrors, clean_address, normalize_email, normalize_phone

#: model field → key of the ``address`` object in the API.
ADDRESS_FIELDS = {
    "address_line1": "addressLine1",
    "address_line2": "addressLine2",
    "city": "city",
    "state": "state",
    "postal_code": "postalCode",
    "country": "country",
}
#: consents that only mean something for a phone, with their API names.
PHONE_CONSENTS = {
    "receive_text_messages": "receiveTextMessages",
    "consent_autodialed_call": "consentAutodialedCall",
}
#: key of a :func:`contact_clean` error → the model field it is about; ``address`` (the
#: postal address as a whole) has none.
ERROR_FIELDS: dict[str, str | None] = {
    "contactType": "contact_type",
    "value": "value",
    "address": None,
    **{f"address.{key}": field for field, key in ADDRESS_FIELDS.items()},
    **{name: field for field, name in PHONE_CONSENTS.items()},
}
_TYPE = Contact.ContactType


def contact_create(*, borrower: Borrower, data: dict[str, Any]) -> Contact:
    """A new contact of ``borrower``. ``value`` must fit ``contact_type`` (an email, or
    a phone stored in E.164); an address contact needs ``address_line1``. Accepting
    text messages records the consent time. Bad input: :class:`InvalidInput`, duplicate
    ``external_id``: :class:`Conflict`; nothing is written either way."""
    contact = Contact(company_id=borrower.company_id, borrower=borrower)
    changes = contact_clean(data, current=None)
    for field, value in changes.items():
        setattr(contact, field, value)
    save_unique(contact)
    return contact


def contact_update(*, contact: Contact, data: dict[str, Any]) -> Contact:
    """Change the fields in ``data``. A new ``contact_type`` must come with a ``value``
    (or an address) that fits it; the fields of the old type are cleared. A changed
    value is no longer ``verified``."""
    changes = contact_clean(data, current=contact)
    for field, value in changes.items():
        setattr(contact, field, value)
    save_unique(contact, update_fields=list(changes))
    return contact


def contact_archive(*, contact: Contact) -> Contact:
    """Archive instead of delete: the contact stays for the interactions that used it,
    and contact selection skips it. Archiving an archived contact changes nothing."""
    if contact.status != Contact.Status.ARCHIVED:
        contact.status = Contact.Status.ARCHIVED
        contact.save(update_fields=["status", "updated_at"])
    return contact


def contact_clean(data: Mapping[str, Any], *, current: Contact | None) -> dict[str, Any]:
    """What :func:`contact_create` (``current`` None) or :func:`contact_update` (``current``
    the stored row) would write for ``data`` (model field names): the normalised values
    that differ from ``current`` (all of them on create), with what the rules derive (the
    old type's fields cleared, ``verified`` reset, the text-consent time). Writes nothing.

    The one check of a contact: the API, through those services, and the staff console's
    contact form, to show the problems next to its fields, call it, so both refuse the same
    input with the same sentences and store the same values. Problems raise
    :class:`InvalidInput` whose ``errors`` are keyed by API names (``contactType``,
    ``value``, ``address``, ``address.<key>``, a consent); :data:`ERROR_FIELDS` maps them to
    model fields."""
    creating = current is None
    contact = Contact() if current is None else current
    errors = FieldErrors()
    data = dict(data)
    new_type = data.get("contact_type", contact.contact_type)
    if new_type not in _TYPE.values:
        errors.add("contactType", "Required: email, phone or address.")
        errors.raise_if_any()
    type_changed = not creating and new_type != contact.contact_type
    sent_address = any(data.get(field) for field in ADDRESS_FIELDS)
    address_keys_sent = any(field in data for field in ADDRESS_FIELDS)

    if type_changed:
        if new_type == _TYPE.ADDRESS and not sent_address:
            errors.add("address", "Required when contactType changes to address.")
        if new_type != _TYPE.ADDRESS and not data.get("value"):
            errors.add("value", f"Required when contactType changes to {new_type}.")
        # What belonged to the old type does not carry over.
        data.setdefault("value", "")
        for field in ADDRESS_FIELDS:
            data.setdefault(field, "")
        for field in PHONE_CONSENTS:
            data.setdefault(field, False)
        data["verified"] = False

    if new_type == _TYPE.ADDRESS and data.get("value"):
        errors.add("value", "Not used for contactType address; send the address object.")
    if new_type != _TYPE.ADDRESS and sent_address:
        errors.add("address", f"Not used for contactType {new_type}; send value.")
    for field, api_name in PHONE_CONSENTS.items():
        if new_type != _TYPE.PHONE and data.get(field):
            errors.add(api_name, "Only a phone contact can have this consent.")

    check_value = (creating or type_changed or "value" in data) and "value" not in errors.errors
    if new_type == _TYPE.EMAIL and check_value:
        data["value"] = errors.check("value", normalize_email, data.get("value", ""))
    elif new_type == _TYPE.PHONE and check_value:
        data["value"] = errors.check("value", normalize_phone, data.get("value", ""))
    elif (
        new_type == _TYPE.ADDRESS
        and (creating or type_changed or address_keys_sent)
        and "address" not in errors.errors
    ):
        current = {api: getattr(contact, field) for field, api in ADDRESS_FIELDS.items()}
        sent = {api: data[field] for field, api in ADDRESS_FIELDS.items() if field in data}
        cleaned = clean_address({**current, **sent}, errors)
        data.update({field: cleaned[api] for field, api in ADDRESS_FIELDS.items()})
    errors.raise_if_any()

    changes = {field: value for field, value in data.items() if creating or getattr(contact, field) != value}
    locator_changed = "value" in changes or any(field in changes for field in ADDRESS_FIELDS)
    if not creating and locator_changed and contact.verified:
        changes["verified"] = False
    if changes.get("receive_text_messages") and (creating or not contact.receive_text_messages):
        changes["receive_text_messages_last_consent_at"] = timezone.now()
    return changes

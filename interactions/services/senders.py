"""Who sends a message, to which address and from which one: the ``createdBy`` of an
interaction, the recipient (a contact's value, a postal address on one line, the
borrower's portal, or an ``overrideRecipient`` for a caller allowed one) and the sending
identity of a channel. Used by the send, resend and free-form email services."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser

from borrowers.models import ApiKey, Borrower, Company, Contact
from borrowers.validators import ValueInvalid, normalize_email, normalize_phone
from interactions.services.records import created_by_api_key
from peachcomms.errors import InvalidInput, ServiceError

#: The channels ``overrideRecipient`` can redirect, and how its value is checked.
OVERRIDABLE = {"email": normalize_email, "text": normalize_phone, "voice": normalize_phone}
OVERRIDE_RECIPIENT_PERMISSION = "communicator:overrideRecipient"

Actor = ApiKey | AbstractBaseUser | Mapping[str, Any]


class PermissionMissing(ServiceError):
    """403: the caller's key lacks a permission one field of the request needs."""

    status_code = 403
    default_message = "This API key does not have permission for this action."


def created_by_actor(actor: Actor) -> dict[str, Any]:
    """``createdBy`` of an interaction: an API key is an integration; a Django user (the
    admin) an agent; a mapping (``{"id", "name", "userType", "descriptor"}``) is taken as
    it is (management commands, system tasks)."""
    if isinstance(actor, ApiKey):
        return created_by_api_key(actor)
    if isinstance(actor, AbstractBaseUser):
        name = getattr(actor, "get_full_name", lambda: "")() or actor.get_username()
        return {"id": str(actor.pk), "name": name, "userType": "agent", "descriptor": "admin"}
    if isinstance(actor, Mapping) and {"id", "name", "userType"} <= set(actor):
        return {
            "id": actor["id"],
            "name": actor["name"],
            "userType": actor["userType"],
            "descriptor": actor.get("descriptor"),
        }
    raise TypeError(f"Cannot record {actor!r} as the author of an interaction.")


def may_override_recipient(actor: Actor) -> bool:
    if isinstance(actor, ApiKey):
        return actor.has_permission(OVERRIDE_RECIPIENT_PERMISSION)
    if isinstance(actor, AbstractBaseUser):
        return bool(getattr(actor, "is_superuser", False))
    return isinstance(actor, Mapping) and actor.get("userType") == "system"


def address_line(contact: Contact) -> str:
    """A postal address contact on one line (the ``to`` of a letter)."""
    city = " ".join(part for part in (contact.state, contact.postal_code) if part)
    parts = (contact.address_line1, contact.address_line2, contact.city, city, contact.country)
    return ", ".join(part for part in parts if part)


def recipient_of(
    actor: Actor, borrower: Borrower, channel: str, contact: Contact | None, override: str | None
) -> str:
    if override is not None:
        if not may_override_recipient(actor):
            raise PermissionMissing(
                f"overrideRecipient needs the '{OVERRIDE_RECIPIENT_PERMISSION}' permission."
            )
        normalize = OVERRIDABLE.get(channel)
        if normalize is None:
            raise InvalidInput.for_field(
                "overrideRecipient", f"Only {', '.join(OVERRIDABLE)} messages can be redirected."
            )
        try:
            return normalize(override)
        except ValueInvalid as error:
            raise InvalidInput.for_field("overrideRecipient", str(error)) from None
    if contact is None:
        return borrower.pk  # chat and gui: the borrower's portal
    if contact.contact_type == Contact.ContactType.ADDRESS:
        return address_line(contact)
    return contact.value


def sender_of(company: Company, channel: str) -> str | None:
    """``content.from``: the configured sending identity of the channel, else the
    company's own support address or phone, else None."""
    from django.conf import settings

    if channel == "email":
        return getattr(settings, "SENDGRID_FROM_EMAIL", "") or company.support_email or None
    if channel in ("text", "voice"):
        return getattr(settings, "TWILIO_FROM_NUMBER", "") or company.support_phone or None
    if channel == "mail":
        address = company.mailing_address or {}
        line = ", ".join(str(address[key]) for key in ("addressLine1", "city", "state") if address.get(key))
        return line or None
    return None


__all__ = [
    "OVERRIDABLE",
    "OVERRIDE_RECIPIENT_PERMISSION",
    "Actor",
    "PermissionMissing",
    "address_line",
    "created_by_actor",
    "may_override_recipient",
    "recipient_of",
    "sender_of",
]

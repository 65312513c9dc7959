"""Checks and normalisation of borrower-record values (phones, emails, postal addresses,
file names, media types), shared by the services and the API serializers.

Each ``normalize_*`` returns the stored form of a value or raises :class:`ValueInvalid`
with a sentence for the caller; :class:`FieldErrors` collects those per field and raises
one :class:`peachcomms.errors.InvalidInput` (a 400 naming every field).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

import phonenumbers
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import DomainNameValidator, EmailValidator

from peachcomms.errors import InvalidInput

DEFAULT_PHONE_REGION = "US"
DEFAULT_COUNTRY = "US"

# fmt: off
#: USPS codes: states, DC, territories and armed-forces "states".
US_STATES = frozenset({
    "AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "FL", "GA", "HI", "ID", "IL", "IN", "IA",
    "KS", "KY", "LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV", "NH", "NJ",
    "NM", "NY", "NC", "ND", "OH", "OK", "OR", "PA", "RI", "SC", "SD", "TN", "TX", "UT", "VT",
    "VA", "WA", "WV", "WI", "WY", "DC", "AS", "GU", "MP", "PR", "VI", "UM", "FM", "MH", "PW",
    "AA", "AE", "AP",
})
# fmt: on
_US_POSTAL_CODE_RE = re.compile(r"^(\d{5})(?:[- ]?(\d{4}))?$")
_MEDIA_TYPE_RE = re.compile(r"^[A-Za-z0-9][\w!#$&^.+-]*/[A-Za-z0-9][\w!#$&^.+-]*(\s*;\s*[^;\x00-\x1f]+)*$")
_FILE_NAME_FORBIDDEN_RE = re.compile(r"[\x00-\x1f\x7f/\\]")

_email_validator = EmailValidator(message="Not a valid email address.")
_domain_validator = DomainNameValidator(accept_idna=False, message="Not a valid domain name.")


class ValueInvalid(ValueError):
    """A value that cannot be stored; ``str()`` is the sentence shown to the caller."""


class FieldErrors:
    """Problems per field (API names, ``address.state`` for nested ones), raised together."""

    def __init__(self) -> None:
        self.errors: dict[str, list[str]] = {}

    def add(self, field: str, problem: str) -> None:
        self.errors.setdefault(field, []).append(problem)

    def check(self, field: str, normalize: Callable[[Any], Any], value: Any) -> Any:
        """``normalize(value)``, or the value unchanged with the problem recorded."""
        try:
            return normalize(value)
        except ValueInvalid as error:
            self.add(field, str(error))
            return value

    def __bool__(self) -> bool:
        return bool(self.errors)

    def raise_if_any(self) -> None:
        if not self.errors:
            return
        field, problems = next(iter(self.errors.items()))
        more = f" ({len(self.errors) - 1} more field(s) in errors)" if len(self.errors) > 1 else ""
        raise InvalidInput(f"Invalid field '{field}': {problems[0]}{more}", errors=self.errors)


def normalize_phone(value: str, *, region: str = DEFAULT_PHONE_REGION) -> str:
    """E.164 (``+14155551234``); numbers without a country code are read as ``region``'s."""
    text = (value or "").strip()
    if not text:
        raise ValueInvalid("A phone number is required.")
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        raise ValueInvalid(f"'{text[:40]}' is not a phone number.") from None
    if not phonenumbers.is_valid_number(number):
        raise ValueInvalid(f"'{text[:40]}' is not a valid phone number.")
    if number.extension:
        raise ValueInvalid("Phone extensions are not supported (E.164 has none).")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalize_email(value: str) -> str:
    """A valid address with its domain lower-cased; the local part is kept as written
    (it may be case-sensitive)."""
    text = (value or "").strip()
    if not text:
        raise ValueInvalid("An email address is required.")
    try:
        _email_validator(text)
    except DjangoValidationError:
        raise ValueInvalid(f"'{text[:60]}' is not a valid email address.") from None
    local, _, domain = text.rpartition("@")
    return f"{local}@{domain.lower()}"


def normalize_domain_name(value: str) -> str:
    text = (value or "").strip().lower().rstrip(".")
    if not text:
        return ""
    try:
        _domain_validator(text)
    except DjangoValidationError:
        raise ValueInvalid(f"'{text[:60]}' is not a valid domain name.") from None
    return text


def normalize_country(value: str) -> str:
    """An ISO 3166-1 alpha-2 code, upper-cased; blank means :data:`DEFAULT_COUNTRY`."""
    code = (value or "").strip().upper() or DEFAULT_COUNTRY
    if code not in phonenumbers.SUPPORTED_REGIONS:
        raise ValueInvalid(f"'{code[:10]}' is not an ISO 3166-1 alpha-2 country code.")
    return code


def normalize_us_state(value: str) -> str:
    code = (value or "").strip().upper()
    if code not in US_STATES:
        raise ValueInvalid(f"'{code[:20]}' is not a 2-letter USPS state code (for example CA).")
    return code


def normalize_us_postal_code(value: str) -> str:
    """``12345`` or ``12345-6789`` (accepts ``123456789`` and ``12345 6789``)."""
    match = _US_POSTAL_CODE_RE.match((value or "").strip())
    if match is None:
        raise ValueInvalid(f"'{(value or '')[:20]}' is not a US ZIP code (5 or 9 digits).")
    first, plus_four = match.groups()
    return f"{first}-{plus_four}" if plus_four else first


ADDRESS_KEYS = ("addressLine1", "addressLine2", "city", "state", "postalCode", "country")


def clean_address(
    address: Mapping[str, str], errors: FieldErrors, *, field: str = "address"
) -> dict[str, str]:
    """A postal address (camelCase keys of :data:`ADDRESS_KEYS`) with its country
    defaulted to US, and a US state and ZIP code checked and normalised. Problems are
    recorded as ``<field>.<key>``."""
    cleaned = {key: (address.get(key) or "").strip() for key in ADDRESS_KEYS}
    if not cleaned["addressLine1"]:
        errors.add(f"{field}.addressLine1", "Required for a postal address.")
    cleaned["country"] = errors.check(f"{field}.country", normalize_country, cleaned["country"])
    if cleaned["country"] == "US":
        if cleaned["state"]:
            cleaned["state"] = errors.check(f"{field}.state", normalize_us_state, cleaned["state"])
        if cleaned["postalCode"]:
            cleaned["postalCode"] = errors.check(
                f"{field}.postalCode", normalize_us_postal_code, cleaned["postalCode"]
            )
    return cleaned


def validate_file_name(value: str) -> None:
    """A bare file name: no directories, no control characters."""
    if value in (".", "..") or _FILE_NAME_FORBIDDEN_RE.search(value):
        raise ValueInvalid("Must be a file name without '/', '\\' or control characters.")


def normalize_media_type(value: str) -> str:
    """``type/subtype`` with optional parameters; blank means ``application/octet-stream``."""
    text = (value or "").strip()
    if not text:
        return "application/octet-stream"
    if len(text) > 127 or not _MEDIA_TYPE_RE.match(text):
        raise ValueInvalid(f"'{text[:60]}' is not a media type like application/pdf.")
    return text

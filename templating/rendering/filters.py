"""The filters a lender's template needs, on top of Jinja's built-in ones.

Every filter takes plain data (what hydration produces: strings, numbers, lists, dicts,
None). ``None`` renders as an empty string; an undefined value renders empty, or is an
error naming the variable when the render is strict. A value a filter cannot read (a
``currency`` of ``"abc"``) is an error naming the filter.

- ``currency(value, code="USD")``: ``1234.5`` → ``$1,234.50``; ``-3`` → ``-$3.00``; other
  codes use their symbol (``EUR`` → ``€1,234.50``) or the code (``CHF 1,234.50``).
  Decimal strings are exact (the API represents amounts as strings); half-up rounding.
- ``date(value, format=None, tz=None)``: a date, datetime or ISO-8601 string;
  ``January 5, 2026`` by default, else Python ``strftime`` codes. With ``tz`` a datetime is
  first converted to that zone.
- ``datetime(value, format=None, tz="UTC")``: an instant in the IANA zone ``tz``, DST
  included (``zoneinfo``); ``March 8, 2026 3:30 AM EDT`` by default. Naive values are UTC.
- ``lastFour(value)``: the last four letters or digits (``+14155551234`` → ``1234``).
- ``phone(value, region=None)``: a phone number as a reader dials it (``phonenumbers``):
  national format when the number is of ``region`` (``+14155550123`` → ``(415) 555-0123``
  for ``US``), international format when it is of another (``+44 20 7946 0958``); without
  ``region``, national format in the number's own region. ``region`` is an ISO country
  code (``US``; ``USA`` and ``United States`` are read as ``US``); another value counts as
  none. A value that is not a phone number (a vanity ``1-800-PEACHES``, letters, too
  short) prints as written: the stored E.164 stays the data, this is only how it reads.
- ``title(value)``: ``ada lovelace`` → ``Ada Lovelace``.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from jinja2 import Undefined
from jinja2.exceptions import TemplateRuntimeError
from jinja2.filters import do_title

from templating.rendering.limits import check_width

CURRENCY_SYMBOLS = {
    "USD": "$",
    "CAD": "CA$",
    "AUD": "A$",
    "MXN": "MX$",
    "EUR": "€",
    "GBP": "£",
    "JPY": "¥",
    "INR": "₹",
}
ZERO_DECIMAL_CURRENCIES = {"JPY"}
CENTS = Decimal("0.01")


class FilterError(TemplateRuntimeError):
    """A filter was given a value it cannot read; the message names the filter."""


def _empty(value: Any) -> str | None:
    """``""`` for None, ``str(undefined)`` for an undefined (raises when strict)."""
    if isinstance(value, Undefined):
        return str(value)
    if value is None or value == "":
        return ""
    return None


def _show(value: Any) -> str:
    text = str(value)
    return text if len(text) <= 40 else text[:40] + "…"


def currency(value: Any, code: str = "USD") -> str:
    if (empty := _empty(value)) is not None:
        return empty
    if isinstance(value, bool) or not isinstance(value, (int, float, str, Decimal)):
        raise FilterError(f"currency: {_show(value)!r} is not an amount")
    if not isinstance(code, str) or len(code) != 3 or not code.isalpha():
        raise FilterError(f"currency: {_show(code)!r} is not a currency code")
    code = code.upper()
    try:
        amount = Decimal(str(value).strip().replace(",", ""))
    except InvalidOperation:
        raise FilterError(f"currency: {_show(value)!r} is not an amount") from None
    if not amount.is_finite() or abs(amount) >= Decimal(10) ** 15:
        raise FilterError(f"currency: {_show(value)!r} is not an amount")
    places = Decimal(1) if code in ZERO_DECIMAL_CURRENCIES else CENTS
    amount = amount.quantize(places, rounding=ROUND_HALF_UP)
    digits = f"{abs(amount):,.0f}" if places == 1 else f"{abs(amount):,.2f}"
    sign = "-" if amount < 0 else ""
    symbol = CURRENCY_SYMBOLS.get(code)
    return f"{sign}{symbol}{digits}" if symbol else f"{sign}{code} {digits}"


@cache
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def zone(name: Any, filter_name: str) -> ZoneInfo:
    if isinstance(name, Undefined):
        str(name)  # strict: names the missing variable
        name = "UTC"
    try:
        if not isinstance(name, str) or not name or len(name) > 64:
            raise ValueError
        return _zone(name)
    except (ValueError, ZoneInfoNotFoundError):
        raise FilterError(f"{filter_name}: unknown time zone {_show(name)!r}") from None


def _parse(value: Any, filter_name: str) -> dt.date | dt.datetime:
    if isinstance(value, (dt.date, dt.datetime)):
        return value
    if isinstance(value, str) and len(value) <= 40:
        text = value.strip()
        try:
            if len(text) == 10:
                return dt.date.fromisoformat(text)
            return dt.datetime.fromisoformat(text)
        except ValueError:
            pass
    raise FilterError(f"{filter_name}: {_show(value)!r} is not an ISO-8601 date or time")


def _strftime(value: dt.date, fmt: Any, filter_name: str) -> str:
    if not isinstance(fmt, str):
        raise FilterError(f"{filter_name}: the format must be a string")
    check_width(fmt, f"{filter_name} format")
    try:
        return value.strftime(fmt)
    except ValueError as error:
        raise FilterError(f"{filter_name}: {error}") from None


def date(value: Any, format: str | None = None, tz: str | None = None) -> str:  # noqa: A002
    if (empty := _empty(value)) is not None:
        return empty
    parsed = _parse(value, "date")
    if isinstance(parsed, dt.datetime):
        if tz is not None:
            aware = parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)
            parsed = aware.astimezone(zone(tz, "date"))
        parsed = parsed.date()
    if format is None:
        return f"{parsed:%B} {parsed.day}, {parsed.year}"
    return _strftime(parsed, format, "date")


def datetime(value: Any, format: str | None = None, tz: str | None = "UTC") -> str:  # noqa: A002
    if (empty := _empty(value)) is not None:
        return empty
    parsed = _parse(value, "datetime")
    if not isinstance(parsed, dt.datetime):
        parsed = dt.datetime(parsed.year, parsed.month, parsed.day)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    local = parsed.astimezone(zone(tz if tz is not None else "UTC", "datetime"))
    if format is None:
        hour = local.hour % 12 or 12
        return f"{local:%B} {local.day}, {local.year} {hour}:{local:%M %p} {local.tzname()}"
    return _strftime(local, format, "datetime")


def last_four(value: Any) -> str:
    if (empty := _empty(value)) is not None:
        return empty
    characters = [c for c in str(value) if c.isalnum()]
    return "".join(characters[-4:])


#: The region of a number written without a country code (``(415) 555-0123``).
PHONE_DEFAULT_REGION = "US"
PHONE_REGION_ALIASES = {"USA": "US", "UNITED STATES": "US", "UNITED STATES OF AMERICA": "US"}
PHONE_MAX_CHARS = 40


def _phone_region(region: Any) -> str | None:
    if isinstance(region, Undefined):
        str(region)  # strict: names the missing variable
        return None
    if not isinstance(region, str):
        return None
    code = region.strip().upper()
    code = PHONE_REGION_ALIASES.get(code, code)
    return code if code in phonenumbers.SUPPORTED_REGIONS else None


def phone(value: Any, region: Any = None) -> str:
    if (empty := _empty(value)) is not None:
        return empty
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise FilterError(f"phone: {_show(value)!r} is not a phone number")
    text = str(value).strip()
    if len(text) > PHONE_MAX_CHARS or any(c.isalpha() for c in text):
        return text
    home = _phone_region(region)
    try:
        number = phonenumbers.parse(text, home or PHONE_DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        return text
    if not phonenumbers.is_possible_number(number):
        return text
    own = phonenumbers.region_code_for_number(number)  # None for a number no region has
    domestic = (
        home is None
        or own == home
        or (own is None and number.country_code == phonenumbers.country_code_for_region(home))
    )
    style = (
        phonenumbers.PhoneNumberFormat.NATIONAL if domestic else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    )
    return phonenumbers.format_number(number, style)


def title(value: Any) -> str:
    if (empty := _empty(value)) is not None:
        return empty
    return do_title(str(value))


FILTERS = {
    "currency": currency,
    "date": date,
    "datetime": datetime,
    "lastFour": last_four,
    "phone": phone,
    "title": title,
}

"""Writes of companies and their API keys."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction

from borrowers.models import ApiKey, Company
from borrowers.services._common import apply
from borrowers.validators import (
    FieldErrors,
    clean_address,
    normalize_domain_name,
    normalize_email,
    normalize_phone,
)
from peachcomms.api.permissions import ALL_PERMISSIONS
from peachcomms.errors import InvalidInput


@dataclass(frozen=True)
class IssuedApiKey:
    api_key: ApiKey
    raw_key: str  # shown once; only its hash is stored


def api_key_create(*, company: Company, name: str = "", permissions: list[str] | None = None) -> IssuedApiKey:
    permissions = list(ALL_PERMISSIONS if permissions is None else permissions)
    unknown = sorted(set(permissions) - set(ALL_PERMISSIONS) - {"*"})
    if unknown:
        raise InvalidInput(f"Unknown permission(s): {', '.join(unknown)}.")
    raw = ApiKey.generate_key()
    key = ApiKey.objects.create(
        company=company,
        name=name,
        key_hash=ApiKey.hash_key(raw),
        key_hint=raw[:10],
        permissions=permissions,
    )
    return IssuedApiKey(api_key=key, raw_key=raw)


def company_create(*, name: str, **fields: Any) -> Company:
    """A company with its default settings: its Compliance Guard rule rows from the
    shipped defaults, in the same transaction. (Subject settings need no rows: a company
    sees the built-in catalogue until it overrides a subject.)"""
    from compliance.services import rules_create_defaults  # compliance builds on borrowers

    with transaction.atomic():
        company = Company.objects.create(name=name, brand_name=fields.pop("brand_name", name), **fields)
        rules_create_defaults(company)
        return company


def company_update(*, company: Company, data: dict[str, Any]) -> Company:
    """Change the company's own settings (only the fields in ``data``).

    ``supportPhone`` is stored in E.164, ``supportEmail`` with a lower-cased domain,
    ``domainName`` lower-cased, ``mailingAddress`` (camelCase keys) with its country
    defaulting to US and a US state/ZIP checked. Invalid values: :class:`InvalidInput`,
    nothing written.
    """
    data = dict(data)
    errors = FieldErrors()
    if data.get("support_phone"):
        data["support_phone"] = errors.check("supportPhone", normalize_phone, data["support_phone"])
    if data.get("support_email"):
        data["support_email"] = errors.check("supportEmail", normalize_email, data["support_email"])
    if "domain_name" in data:
        data["domain_name"] = errors.check("domainName", normalize_domain_name, data["domain_name"])
    if data.get("mailing_address"):
        merged = {**company.mailing_address, **data["mailing_address"]}
        data["mailing_address"] = clean_address(merged, errors, field="mailingAddress")
    elif "mailing_address" in data:
        data["mailing_address"] = {}
    errors.raise_if_any()
    company.save(update_fields=[*apply(company, data), "updated_at"])
    return company

"""Writes of companies, API keys, borrowers and their records."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction

from borrowers.models import ApiKey, Borrower, Company
from peachcomms.api.permissions import ALL_PERMISSIONS
from peachcomms.errors import Conflict, InvalidInput


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
    """A company with its default settings. Later apps add their per-company defaults
    (compliance rules, subject settings) here, in the same transaction."""
    with transaction.atomic():
        return Company.objects.create(name=name, brand_name=fields.pop("brand_name", name), **fields)


def _save_unique(instance: Any, *, update_fields: list[str] | None = None) -> None:
    """Save, turning a duplicate ``externalId`` into a 409."""
    try:
        with transaction.atomic():
            if update_fields is None:
                instance.save()
            else:
                instance.save(update_fields=[*update_fields, "updated_at"])
    except IntegrityError as error:
        if "external_id" in str(error):
            label = instance._meta.verbose_name
            raise Conflict(
                f"A {label} with externalId '{instance.external_id}' already exists in this company."
            ) from error
        raise


def _apply(instance: Any, data: dict[str, Any]) -> list[str]:
    for field, value in data.items():
        setattr(instance, field, value)
    return list(data)


def borrower_create(*, company: Company, data: dict[str, Any]) -> Borrower:
    borrower = Borrower(company=company)
    _apply(borrower, data)
    _save_unique(borrower)
    return borrower


def borrower_update(*, borrower: Borrower, data: dict[str, Any]) -> Borrower:
    _save_unique(borrower, update_fields=_apply(borrower, data))
    return borrower

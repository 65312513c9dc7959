"""Helpers every borrower-record service uses to write a row."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction

from peachcomms.errors import Conflict


def save_unique(instance: Any, *, update_fields: list[str] | None = None) -> None:
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


def apply(instance: Any, data: dict[str, Any]) -> list[str]:
    """Set ``data`` on ``instance``; returns the field names for ``update_fields``."""
    for field, value in data.items():
        setattr(instance, field, value)
    return list(data)

"""Public ids: ``PREFIX-XXXX-XXXX`` with 4+4 characters from ``[A-Z0-9]``.

Every model with a public id uses it as its primary key, so foreign keys carry the public
id and serialising a relation never needs a join. ``ext-<externalId>`` in a path is
resolved by :func:`lookup_kwargs`.
"""

from __future__ import annotations

import re
import secrets
import string
from functools import partial

from django.db import models

ALPHABET = string.ascii_uppercase + string.digits
ID_LENGTH = 2 + 1 + 4 + 1 + 4
EXTERNAL_PREFIX = "ext-"
ID_RE = re.compile(r"^[A-Z]{2}-[A-Z0-9]{4}-[A-Z0-9]{4}$")

PREFIXES = {
    "CP": "company",
    "BO": "borrower",
    "CT": "contact",
    "LN": "loan",
    "CS": "case",
    "DD": "document",
    "IT": "interaction",
    "TD": "template descriptor",
    "TV": "template version",
    "CG": "compliance rule",
    "DN": "do-not-interact",
    "EM": "employee",
    "AK": "API key",
}


def new_id(prefix: str) -> str:
    """A new random id; 36**8 values per prefix make collisions negligible."""
    body = "".join(secrets.choice(ALPHABET) for _ in range(8))
    return f"{prefix}-{body[:4]}-{body[4:]}"


def is_valid_id(value: str, prefix: str) -> bool:
    return bool(ID_RE.match(value)) and value.startswith(prefix + "-")


def lookup_kwargs(value: str, prefix: str) -> dict[str, str] | None:
    """ORM filter kwargs for a path id (``CP-…`` or ``ext-…``); None when it cannot match."""
    if value.startswith(EXTERNAL_PREFIX):
        external_id = value[len(EXTERNAL_PREFIX) :]
        if not external_id or len(external_id) > 255 or "\x00" in external_id:
            return None  # no row has it (PostgreSQL text cannot hold NUL)
        return {"external_id": external_id}
    if not is_valid_id(value, prefix):
        return None
    return {"pk": value}


def PublicIdField(prefix: str) -> models.CharField:  # noqa: N802 - reads like a field class
    """The primary key of a model with a public id."""
    return models.CharField(
        primary_key=True,
        max_length=ID_LENGTH,
        default=partial(new_id, prefix),
        editable=False,
    )

"""Small database helpers that keep the services portable between PostgreSQL (production,
tests) and SQLite (the embedded default)."""

from __future__ import annotations

from django.db import IntegrityError, connections
from django.db.models import Model, Q, TextField
from django.db.models.functions import Cast


def json_list_contains(model: type[Model], field: str, value: str) -> Q:
    """Rows whose JSON list ``field`` holds the string ``value`` (a public id).

    PostgreSQL uses jsonb containment (``@>``, indexable); SQLite, which has no
    containment lookup, matches the quoted value in the JSON text, which is exact for
    public ids (no quotes or escapes in them)."""
    if connections[model.objects.db].vendor == "postgresql":
        return Q(**{f"{field}__contains": [value]})
    return Q(pk__in=model.objects.alias(_text=Cast(field, TextField())).filter(_text__contains=f'"{value}"'))


def is_unique_violation(error: IntegrityError, model: type[Model], constraint: str) -> bool:
    """Whether ``error`` is a violation of the named unique constraint of ``model``.
    PostgreSQL names the constraint; SQLite names the columns instead."""
    message = str(error)
    if constraint in message:
        return True
    unique = next((c for c in model._meta.constraints if getattr(c, "name", None) == constraint), None)
    if unique is None or not message.startswith("UNIQUE constraint failed"):
        return False
    columns = [model._meta.get_field(name).column for name in unique.fields]
    return all(f"{model._meta.db_table}.{column}" in message for column in columns)

"""Company scoping: the one way any code turns an id from a request into a row.

``get_scoped`` accepts a public id (``LN-XXXX-XXXX``) or ``ext-<externalId>`` and only
finds rows of the given company (and borrower, when given). Another company's row is
indistinguishable from a missing one: both are :class:`peachcomms.errors.NotFound`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

from django.db.models import Model, QuerySet

from peachcomms.api.ids import PREFIXES, lookup_kwargs
from peachcomms.db import Read, fetch_many
from peachcomms.errors import NotFound

M = TypeVar("M", bound=Model)


def id_prefix(model: type[Model]) -> str:
    return model._meta.pk.default.args[0]


def _has_external_id(model: type[Model]) -> bool:
    return any(f.name == "external_id" for f in model._meta.concrete_fields)


def get_scoped(
    queryset: QuerySet[M] | type[M],
    company_id: str,
    value: str,
    *,
    borrower_id: str | None = None,
    field: str | None = None,
) -> M:
    if isinstance(queryset, type):
        # A whole table (the common case): one read without the query compiler.
        return get_scoped_many(company_id, [(queryset, value, field)], borrower_id=borrower_id)[0]
    model = queryset.model
    kwargs = _lookup(model, value)
    if kwargs is not None:
        qs = queryset.filter(company_id=company_id, **kwargs)
        if borrower_id is not None:
            qs = qs.filter(borrower_id=borrower_id)
        row = qs.first()
        if row is not None:
            return row
    raise scoped_not_found(model, value, borrower_id=borrower_id, field=field)


def get_scoped_many(
    company_id: str,
    wanted: Sequence[tuple[type[Model], str, str | None]],
    *,
    borrower_id: str | None = None,
) -> list[Model]:
    """:func:`get_scoped` on the whole table for each ``(model, value, field)`` of
    ``wanted``, in one round trip (:func:`peachcomms.db.fetch_many`); the rows in the same
    order. When some are missing, the error is the first missing one's, as if they had been
    read one by one."""
    found = scoped_rows(company_id, wanted, borrower_id=borrower_id)
    for (model, value, field), row in zip(wanted, found, strict=True):
        if row is None:
            raise scoped_not_found(model, value, borrower_id=borrower_id, field=field)
    return found  # type: ignore[return-value]  # no None left


def scoped_rows(
    company_id: str,
    wanted: Sequence[tuple[type[Model], str, str | None]],
    *,
    borrower_id: str | None = None,
) -> list[Model | None]:
    """The rows of :func:`get_scoped_many`, in one round trip, with None for each value
    that names no row the caller may see (for callers that check each row in order and
    raise :func:`scoped_not_found` themselves)."""
    reads: list[Read] = []
    slots: list[int | None] = []
    for model, value, _ in wanted:
        read = scoped_read(model, company_id, value, borrower_id=borrower_id)
        slots.append(len(reads) if read is not None else None)
        if read is not None:
            reads.append(read)
    results = fetch_many(reads) if reads else []
    return [results[slot][0] if slot is not None and results[slot] else None for slot in slots]


def scoped_read(
    model: type[Model], company_id: str, value: str, *, borrower_id: str | None = None
) -> Read | None:
    """The read :func:`get_scoped` makes on ``model``'s whole table, for callers that send
    it with others in one round trip (:func:`peachcomms.db.fetch_many`): at most one row,
    ``value``'s if it is one of the company's (and the borrower's). None when ``value``
    cannot name a ``model`` row at all (:func:`scoped_not_found`)."""
    kwargs = _lookup(model, value)
    return _scoped_read(model, company_id, kwargs, borrower_id) if kwargs is not None else None


def scoped_not_found(
    model: type[Model], value: str, *, borrower_id: str | None = None, field: str | None = None
) -> NotFound:
    """The error :func:`get_scoped` raises when ``value`` names no row it may see."""
    label = PREFIXES.get(id_prefix(model), model._meta.verbose_name)
    owner = " of this borrower" if borrower_id is not None else ""
    where = f"{field}: " if field else ""
    return NotFound(f"{where}no {label} '{str(value)[:80]}'{owner}.")


def _lookup(model: type[Model], value: str) -> dict[str, str] | None:
    kwargs = lookup_kwargs(str(value), id_prefix(model))
    if kwargs is not None and "external_id" in kwargs and not _has_external_id(model):
        return None  # this type has no lender ids: an ext- id cannot name one
    return kwargs


def _scoped_read(
    model: type[Model], company_id: str, kwargs: dict[str, str], borrower_id: str | None
) -> Read:
    column, key = ("external_id", kwargs["external_id"]) if "external_id" in kwargs else ("id", kwargs["pk"])
    where, params = f"company_id = %s AND {column} = %s", [company_id, key]
    if borrower_id is not None:
        where, params = f"{where} AND borrower_id = %s", [*params, borrower_id]
    return Read(model, where, params, "ORDER BY id LIMIT 1")

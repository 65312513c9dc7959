"""Context hydration: the one function that turns the ids of a request into the plain-data
context a template is rendered with. Render routes use it now; send, resend and every
later path use the same function.

Variables (api.md "send"; the hydration contract with the template authors):

- ``company``: the caller's company as ``GET /companies/{id}`` shows it, with
  ``mailingAddress`` always holding ``addressLine1``, ``addressLine2``, ``city``,
  ``state``, ``postalCode`` and ``country`` (blank when unknown);
- ``person``, ``contact``: always present, null when the request names none;
- ``loan`` (``loanId``), ``loans`` (``loanIds``; ``[loan]`` when only ``loanId`` is given,
  else ``[]``), ``case`` (``caseId``), ``statement`` (``statementId``: a document
  ``DD-…`` of the borrower; statements are documents in this service): null when not
  named;
- the caller's ``context`` merged over all of that: objects merge key by key (so
  ``{"company": {"brandName": "X"}}`` changes only the brand), anything else replaces.

Each value is the API representation of the row (camelCase, the same serializers as the
API, amounts as JSON numbers), passed through a JSON round trip, so a template sees only
dicts, lists, strings, numbers, booleans and null: never an ORM object or anything
callable. Ids resolve within the caller's company and, when a person is given, within
that borrower; an unknown one is :class:`~peachcomms.errors.NotFound` naming the field.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from functools import cache
from operator import itemgetter
from typing import Any

from django.core.signals import setting_changed
from django.utils import timezone
from rest_framework.serializers import Serializer
from rest_framework.utils.encoders import JSONEncoder

from borrowers.api.serializers import (
    BorrowerSerializer,
    CaseSerializer,
    CompanySerializer,
    ContactSerializer,
    DocumentSerializer,
    LoanSerializer,
)
from borrowers.models import Borrower, Case, Company, Contact, Document, Loan
from peachcomms.scoping import get_scoped_many

#: The hydrated objects a request names by id (``personId``, ``contactId``, ``loanId``,
#: ``loanIds``, ``caseId``, ``statementId``); ``company`` comes from the API key.
REQUEST_OBJECTS = ("person", "contact", "loan", "loans", "case", "statement")
ADDRESS_KEYS = ("addressLine1", "addressLine2", "city", "state", "postalCode", "country")
MAX_LOAN_IDS = 100


@cache
def _serializer(serializer_class: type[Serializer]) -> Serializer:
    """One instance per serializer class, reused: building a ModelSerializer's fields costs
    more than serialising a row with them, and ``to_representation`` keeps no state."""
    return serializer_class()


def represent(serializer_class: type[Serializer], instance: Any) -> dict[str, Any]:
    """The API representation of ``instance`` (what ``serializer_class(instance).data`` is)."""
    return _serializer(serializer_class).to_representation(instance)


#: What ``json.dumps(data, cls=JSONEncoder)`` builds on every call (its arguments are all
#: the defaults); it keeps no state between calls, like ``json``'s own default encoder.
_ENCODER = JSONEncoder()


def plain(data: Any) -> Any:
    """``data`` as JSON types only (a JSON round trip with the API's encoder).

    Plain data comes back equal to itself: a round trip of a round trip adds nothing."""
    return json.loads(_ENCODER.encode(data))


#: Each company's represented ``company``, with what it was built from: the repr of all
#: the row's values (repr tells ``1`` from ``True`` and ``"1"``, which ``==`` does not) and
#: the current time zone, which the timestamps are shown in. Any change to the row, saved
#: or not, is a miss, so an entry is exactly what representing the row gives now.
_companies: dict[str, tuple[tuple[str, Any], dict[str, Any]]] = {}
_COMPANY_ATTNAMES = tuple(field.attname for field in Company._meta.concrete_fields)
_COMPANY_COLUMNS = frozenset(_COMPANY_ATTNAMES)
_company_values = itemgetter(*_COMPANY_ATTNAMES)
MAX_COMPANIES = 1_000


def _forget_companies(**kwargs: Any) -> None:
    """A changed setting (``override_settings``: the API's date format…) may change
    every representation."""
    _companies.clear()


setting_changed.connect(_forget_companies)


def _represent_company(company: Company) -> dict[str, Any]:
    data = plain(represent(CompanySerializer, company))
    address = data.get("mailingAddress") or {}
    data["mailingAddress"] = {key: address.get(key) or "" for key in ADDRESS_KEYS}
    return data


def company_representation(company: Company) -> dict[str, Any]:
    """The ``company`` of a context: a new dict on every call (see :data:`_companies`)."""
    row = vars(company)
    if not row.keys() >= _COMPANY_COLUMNS:  # a deferred field, read when represented
        return _represent_company(company)
    key = (repr(_company_values(row)), timezone.get_current_timezone())
    entry = _companies.get(company.pk)
    if entry is None or entry[0] != key:
        if len(_companies) >= MAX_COMPANIES:
            _companies.clear()
        entry = _companies[company.pk] = (key, _represent_company(company))
    data = entry[1]
    # Every value is a string or null but the address, a dict of strings: a deep copy.
    return {**data, "mailingAddress": dict(data["mailingAddress"])}


def merge(base: dict[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """``override`` over ``base``: objects merge key by key, anything else replaces."""
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), dict):
            merged[key] = merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def hydrate_context(
    company: Company,
    *,
    person: Borrower | None = None,
    contact: Contact | None = None,
    loan_id: str | None = None,
    loan_ids: Iterable[str] | None = None,
    case_id: str | None = None,
    statement_id: str | None = None,
    context: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The template context for a request (see the module docstring)."""
    # Every row the request names, in one round trip (the first missing one is the 404).
    loan_ids = list(dict.fromkeys(loan_ids))[:MAX_LOAN_IDS] if loan_ids else []
    wanted: list[tuple[type, str, str]] = [(Loan, loan_id, "loanId")] if loan_id else []
    wanted += [(Loan, value, "loanIds") for value in loan_ids]
    wanted += [(Case, case_id, "caseId")] if case_id else []
    wanted += [(Document, statement_id, "statementId")] if statement_id else []
    found = iter(get_scoped_many(company.pk, wanted, borrower_id=person.pk if person is not None else None))
    loan = next(found) if loan_id else None
    loans: list[Loan] = [next(found) for _ in loan_ids] if loan_ids else ([loan] if loan is not None else [])
    case = next(found) if case_id else None
    statement = next(found) if statement_id else None

    # The company is plain already (company_representation), so only the rest takes the
    # round trip; a loan named by ``loanId`` alone is represented once for ``loan`` and
    # ``loans`` (the round trip gives each its own copy).
    represented_company = company_representation(company)
    represented_loan = represent(LoanSerializer, loan) if loan is not None else None
    hydrated = {
        "company": represented_company,
        **plain(
            {
                "person": represent(BorrowerSerializer, person) if person is not None else None,
                "contact": represent(ContactSerializer, contact) if contact is not None else None,
                "loan": represented_loan,
                "loans": [
                    represented_loan if row is loan else represent(LoanSerializer, row) for row in loans
                ],
                "case": represent(CaseSerializer, case) if case is not None else None,
                "statement": represent(DocumentSerializer, statement) if statement is not None else None,
            }
        ),
    }
    if context:
        hydrated = merge(hydrated, plain(dict(context)))
    return hydrated

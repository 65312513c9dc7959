"""Reads of interactions. Writes are in ``interactions.services``."""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypedDict

from django.db.models import F, Model, Q, QuerySet

from borrowers.models import Borrower, Case, Company, Loan
from interactions.models import Interaction
from peachcomms.api.ids import lookup_kwargs
from peachcomms.db import json_list_contains
from peachcomms.errors import InvalidInput
from peachcomms.scoping import get_scoped, id_prefix
from subjects.selectors import subject_check, theme_get


class InteractionFilters(TypedDict, total=False):
    """The filters of ``GET /interactions`` (api.md), already checked for form."""

    personId: str
    channel: str
    direction: str
    status: str
    statusDetails: str
    subject: str
    theme: str
    loanId: str
    caseId: str
    supercaseBulkOperationId: str
    createdAtFrom: datetime
    createdAtTo: datetime


def interaction_queryset() -> QuerySet[Interaction]:
    """Interactions with what their representation needs from other tables
    (``contactExternalId``) joined in, so a list costs one query whatever its length."""
    return Interaction.objects.annotate(contact_external_id=F("contact__external_id"))


def interaction_get(
    company: Company, interaction_id: str, *, borrower_id: str | None = None, field: str = "interactionId"
) -> Interaction:
    """An interaction of the company (and borrower) by id or ``ext-<externalId>``;
    NotFound naming ``field`` otherwise."""
    return get_scoped(
        interaction_queryset(), company.pk, interaction_id, borrower_id=borrower_id, field=field
    )


def _resolve(model: type[Model], company: Company, value: str, field: str) -> str | None:
    """The primary key an id filter names, or None when nothing of the company matches.

    A malformed value is a 400. A well-formed id that matches nothing (or another
    company's row) gives an empty list rather than an error: a filter asks which rows
    match, and an empty answer reveals nothing about other companies.
    """
    kwargs = lookup_kwargs(value, id_prefix(model))
    if kwargs is None:
        raise InvalidInput(
            f"'{value[:80]}' is not an id for '{field}'.",
            errors={field: [f"Must be an id like {id_prefix(model)}-XXXX-XXXX or ext-<externalId>."]},
        )
    if "pk" in kwargs:
        return kwargs["pk"]
    return model._default_manager.filter(company_id=company.pk, **kwargs).values_list("pk", flat=True).first()


def interaction_list(
    company: Company,
    *,
    filters: InteractionFilters | dict[str, Any] | None = None,
    queryset: QuerySet[Interaction] | None = None,
) -> QuerySet[Interaction]:
    """The company's interactions matching ``filters``, unordered (the paginator orders
    newest first). ``queryset`` narrows the start (a borrower's interactions); it must
    already be scoped to the company.

    Unknown subject or theme values are a 400 (deprecated subject aliases are rewritten);
    ``createdAtFrom`` is inclusive, ``createdAtTo`` exclusive.
    """
    qs = interaction_queryset().filter(company_id=company.pk) if queryset is None else queryset
    filters = filters or {}
    plain = {
        "channel": "channel",
        "direction": "direction",
        "status": "status",
        "statusDetails": "status_details",
        "supercaseBulkOperationId": "supercase_bulk_operation_id",
    }
    for param, column in plain.items():
        if param in filters:
            qs = qs.filter(**{column: filters[param]})
    if "subject" in filters:
        qs = qs.filter(subject=subject_check(filters["subject"]))
    if "theme" in filters:
        qs = qs.filter(theme=theme_get(filters["theme"]).theme)
    if "createdAtFrom" in filters:
        qs = qs.filter(created_at__gte=filters["createdAtFrom"])
    if "createdAtTo" in filters:
        qs = qs.filter(created_at__lt=filters["createdAtTo"])

    for param, model in (("personId", Borrower), ("loanId", Loan), ("caseId", Case)):
        if param not in filters:
            continue
        pk = _resolve(model, company, filters[param], param)
        if pk is None:
            return qs.none()
        if model is Borrower:
            qs = qs.filter(borrower_id=pk)
        elif model is Loan:
            qs = qs.filter(Q(loan_id=pk) | json_list_contains(Interaction, "loan_ids", pk))
        else:
            qs = qs.filter(case_id=pk)
    return qs

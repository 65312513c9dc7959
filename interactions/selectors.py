"""Reads of interactions. Writes are in ``interactions.services``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypedDict

from django.db import models
from django.db.models import BooleanField, Count, F, Model, Q, QuerySet, TextField, Value, When
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Coalesce
from django.db.models.lookups import Exact

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


# Bulk resend (interactions.services.bulk_resend; docs/adr/0010-bulk-resend.md)

#: The parts of ``content`` a resend copies word for word: a row equal to the interaction
#: it links to on these (and on channel and subject) is a copy of it, i.e. a resend.
RESEND_SAME_CONTENT = ("subjectLine", "contentText", "contentHtml", "to")


def _is_resend() -> models.Case:
    """True for a row that is itself a resend. Nothing on a row says "made by resend"
    (``previousInteractionId`` also threads replies and follow-ups, ``compliance_checked``
    is False for free-form email too), so a resend is recognised by what it is: an
    outbound message sent by this service that repeats, word for word and to the same
    recipient, the interaction it links to. That holds for every resend ever made, with no
    new column to backfill; a follow-up with the very same text to the same address is a
    repeat too, and skipping it is the safe side."""
    same = Q(
        previous_interaction__isnull=False,
        direction=Interaction.Direction.OUTBOUND,
        is_external=False,
        channel=F("previous_interaction__channel"),
        subject=F("previous_interaction__subject"),
    )
    for key in RESEND_SAME_CONTENT:
        same &= Q(Exact(_content_text("content", key), _content_text("previous_interaction__content", key)))
    return models.Case(When(same, then=Value(True)), default=Value(False), output_field=BooleanField())


def _content_text(column: str, key: str) -> models.Case:
    """The text of ``column``'s ``key``; '' when the key is absent or null (a copy writes
    every key, its original may lack some; and PostgreSQL reads a JSON null as NULL where
    SQLite reads 'null')."""
    return models.Case(
        When(Q(**{f"{column}__{key}": None}), then=Value("")),
        default=Coalesce(KeyTextTransform(key, column), Value("")),
        output_field=TextField(),
    )


@dataclass(frozen=True)
class ResendSelection:
    """What a bulk resend of some interactions would do: of ``matching`` rows, skip the
    ``inbound`` ones and the ``resends`` (unless included), and resend ``to_resend``,
    which are ``rows``."""

    matching: int
    inbound: int
    resends: int
    resends_included: bool
    rows: QuerySet[Interaction]

    @property
    def to_resend(self) -> int:
        return self.matching - self.inbound - (0 if self.resends_included else self.resends)


def resend_selection(queryset: QuerySet[Interaction], *, include_resends: bool) -> ResendSelection:
    """Split ``queryset`` (already scoped and filtered) for a bulk resend, counted in one
    query. ``rows`` are the outbound rows to copy, with the borrower, contact and company
    a Compliance Guard check needs joined in, unordered."""
    outbound = Q(direction=Interaction.Direction.OUTBOUND)
    marked = queryset.annotate(is_resend=_is_resend())
    counts = marked.aggregate(
        matching=Count("pk"),
        inbound=Count("pk", filter=~outbound),
        resends=Count("pk", filter=outbound & Q(is_resend=True)),
    )
    rows = marked.filter(outbound)
    if not include_resends:
        rows = rows.filter(is_resend=False)
    return ResendSelection(
        matching=counts["matching"],
        inbound=counts["inbound"],
        resends=counts["resends"],
        resends_included=include_resends,
        rows=rows.select_related("borrower", "contact", "company"),
    )

"""Reads of Compliance Guard's data: rule rows and their history, do-not-interact records,
and the guard's decision for a request (``can-interact``, the admin's "can we contact now?").
Writes are in ``compliance.services``."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from django.db.models import Model, Q, QuerySet
from django.utils import timezone

from borrowers import settings_cache
from borrowers.models import Borrower, Company, Contact, Loan
from compliance.models import ComplianceRule, ComplianceRuleChange, DoNotInteract
from peachcomms.api.ids import EXTERNAL_PREFIX, PREFIXES
from peachcomms.db import OrmRead, Read, fetch_many
from peachcomms.errors import NotFound
from peachcomms.scoping import get_scoped, id_prefix
from subjects.selectors import subject_descriptor, theme_get

if TYPE_CHECKING:
    from compliance.guard import Decision, GuardRequest

#: The channels the admin's "can we contact now?" page shows, in this order.
CONTACT_CHANNELS = ("email", "text", "voice", "mail")
#: The theme that page asks about unless told otherwise: collection is the strictest.
CONTACT_CHECK_THEME = "opsCollDebt"


def company_today(company: Company, at: datetime | None = None) -> date:
    """The date in the company's time zone (do-not-interact end dates are such dates)."""
    return timezone.localtime(at or timezone.now(), ZoneInfo(company.timezone)).date()


def _get_without_external_id(
    queryset: QuerySet | type[Model], company: Company, value: str, field: str
) -> Any:
    """``get_scoped`` for a model that has no ``externalId``: ``ext-…`` names nothing."""
    if value.startswith(EXTERNAL_PREFIX):
        model = queryset if isinstance(queryset, type) else queryset.model
        label = PREFIXES[id_prefix(model)]
        raise NotFound(f"{field}: no {label} '{value[:80]}' (a {label} has no externalId).")
    return get_scoped(queryset, company.pk, value, field=field)


# Rules


def rule_list(company: Company, *, family: str | None = None) -> QuerySet[ComplianceRule]:
    rules = ComplianceRule.objects.filter(company_id=company.pk)
    return rules.filter(family=family) if family else rules


def company_rules(company: Company, *, version: int | None = None) -> list[ComplianceRule]:
    """The company's enabled rule rows in the guard's order (family, federal before
    state rows, code), from the process cache (``borrowers.settings_cache``; ``version``
    as read in the caller's unit of work, or read here). Shared: do not modify."""

    def load() -> list[ComplianceRule]:
        rows = list(ComplianceRule.objects.filter(company_id=company.pk, enabled=True))
        rows.sort(key=lambda row: (row.family, bool(row.states), row.code, row.pk))
        return rows

    return settings_cache.cached(company.pk, "compliance.rules", version, load)


def rule_get(
    company: Company, rule_id: str, *, queryset: QuerySet[ComplianceRule] | None = None
) -> ComplianceRule:
    """A rule of the company by id; NotFound otherwise (also for ``ext-…``: rules have no
    externalId)."""
    return _get_without_external_id(
        ComplianceRule if queryset is None else queryset, company, rule_id, "ruleId"
    )


def rule_changes(rule: ComplianceRule) -> QuerySet[ComplianceRuleChange]:
    """The rule's history, newest first (index ``compliance_rule_change_rule``)."""
    return ComplianceRuleChange.objects.filter(rule_id=rule.pk).order_by("-changed_at", "-id")


# Do-not-interact records


def do_not_interact_active_q(today: date) -> Q:
    """Active: not deleted, and no end date or one not before ``today`` (company time)."""
    return Q(deleted_at__isnull=True) & (Q(end_date__isnull=True) | Q(end_date__gte=today))


def do_not_interact_is_active(record: DoNotInteract, today: date) -> bool:
    return record.deleted_at is None and (record.end_date is None or record.end_date >= today)


def do_not_interact_list(borrower: Borrower) -> QuerySet[DoNotInteract]:
    """Every record of the borrower, deleted and ended ones included (its history)."""
    return DoNotInteract.objects.filter(company_id=borrower.company_id, borrower_id=borrower.pk)


def do_not_interacts_active(borrower: Borrower, *, today: date) -> list[DoNotInteract]:
    """The records that apply on ``today``, oldest first (index ``dni_borrower_active``):
    :func:`do_not_interact_active_q` for one borrower (every Compliance Guard decision
    reads it, compiled once: :class:`peachcomms.db.OrmRead`)."""
    return fetch_many([do_not_interacts_active_read(borrower.company_id, borrower.pk, today=today)])[0]


def _borrower_active_records(company_id: str, borrower_id: str, today: date) -> QuerySet[DoNotInteract]:
    return (
        DoNotInteract.objects.filter(company_id=company_id, borrower_id=borrower_id)
        .filter(do_not_interact_active_q(today))
        .order_by("created_at", "id")
    )


_active_read = OrmRead(_borrower_active_records, "\x00company", "\x00borrower", date(1000, 1, 1))


def do_not_interacts_active_read(company_id: str, borrower_id: str, *, today: date) -> Read:
    """The read of :func:`do_not_interacts_active`, to send with others (``fetch_many``)."""
    return _active_read(company_id, borrower_id, today)


def do_not_interact_get(
    queryset: QuerySet[DoNotInteract], company: Company, do_not_interact_id: str
) -> DoNotInteract:
    return _get_without_external_id(queryset, company, do_not_interact_id, "doNotInteractId")


# Decisions


def guard_request_build(
    *,
    borrower: Borrower,
    channel: str,
    subject: str | None = None,
    theme: str | None = None,
    contact_id: str | None = None,
    loan_id: str | None = None,
    loan_ids: Sequence[str] = (),
    is_autodialed: bool = False,
    check_at_company_noon: bool = False,
) -> GuardRequest:
    """A guard request from the ids and names of a request body. The subject (deprecated
    aliases rewritten) and theme must be in the catalogue (InvalidInput naming the field);
    the contact and loans (``loan_id`` and ``loan_ids`` together) must be the borrower's
    (NotFound naming the field). Without a theme, the subject's theme is used."""
    company = borrower.company
    descriptor = subject_descriptor(company, subject) if subject else None
    if theme:
        theme = theme_get(theme).theme
    elif descriptor is not None:
        theme = descriptor.theme
    contact = None
    if contact_id:
        contact = get_scoped(Contact, company.pk, contact_id, borrower_id=borrower.pk, field="contactId")
    from compliance.guard import GuardRequest  # here: the guard's rules import this module

    return GuardRequest(
        company=company,
        borrower=borrower,
        channel=channel,
        subject=descriptor.subject if descriptor is not None else None,
        theme=theme,
        contact=contact,
        loan_ids=tuple(_loan_pks(borrower, loan_id, loan_ids)),
        is_autodialed=is_autodialed,
        check_at_company_noon=check_at_company_noon,
    )


def _loan_pks(borrower: Borrower, loan_id: str | None, loan_ids: Sequence[str]) -> list[str]:
    named = [("loanId", loan_id)] if loan_id else []
    named += [(f"loanIds[{index}]", value) for index, value in enumerate(loan_ids)]
    pks: list[str] = []
    for field, value in named:
        pk = get_scoped(Loan, borrower.company_id, value, borrower_id=borrower.pk, field=field).pk
        if pk not in pks:
            pks.append(pk)
    return pks


def decision_for(request: GuardRequest, *, at: datetime | None = None) -> Decision:
    """The guard's decision for ``request`` at ``at`` (now by default)."""
    from compliance.guard import decide  # here: the guard's rules import this module

    return decide(request, at=at)


def contact_decisions(
    borrower: Borrower, *, theme: str = CONTACT_CHECK_THEME, at: datetime | None = None
) -> list[tuple[str, Decision]]:
    """For the admin: the decision on each of :data:`CONTACT_CHANNELS` for ``theme`` now
    (or at ``at``), the contact left to the guard."""
    at = at or timezone.now()
    return [
        (channel, decision_for(guard_request_build(borrower=borrower, channel=channel, theme=theme), at=at))
        for channel in CONTACT_CHANNELS
    ]

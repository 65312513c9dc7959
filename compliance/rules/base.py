"""The one rule interface and what every rule reads.

A rule family is a class with ``family`` (its :class:`~compliance.models.RuleFamily`, also
the ``reason`` of its refusals) and ``check(ctx, at)``: ``None`` when it allows the message
at instant ``at``, else an :class:`Outcome`. Its numbers come only from the company's
enabled rule rows of that family (``ctx.rows(family)``), never from Python.

:class:`GuardContext` holds everything a decision reads, loaded at most once per
``decide()``: the company's enabled rule rows, the borrower's contacts, open cases and
active do-not-interact records, the subject descriptor, the resolved contact, time zones
and states. Rules that read history (frequency, postConversation) run their own bounded,
indexed query per evaluation instant.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import cached_property
from typing import TYPE_CHECKING, ClassVar
from zoneinfo import ZoneInfo

from django.db.models import Q, QuerySet

from borrowers.models import Borrower, Case, Company, Contact
from borrowers.selectors import borrower_contacts, borrower_open_cases
from borrowers.settings_cache import settings_version
from compliance import timezones
from compliance.models import ComplianceRule, DoNotInteract
from compliance.selectors import company_rules, company_today, do_not_interacts_active
from compliance.transactional import Treatment, transactional_treatment
from interactions.models import Interaction
from peachcomms.db import json_list_contains
from subjects.selectors import SubjectDescriptor, subject_descriptor, theme_get, theme_names

if TYPE_CHECKING:
    from compliance.guard import GuardRequest


@dataclass(frozen=True)
class Outcome:
    """A rule's verdict. ``message`` is one clause (no final period) a compliance officer
    can read, with the concrete numbers and times; ``decide()`` completes the sentence
    with the decision's next allowed time. ``retry_at`` is when this rule would allow
    (temporary refusals); a lasting refusal has none."""

    allowed: bool
    reason: str
    rule_id: str | None
    message: str
    lasting: bool
    retry_at: datetime | None = None


class Rule(ABC):
    """One rule family (see the module docstring)."""

    family: ClassVar[str]

    @abstractmethod
    def check(self, ctx: GuardContext, at: datetime) -> Outcome | None:
        """``None`` if the message may go out at ``at``, else the refusal."""

    def refuse(
        self, row: ComplianceRule | None, message: str, *, retry_at: datetime | None = None
    ) -> Outcome:
        """A refusal by ``row``; lasting unless ``retry_at`` says when waiting helps."""
        return Outcome(
            allowed=False,
            reason=self.family,
            rule_id=row.pk if row is not None else None,
            message=message,
            lasting=retry_at is None,
            retry_at=retry_at,
        )


@dataclass
class GuardContext:
    """What a decision reads (see the module docstring). Build it with :meth:`load`."""

    request: GuardRequest
    at: datetime
    rules: list[ComplianceRule]
    descriptor: SubjectDescriptor | None
    theme: str | None

    @classmethod
    def load(cls, request: GuardRequest, at: datetime) -> GuardContext:
        version = request.settings_version
        if version is None:
            version = settings_version(request.company.pk)
        rules = company_rules(request.company, version=version)
        descriptor = request.descriptor
        if descriptor is None and request.subject:
            descriptor = subject_descriptor(request.company, request.subject, version=version)
        theme = request.theme or (descriptor.theme if descriptor is not None else None)
        return cls(request=request, at=at, rules=rules, descriptor=descriptor, theme=theme)

    # The request, resolved

    @property
    def company(self) -> Company:
        return self.request.company

    @property
    def borrower(self) -> Borrower:
        return self.request.borrower

    @property
    def channel(self) -> str:
        return self.request.channel

    @property
    def subject(self) -> str | None:
        return self.descriptor.subject if self.descriptor is not None else self.request.subject

    @cached_property
    def treatment(self) -> Treatment:
        """Whether the message is transactional, decided by what it is: a caller's
        ``isTransactional: true`` never lifts a rule (:mod:`compliance.transactional`)."""
        return transactional_treatment(
            self.descriptor,
            self.theme,
            claimed=self.request.is_transactional,
            own_content=self.request.own_content,
        )

    @property
    def is_transactional(self) -> bool:
        return self.treatment.transactional

    @cached_property
    def is_debt_collection(self) -> bool:
        """A message without a known theme is treated as debt collection (the strictest)."""
        return theme_get(self.theme).is_debt_collection if self.theme else True

    @property
    def theme_label(self) -> str:
        return self.theme or "an unspecified theme (treated as debt collection)"

    @cached_property
    def debt_collection_themes(self) -> list[str]:
        return [name for name in theme_names() if theme_get(name).is_debt_collection]

    # Rule rows

    def rows(self, family: str) -> list[ComplianceRule]:
        """The company's enabled rows of ``family`` that apply to this message: channels
        empty or naming the channel; states empty or naming a state the borrower is in.
        Rows without states (federal) come first."""
        return [
            row
            for row in self.rules
            if row.family == family
            and (not row.channels or self.channel in row.channels)
            and (not row.states or self.states.intersection(row.states))
        ]

    # The borrower's records, read once

    @cached_property
    def contacts(self) -> Sequence[Contact]:
        facts = self.request.facts
        if facts is not None and facts.contacts is not None:
            return facts.contacts
        return borrower_contacts(self.borrower)

    @cached_property
    def open_cases(self) -> Sequence[Case]:
        facts = self.request.facts
        if facts is not None and facts.open_cases is not None:
            return facts.open_cases
        return borrower_open_cases(self.borrower)

    @cached_property
    def do_not_interacts(self) -> Sequence[DoNotInteract]:
        """Records active on the company's date of ``at`` (later instants filter further)."""
        facts = self.request.facts
        if facts is not None and facts.do_not_interacts is not None:
            return facts.do_not_interacts
        return do_not_interacts_active(self.borrower, today=company_today(self.company, self.at))

    @cached_property
    def contact(self) -> Contact | None:
        """The recipient: the request's contact, else the one data.md's contact selection
        picks for the channel (None when there is none, or the channel needs none)."""
        if self.request.contact is not None:
            return self.request.contact
        from compliance.rules.contact_eligibility import contact_select

        return contact_select(self.contacts, self.channel)

    # Where the borrower is

    @cached_property
    def zones(self) -> timezones.CandidateZones:
        return timezones.candidate_zones(self.borrower, self.contacts, self.company)

    @cached_property
    def states(self) -> frozenset[str]:
        return timezones.borrower_states(self.contacts)

    @cached_property
    def company_zone(self) -> ZoneInfo:
        return timezones.zone(self.company.timezone) or ZoneInfo("UTC")

    # History queries

    def debt_q(self) -> Q:
        """Interactions about the request's debt: about one of its loans (``loan`` or
        ``loanIds``), or about no particular loan (which is about all of them). A request
        that names no loan is about all the borrower's loans: every interaction is."""
        loan_ids = self.request.loan_ids
        if not loan_ids:
            return Q()
        about = Q(loan_id__in=loan_ids) | Q(loan__isnull=True, loan_ids=[])
        for loan_id in loan_ids:
            about |= json_list_contains(Interaction, "loan_ids", loan_id)
        return about

    def without_request_row(self, queryset: QuerySet) -> QuerySet:
        """The interaction being re-checked (the worker's re-check before handing a
        scheduled message to a provider) is not its own history."""
        excluded = self.request.exclude_interaction_id
        return queryset.exclude(pk=excluded) if excluded else queryset

    def today(self, at: datetime) -> date:
        """The company's date at ``at`` (do-not-interact end dates are such dates)."""
        return timezones.local_date(at, self.company_zone)


__all__ = ["GuardContext", "Outcome", "Rule"]

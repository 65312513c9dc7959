"""Decide and record atomically: the only way the send path may create an interaction
that Compliance Guard allowed.

Why a row lock on the borrower (``SELECT … FOR NO KEY UPDATE``) rather than a
transaction-scoped advisory lock: both serialise "evaluate → insert" per borrower, but the
row lock needs no key scheme (an advisory key is a hash of the borrower id, and hashes of
different borrowers can collide and serialise unrelated sends), is visible in
``pg_locks`` as a lock on a named row, works on every database Django supports, and hands
back the borrower's committed row, so the decision reads its current ``status`` and
``collectionsIntensity`` rather than the caller's copy. ``NO KEY UPDATE`` (not ``UPDATE``)
lets other transactions keep inserting rows that reference the borrower (an inbound
message, a contact) without waiting; it still conflicts with itself, which is all the
guard needs.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import datetime
from typing import TypeVar

from django.db import transaction
from django.utils import timezone

from borrowers.models import Borrower
from borrowers.selectors import open_cases_read
from compliance.facts import BorrowerFacts
from compliance.guard import Decision, GuardRequest, decide
from compliance.selectors import company_today, do_not_interacts_active, do_not_interacts_active_read
from peachcomms.db import Read, fetch_many, lock_clause

T = TypeVar("T")


def decide_and_record(
    request: GuardRequest, record: Callable[[Decision], T], at: datetime | None = None
) -> tuple[Decision, T | None]:
    """In one transaction: lock the borrower's row, decide, and only if allowed call
    ``record(decision)`` (which inserts the interaction, counted from then on); commit.
    Concurrent calls for one borrower run one after another, so a cap can never be
    exceeded. ``at`` defaults to the moment the lock is held.

    The lock is held for the decision's few indexed queries and the insert only: render
    templates before, and talk to providers after commit (``transaction.on_commit``), never
    inside ``record``. Call it outside a longer transaction, or the lock lasts as long.

    The borrower's open cases and active do-not-interact records (unless the request
    carries them) are read in the lock's round trip, by statements that run after the
    lock is granted: they see every commit of the transaction that held it before."""
    with transaction.atomic():
        facts = request.facts or BorrowerFacts()
        pk, company = request.borrower.pk, request.company
        reads = [Read(Borrower, "id = %s", [pk], lock_clause(no_key=True))]
        if facts.open_cases is None:
            reads.append(open_cases_read(pk))
        if facts.do_not_interacts is None:
            # The company's date now; the decision's own date is checked below.
            today = company_today(company, at or timezone.now())
            reads.append(do_not_interacts_active_read(company.pk, pk, today=today))
        (borrower,), *found = fetch_many(reads)
        at = at or timezone.now()  # the lock is held
        if facts.open_cases is None:
            facts = dataclasses.replace(facts, open_cases=tuple(found.pop(0)))
        if facts.do_not_interacts is None:
            records = found.pop(0)
            decided = company_today(company, at)
            if decided != today:  # midnight passed while waiting for the lock
                records = do_not_interacts_active(borrower, today=decided)
            facts = dataclasses.replace(facts, do_not_interacts=tuple(records))
        request = dataclasses.replace(request, borrower=borrower, facts=facts)
        decision = decide(request, at)
        recorded = record(decision) if decision.result else None
    return decision, recorded


__all__ = ["decide_and_record"]

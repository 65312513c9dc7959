"""Compliance Guard: may the service contact this borrower now, on this channel, for this
theme — and if not, why, and when?

``decide(request, at)`` evaluates the rule families of :mod:`compliance.rules` in the
documented order at ``at`` and reports the first refusal. Its ``sendAt`` is the earliest
instant at which every rule allows: evaluate at t; when a rule refuses for a while, move t
to the instant it names and evaluate again, until all allow (``sendAt`` = t) or a rule
refuses for good, the iterations run out or t passes the horizon (``sendAt`` null). A
decision only reads; :func:`compliance.recording.decide_and_record` is the atomic
"decide, then insert the interaction" the send path uses.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.utils import timezone

from borrowers.models import Borrower, Company, Contact
from compliance.facts import BorrowerFacts
from compliance.rules import RULES, GuardContext, Outcome
from compliance.timezones import format_utc
from subjects.selectors import SubjectDescriptor

#: How many instants one decision evaluates while looking for ``sendAt``.
MAX_ITERATIONS = 20
#: ``sendAt`` further away than this is reported as null (waiting is not a plan).
HORIZON = timedelta(days=3 * 366)


@dataclass(frozen=True)
class GuardRequest:
    """What is about to be sent. ``theme`` defaults to the subject's implicit theme for the
    company (a message with neither is judged as debt collection, the strictest);
    ``is_transactional`` is the caller's claim (None: not given); whether the message is
    treated as transactional is decided by what it is
    (:func:`compliance.transactional.transactional_treatment`): a claim can make a message
    stricter, never lift a rule. ``own_content``: the content is the caller's own
    (``useTemplate: false``), not the subject's template. ``contact`` None
    lets the guard pick the recipient as a send would (data.md, "Contact selection").
    ``loan_ids`` are the debt the message is about (primary keys); none means all the
    borrower's loans. ``exclude_interaction_id``: the interaction being re-checked just
    before it goes out, which must not count against itself.

    Read ahead (optional, for callers that already hold them): ``facts``, the borrower's
    rows (:mod:`compliance.facts`); ``descriptor``, the company's view of ``subject``;
    ``settings_version``, the company's settings version read in this unit of work
    (``borrowers.settings_cache``), so the rule rows come from the process cache without
    reading the version again."""

    company: Company
    borrower: Borrower
    channel: str
    subject: str | None = None
    theme: str | None = None
    contact: Contact | None = None
    loan_ids: tuple[str, ...] = ()
    is_autodialed: bool = False
    is_transactional: bool | None = None
    own_content: bool = False
    check_at_company_noon: bool = False
    exclude_interaction_id: str | None = None
    facts: BorrowerFacts | None = None
    descriptor: SubjectDescriptor | None = None
    settings_version: int | None = None


@dataclass(frozen=True)
class Decision:
    """The guard's answer (api.md, "Compliance Guard"). ``send_at``: the instant evaluated
    when allowed; when refused, the earliest instant every rule allows, or None when
    waiting will not help (then the refusal is ``lasting``)."""

    result: bool
    reason: str | None
    message: str
    compliance_guard_rule_id: str | None
    send_at: datetime | None

    @property
    def lasting(self) -> bool:
        """A refusal that waiting will not lift (a queued message should fail, not wait)."""
        return not self.result and self.send_at is None

    def as_dict(self) -> dict[str, Any]:
        return {
            "result": self.result,
            "reason": self.reason,
            "message": self.message,
            "complianceGuardRuleId": self.compliance_guard_rule_id,
            "sendAt": format_utc(self.send_at) if self.send_at is not None else None,
        }


def decide(request: GuardRequest, at: datetime | None = None) -> Decision:
    """The decision for ``request`` at ``at`` (now by default). Reads the company's enabled
    rule rows, the borrower's contacts, open cases and active do-not-interact records once,
    then a fixed number of indexed history queries per evaluated instant; never writes."""
    at = (at or timezone.now()).astimezone(UTC)
    ctx = GuardContext.load(request, at)
    first = _evaluate(ctx, at)
    if first is None:
        return Decision(True, None, f"Allowed: no rule refuses this {request.channel} message.", None, at)
    note = ctx.treatment.overruled
    t, outcome = at, first
    for _ in range(MAX_ITERATIONS):
        if outcome.lasting or outcome.retry_at is None:
            return _refusal(first, None, blocker=outcome if outcome is not first else None, note=note)
        later = _ceil_second(outcome.retry_at)
        if later <= t or later - at > HORIZON:
            return _refusal(first, None, note=note)
        t = later
        outcome = _evaluate(ctx, t)
        if outcome is None:
            return _refusal(first, t, note=note)
    return _refusal(first, None, note=note)


def _evaluate(ctx: GuardContext, at: datetime) -> Outcome | None:
    for rule in RULES:
        outcome = rule.check(ctx, at)
        if outcome is not None and not outcome.allowed:
            return outcome
    return None


def _refusal(
    first: Outcome, send_at: datetime | None, *, blocker: Outcome | None = None, note: str | None = None
) -> Decision:
    if send_at is not None:
        tail = f"the next allowed time is {format_utc(send_at)}"
    elif blocker is not None:
        tail = f"waiting will not help: then {blocker.reason} refuses ({blocker.message})"
    else:
        tail = "waiting will not help"
    if note is not None:
        # The caller claimed isTransactional: true; say why that did not lift the rule.
        tail += f". isTransactional: true does not lift it: {note}"
    message = f"{first.message[:1].upper()}{first.message[1:]}; {tail}."
    return Decision(False, first.reason, message, first.rule_id, send_at)


def _ceil_second(value: datetime) -> datetime:
    """Whole seconds, rounded up (a sendAt is never before the rule allows)."""
    if not value.microsecond:
        return value
    return value.replace(microsecond=0) + timedelta(seconds=math.ceil(value.microsecond / 1e6))


__all__ = ["Decision", "GuardRequest", "decide"]

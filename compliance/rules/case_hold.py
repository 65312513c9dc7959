"""caseHold: an open case (``initiated`` or ``processing``) of the row's ``caseType``
blocks messages, except the row's named exceptions. Lasting while the case is open. A case
blocks regardless of the loans it names (compliance.md is silent; the strict reading).

Parameters::

    {"caseType": str,
     "blockThemes": "debtCollection" | "all" | [theme],   # which themes it blocks
     "blockSubjects": [subject],                          # and/or which subjects
     "exceptThemes": [theme],                             # never blocked
     "exceptions": [{"subjects": [subject], "subjectPrefixes": [str],
                     "affiliations": [affiliation]}]}

An exception matches when the subject is listed or starts with a listed prefix, and, if it
names ``affiliations``, the recipient contact has one of them. A message without a theme
counts as debt collection.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from compliance.models import RuleFamily
from compliance.rules.base import GuardContext, Outcome, Rule

DEBT_COLLECTION = "debtCollection"
ALL = "all"


class CaseHoldRule(Rule):
    family = RuleFamily.CASE_HOLD.value

    def check(self, ctx: GuardContext, at: datetime) -> Outcome | None:
        for row in ctx.rows(self.family):
            params = row.parameters
            cases = [case for case in ctx.open_cases if case.case_type == params.get("caseType")]
            if not cases:
                continue
            blocked = _blocked(params, ctx)
            if blocked is None or any(_matches(exception, ctx) for exception in params.get("exceptions", [])):
                continue
            case = cases[0]
            return self.refuse(
                row,
                f"open {case.case_type} case {case.pk} ({case.status}) blocks {blocked}, "
                f"and the {ctx.subject or 'unspecified'} subject is not one of its exceptions",
            )
        return None


def _blocked(params: dict[str, Any], ctx: GuardContext) -> str | None:
    """What the row blocks that this message is, or None if it does not block it."""
    if ctx.subject and ctx.subject in params.get("blockSubjects", []):
        return f"{ctx.subject} messages"
    scope = params.get("blockThemes")
    if scope is None or ctx.theme in params.get("exceptThemes", []):
        return None
    if scope == ALL:
        return f"every theme ({ctx.theme_label})"
    if scope == DEBT_COLLECTION:
        return f"debt-collection themes ({ctx.theme_label})" if ctx.is_debt_collection else None
    if isinstance(scope, list) and (ctx.theme is None or ctx.theme in scope):
        return f"{ctx.theme_label} messages"
    return None


def _matches(exception: dict[str, Any], ctx: GuardContext) -> bool:
    subjects, prefixes = exception.get("subjects"), exception.get("subjectPrefixes")
    if subjects is not None or prefixes is not None:
        subject = ctx.subject or ""
        named = subject in (subjects or []) or any(subject.startswith(p) for p in prefixes or [])
        if not subject or not named:
            return False
    affiliations = exception.get("affiliations")
    if affiliations is not None:
        contact = ctx.contact
        return contact is not None and contact.affiliation in affiliations
    return subjects is not None or prefixes is not None

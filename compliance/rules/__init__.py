"""Compliance Guard's rule families, one module each, registered in evaluation order
(compliance.md, "Rule families"). Every family implements :class:`~compliance.rules.base.Rule`."""

from __future__ import annotations

from compliance.models import FAMILY_ORDER
from compliance.rules.base import GuardContext, Outcome, Rule
from compliance.rules.borrower_status import BorrowerStatusRule
from compliance.rules.case_hold import CaseHoldRule
from compliance.rules.contact_eligibility import ContactEligibilityRule
from compliance.rules.do_not_interact import DoNotInteractRule
from compliance.rules.frequency import FrequencyRule
from compliance.rules.post_conversation import PostConversationRule
from compliance.rules.time_of_day import TimeOfDayRule

RULES: tuple[Rule, ...] = (
    BorrowerStatusRule(),
    DoNotInteractRule(),
    CaseHoldRule(),
    ContactEligibilityRule(),
    TimeOfDayRule(),
    FrequencyRule(),
    PostConversationRule(),
)

assert [rule.family for rule in RULES] == FAMILY_ORDER, "rules must be registered in the documented order"

__all__ = ["RULES", "GuardContext", "Outcome", "Rule"]

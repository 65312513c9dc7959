"""Writes of Compliance Guard's data: the company's rule rows (created from the shipped
defaults, edited with an audit row) and do-not-interact records.

Rule parameters are data the guard reads (``compliance/rules/<family>.py``); this module
checks that an edit keeps them in the shape the guard expects, so a rule can never be
saved in a form the guard would misread.

Split by sub-domain: ``rules`` (rule rows and their change history), ``checks`` (the
parameters of each rule family), ``do_not_interact`` (do-not-interact records) and
``defaults`` (the shipped rule rows). Import from ``compliance.services``.
"""

from compliance.services.checks import BLOCK_THEME_GROUPS as BLOCK_THEME_GROUPS
from compliance.services.checks import CAP_MAX as CAP_MAX
from compliance.services.checks import FAMILY_PARAMETERS as FAMILY_PARAMETERS
from compliance.services.checks import TIME_SCOPES as TIME_SCOPES
from compliance.services.checks import WINDOW_DAYS_MAX as WINDOW_DAYS_MAX
from compliance.services.checks import Checker as Checker
from compliance.services.defaults import DEFAULTS_PATH as DEFAULTS_PATH
from compliance.services.defaults import default_rules
from compliance.services.do_not_interact import ALL as ALL
from compliance.services.do_not_interact import (
    do_not_interact_clean,
    do_not_interact_create,
    do_not_interact_delete,
    do_not_interact_update,
)
from compliance.services.rules import DESCRIPTION_MAX as DESCRIPTION_MAX
from compliance.services.rules import NAME_MAX as NAME_MAX
from compliance.services.rules import (
    RULE_EDITABLE_FIELDS,
    actor_of,
    rule_clean,
    rule_snapshot,
    rule_update,
    rules_create_defaults,
)
from compliance.services.rules import SYSTEM_ACTOR as SYSTEM_ACTOR
from compliance.services.rules import Actor as Actor

__all__ = [
    "RULE_EDITABLE_FIELDS",
    "actor_of",
    "default_rules",
    "do_not_interact_clean",
    "do_not_interact_create",
    "do_not_interact_delete",
    "do_not_interact_update",
    "rule_clean",
    "rule_snapshot",
    "rule_update",
    "rules_create_defaults",
]

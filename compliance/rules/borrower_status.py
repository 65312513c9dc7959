"""borrowerStatus: a borrower in one of the row's ``statuses`` (``inactive``) receives only
transactional messages (``allowTransactional``) and the ``allowThemes``. Lasting.

Parameters: ``{"statuses": [str], "allowTransactional": bool, "allowThemes": [theme]}``.
"""

from __future__ import annotations

from datetime import datetime

from compliance.models import RuleFamily
from compliance.rules.base import GuardContext, Outcome, Rule


class BorrowerStatusRule(Rule):
    family = RuleFamily.BORROWER_STATUS.value

    def check(self, ctx: GuardContext, at: datetime) -> Outcome | None:
        for row in ctx.rows(self.family):
            params = row.parameters
            if ctx.borrower.status not in params.get("statuses", []):
                continue
            allow_transactional = bool(params.get("allowTransactional"))
            allow_themes = list(params.get("allowThemes", []))
            if (allow_transactional and ctx.is_transactional) or ctx.theme in allow_themes:
                continue
            allowed = (["transactional messages"] if allow_transactional else []) + [
                f"{theme} messages" for theme in allow_themes
            ]
            kind = "transactional" if ctx.is_transactional else "non-transactional"
            return self.refuse(
                row,
                f"the borrower is {ctx.borrower.status}, so only {_or(allowed) or 'nothing'} may be sent "
                f"and this is a {kind} {ctx.theme_label} message",
            )
        return None


def _or(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1] if items else ""

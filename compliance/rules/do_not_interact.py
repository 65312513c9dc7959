"""doNotInteract: an active do-not-interact record of the borrower whose ``channels``
include the channel or ``all`` and whose ``themes`` include the theme or ``all`` blocks
the message. ``all`` never covers the row's ``neverCoveredByAll`` themes. A record is
active through the end of its ``endDate`` in the company's time zone: the refusal lifts at
the start of the next day there; without an end date it is lasting.

Parameters: ``{"neverCoveredByAll": [theme]}``.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from compliance import timezones
from compliance.models import DoNotInteract, RuleFamily
from compliance.rules.base import GuardContext, Outcome, Rule

ALL = "all"


class DoNotInteractRule(Rule):
    family = RuleFamily.DO_NOT_INTERACT.value

    def check(self, ctx: GuardContext, at: datetime) -> Outcome | None:
        today = ctx.today(at)
        for row in ctx.rows(self.family):
            never = set(row.parameters.get("neverCoveredByAll", []))
            covering = [
                record
                for record in ctx.do_not_interacts
                if (record.end_date is None or record.end_date >= today)
                and _covers(record.channels, ctx.channel)
                and _covers_theme(record.themes, ctx.theme, never)
            ]
            if not covering:
                continue
            # The record that keeps the hold longest explains it.
            open_ended = [record for record in covering if record.end_date is None]
            record = open_ended[0] if open_ended else max(covering, key=lambda r: r.end_date)
            what = f"do-not-interact {record.pk} ({_describe(record)}) covers this {ctx.channel} message"
            if record.end_date is None:
                return self.refuse(row, f"{what} and has no end date")
            lifted = timezones.local_start_of_day(record.end_date + timedelta(days=1), ctx.company_zone)
            return self.refuse(
                row,
                f"{what} through {record.end_date.isoformat()} "
                f"({ctx.company_zone.key}, the company's time zone)",
                retry_at=lifted,
            )
        return None


def _covers(values: list[str], value: str) -> bool:
    return ALL in values or value in values


def _covers_theme(themes: list[str], theme: str | None, never: set[str]) -> bool:
    if theme is None:  # unknown theme: the strictest reading, every record covers it
        return True
    return theme in themes or (ALL in themes and theme not in never)


def _describe(record: DoNotInteract) -> str:
    channels = "all channels" if ALL in record.channels else ", ".join(record.channels)
    themes = "all themes" if ALL in record.themes else ", ".join(record.themes)
    return f"{channels}; {themes}"

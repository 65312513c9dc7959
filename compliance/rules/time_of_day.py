"""timeOfDay: outbound messages only inside a local calling window, in every candidate
time zone of the borrower (compliance/timezones.py). Temporary: the refusal names the next
opening of the window common to every applicable row and every zone (DST-correct).

Parameters: ``{"start": "HH:MM", "end": "HH:MM", "scope": {channel: "nonTransactional" |
"debtCollection"}}`` — the window is ``[start, end)`` local time; it applies to a channel
only if ``scope`` names it, and then only to non-transactional messages
(``nonTransactional``: every message that is not transactional by what it is, debt
collection always included, whatever the caller's ``isTransactional`` says:
:mod:`compliance.transactional`) or to debt-collection themes (``debtCollection``). Rows with
``states`` (the borrower lives there) tighten the federal row: all applicable windows are
intersected.

``checkAtCompanyNoon``: the window is checked at 12:00 on the company's date of the
evaluated instant, in the company's zone, instead of at the instant itself. A refusal then
is lasting (noon is the question asked, and waiting does not move noon).
"""

from __future__ import annotations

from datetime import datetime, time

from compliance import timezones
from compliance.models import ComplianceRule, RuleFamily
from compliance.rules.base import GuardContext, Outcome, Rule

NON_TRANSACTIONAL = "nonTransactional"
DEBT_COLLECTION = "debtCollection"
NOON = time(12, 0)


def _hhmm(value: str) -> time:
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


class TimeOfDayRule(Rule):
    family = RuleFamily.TIME_OF_DAY.value

    def check(self, ctx: GuardContext, at: datetime) -> Outcome | None:
        rows = [row for row in ctx.rows(self.family) if _applies(row, ctx)]
        if not rows:
            return None
        windows = [(row, _hhmm(row.parameters["start"]), _hhmm(row.parameters["end"])) for row in rows]
        start = max(w[1] for w in windows)
        end = min(w[2] for w in windows)
        zones = ctx.zones.zones
        noon = ctx.request.check_at_company_noon
        instant = timezones.local_instant(ctx.today(at), NOON, ctx.company_zone) if noon else at
        if start >= end:
            return self.refuse(
                windows[-1][0],
                f"the calling windows of rules {', '.join(row.code for row, _, _ in windows)} do not overlap",
            )
        closed = [tz for tz in zones if not timezones.in_window(instant, tz, start, end)]
        if not closed:
            return None
        # The row to name: the first whose own window is closed somewhere (the federal row
        # before state rows); one is, since the intersection is closed.
        row, row_start, row_end = next(
            (w for w in windows if any(not timezones.in_window(instant, tz, w[1], w[2]) for tz in zones)),
            windows[0],
        )
        where = closed[0]
        when = "at 12:00 company time, " if noon else ""
        message = (
            f"{when}it is {timezones.format_local(instant, where)} in {where.key}, outside the "
            f"{row_start:%H:%M}-{row_end:%H:%M} window for {ctx.channel} ({row.code}); "
            f"the borrower's time zones: {ctx.zones.describe()}"
        )
        if noon:
            return self.refuse(row, message)
        opening = timezones.next_common_opening(at, zones, start, end)
        if opening is None:
            return self.refuse(row, f"{message}, which share no {start:%H:%M}-{end:%H:%M} window")
        return self.refuse(row, message, retry_at=opening)


def _applies(row: ComplianceRule, ctx: GuardContext) -> bool:
    scope = row.parameters.get("scope", {}).get(ctx.channel)
    if scope == NON_TRANSACTIONAL:
        return not ctx.is_transactional
    if scope == DEBT_COLLECTION:
        return ctx.is_debt_collection
    return False

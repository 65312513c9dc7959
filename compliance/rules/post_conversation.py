"""postConversation: after a conversation with the borrower about a debt (an outbound or
inbound interaction whose status details or agent outcome is one of ``statusDetails``),
no debt-collection message on the row's channels (calls) about that debt for ``days``
days, the conversation's local date being day 1: allowed again from the start of day
``days + 1``. Temporary.

Parameters: ``{"days": int, "statusDetails": [statusDetails]}``.

Local dates are taken in every candidate time zone of the borrower and the latest start of
day ``days + 1`` wins (the strictest zone). "About that debt" as for frequency: a
conversation about one of the request's loans or about no particular loan; a request that
names no loan is about all of them. Only debt-collection messages are held, whatever
their ``isTransactional`` says (the theme decides: :mod:`compliance.transactional`).

The conversation's time is ``send_at`` for outbound rows (when the call was placed, or
``startedAt`` of a logged one) and ``started_at`` (else ``created_at``) for inbound ones.
One query per evaluated instant, reading the conversations of the last ``days + 1`` days.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Q

from compliance import timezones
from compliance.models import ComplianceRule, RuleFamily
from compliance.rules import history
from compliance.rules.base import GuardContext, Outcome, Rule
from interactions.models import Interaction


def conversation_times(ctx: GuardContext, row: ComplianceRule, at: datetime) -> list[datetime]:
    """When the conversations that may still hold a message at ``at`` happened (on
    PostgreSQL, through the same statement hand-written: :mod:`.history`)."""
    if history.hand_written():
        since = at - timedelta(days=row.parameters["days"] + 1)
        return history.conversation_times(
            ctx, list(row.channels), list(row.parameters["statusDetails"]), since, at
        )
    return conversation_times_orm(ctx, row, at)


def conversation_times_orm(ctx: GuardContext, row: ComplianceRule, at: datetime) -> list[datetime]:
    """:func:`conversation_times` through the ORM (SQLite; the reference the hand-written
    statement is tested against)."""
    params = row.parameters
    since = at - timedelta(days=params["days"] + 1)
    is_conversation = Q(status_details__in=params["statusDetails"]) | Q(
        agent_outcome__in=params["statusDetails"]
    )
    # No ordering: the three arms are a UNION, which SQLite refuses with ORDER BY inside.
    base = Interaction.objects.filter(borrower_id=ctx.borrower.pk, deleted_at__isnull=True).order_by()
    if row.channels:
        base = base.filter(channel__in=row.channels)
    base = ctx.without_request_row(base.filter(is_conversation, ctx.debt_q()))
    outbound = base.filter(direction=Interaction.Direction.OUTBOUND, send_at__gt=since, send_at__lte=at)
    inbound = base.filter(direction=Interaction.Direction.INBOUND)
    inbound_started = inbound.filter(started_at__gt=since, started_at__lte=at)
    inbound_logged = inbound.filter(started_at__isnull=True, created_at__gt=since, created_at__lte=at)
    return list(
        outbound.values_list("send_at", flat=True)
        .union(inbound_started.values_list("started_at", flat=True), all=True)
        .union(inbound_logged.values_list("created_at", flat=True), all=True)
    )


class PostConversationRule(Rule):
    family = RuleFamily.POST_CONVERSATION.value

    def check(self, ctx: GuardContext, at: datetime) -> Outcome | None:
        if not ctx.is_debt_collection:  # the theme decides, never isTransactional
            return None
        for row in ctx.rows(self.family):
            days = row.parameters["days"]
            held: tuple[datetime, datetime, ZoneInfo] | None = None
            for spoke_at in conversation_times(ctx, row, at):
                until, tz = max(
                    ((_day_start(spoke_at, tz, days), tz) for tz in ctx.zones.zones), key=lambda pair: pair[0]
                )
                if at < until and (held is None or until > held[1]):
                    held = (spoke_at, until, tz)
            if held is None:
                continue
            spoke_at, until, tz = held
            debt = " about this debt" if ctx.request.loan_ids else ""
            return self.refuse(
                row,
                f"the borrower was spoken to{debt} on {timezones.local_date(spoke_at, tz).isoformat()} "
                f"({tz.key}; that is day 1 of {days}): no collection {ctx.channel} before "
                f"{timezones.format_local(until, tz)} ({row.code})",
                retry_at=until,
            )
        return None


def _day_start(spoke_at: datetime, tz: ZoneInfo, days: int) -> datetime:
    """The start of day ``days + 1`` counting the conversation's local date as day 1."""
    return timezones.local_start_of_day(timezones.local_date(spoke_at, tz) + timedelta(days=days), tz)

"""frequency: rolling-window caps on debt-collection messages, by the borrower's
``collectionsIntensity``. Temporary: the refusal names when the interactions that fill the
window around the message have moved far enough away.

Parameters: ``{"windowDays": int, "caps": {"light": int, "normal": int, "heavy": int},
"combineChannels": bool}``. A row applies to messages on its ``channels``; it counts the
message's channel, or all its channels together with ``combineChannels`` (Massachusetts:
calls and texts). Every applicable row must allow (state rows tighten the federal ones: the
smallest cap wins); when several refuse, the one that frees last is reported.

Messages of debt-collection themes are capped, and only such interactions are counted,
whatever their ``isTransactional`` says (a debt-collection message is never transactional:
:mod:`compliance.transactional`): outbound, on the counted channels, not deleted, about the same
debt (:meth:`GuardContext.debt_q`), whose status details count (the ``counts`` column of
``interactions/catalogue/status_details.json``: A or C). An interaction without status
details counts unless it is ``failed`` or ``canceled``; ``scheduled`` ones count at their
``send_at``.

The cap holds in every window: a message at t is refused when some ``windowDays``-long
window containing t already holds ``cap`` counted interactions, including ones scheduled
after t (so concurrent or jittered sends cannot overshoot). Two interactions share a
window when their send times are less than ``windowDays`` apart: one sent exactly
``windowDays`` earlier has left it.

Cost: one query per applicable row and evaluated instant (hand-written on PostgreSQL,
:mod:`.history`), through the partial index ``interaction_frequency`` (borrower, channel,
-send_at) WHERE outbound: the newest ``cap`` counted rows in (t - window, t] and the
earliest ``cap`` in (t, t + window), each an index range scan with ``LIMIT cap`` per
channel; never a count over history.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import connections
from django.db.models import Q

from compliance import timezones
from compliance.models import ComplianceRule, RuleFamily
from compliance.rules import history
from compliance.rules.base import GuardContext, Outcome, Rule
from compliance.rules.history import NOT_SENT
from interactions import catalogue
from interactions.models import Interaction

NOUNS = {"voice": "calls", "text": "texts", "email": "emails", "mail": "letters"}


def counted_q() -> Q:
    """Interactions whose status details count for frequency limits."""
    counted = sorted(catalogue.status_details_counted())
    return Q(status_details__in=counted) | (Q(status_details__isnull=True) & ~Q(status__in=NOT_SENT))


def counted_send_times(
    ctx: GuardContext, channels: list[str], at: datetime, window: timedelta, limit: int
) -> list[datetime]:
    """``send_at`` of the counted interactions nearest to ``at``: the newest ``limit`` in
    (at - window, at] and the earliest ``limit`` in (at, at + window), ascending.

    On PostgreSQL, the same statement hand-written (:mod:`.history`)."""
    if history.hand_written():
        return history.counted_send_times(ctx, channels, at, window, limit)
    return counted_send_times_orm(ctx, channels, at, window, limit)


def counted_send_times_orm(
    ctx: GuardContext, channels: list[str], at: datetime, window: timedelta, limit: int
) -> list[datetime]:
    """:func:`counted_send_times` through the ORM (SQLite; the reference the hand-written
    statement is tested against)."""
    counted = Interaction.objects.filter(
        borrower_id=ctx.borrower.pk,
        direction=Interaction.Direction.OUTBOUND,
        channel__in=channels,
        theme__in=ctx.debt_collection_themes,
        deleted_at__isnull=True,
    ).filter(counted_q(), ctx.debt_q())
    counted = ctx.without_request_row(counted)
    before = counted.filter(send_at__gt=at - window, send_at__lte=at).order_by("-send_at")
    after = counted.filter(send_at__gt=at, send_at__lt=at + window).order_by("send_at")
    before = before.values_list("send_at", flat=True)[:limit]
    after = after.values_list("send_at", flat=True)[:limit]
    if not connections[counted.db].features.supports_slicing_ordering_in_compound:
        return sorted([*before, *after])  # SQLite (the embedded default): two queries
    return sorted(before.union(after, all=True))


def forbidden_until(
    times: list[datetime], at: datetime, window: timedelta, cap: int
) -> tuple[int, datetime] | None:
    """When ``cap`` of ``times`` (ascending) and a message at ``at`` would share a window:
    the index of the first of those ``cap`` and the first instant ≥ ``at`` at which a
    message no longer would, as far as ``times`` tell. None when ``at`` is allowed.

    ``cap`` consecutive interactions r[k] .. r[k + cap - 1] less than ``window`` apart
    forbid the open interval (r[k + cap - 1] - window, r[k] + window)."""
    intervals = [
        (k, times[k + cap - 1] - window, times[k] + window)
        for k in range(len(times) - cap + 1)
        if times[k + cap - 1] - times[k] < window
    ]
    current, first = at, None
    moved = True
    while moved:
        moved = False
        for k, start, end in intervals:
            if start < current < end:
                first = k if first is None else first
                current, moved = end, True
    return None if first is None else (first, current)


class FrequencyRule(Rule):
    family = RuleFamily.FREQUENCY.value

    def check(self, ctx: GuardContext, at: datetime) -> Outcome | None:
        if not ctx.is_debt_collection:  # the theme decides, never isTransactional
            return None
        refusals = [outcome for row in ctx.rows(self.family) if (outcome := self._check_row(ctx, row, at))]
        if not refusals:
            return None
        return max(refusals, key=lambda outcome: outcome.retry_at)

    def _check_row(self, ctx: GuardContext, row: ComplianceRule, at: datetime) -> Outcome | None:
        params = row.parameters
        cap = params["caps"][ctx.borrower.collections_intensity]
        window = timedelta(days=params["windowDays"])
        channels = list(row.channels) if params.get("combineChannels") and row.channels else [ctx.channel]
        times = counted_send_times(ctx, channels, at, window, cap)
        forbidden = forbidden_until(times, at, window, cap)
        if forbidden is None:
            return None
        first, frees_at = forbidden
        group = times[first : first + cap]
        nouns = " and ".join(NOUNS.get(channel, f"{channel} messages") for channel in channels)
        debt = " about this debt" if ctx.request.loan_ids else ""
        span = (
            f"in the {params['windowDays']} days up to {timezones.format_utc(at)}"
            if group[-1] <= at
            else f"sent or scheduled from {timezones.format_utc(group[0])} "
            f"to {timezones.format_utc(group[-1])}"
        )
        return self.refuse(
            row,
            f"{cap} collection {nouns} to this borrower{debt} {span} reach the cap of {cap} per "
            f"{params['windowDays']} days ({ctx.borrower.collections_intensity} intensity, {row.code}); "
            f"the window has room again at {timezones.format_utc(frees_at)}",
            retry_at=frees_at,
        )

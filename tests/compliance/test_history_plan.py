"""compliance.md, "Cost": the frequency read does not grow with the borrower's history. Its
statement is run under ``EXPLAIN ANALYZE`` over a borrower with thousands of
counted messages inside the window: every scan
of the interactions table goes through the ``interaction_frequency`` index and stops after
``cap`` rows per channel and direction, for one channel and for combined channels
(Massachusetts' calls and texts)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from compliance.guard import GuardRequest
from compliance.rules import history
from compliance.rules.base import GuardContext
from interactions.models import Interaction
from tests.compliance.guard_scenarios import utc
from tests.factories import BorrowerFactory

pytestmark = pytest.mark.django_db

AT = utc("2026-12-02T15:00:00Z")
WINDOW = timedelta(days=7)
CAP = 3
#: Counted messages per channel in the 14 days around AT: far more than CAP.
HISTORY = 1500


def _history(borrower, channels) -> None:  # noqa: ANN001
    rows = [
        Interaction(
            company=borrower.company,
            borrower=borrower,
            channel=channel,
            direction="outbound",
            subject="loanOverdueFirstNotice",
            theme="opsCollDebt",
            status="attempted",
            status_details="voiceLeftVoicemail" if channel == "voice" else "textDelivered",
            send_at=AT + timedelta(minutes=(n * 13) % (14 * 24 * 60) - 7 * 24 * 60),
        )
        for channel in channels
        for n in range(HISTORY)
    ]
    Interaction.objects.bulk_create(rows, batch_size=1000)


def _scans(plan: dict) -> list[dict]:
    node = plan
    found = [node] if node.get("Relation Name") == Interaction._meta.db_table else []
    for child in node.get("Plans", []):
        found += _scans(child)
    return found


@pytest.mark.parametrize("channels", [["voice"], ["voice", "text"]])
def test_the_frequency_read_stops_after_cap_rows(company, channels: list[str]) -> None:  # noqa: ANN001
    borrower = BorrowerFactory(company=company)
    other = BorrowerFactory(company=company)
    _history(borrower, channels)
    _history(other, channels)
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {Interaction._meta.db_table}")
    ctx = GuardContext.load(
        GuardRequest(
            company=company, borrower=borrower, channel=channels[0], subject="loanOverdueFirstNotice"
        ),
        AT,
    )
    with CaptureQueriesContext(connection) as captured:
        times = history.counted_send_times(ctx, channels, AT, WINDOW, CAP)
    assert len(times) == 2 * CAP
    statement = captured.captured_queries[-1]["sql"].split("; ")[-1]
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {statement}")
        (plan,) = cursor.fetchone()
    plan = plan if isinstance(plan, list) else json.loads(plan)
    scans = _scans(plan[0]["Plan"])
    assert scans, plan
    for scan in scans:
        assert scan["Node Type"] in ("Index Scan", "Index Only Scan"), scan
        assert scan["Index Name"] == "interaction_frequency", scan
        assert scan["Actual Rows"] <= CAP, scan
        assert scan.get("Rows Removed by Filter", 0) == 0, scan

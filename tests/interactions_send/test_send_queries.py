"""The cost of one send in round trips to the database: fixed, whatever the borrower's
history. A captured query is one round trip; some carry several statements
(``peachcomms.db.fetch_many``)."""

from __future__ import annotations

import itertools

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import InteractionFactory
from tests.interactions_send.helpers import iso, ny
from tests.sql import statements

pytestmark = pytest.mark.django_db


def _queries(send, **body) -> list[str]:  # noqa: ANN001
    with CaptureQueriesContext(connection) as captured:
        response = send(**body)
    assert response.status_code == 200, response.json()
    return [query["sql"] for query in captured.captured_queries]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        # key with company; borrower with contacts; loan; savepoint; borrower lock with
        # open cases and do-not-interacts; insert; release. Rules, subject settings and
        # templates come from the process cache (the key's company row carries their
        # version). A due send is marked enqueued in its insert; a collection message
        # reads frequency and post-conversation history instead.
        ({"subject": "paymentProcessed"}, 7),
        ({"subject": "loanOverdueFirstNotice", "sendAt": iso(ny(1, 12))}, 8),
        # An idempotency key: one read for an earlier send of it (none); the insert
        # skips a row a concurrent send committed meanwhile (no savepoint).
        ({"subject": "paymentProcessed", "interactionExternalId": "ext-queries"}, 8),
    ],
    ids=["transactional, due now", "collection, scheduled", "with interactionExternalId"],
)
def test_one_send_costs_a_fixed_number_of_queries(send, borrower, contacts, loan, body, expected):
    keys = itertools.count()

    def fresh() -> dict:  # a new send each time, never a retry of the one before
        if "interactionExternalId" not in body:
            return body
        return {**body, "interactionExternalId": f"{body['interactionExternalId']}-{next(keys)}"}

    send(loanId=loan.pk, **fresh())  # warm the per-process caches (catalogue, compiled templates)
    first = _queries(send, loanId=loan.pk, **fresh())
    InteractionFactory.create_batch(40, borrower=borrower, subject="paymentProcessed", send_at=ny(-1, 12))
    later = _queries(send, loanId=loan.pk, **fresh())
    assert len(later) == len(first) == expected, "\n".join(later)
    per_trip = [len(statements(sql)) for sql in later]
    assert per_trip[1] == 2 and max(per_trip) == 3  # borrower + contacts; lock + cases + records


def test_a_retry_reads_and_writes_nothing_more(send, contacts, loan):
    """A repeated interactionExternalId: key; borrower with contacts; the earlier send,
    found; that interaction with what its representation joins in. Nothing is written."""
    body = {"subject": "paymentProcessed", "loanId": loan.pk, "interactionExternalId": "ext-retry"}
    send(**body)
    queries = _queries(send, **body)
    assert len(queries) == 4, "\n".join(queries)
    assert not any(sql.lstrip().upper().startswith(("INSERT", "UPDATE", "SAVEPOINT")) for sql in queries)

"""The cost of one send in round trips to the database: fixed, whatever the borrower's
history. A captured query is one round trip; some carry several statements
(``peachcomms.db.fetch_many``)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import InteractionFactory
from tests.interactions_send.helpers import iso, ny

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
    ],
    ids=["transactional, due now", "collection, scheduled"],
)
def test_one_send_costs_a_fixed_number_of_queries(send, borrower, contacts, loan, body, expected):
    send(loanId=loan.pk, **body)  # warm the per-process caches (catalogue, compiled templates)
    first = _queries(send, loanId=loan.pk, **body)
    InteractionFactory.create_batch(40, borrower=borrower, subject="paymentProcessed", send_at=ny(-1, 12))
    later = _queries(send, loanId=loan.pk, **body)
    assert len(later) == len(first) == expected, "\n".join(later)
    # Prepared statements run as EXECUTE (peachcomms.db), plain ones as SELECT.
    statements = [sql.count("; SELECT ") + sql.count("; EXECUTE ") + 1 for sql in later]
    assert statements[1] == 2 and max(statements) == 3  # borrower + contacts; lock + cases + records

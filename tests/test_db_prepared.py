"""The send path's hot statements are prepared once per PostgreSQL session
(``peachcomms.db._execute``): ``PREPARE`` rides in the round trip of a statement's first
use, ``EXECUTE`` serves every later one, the results are what the plain statements give,
a statement the session lost is prepared again, and the switch turns it all off."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction
from django.test.utils import CaptureQueriesContext

from borrowers.models import Borrower, Contact
from interactions.models import Interaction
from peachcomms.db import Read, fetch, fetch_many, insert
from tests.factories import BorrowerFactory, ContactFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _postgresql_only() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("prepared statements are PostgreSQL's")


def _sql(captured: CaptureQueriesContext) -> str:
    (query,) = captured.captured_queries
    return query["sql"]


def _prepared_count() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_prepared_statements")
        return cursor.fetchone()[0]


def test_a_statement_is_prepared_in_its_first_round_trip_and_executed_after(company) -> None:  # noqa: ANN001
    borrower = BorrowerFactory(company=company)
    where = "id = %s AND company_id = %s AND status <> 'prepared-test-1'"  # new to this session
    before = _prepared_count()
    with CaptureQueriesContext(connection) as first:
        (found,) = fetch(Borrower, where, [borrower.pk, company.pk])
    assert _sql(first).startswith("PREPARE peachcomms_") and "; EXECUTE peachcomms_" in _sql(first)
    assert _prepared_count() == before + 1
    with CaptureQueriesContext(connection) as second:
        (again,) = fetch(Borrower, where, [borrower.pk, company.pk])
    assert _sql(second).startswith("EXECUTE peachcomms_") and "PREPARE" not in _sql(second)
    assert _prepared_count() == before + 1
    assert found.pk == again.pk == borrower.pk
    assert found.last_name == Borrower.objects.get(pk=borrower.pk).last_name


def test_results_line_up_when_new_and_prepared_statements_share_a_round_trip(company) -> None:  # noqa: ANN001
    borrower = BorrowerFactory(company=company)
    contacts = [ContactFactory(borrower=borrower), ContactFactory(borrower=borrower)]
    known = Read(Borrower, "id = %s AND status <> 'prepared-test-2'", [borrower.pk])
    fetch_many([known])  # prepared now
    reads = [
        known,
        Read(Contact, "borrower_id = %s AND status <> 'prepared-test-2' ORDER BY id", [borrower.pk]),
        Read(Contact, "borrower_id = %s AND status = 'prepared-test-2'", [borrower.pk]),  # empty
        known,
    ]
    with CaptureQueriesContext(connection) as captured:
        found = fetch_many(reads)
    assert _sql(captured).count("PREPARE ") == 2  # the two new ones, once each
    assert [[row.pk for row in result] for result in found] == [
        [borrower.pk],
        sorted(contact.pk for contact in contacts),
        [],
        [borrower.pk],
    ]


def test_a_statement_the_session_lost_fails_once_and_is_prepared_again(company) -> None:  # noqa: ANN001
    """Behind a pooler the session may change under the process: the round trip that
    finds its statement gone fails (turn the switch off there), the next prepares anew."""
    borrower = BorrowerFactory(company=company)
    where = "id = %s AND status <> 'prepared-test-3'"
    other = "id = %s AND status <> 'prepared-test-3b'"
    fetch(Borrower, where, [borrower.pk]), fetch(Borrower, other, [borrower.pk])
    with connection.cursor() as cursor:
        cursor.execute("DEALLOCATE ALL")
    with pytest.raises(DatabaseError, match="does not exist"), transaction.atomic():
        fetch(Borrower, where, [borrower.pk])
    for sql in (where, other):  # the session lost them all: each is prepared again
        with CaptureQueriesContext(connection) as captured:
            assert [row.pk for row in fetch(Borrower, sql, [borrower.pk])] == [borrower.pk]
        assert _sql(captured).startswith("PREPARE ")


def test_the_insert_is_prepared_per_pattern_of_missing_values(company) -> None:  # noqa: ANN001
    borrower = BorrowerFactory(company=company)
    base = {"company": company, "borrower": borrower, "channel": "email", "direction": "outbound"}
    insert(Interaction(**base, subject="prepared", theme="test-4"))  # this pattern is prepared now
    with CaptureQueriesContext(connection) as captured:
        row = Interaction(**base, subject="welcome", theme="opsServicing")  # the same pattern
        insert(row)
    assert _sql(captured).startswith("EXECUTE peachcomms_")
    stored = Interaction.objects.get(pk=row.pk)
    assert (stored.subject, stored.theme, stored.borrower_id) == ("welcome", "opsServicing", borrower.pk)


def test_the_switch_turns_preparing_off(company, settings) -> None:  # noqa: ANN001
    settings.DATABASE_PREPARED_STATEMENTS = False
    borrower = BorrowerFactory(company=company)
    with CaptureQueriesContext(connection) as captured:
        fetch_many(
            [
                Read(Borrower, "id = %s AND status <> 'prepared-test-5'", [borrower.pk]),
                Read(Contact, "borrower_id = %s", [borrower.pk]),
            ]
        )
    assert _sql(captured).startswith("SELECT ") and "PREPARE" not in _sql(captured)
    assert "EXECUTE" not in _sql(captured)


def test_a_session_prepares_a_bounded_number_of_statements(company, monkeypatch) -> None:  # noqa: ANN001
    from peachcomms import db

    borrower = BorrowerFactory(company=company)
    known = "id = %s AND status <> 'prepared-test-6'"
    fetch(Borrower, known, [borrower.pk])
    monkeypatch.setattr(db, "MAX_PREPARED", 0)  # full: nothing new is prepared
    reads = [
        Read(Borrower, known, [borrower.pk]),
        Read(Contact, "borrower_id = %s AND id <> 'x6'", [borrower.pk]),
    ]
    with CaptureQueriesContext(connection) as captured:
        found = fetch_many(reads)
    assert "PREPARE" not in _sql(captured)
    assert _sql(captured).startswith("EXECUTE peachcomms_") and "; SELECT " in _sql(captured)
    assert [[row.pk for row in result] for result in found] == [[borrower.pk], []]


@pytest.mark.parametrize("prepared", [True, False])
def test_rows_runs_a_statement_either_way(company, settings, prepared) -> None:  # noqa: ANN001
    """The dispatcher's reservation goes through ``rows``: the same rows prepared or not."""
    from peachcomms.db import rows

    settings.DATABASE_PREPARED_STATEMENTS = prepared
    borrower = BorrowerFactory(company=company)
    sql = (
        "UPDATE borrowers_borrower SET last_name = %s WHERE id = %s AND company_id = %s "
        "RETURNING id, last_name"
    )
    with CaptureQueriesContext(connection) as captured:
        found = rows(sql, ["Prepared" if prepared else "Plain", borrower.pk, company.pk])
    assert found == [(borrower.pk, "Prepared" if prepared else "Plain")]
    assert ("EXECUTE peachcomms_" in _sql(captured)) is prepared


def test_an_error_of_the_statement_keeps_it_prepared(company) -> None:  # noqa: ANN001
    """A unique violation says nothing about the statement: the next insert of that
    pattern of values still runs the prepared one (no statement is left behind unused)."""
    from django.db import IntegrityError

    borrower = BorrowerFactory(company=company)
    base = {"company": company, "borrower": borrower, "channel": "email", "direction": "outbound"}
    insert(Interaction(**base, external_id="prepared-test-7"))
    with pytest.raises(IntegrityError), transaction.atomic():
        insert(Interaction(**base, external_id="prepared-test-7"))
    with CaptureQueriesContext(connection) as captured:
        insert(Interaction(**base, external_id="prepared-test-7b"))
    assert _sql(captured).startswith("EXECUTE peachcomms_")


def test_a_statement_whose_table_changed_is_prepared_again() -> None:
    from peachcomms.db import rows

    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMPORARY TABLE prepared_test_8 (a integer)")
        cursor.execute("INSERT INTO prepared_test_8 VALUES (1)")
    sql = "SELECT * FROM prepared_test_8 WHERE a = %s"
    assert rows(sql, [1]) == [(1,)]
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE prepared_test_8 ADD COLUMN b integer")
    with pytest.raises(DatabaseError, match="cached plan must not change result type"), transaction.atomic():
        rows(sql, [1])
    with CaptureQueriesContext(connection) as captured:
        assert rows(sql, [1]) == [(1, None)]
    assert _sql(captured).startswith("PREPARE ")

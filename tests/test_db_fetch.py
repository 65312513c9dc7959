"""``peachcomms.db.fetch``: the send path's compiler-free reads build the same instances
the ORM builds (every concrete field, converters applied), and its lock clause really
locks on PostgreSQL."""

from __future__ import annotations

import datetime
import threading
from decimal import Decimal

import pytest
from django.db import connection, connections, transaction
from django.db.models import Model
from django.test.utils import CaptureQueriesContext

from borrowers.models import ApiKey, Borrower, Case, Company, Contact, Loan
from borrowers.services import api_key_create
from compliance.models import DoNotInteract
from interactions.models import Interaction
from peachcomms.db import Read, fetch, fetch_many, fetch_with_related, from_rows, insert, lock_clause
from tests.factories import (
    BorrowerFactory,
    CaseFactory,
    ContactFactory,
    DoNotInteractFactory,
    InteractionFactory,
    LoanFactory,
)


def _values(instance: Model) -> dict:
    return {field.attname: getattr(instance, field.attname) for field in type(instance)._meta.concrete_fields}


def _rows(company) -> list[Model]:  # noqa: ANN001
    borrower = BorrowerFactory(
        company=company,
        middle_name="Byron",
        meta_data={"a": [1, {"b": None}]},
    )
    return [
        company,
        api_key_create(company=company, name="k", permissions=["people:read"]).api_key,
        borrower,
        ContactFactory(borrower=borrower, receive_text_messages=True),
        LoanFactory(borrower=borrower, amount_due=Decimal("12.30"), due_date=datetime.date(2027, 1, 5)),
        CaseFactory(borrower=borrower, loan_ids=["LN-AAAA-BBBB"]),
        DoNotInteractFactory(borrower=borrower, end_date=datetime.date(2030, 1, 1), channels=["text"]),
        InteractionFactory(
            borrower=borrower, content={"subjectLine": "Hi", "attachments": []}, loan_ids=["x"]
        ),
    ]


@pytest.mark.django_db
def test_fetch_builds_what_the_orm_builds(company) -> None:  # noqa: ANN001
    for row in _rows(company):
        model = type(row)
        (fetched,) = fetch(model, "id = %s", [row.pk])
        (orm,) = model.objects.filter(pk=row.pk)
        assert _values(fetched) == _values(orm), model.__name__
        assert all(
            type(a) is type(b) for a, b in zip(_values(fetched).values(), _values(orm).values(), strict=True)
        )
        assert fetched._state.adding is False and fetched._state.db == "default"


@pytest.mark.django_db
def test_fetch_orders_limits_and_finds_nothing(company) -> None:  # noqa: ANN001
    borrower = BorrowerFactory(company=company)
    contacts = [ContactFactory(borrower=borrower) for _ in range(3)]
    found = fetch(
        Contact, "borrower_id = %s", [borrower.pk], suffix="ORDER BY created_at DESC, id DESC LIMIT 2"
    )
    assert [c.pk for c in found] == [
        c.pk for c in sorted(contacts, key=lambda c: (c.created_at, c.pk))[::-1][:2]
    ]
    assert fetch(Contact, "borrower_id = %s", ["BO-NONE-NONE"]) == []
    for model in (Borrower, Case, Company, Loan, DoNotInteract, Interaction, ApiKey):
        assert fetch(model, "id = %s", ["XX-NONE-NONE"]) == []


@pytest.mark.django_db(transaction=True)
def test_the_lock_clause_locks_the_row() -> None:
    if connection.vendor != "postgresql":
        assert lock_clause() == ""  # SQLite locks the whole database on write
        return
    assert lock_clause(no_key=True) == "FOR NO KEY UPDATE" and lock_clause() == "FOR UPDATE"
    borrower = BorrowerFactory()
    locked, released = threading.Event(), threading.Event()
    waited: list[bool] = []

    def holder() -> None:
        with transaction.atomic():
            fetch(Borrower, "id = %s", [borrower.pk], suffix=lock_clause(no_key=True))
            locked.set()
            released.wait(10)
        connection.close()

    def contender() -> None:
        with transaction.atomic():
            connection.cursor().execute("SET LOCAL lock_timeout = '200ms'")
            try:
                fetch(Borrower, "id = %s", [borrower.pk], suffix=lock_clause(no_key=True))
                waited.append(False)
            except Exception:
                waited.append(True)
        connection.close()

    first = threading.Thread(target=holder)
    first.start()
    assert locked.wait(10)
    second = threading.Thread(target=contender)
    second.start()
    second.join(10)
    released.set()
    first.join(10)
    assert waited == [True]  # the second reader could not take the lock while the first held it


@pytest.mark.django_db
def test_fetch_many_reads_what_fetch_reads_in_one_round_trip(company) -> None:  # noqa: ANN001
    rows = _rows(company)
    reads = [Read(type(row), "id = %s", [row.pk]) for row in rows]
    reads.append(Read(Contact, "borrower_id = %s", ["BO-NONE-NONE"]))  # an empty set in between
    reads.append(Read(Case, "id = %s AND status <> %s", [rows[5].pk, "x"], "LIMIT 1"))
    with CaptureQueriesContext(connection) as captured:
        found = fetch_many(reads)
    assert len(captured.captured_queries) == (1 if connection.vendor == "postgresql" else len(reads))
    assert [len(result) for result in found] == [1] * len(rows) + [0, 1]
    for read, result in zip(reads, found, strict=True):
        assert [_values(x) for x in result] == [
            _values(x) for x in fetch(read.model, read.where, read.params, suffix=read.suffix)
        ]


@pytest.mark.django_db(transaction=True)
def test_reads_after_a_lock_in_one_round_trip_see_what_the_lock_holder_committed() -> None:
    """What decide_and_record relies on: the statements after the lock run once it is
    granted, and see the rows the previous holder committed while they waited."""
    if connection.vendor != "postgresql":
        return
    borrower = BorrowerFactory()
    locked, done = threading.Event(), threading.Event()
    seen: list[list[str]] = []

    def holder() -> None:
        with transaction.atomic():
            fetch(Borrower, "id = %s", [borrower.pk], suffix=lock_clause(no_key=True))
            locked.set()
            done.wait(0.5)  # the reader is waiting for the lock meanwhile
            CaseFactory(borrower=borrower, status="initiated")
        connection.close()

    def reader() -> None:
        with transaction.atomic():
            _, cases = fetch_many(
                [
                    Read(Borrower, "id = %s", [borrower.pk], lock_clause(no_key=True)),
                    Read(Case, "borrower_id = %s", [borrower.pk]),
                ]
            )
            seen.append([case.status for case in cases])
        connection.close()

    first = threading.Thread(target=holder)
    first.start()
    assert locked.wait(10)
    second = threading.Thread(target=reader)
    second.start()
    first.join(10)
    second.join(10)
    assert seen == [["initiated"]]


@pytest.mark.django_db
def test_fetch_with_related_joins_the_foreign_key(company) -> None:  # noqa: ANN001
    key = api_key_create(company=company, name="k", permissions=[]).api_key
    (fetched,) = fetch_with_related(ApiKey, "company", "borrowers_apikey.id = %s", [key.pk])
    assert _values(fetched) == _values(ApiKey.objects.get(pk=key.pk))
    assert _values(fetched.company) == _values(Company.objects.get(pk=company.pk))
    assert fetch_with_related(ApiKey, "company", "borrowers_apikey.id = %s", ["AK-NONE-NONE"]) == []


@pytest.mark.django_db
def test_insert_writes_what_save_writes(company) -> None:  # noqa: ANN001
    borrower = BorrowerFactory(company=company)
    fields = {
        "company": company,
        "borrower": borrower,
        "channel": "email",
        "direction": "outbound",
        "subject": "paymentProcessed",
        "status": "scheduled",
        "content": {"subjectLine": "Hi", "attachments": ["DD-AAAA-BBBB"]},
        "loan_ids": ["LN-AAAA-BBBB"],
        "created_by": {"id": "x", "userType": "system"},
        "send_at": datetime.datetime(2026, 11, 26, 12, tzinfo=datetime.UTC),
    }
    fast, orm = Interaction(**fields), Interaction(**fields)
    insert(fast)
    orm.save(force_insert=True)
    assert fast._state.adding is False and fast.created_at is not None and fast.updated_at is not None
    a, b = _values(Interaction.objects.get(pk=fast.pk)), _values(Interaction.objects.get(pk=orm.pk))
    for name in ("id", "created_at", "updated_at"):
        a.pop(name), b.pop(name)
    assert a == b


@pytest.mark.django_db
def test_insert_writes_null_columns_into_the_statement(company) -> None:  # noqa: ANN001
    """Missing values are written as NULL, not sent: the statement keeps under psycopg's
    50 cached parameters, and every pattern of missing values writes what save writes."""
    borrower = BorrowerFactory(company=company)
    base = {"company": company, "borrower": borrower, "channel": "email", "direction": "outbound"}
    for extra in (
        {},
        {"subject": "welcome", "theme": "opsServicing", "loan_ids": ["LN-A"]},
        {"supercase_bulk_operation_id": "BK-1"},
    ):
        fast, orm = Interaction(**base, **extra), Interaction(**base, **extra)
        with CaptureQueriesContext(connection) as captured:
            insert(fast)
        orm.save(force_insert=True)
        a, b = _values(Interaction.objects.get(pk=fast.pk)), _values(Interaction.objects.get(pk=orm.pk))
        for name in ("id", "created_at", "updated_at"):
            a.pop(name), b.pop(name)
        assert a == b
        (sql,) = [query["sql"] for query in captured.captured_queries]
        assert "NULL" in sql.split("VALUES", 1)[1]


@pytest.mark.django_db
def test_insert_raises_django_integrity_errors(company) -> None:  # noqa: ANN001
    from django.db import IntegrityError

    first = InteractionFactory(borrower=BorrowerFactory(company=company), external_id="same")
    duplicate = Interaction(company=company, borrower=first.borrower, channel="email", external_id="same")
    with pytest.raises(IntegrityError), transaction.atomic():
        insert(duplicate)


@pytest.mark.django_db
def test_from_rows_builds_deferred_instances_from_some_columns(company) -> None:  # noqa: ANN001
    row = InteractionFactory(borrower=BorrowerFactory(company=company), content={"to": "a@example.com"})
    wanted = frozenset({"id", "content", "send_at", "loan_ids"})
    with connection.cursor() as cursor:  # the model's field order, as from_rows reads them
        cursor.execute(
            "SELECT id, loan_ids, send_at, content FROM interactions_interaction WHERE id = %s", [row.pk]
        )
        (built,) = from_rows(Interaction, cursor.fetchall(), attnames=wanted)
    orm = Interaction.objects.only(*wanted).get(pk=row.pk)
    assert {name: getattr(built, name) for name in wanted} == {name: getattr(orm, name) for name in wanted}
    assert built.get_deferred_fields() == orm.get_deferred_fields()


@pytest.mark.django_db
def test_message_content_is_compressed_with_lz4_where_available() -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT 'lz4' = ANY(enumvals) FROM pg_settings WHERE name = 'default_toast_compression'"
        )
        if not cursor.fetchone()[0]:
            pytest.skip("this PostgreSQL has no lz4")
        cursor.execute(
            "SELECT attrelid::regclass::text, attname, attcompression FROM pg_attribute WHERE "
            "(attrelid = 'interactions_interaction'::regclass AND attname IN ('content', 'meta_data')) OR "
            "(attrelid = 'providers_outboxmessage'::regclass AND attname IN ('content_html', 'content_text'))"
        )
        rows = cursor.fetchall()
    assert len(rows) == 4 and {compression for *_, compression in rows} == {"l"}, rows


@pytest.mark.django_db(transaction=True)
def test_the_hot_reads_keep_one_driver_cursor_per_connection(company) -> None:  # noqa: ANN001
    if connection.vendor != "postgresql":
        return
    wrapper = connections["default"]  # ``connection`` is a proxy of it
    borrower = BorrowerFactory(company=company)
    fetch(Borrower, "id = %s", [borrower.pk])
    first = wrapper.__dict__["_peachcomms_cursor"][1]
    fetch_many([Read(Borrower, "id = %s", [borrower.pk]), Read(Contact, "borrower_id = %s", [borrower.pk])])
    assert wrapper.__dict__["_peachcomms_cursor"][1] is first
    with CaptureQueriesContext(connection) as captured:
        assert [b.pk for b in fetch(Borrower, "id = %s", [borrower.pk])] == [borrower.pk]
    assert len(captured.captured_queries) == 1  # still logged as Django logs its own cursors
    connection.close()
    assert [b.pk for b in fetch(Borrower, "id = %s", [borrower.pk])] == [borrower.pk]  # reconnects
    assert wrapper.__dict__["_peachcomms_cursor"][1] is not first


@pytest.mark.django_db
def test_insert_unless_conflict_skips_the_row_and_keeps_the_transaction(company) -> None:  # noqa: ANN001
    from django.db import IntegrityError

    from interactions.services.records import EXTERNAL_ID_CONFLICT

    borrower = BorrowerFactory(company=company)
    base = {"company": company, "borrower": borrower, "channel": "email", "direction": "outbound"}
    first, again = Interaction(**base, external_id="k-1"), Interaction(**base, external_id="k-1")
    assert insert(first, unless_conflict=EXTERNAL_ID_CONFLICT) is True
    assert insert(again, unless_conflict=EXTERNAL_ID_CONFLICT) is False  # no error, nothing written
    assert again._state.adding is True
    assert list(Interaction.objects.filter(external_id="k-1").values_list("pk", flat=True)) == [first.pk]
    # Rows without a key are outside the index: always written.
    assert all(insert(Interaction(**base), unless_conflict=EXTERNAL_ID_CONFLICT) for _ in range(2))
    # Any other violation still raises.
    with pytest.raises(IntegrityError), transaction.atomic():
        insert(Interaction(**base, id=first.pk, external_id="k-2"), unless_conflict=EXTERNAL_ID_CONFLICT)

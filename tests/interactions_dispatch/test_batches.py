"""Batched dispatch against PostgreSQL: one task reserves its row and other due enqueued
rows in one statement, re-checks Compliance Guard for the batch, marks rows started just
before the provider call and records the outcomes in bulk; reservations whose worker died
are released, and a released reservation is never sent (docs/adr/0005, "Batches")."""

from __future__ import annotations

import threading
import time
import uuid
from datetime import timedelta

import pytest
from django.db import connection
from django.db.models import Count
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from compliance.guard import Decision
from compliance.services import rules_create_defaults
from interactions.dispatch import (
    Outcome,
    interaction_dispatch,
    interactions_dispatch_batch,
    interactions_recover_stuck,
)
from interactions.dispatch.claim import _reserve_portable, reserve
from interactions.dispatch.recovery import _release_reservations
from interactions.models import Interaction
from providers import registry
from providers.base import (
    AmbiguousProviderError,
    OutgoingMessage,
    Provider,
    SendResult,
    TransientProviderError,
)
from providers.models import OutboxMessage
from providers.outbox import OutboxProvider
from tests.factories import BorrowerFactory, CompanyFactory, ContactFactory, DueInteractionFactory
from tests.interactions_dispatch.fakes import BulkScriptedProvider
from tests.sql import statements

pytestmark = pytest.mark.django_db


def reload(row: Interaction) -> Interaction:
    return Interaction.objects.get(pk=row.pk)


def due_rows(count: int, *, enqueued: bool = True, **fields) -> list[Interaction]:  # noqa: ANN003
    """``count`` due rows, oldest ``send_at`` first, enqueued (their tasks are on the way)."""
    now = timezone.now()
    return [
        DueInteractionFactory(
            send_at=now - timedelta(seconds=count - n),
            enqueued_at=now if enqueued else None,
            compliance_checked=False,
            **fields,
        )
        for n in range(count)
    ]


@pytest.fixture
def bulk(monkeypatch, settings):  # noqa: ANN001, ANN201
    """Every provider-backed channel served by :class:`BulkScriptedProvider`."""
    monkeypatch.setitem(
        registry.PROVIDER_CLASSES, "bulkscripted", "tests.interactions_dispatch.fakes.BulkScriptedProvider"
    )
    for setting in registry.CHANNEL_SETTINGS.values():
        setattr(settings, setting, "bulkscripted")
    BulkScriptedProvider.reset()
    yield BulkScriptedProvider
    BulkScriptedProvider.reset()


# What a batch takes


def test_a_task_takes_its_row_and_the_oldest_other_due_enqueued_rows(published):
    now = timezone.now()
    own = DueInteractionFactory(compliance_checked=False)  # enqueued or not: it is the task's own
    older, old, newest = (
        DueInteractionFactory(compliance_checked=False, enqueued_at=now, send_at=now - timedelta(minutes=m))
        for m in (3, 2, 1)
    )
    never_enqueued = DueInteractionFactory(compliance_checked=False, send_at=now - timedelta(minutes=9))
    not_due = DueInteractionFactory(
        compliance_checked=False, enqueued_at=now, send_at=now + timedelta(hours=1)
    )

    outcomes = interactions_dispatch_batch(own.pk, limit=3)

    assert outcomes == {own.pk: Outcome.SENT, older.pk: Outcome.SENT, old.pk: Outcome.SENT}
    assert OutboxMessage.objects.filter(reference__in=[own.pk, older.pk, old.pk]).count() == 3
    assert {reload(row).status for row in (own, older, old)} == {"succeeded"}
    # Left for their own tasks, the beat, or their time.
    for row in (newest, never_enqueued, not_due):
        row = reload(row)
        assert (row.status, row.attempt_count, row.dispatch_token) == ("scheduled", 0, None)


def test_a_task_whose_row_another_batch_took_still_takes_due_work():
    first, second = due_rows(2)

    assert interactions_dispatch_batch(first.pk, limit=1) == {first.pk: Outcome.SENT}
    assert interactions_dispatch_batch(first.pk, limit=5) == {
        first.pk: Outcome.SKIPPED,
        second.pk: Outcome.SENT,
    }
    assert interactions_dispatch_batch(first.pk, limit=5) == {first.pk: Outcome.SKIPPED}
    assert OutboxMessage.objects.count() == 2


def test_the_task_returns_its_own_rows_outcome(published):
    from interactions.tasks import dispatch as dispatch_task

    first, second = due_rows(2)

    assert dispatch_task.run(second.pk) == Outcome.SENT
    assert reload(first).status == "succeeded"  # taken by the same batch
    assert dispatch_task.run(first.pk) == Outcome.SKIPPED


def executed(queries: CaptureQueriesContext) -> list[str]:
    """The round trips, each as the statements it ran."""
    return ["; ".join(statements(query["sql"])).strip() for query in queries.captured_queries]


def test_a_batch_costs_the_same_statements_whatever_its_size():
    """Reserve, start, one outbox INSERT, one outcome UPDATE: the number of statements does
    not grow with the batch."""

    def statements(size: int) -> list[str]:
        rows = due_rows(size)
        with CaptureQueriesContext(connection) as queries:
            outcomes = interactions_dispatch_batch(rows[0].pk, limit=size)
        assert set(outcomes.values()) == {Outcome.SENT} and len(outcomes) == size
        return executed(queries)

    small, large = statements(3), statements(40)
    assert len(small) == len(large) == 4
    assert small[0].startswith("WITH own AS MATERIALIZED")  # the reservation
    with CaptureQueriesContext(connection) as queries:
        assert interactions_dispatch_batch("IT-XXXX-XXXX", limit=50) == {"IT-XXXX-XXXX": Outcome.SKIPPED}
    assert len(executed(queries)) == 1  # a task with nothing to do: one statement


def test_the_guard_reads_a_batchs_borrowers_at_once():
    """Compliance-checked rows of many borrowers: the guard's reads do not grow with the
    batch (companies, borrowers and three fact queries per company; cached rule rows) for
    messages whose rules need no history (transactional servicing here)."""
    company = CompanyFactory()
    rules_create_defaults(company)

    def statements(size: int) -> int:
        now = timezone.now()
        rows = [
            DueInteractionFactory(
                borrower=BorrowerFactory(company=company, timezone="UTC"),
                is_transactional=True,
                send_at=now - timedelta(seconds=size - n),
                enqueued_at=now,
            )
            for n in range(size)
        ]
        with CaptureQueriesContext(connection) as queries:
            outcomes = interactions_dispatch_batch(rows[0].pk, limit=size)
        assert outcomes == {row.pk: Outcome.SENT for row in rows}
        return len(executed(queries))

    statements(1)  # the process caches the company's rule rows
    assert statements(3) == statements(25)


# Compliance Guard for a batch


def test_each_row_of_a_batch_gets_its_own_guard_decision(monkeypatch, bulk):
    rows = due_rows(4)
    allowed, later, blocked, broken = rows
    for row in rows:
        Interaction.objects.filter(pk=row.pk).update(compliance_checked=True)
    before = {row.pk: reload(row).status_updated_at for row in rows}
    then = (timezone.now() + timedelta(hours=2)).replace(microsecond=0)

    def decide(request, at=None):  # noqa: ANN001, ANN202
        pk = request.exclude_interaction_id
        if pk == broken.pk:
            raise RuntimeError("guard bug")
        if pk == allowed.pk:
            return Decision(True, None, "Allowed", None, at)
        send_at = then if pk == later.pk else None
        return Decision(False, "timeOfDay", "Not now.", "CG-TEST-0002", send_at)

    monkeypatch.setattr("compliance.guard.decide", decide)

    assert interactions_dispatch_batch(allowed.pk, limit=4) == {
        allowed.pk: Outcome.SENT,
        later.pk: Outcome.RESCHEDULED,
        blocked.pk: Outcome.BLOCKED,
        broken.pk: Outcome.RELEASED,
    }

    assert bulk.batches == [[allowed.pk]]
    later, blocked, broken = reload(later), reload(blocked), reload(broken)
    assert (later.status, later.send_at, later.enqueued_at, later.dispatch_token) == (
        "scheduled",
        then,
        None,
        None,
    )
    assert later.status_updated_at == before[later.pk]  # the reservation never showed
    assert (later.attempt_count, later.dispatch_started_at) == (0, None)
    assert (blocked.status, blocked.status_details, blocked.compliance_guard_rule_id) == (
        "failed",
        "blockedByComplianceGuard",
        "CG-TEST-0002",
    )
    assert blocked.attempt_count == 0
    # The guard failed on one row: given back unsent, to be enqueued again once its task
    # counts as lost (not at once, so a broken row does not spin).
    assert (broken.status, broken.dispatch_token, broken.attempt_count) == ("scheduled", None, 0)
    assert broken.enqueued_at is not None
    assert broken.last_error == "Released: Compliance Guard could not decide (RuntimeError: guard bug)."
    assert broken.status_updated_at == before[broken.pk]


def test_a_failure_before_the_provider_releases_the_whole_batch(monkeypatch, bulk):
    rows = due_rows(3)

    def fail(rows):  # noqa: ANN001, ANN202
        raise ConnectionError("database went away")

    monkeypatch.setattr("interactions.dispatch.send.compliance_recheck", fail)

    with pytest.raises(ConnectionError):
        interactions_dispatch_batch(rows[0].pk, limit=3)

    assert bulk.calls == []
    for row in rows:
        row = reload(row)
        assert (row.status, row.dispatch_token, row.attempt_count) == ("scheduled", None, 0)


# Starting: the marker that the provider may have the message


def test_a_reservation_released_meanwhile_is_never_sent(monkeypatch, bulk):
    """The guard runs long; recovery releases the reservation and another task sends the
    message. The first batch's start is fenced: the provider gets it once."""
    row, *_ = due_rows(1)
    Interaction.objects.filter(pk=row.pk).update(compliance_checked=True)
    inner: list[dict[str, str]] = []
    calls: list[str] = []

    def slow_decide(request, at=None):  # noqa: ANN001, ANN202
        calls.append(request.exclude_interaction_id)
        if len(calls) == 1:  # the first batch's guard; the second batch runs inside it
            assert interactions_recover_stuck(older_than=timedelta(0))["released"] == 1
            inner.append(interactions_dispatch_batch(row.pk, limit=1))
        return Decision(True, None, "Allowed", None, at)

    monkeypatch.setattr("compliance.guard.decide", slow_decide)

    assert interactions_dispatch_batch(row.pk, limit=1) == {row.pk: Outcome.SKIPPED}

    assert inner == [{row.pk: Outcome.SENT}]
    assert calls == [row.pk, row.pk]
    assert bulk.batches == [[row.pk]]
    row = reload(row)
    assert (row.status, row.attempt_count, row.dispatch_token) == ("attempted", 1, None)


def test_a_per_message_provider_sees_only_its_current_message_started(scripted):
    """A provider without bulk sends: each row is marked started just before its own call,
    so a worker that dies during a call leaves at most that one message in doubt."""
    rows = due_rows(3)
    seen: list[tuple[str, list[str], list[str]]] = []

    def during_send(message: OutgoingMessage) -> None:
        ids = [row.pk for row in rows]
        started = Interaction.objects.filter(pk__in=ids, dispatch_started_at__isnull=False)
        seen.append(
            (
                message.reference,
                sorted(started.filter(status="inProgress").values_list("pk", flat=True)),
                sorted(started.exclude(status="inProgress").values_list("pk", flat=True)),
            )
        )

    scripted.during_send = during_send

    outcomes = interactions_dispatch_batch(rows[0].pk, limit=3)

    assert outcomes == {row.pk: Outcome.SENT for row in rows}
    a, b, c = (row.pk for row in rows)
    assert seen == [(a, [a], []), (b, [b], [a]), (c, [c], sorted([a, b]))]


def test_an_unexpected_provider_failure_stops_the_batch(scripted):
    scripted.reset("accepted", ValueError, "accepted")
    first, second, third = due_rows(3)

    outcomes = interactions_dispatch_batch(first.pk, limit=3)

    assert outcomes == {first.pk: Outcome.SENT, second.pk: Outcome.UNKNOWN, third.pk: Outcome.RELEASED}
    assert [call.reference for call in scripted.calls] == [first.pk, second.pk]
    third = reload(third)
    assert (third.status, third.attempt_count, third.dispatch_token, third.enqueued_at) == (
        "scheduled",
        0,
        None,
        None,
    )
    assert interaction_dispatch(third.pk) == Outcome.SENT


# Bulk providers


def test_a_bulk_provider_gets_the_batch_in_one_call_and_answers_per_message(bulk):
    bulk.reset("delivered", TransientProviderError, "accepted")
    first, second, third = due_rows(3)

    outcomes = interactions_dispatch_batch(first.pk, limit=3)

    assert outcomes == {first.pk: Outcome.SENT, second.pk: Outcome.RETRY, third.pk: Outcome.SENT}
    assert bulk.batches == [[first.pk, second.pk, third.pk]]
    first, second, third = reload(first), reload(second), reload(third)
    assert (first.status, first.status_details, first.provider) == (
        "succeeded",
        "emailDelivered",
        "bulkscripted",
    )
    assert (third.status, third.status_details) == ("attempted", "emailSent")
    assert first.provider_message_id != third.provider_message_id
    assert third.content["providerMessageId"] == third.provider_message_id
    assert (second.status, second.attempt_count, second.dispatch_token) == ("scheduled", 1, None)
    assert second.last_error == "TransientProviderError: scripted TransientProviderError"
    assert [row.attempt_count for row in (first, third)] == [1, 1]


def test_a_bulk_call_that_times_out_leaves_every_message_of_it_unknown(bulk):
    bulk.reset()
    bulk.bulk_error = AmbiguousProviderError
    rows = due_rows(2)

    outcomes = interactions_dispatch_batch(rows[0].pk, limit=2)

    assert outcomes == {row.pk: Outcome.UNKNOWN for row in rows}
    for row in rows:
        row = reload(row)
        assert (row.status, row.failure_description_short) == (
            "attempted",
            "Delivery unknown: provider timed out after the request was sent",
        )
    assert interactions_dispatch_batch(rows[0].pk, limit=2) == {rows[0].pk: Outcome.SKIPPED}
    assert len(bulk.batches) == 1


def test_the_outbox_records_a_batch_in_one_insert():
    provider = OutboxProvider()
    messages = [
        OutgoingMessage(
            channel="email", to=f"p{n}@example.com", reference=f"IT-BULK-{n}", cc=("c@example.com",)
        )
        for n in range(5)
    ]

    with CaptureQueriesContext(connection) as queries:
        results = provider.send_many(messages)

    assert len(queries) == 1
    records = {r.reference: r for r in OutboxMessage.objects.filter(reference__startswith="IT-BULK-")}
    assert [result.provider_message_id for result in results] == [
        records[f"IT-BULK-{n}"].provider_message_id for n in range(5)
    ]
    assert {result.state for result in results} == {"delivered"}
    assert records["IT-BULK-0"].cc == ["c@example.com"]
    assert provider.lookup("IT-BULK-3").provider_message_id == records["IT-BULK-3"].provider_message_id


def test_send_many_defaults_to_send_for_each_message():
    class Flaky(Provider):
        name = "flaky"
        channels = ("email",)

        def send(self, message: OutgoingMessage) -> SendResult:
            if message.to == "down@example.com":
                raise TransientProviderError("503", provider=self.name)
            return SendResult(self.name, f"id-{message.reference}")

    answers = Flaky().send_many(
        [
            OutgoingMessage(channel="email", to="a@example.com", reference="r1"),
            OutgoingMessage(channel="email", to="down@example.com", reference="r2"),
        ]
    )

    assert answers[0] == SendResult("flaky", "id-r1")
    assert isinstance(answers[1], TransientProviderError)
    assert Flaky.sends_in_bulk is False


# Recovery of reservations


def test_recovery_releases_reservations_whose_worker_died():
    """A worker reserved a batch and died before starting it: the provider never had the
    messages; recovery gives them back and they go out once."""
    rows = due_rows(3)
    reserved = reserve(rows[0].pk, 3, uuid.uuid4(), timezone.now())
    assert {row.pk for row in reserved} == {row.pk for row in rows}
    assert {reload(row).status for row in rows} == {"inProgress"}

    assert interactions_recover_stuck()["released"] == 0  # young: its worker may be alive
    counts = interactions_recover_stuck(older_than=timedelta(0))

    assert counts == {"reconciled": 0, "released": 3, "failed": 0, "unknown": 0, "fenced": 0}
    for row in rows:
        row = reload(row)
        assert (row.status, row.dispatch_token, row.enqueued_at, row.attempt_count) == (
            "scheduled",
            None,
            None,
            0,
        )
        assert row.last_error == "Released: the worker stopped before the provider was called."
    # Their tasks come again (the beat publishes rows without enqueued_at on its next tick).
    assert [interaction_dispatch(row.pk) for row in rows] == [Outcome.SENT] * 3
    assert OutboxMessage.objects.filter(reference__in=[row.pk for row in rows]).count() == 3


def test_default_reservation_threshold(settings):
    from interactions.dispatch import reserved_threshold

    settings.CELERY_TASK_TIME_LIMIT = 300
    assert reserved_threshold() == timedelta(seconds=60)
    settings.DISPATCH_RESERVED_AFTER = 600
    assert reserved_threshold() == timedelta(seconds=360)  # never beyond the stuck threshold


# Without SKIP LOCKED (SQLite, the embedded mode)


def test_the_portable_reservation_takes_disjoint_batches():
    rows = due_rows(5)
    first, second = uuid.uuid4(), uuid.uuid4()

    taken = _reserve_portable(rows[2].pk, 3, first, timezone.now())
    again = _reserve_portable(rows[2].pk, 3, second, timezone.now())

    assert sorted(taken) == sorted([rows[2].pk, rows[0].pk, rows[1].pk])
    assert sorted(again) == sorted([rows[3].pk, rows[4].pk])
    assert {reload(row).dispatch_token for row in rows[:3]} == {first}


# Free-form email: cc and bcc reach the provider


def test_free_form_cc_and_bcc_reach_the_provider(api, published, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(
            "/api/communicator/send-free-form-email",
            {
                "personalizations": [
                    {
                        "to": [{"email": "ada@example.com"}],
                        "cc": [{"email": "boss@example.com"}, {"email": "aide@example.com"}],
                        "bcc": [{"email": "audit@example.com"}],
                    }
                ],
                "subjectLine": "About your account",
                "contentHtml": "<p>Hello</p>",
            },
            format="json",
        )
    assert response.status_code == 202, response.json()
    (pk,) = response.json()["data"]["interactionIds"]

    assert interaction_dispatch(pk) == Outcome.SENT

    record = OutboxMessage.objects.get(reference=pk)
    assert (record.to, record.cc, record.bcc) == (
        "ada@example.com",
        ["boss@example.com", "aide@example.com"],
        ["audit@example.com"],
    )


def test_cc_and_bcc_are_in_the_providers_message(scripted):
    row = DueInteractionFactory(compliance_checked=False)
    row.content = {**row.content, "cc": ["boss@example.com"], "bcc": ["audit@example.com", ""]}
    row.save()
    plain = DueInteractionFactory(compliance_checked=False)  # content without cc/bcc

    assert interaction_dispatch(row.pk) == Outcome.SENT
    assert interaction_dispatch(plain.pk) == Outcome.SENT

    assert [(call.cc, call.bcc) for call in scripted.calls] == [
        (("boss@example.com",), ("audit@example.com",)),
        ((), ()),
    ]


# Concurrency


@pytest.mark.slow
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_batches_and_releases_send_every_message_once():
    """Six threads run batches from random rows while another releases every reservation
    it sees at once (recovery with no threshold): batches are disjoint, a released
    reservation is never started, and every message reaches the outbox exactly once."""
    import random

    borrower = BorrowerFactory()
    contact = ContactFactory(borrower=borrower)
    company = borrower.company
    rules_create_defaults(company)
    now = timezone.now()
    rows = Interaction.objects.bulk_create(
        DueInteractionFactory.build(
            company=company,
            borrower=borrower,
            contact=contact,
            is_transactional=True,
            send_at=now - timedelta(milliseconds=n),
            enqueued_at=now,
        )
        for n in range(150)
    )
    ids = [row.pk for row in rows]
    done = threading.Event()
    errors: list[BaseException] = []
    barrier = threading.Barrier(7)
    released: list[int] = []

    def dispatcher() -> None:
        try:
            barrier.wait(10)
            while left := list(
                Interaction.objects.filter(pk__in=ids, status__in=("scheduled", "inProgress")).values_list(
                    "pk", flat=True
                )
            ):
                # A released row is no longer enqueued: only its own task takes it again.
                interactions_dispatch_batch(random.choice(left), limit=random.randint(1, 40))
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    def releaser() -> None:
        try:
            barrier.wait(10)
            while not done.is_set():
                released.append(_release_reservations(timezone.now(), 500, timezone.now()))
                time.sleep(0.01)  # releases race the batches, which still progress
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=dispatcher) for _ in range(6)]
    release_thread = threading.Thread(target=releaser)
    for thread in [*threads, release_thread]:
        thread.start()
    for thread in threads:
        thread.join(120)
    done.set()
    release_thread.join(30)

    assert not errors, errors
    assert sum(released) > 0  # releases really raced the batches
    sent = dict(
        OutboxMessage.objects.filter(reference__in=ids)
        .values("reference")
        .annotate(n=Count("id"))
        .values_list("reference", "n")
    )
    assert sent == {pk: 1 for pk in ids}
    assert set(Interaction.objects.filter(pk__in=ids).values_list("status", "attempt_count")) == {
        ("succeeded", 1)
    }

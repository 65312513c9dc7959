"""Exactly-once delivery under faults, against real PostgreSQL, a private redis-server and
real Celery worker processes (docs/adr/0005-dispatch-exactly-once.md).

Each test starts its own redis-server on a spare port and its own workers, and stops
only those (``infra.running``: SIGTERM, then SIGKILL to each process group, whatever
happens). The beat's work (claim due rows, recover stuck ones) runs in this process with
short thresholds, so a lost task is re-enqueued in seconds instead of minutes.
"""

from __future__ import annotations

import threading
import time
import warnings
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.db.models import Count
from django.utils import timezone

from interactions.dispatch import (
    AMBIGUOUS_SHORT,
    WORKER_LOST_SHORT,
    Outcome,
    interaction_dispatch,
    interaction_enqueue_after_commit,
    interactions_claim_due,
    interactions_recover_stuck,
)
from interactions.models import Interaction
from providers import registry
from providers.models import OutboxMessage
from providers.outbox import OutboxProvider
from tests.factories import BorrowerFactory, ContactFactory, DueInteractionFactory
from tests.interactions_dispatch.fakes import FakeHttpApi, ScriptedProvider
from tests.interactions_dispatch.infra import (
    CeleryWorker,
    RedisServer,
    broker_redirect,
    running,
    wait_for,
)

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

UNFINISHED = ("scheduled", "inProgress")
#: The beat's thresholds, shortened: re-enqueue a due row whose task vanished after 3 s
#: (once the sends queue is empty); settle a claim after 5 s (every dispatch here takes
#: milliseconds).
REENQUEUE_AFTER = timedelta(seconds=3)
STUCK_AFTER = timedelta(seconds=5)


def new_row(borrower, contact, **fields) -> Interaction:  # noqa: ANN001
    """An interaction as the send service leaves it: due, content frozen."""
    return Interaction(
        company_id=borrower.company_id,
        borrower=borrower,
        contact=contact,
        channel="email",
        direction="outbound",
        subject="paymentDueReminder",
        theme="opsServicing",
        status="scheduled",
        send_at=timezone.now(),
        compliance_checked=False,
        content={
            "subjectLine": "Your payment is due",
            "contentText": "Hello Ada, your payment is due.",
            "contentHtml": "<p>Hello Ada, your payment is due.</p>",
            "to": contact.value,
            "from": "billing@peach.example",
            "attachments": [],
            "providerMessageId": None,
        },
        **fields,
    )


def run_beat_until_settled(ids: list[str], timeout: float) -> None:
    """Do the beat's work every half second until no row of ``ids`` is unfinished."""

    def settled() -> bool:
        interactions_claim_due(5000, reenqueue_after=REENQUEUE_AFTER, max_backlog=1)
        interactions_recover_stuck(older_than=STUCK_AFTER)
        return not Interaction.objects.filter(pk__in=ids, status__in=UNFINISHED).exists()

    wait_for(settled, timeout, "every message to be settled", interval=0.5)


def assert_each_delivered_once(ids: list[str], killed_pool_processes: int) -> None:
    """No message reached the outbox twice, and every one reached it once and ended
    ``succeeded`` — except, while the outbox cannot answer ``lookup``, messages whose
    worker was killed during the call: those end "Delivery unknown" (sent or not, never
    resent), at most one per pool process killed."""
    rows = OutboxMessage.objects.values("reference").annotate(n=Count("id")).values_list("reference", "n")
    per_reference = dict(rows)
    assert set(per_reference) <= set(ids)
    assert set(per_reference.values()) <= {1}, "a message reached the provider twice"
    outcome = {
        pk: (status, short)
        for pk, status, short in Interaction.objects.filter(pk__in=ids).values_list(
            "pk", "status", "failure_description_short"
        )
    }
    succeeded = {pk for pk, (status, _) in outcome.items() if status == "succeeded"}
    unknown = set(ids) - succeeded
    if hasattr(OutboxProvider, "lookup") or not killed_pool_processes:
        assert unknown == set()
    else:
        assert {outcome[pk] for pk in unknown} <= {("attempted", WORKER_LOST_SHORT)}
        assert len(unknown) <= killed_pool_processes
    assert succeeded <= set(per_reference)
    sent = dict(Interaction.objects.filter(pk__in=succeeded).values_list("pk", "provider_message_id"))
    outbox = dict(
        OutboxMessage.objects.filter(reference__in=succeeded).values_list("reference", "provider_message_id")
    )
    assert sent == outbox


def test_worker_killed_mid_batch_delivers_every_message_exactly_once(tmp_path):
    """(a) 6,000 queued messages; SIGKILL the worker (its pool processes die with it)
    while it sends (tasks take batches, so reservations and started batches die with it);
    another worker and the beat finish the batch."""
    borrower = BorrowerFactory()
    contact = ContactFactory(borrower=borrower)
    count = 6000
    ids = [
        row.pk for row in Interaction.objects.bulk_create(new_row(borrower, contact) for _ in range(count))
    ]
    redis = RedisServer(tmp_path)
    first = CeleryWorker(tmp_path, redis.url, "first")
    second = CeleryWorker(tmp_path, redis.url, "second")

    with running(redis, first, second), broker_redirect(redis.url):
        redis.start()
        first.start()
        # Publish from another thread and kill as soon as 300 went out: a worker that
        # takes batches sends thousands a second.
        claimed: list[str] = []

        def claim() -> None:
            try:
                claimed.extend(interactions_claim_due(count))
            finally:
                connection.close()

        publisher = threading.Thread(target=claim)
        publisher.start()
        wait_for(
            lambda: OutboxMessage.objects.count() >= 300,
            60,
            "the first worker to send 300 messages",
            interval=0.01,
        )
        first.kill()
        publisher.join(60)
        assert len(claimed) == count
        sent_before_kill = OutboxMessage.objects.count()
        second.start()
        run_beat_until_settled(ids, timeout=120)

    assert sent_before_kill < count, "the worker was killed after the batch, not in the middle"
    assert_each_delivered_once(ids, killed_pool_processes=4)


def test_redis_outage_while_accepting_sends_loses_and_duplicates_nothing(tmp_path):
    """(b) Sends keep being accepted (row + enqueue after commit) while Redis is killed
    and restarted empty; the beat re-enqueues what the outage lost."""
    borrower = BorrowerFactory()
    contact = ContactFactory(borrower=borrower)
    redis = RedisServer(tmp_path)
    worker = CeleryWorker(tmp_path, redis.url, "worker")
    accepted: list[str] = []
    failures: list[BaseException] = []
    enough = threading.Event()

    def accept_sends() -> None:
        try:
            while not enough.is_set() and len(accepted) < 600:
                with transaction.atomic():
                    row = new_row(borrower, contact)
                    row.save()
                    interaction_enqueue_after_commit(row.pk)
                accepted.append(row.pk)
                time.sleep(0.005)
        except BaseException as error:  # reported by the test thread
            failures.append(error)
        finally:
            connection.close()

    producer = threading.Thread(target=accept_sends)
    with running(redis, worker), broker_redirect(redis.url):
        redis.start()
        worker.start()
        producer.start()
        try:
            wait_for(lambda: len(accepted) >= 100 or failures, 30, "100 accepted sends")
            redis.kill()
            down_from = len(accepted)
            wait_for(
                lambda: len(accepted) >= down_from + 30 or failures, 30, "sends accepted during the outage"
            )
            down_to = len(accepted)
            redis.start()
            crashed = restart_if_crashed(worker)
            wait_for(
                lambda: len(accepted) >= down_to + 100 or failures, 30, "sends accepted after the outage"
            )
        finally:
            enough.set()
            producer.join(30)
        assert not failures, failures
        accepted_during_outage = accepted[down_from:down_to]
        assert Interaction.objects.filter(pk__in=accepted_during_outage, status="scheduled").count() >= 25
        run_beat_until_settled(accepted, timeout=60)

    assert_each_delivered_once(accepted, killed_pool_processes=4 if crashed else 0)


def restart_if_crashed(worker: CeleryWorker) -> bool:
    """Do what the worker's supervisor does (docker-compose ``restart: unless-stopped``).

    Celery 5.7.0 / kombu 5.7.0 used to crash the worker when Redis went away while it
    held unacknowledged messages ("Unrecoverable error: AttributeError: 'NoneType'
    object has no attribute 'hostname'"); peachcomms/kombu_fixes.py turns that into the
    connection error Celery reconnects from. Should a worker still die, delivery must stay
    exactly-once across its restart too."""
    time.sleep(3)  # the worker reconnects, or has crashed by now
    if worker.alive:
        return False
    warnings.warn("The Celery worker crashed on the Redis outage (kombu bug); restarted it.", stacklevel=2)
    worker.start()
    return True


def http_worker(tmp_path, redis: RedisServer, api: FakeHttpApi) -> CeleryWorker:  # noqa: ANN001
    return CeleryWorker(
        tmp_path,
        redis.url,
        "http",
        concurrency=2,
        extra_env={
            "DJANGO_SETTINGS_MODULE": "tests.interactions_dispatch.worker_settings",
            "FAKE_HTTP_URL": api.url,
        },
    )


def wait_for_status(pk: str, statuses: tuple[str, ...], timeout: float = 30) -> Interaction:
    wait_for(
        lambda: Interaction.objects.filter(pk=pk, status__in=statuses).exists(), timeout, f"{pk} {statuses}"
    )
    return Interaction.objects.get(pk=pk)


def test_provider_500_then_202_delivers_once(tmp_path):
    """(c) The provider answers 500 (not processed): the worker schedules a retry with
    backoff; when it is due the beat enqueues it again and the 202 delivers it."""
    row = DueInteractionFactory(compliance_checked=False)
    redis = RedisServer(tmp_path)
    with FakeHttpApi(500, 202) as api, running(redis), broker_redirect(redis.url):
        worker = http_worker(tmp_path, redis, api)
        with running(worker):
            redis.start()
            worker.start()
            interaction_enqueue_after_commit(row.pk)
            wait_for(
                lambda: Interaction.objects.filter(pk=row.pk, attempt_count=1, status="scheduled").exists(),
                30,
                "the retry",
            )
            retry = Interaction.objects.get(pk=row.pk)
            assert timedelta(seconds=25) < retry.send_at - timezone.now() <= timedelta(seconds=30)
            assert retry.last_error == "TransientProviderError: HTTP 500"
            assert interactions_claim_due(10) == []  # not before its backoff
            Interaction.objects.filter(pk=row.pk).update(send_at=timezone.now())  # the backoff passes
            assert interactions_claim_due(10) == [row.pk]
            row = wait_for_status(row.pk, ("attempted",))

        assert [request["reference"] for request in api.requests] == [row.pk, row.pk]
        assert api.accepted == [row.pk]
    assert (row.status, row.status_details, row.attempt_count, row.provider) == (
        "attempted",
        "emailSent",
        2,
        "fakehttp",
    )
    assert row.provider_message_id.startswith("fake-")


def test_provider_timing_out_after_receiving_is_not_called_twice(tmp_path):
    """(d) The provider reads the request and does not answer in time: the delivery is
    unknown, recorded, and no retry, re-enqueue or recovery sends it again."""
    row = DueInteractionFactory(compliance_checked=False)
    redis = RedisServer(tmp_path)
    with FakeHttpApi(("hang", 2.0)) as api, running(redis), broker_redirect(redis.url):
        worker = http_worker(tmp_path, redis, api)
        with running(worker):
            redis.start()
            worker.start()
            interaction_enqueue_after_commit(row.pk)
            row = wait_for_status(row.pk, ("attempted", "failed"))
            # The beat runs on, a duplicate task arrives: nothing is sent again.
            Interaction.objects.filter(pk=row.pk).update(enqueued_at=None)
            assert interactions_claim_due(10, reenqueue_after=timedelta(0)) == []
            assert interactions_recover_stuck(older_than=timedelta(0))["unknown"] == 0
            from interactions.tasks import dispatch

            dispatch.delay(row.pk)
            wait_for(
                lambda: "succeeded" in worker.log_text() and "'skipped'" in worker.log_text(),
                30,
                "the duplicate task",
            )
        assert len(api.requests) == 1
    assert (row.status, row.status_details, row.failure_description_short) == (
        "attempted",
        None,
        AMBIGUOUS_SHORT,
    )
    assert row.attempt_count == 1


def dispatch_concurrently(pk: str, threads: int) -> list[str]:
    """Call interaction_dispatch(pk) from ``threads`` threads released at once."""
    barrier = threading.Barrier(threads)
    outcomes: list[str] = []

    def dispatch_it() -> None:
        try:
            barrier.wait(10)
            outcomes.append(interaction_dispatch(pk))
        finally:
            connection.close()

    workers = [threading.Thread(target=dispatch_it) for _ in range(threads)]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join(30)
    return outcomes


def test_concurrent_dispatch_of_one_message_calls_the_provider_once(monkeypatch, settings):
    """(e) Eight threads dispatch the same due interaction at once, Compliance Guard
    re-check included: exactly one claims it and calls the provider."""
    from compliance.services import rules_create_defaults

    monkeypatch.setitem(
        registry.PROVIDER_CLASSES, "scripted", "tests.interactions_dispatch.fakes.ScriptedProvider"
    )
    settings.EMAIL_PROVIDER = "scripted"
    try:
        for _ in range(3):
            row = DueInteractionFactory()
            rules_create_defaults(row.company)
            ScriptedProvider.reset(0.3)  # the call takes 0.3 s

            outcomes = dispatch_concurrently(row.pk, 8)

            assert sorted(outcomes) == [Outcome.SENT] + [Outcome.SKIPPED] * 7
            assert [call.reference for call in ScriptedProvider.calls] == [row.pk]
            row = Interaction.objects.get(pk=row.pk)
            assert (row.status, row.status_details, row.attempt_count) == ("attempted", "emailSent", 1)
    finally:
        ScriptedProvider.reset()

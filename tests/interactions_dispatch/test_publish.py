"""Publishing dispatch tasks (``interactions.dispatch.enqueue._publish``, Celery's ``apply_async``
on a producer from the app's pool): one task per id on the ``sends`` queue, run by a real
worker, and a connection the broker dropped is made again. Against a private
redis-server, so no other test's messages mix in."""

from __future__ import annotations

import base64
import json

import pytest
import redis
from django.utils import timezone

from interactions.dispatch import enqueue
from interactions.models import Interaction
from providers.models import OutboxMessage
from tests.factories import DueInteractionFactory
from tests.interactions_dispatch.infra import CeleryWorker, RedisServer, broker_redirect, running, wait_for


@pytest.fixture
def broker(tmp_path):  # noqa: ANN001, ANN201
    server = RedisServer(tmp_path)
    with running(server):
        server.start()
        with broker_redirect(server.url):
            yield redis.Redis.from_url(server.url)


def queued(client: redis.Redis) -> list[dict]:
    """The messages waiting in the sends queue, oldest first."""
    return [json.loads(raw) for raw in reversed(client.lrange("sends", 0, -1))]


@pytest.mark.django_db
def test_each_id_is_one_dispatch_task_on_the_sends_queue(broker):
    enqueue._publish(["IT-AAAA-0003", "IT-AAAA-0004", "IT-AAAA-0005"], timezone.now())
    messages = queued(broker)
    assert [json.loads(base64.b64decode(m["body"]))[0] for m in messages] == [
        ["IT-AAAA-0003"],
        ["IT-AAAA-0004"],
        ["IT-AAAA-0005"],
    ]
    assert {m["headers"]["task"] for m in messages} == {"interactions.dispatch"}
    assert {m["properties"]["delivery_info"]["routing_key"] for m in messages} == {"sends"}
    assert len({m["headers"]["id"] for m in messages}) == 3


@pytest.mark.django_db
def test_a_connection_the_broker_dropped_is_made_again(broker):
    enqueue._publish(["IT-AAAA-0001"], timezone.now())
    broker.client_kill_filter(_type="normal", skipme=True)  # the server drops the producer's
    enqueue._publish(["IT-AAAA-0002"], timezone.now())
    assert [m["headers"]["argsrepr"] for m in queued(broker)] == ["('IT-AAAA-0001',)", "('IT-AAAA-0002',)"]


@pytest.mark.slow
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_real_worker_runs_what_it_publishes(tmp_path, django_capture_on_commit_callbacks):
    server = RedisServer(tmp_path)
    worker = CeleryWorker(tmp_path, server.url, "publish", concurrency=1)
    with running(server, worker):
        server.start()
        with broker_redirect(server.url):
            rows = [DueInteractionFactory(compliance_checked=False) for _ in range(3)]  # no quiet hours
            stamp = timezone.now()
            Interaction.objects.filter(pk__in=[r.pk for r in rows]).update(enqueued_at=stamp)
            enqueue._publish([r.pk for r in rows], stamp)
            assert redis.Redis.from_url(server.url).llen("sends") == 3
            worker.start()
            wait_for(
                lambda: (
                    Interaction.objects.filter(pk__in=[r.pk for r in rows], status="succeeded").count() == 3
                ),
                60,
                "the worker to send the three messages",
            )
    assert OutboxMessage.objects.filter(reference__in=[r.pk for r in rows]).count() == 3

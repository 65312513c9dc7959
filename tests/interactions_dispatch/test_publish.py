"""The Redis publisher of dispatch tasks (interactions/dispatch/publish.py): it must push
exactly the message ``apply_async`` would, and a real worker must run it. Against a
private redis-server, so no other test's messages mix in."""

from __future__ import annotations

import base64
import json

import pytest
import redis
from django.utils import timezone

from interactions.dispatch import enqueue
from interactions.dispatch.publish import forget_publishers, redis_publisher
from interactions.models import Interaction
from interactions.tasks import dispatch as dispatch_task
from peachcomms.celery import app as celery_app
from providers.models import OutboxMessage
from tests.factories import DueInteractionFactory
from tests.interactions_dispatch.infra import CeleryWorker, RedisServer, broker_redirect, running, wait_for

#: What differs between two publishes of the task (fresh per message, or the argument).
PER_MESSAGE_HEADERS = {"id", "root_id", "argsrepr"}
PER_MESSAGE_PROPERTIES = {"correlation_id", "delivery_tag"}


@pytest.fixture
def broker(tmp_path):  # noqa: ANN001, ANN201
    server = RedisServer(tmp_path)
    with running(server):
        server.start()
        with broker_redirect(server.url):
            yield redis.Redis.from_url(server.url)


@pytest.fixture
def configured():  # noqa: ANN201
    """Set the app's broker URL and transport options for one test (Celery's settings
    cannot be monkeypatched: they are looked up, not attributes)."""
    conf = celery_app.conf
    saved = (conf.broker_url, conf.broker_transport_options)

    def configure(url: str, options: dict) -> None:
        conf.broker_url, conf.broker_transport_options = url, options
        forget_publishers()

    yield configure
    conf.broker_url, conf.broker_transport_options = saved
    forget_publishers()


def popped(client: redis.Redis) -> dict:
    (raw,) = client.lrange("sends", 0, -1)
    client.delete("sends")
    return json.loads(raw)


def test_the_message_is_the_one_apply_async_publishes(broker):
    with celery_app.producer_or_acquire() as producer:
        dispatch_task.apply_async(("IT-AAAA-0001",), producer=producer)
    celery = popped(broker)
    publisher = redis_publisher(dispatch_task)
    assert publisher is not None
    publisher.publish(["IT-AAAA-0002"])
    ours = popped(broker)

    assert list(ours) == list(celery)
    assert {k: v for k, v in ours.items() if k not in ("headers", "properties", "body")} == {
        k: v for k, v in celery.items() if k not in ("headers", "properties", "body")
    }
    assert list(ours["headers"]) == list(celery["headers"])
    assert {k: v for k, v in ours["headers"].items() if k not in PER_MESSAGE_HEADERS} == {
        k: v for k, v in celery["headers"].items() if k not in PER_MESSAGE_HEADERS
    }
    assert list(ours["properties"]) == list(celery["properties"])
    assert {k: v for k, v in ours["properties"].items() if k not in PER_MESSAGE_PROPERTIES} == {
        k: v for k, v in celery["properties"].items() if k not in PER_MESSAGE_PROPERTIES
    }
    assert json.loads(base64.b64decode(ours["body"])) == [
        ["IT-AAAA-0002"],
        {},
        {"callbacks": None, "errbacks": None, "chain": None, "chord": None},
    ]
    assert json.loads(base64.b64decode(celery["body"]))[1:] == json.loads(base64.b64decode(ours["body"]))[1:]
    assert ours["headers"]["argsrepr"] == "('IT-AAAA-0002',)"
    assert ours["headers"]["id"] == ours["headers"]["root_id"] == ours["properties"]["correlation_id"]
    assert ours["properties"]["delivery_tag"] != ours["headers"]["id"]


def test_several_ids_are_pushed_as_several_messages(broker):
    redis_publisher(dispatch_task).publish(["IT-AAAA-0003", "IT-AAAA-0004", "IT-AAAA-0005"])
    messages = [json.loads(raw) for raw in broker.lrange("sends", 0, -1)]
    arguments = [json.loads(base64.b64decode(m["body"]))[0][0] for m in reversed(messages)]
    assert arguments == ["IT-AAAA-0003", "IT-AAAA-0004", "IT-AAAA-0005"]
    assert (
        len({m["headers"]["id"] for m in messages})
        == len({m["properties"]["delivery_tag"] for m in messages})
        == 3
    )


@pytest.mark.parametrize(
    "url, options",
    [
        ("filesystem://", {}),
        ("memory://", {}),
        ("redis://127.0.0.1:6379/0", {"global_keyprefix": "pc:"}),
        ("amqp://guest@127.0.0.1//", {}),
    ],
)
def test_other_brokers_publish_through_apply_async(configured, url, options):
    configured(url, options)
    assert redis_publisher(dispatch_task) is None


def test_a_redis_broker_without_a_prefix_gets_the_publisher(configured):
    configured("redis://127.0.0.1:6379/0", {"socket_timeout": 5})
    publisher = redis_publisher(dispatch_task)
    assert publisher is not None and publisher.queue == "sends"
    assert redis_publisher(dispatch_task) is publisher  # built once per configuration


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


def test_a_broken_connection_is_made_again_once(broker):
    """The publisher keeps one connection per thread; one the server dropped is replaced
    within the same publish (one quick retry), and a fork gets a connection of its own."""
    publisher = redis_publisher(dispatch_task)
    publisher.publish(["IT-AAAA-0001"])
    first = publisher._connection()
    broker.client_kill_filter(_type="normal", skipme=True)  # the server drops it
    publisher.publish(["IT-AAAA-0002"])
    assert [json.loads(raw)["headers"]["argsrepr"] for raw in broker.lrange("sends", 0, -1)] == [
        "('IT-AAAA-0002',)",
        "('IT-AAAA-0001',)",
    ]
    assert publisher._connection() is first  # reconnected, the same object
    publisher._local.pid = -1  # as in a forked child
    assert publisher._connection() is not first


def test_a_broker_that_stays_down_is_the_callers_error(broker, monkeypatch):
    """Two tries, then the error: ``_publish`` clears ``enqueued_at`` and the beat
    publishes later (tests/interactions_dispatch/test_reliability.py)."""
    from interactions.dispatch import publish

    publisher = redis_publisher(dispatch_task)
    publisher.publish(["IT-AAAA-0003"])
    broker.shutdown(nosave=True)
    slept = []
    monkeypatch.setattr(publish.time, "sleep", slept.append)
    with pytest.raises(redis.ConnectionError):
        publisher.publish(["IT-AAAA-0004"])
    assert slept == [publish.PUSH_RETRY_DELAY] * (publish.PUSH_ATTEMPTS - 1)

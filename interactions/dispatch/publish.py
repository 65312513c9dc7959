"""Publishing dispatch tasks to a Redis broker: the message Celery would publish, pushed
with one ``LPUSH`` per task and none of Celery's per-message machinery.

Why: every accepted send publishes one ``interactions.dispatch`` task after commit.
Through ``Task.apply_async`` that cost about a fifth of the send route's CPU (routing,
option merging, ``as_task_v2``, kombu's producer, a Redis client built per publish), for
what reaches Redis as a single ``LPUSH`` of a JSON envelope. The envelope of a task
message to one routed queue differs between two publishes only in the task id, the
delivery tag and the arguments, so :class:`RedisTaskPublisher` keeps the rest, built once
from the app's configuration, and fills those in (docs/adr/0006-send-path-cost.md).

It is used only where it is exactly what kombu would do: a ``redis://`` / ``rediss://``
broker without a key prefix, and a task routed to a queue bound to the default exchange
(kombu then pushes to the list named after the routing key, as priority 0). Anything else
(the embedded filesystem broker, other routings) goes through ``apply_async``. Celery's
publish signals (``before_task_publish``, ``after_task_publish``) are not sent for these
messages; nothing in the project listens to them.
``tests/interactions_dispatch/test_publish.py`` compares the two envelopes field by field
and runs a real worker on what this publishes.
"""

from __future__ import annotations

import base64
import json
import os
import socket
import threading
import time
import uuid
from collections.abc import Sequence
from typing import Any

from redis import exceptions as redis_errors

#: The last element of a protocol 2 body: no callbacks, errbacks, chain or chord.
_EMBED = {"callbacks": None, "errbacks": None, "chain": None, "chord": None}
_SCHEMES = ("redis://", "rediss://")
_publishers: dict[str, RedisTaskPublisher | None] = {}
_lock = threading.Lock()
#: Tries of one publish on a broken connection, and the pause between them.
PUSH_ATTEMPTS = 2
PUSH_RETRY_DELAY = 0.1


class RedisTaskPublisher:
    """Pushes protocol 2 messages of one task to one list of one Redis broker."""

    def __init__(self, app: Any, task: Any, *, queue: str, broker_url: str, options: dict) -> None:
        import redis
        from redis.backoff import ConstantBackoff
        from redis.retry import Retry

        conf = app.conf
        self.app = app
        self.queue = queue
        self.task_name = task.name
        time_limit = task.time_limit if task.time_limit is not None else conf.task_time_limit
        soft_limit = task.soft_time_limit if task.soft_time_limit is not None else conf.task_soft_time_limit
        self.headers = {
            "lang": "py",
            "task": task.name,
            "id": None,
            "shadow": None,
            "eta": None,
            "expires": None,
            "group": None,
            "group_index": None,
            "retries": 0,
            "timelimit": [time_limit, soft_limit],
            "root_id": None,
            "parent_id": None,
            "argsrepr": None,
            "kwargsrepr": "{}",
            "origin": None,
            "ignore_result": bool(task.ignore_result),
            "replaced_task_nesting": 0,
            "stamped_headers": None,
            "stamps": {},
        }
        self.properties = {
            "correlation_id": None,
            "reply_to": None,
            "delivery_mode": 2,
            "delivery_info": {"exchange": "", "routing_key": queue},
            "priority": 0,
            "body_encoding": "base64",
            "delivery_tag": None,
        }
        # The settings of the connections publish() makes (_connection): short timeouts
        # and one quick retry to connect, as PUBLISH_RETRY_POLICY gives apply_async, so a
        # request never waits long on a broker that is down (the beat publishes what this
        # could not). Its pool is not used.
        self.client = redis.Redis.from_url(
            broker_url,
            socket_timeout=options.get("socket_timeout"),
            socket_connect_timeout=options.get("socket_connect_timeout"),
            retry=Retry(ConstantBackoff(0.1), 1),
        )
        self._origin: tuple[int, str] | None = None
        self._local = threading.local()

    def origin(self) -> str:
        """``gen<pid>@<host>``, as ``celery.utils.nodenames.anon_nodename``; per process."""
        pid = os.getpid()
        if self._origin is None or self._origin[0] != pid:
            self._origin = (pid, f"gen{pid}@{socket.gethostname()}")
        return self._origin[1]

    def message(self, argument: str) -> str:
        """The JSON envelope of one task call with the single positional ``argument``."""
        task_id = str(uuid.uuid4())
        body = json.dumps([[argument], {}, _EMBED]).encode()
        headers = dict(self.headers)
        headers["id"] = headers["root_id"] = task_id
        headers["argsrepr"] = repr((argument,))
        headers["origin"] = self.origin()
        properties = dict(self.properties)
        properties["correlation_id"] = task_id
        properties["reply_to"] = self.app.thread_oid
        properties["delivery_tag"] = str(uuid.uuid4())
        return json.dumps(
            {
                "body": base64.b64encode(body).decode(),
                "content-encoding": "utf-8",
                "content-type": "application/json",
                "headers": headers,
                "properties": properties,
            }
        )

    def publish(self, arguments: Sequence[str]) -> None:
        """One task per argument: one ``LPUSH`` each, written together, on this thread's
        connection. A broken or timed-out connection is dropped and the write tried once
        more after 0.1 s, as ``PUBLISH_RETRY_POLICY`` gives ``apply_async``; then the error
        is the caller's (the beat publishes what this could not). A retry after a timeout
        may push a message twice: the dispatch task claims its row, so it sends once."""
        commands = [("LPUSH", self.queue, self.message(argument)) for argument in arguments]
        for attempt in range(PUSH_ATTEMPTS):
            connection = self._connection()
            try:
                connection.send_packed_command(connection.pack_commands(commands))
                for _ in commands:
                    connection.read_response()
                return
            except (redis_errors.ConnectionError, redis_errors.TimeoutError):
                connection.disconnect()
                if attempt + 1 == PUSH_ATTEMPTS:
                    raise
                time.sleep(PUSH_RETRY_DELAY)
            except BaseException:
                connection.disconnect()  # replies may be left unread: start afresh
                raise

    def _connection(self) -> Any:
        """This thread's connection, made with the client's settings (address, timeouts,
        connect retry); a new one after a fork. Not the client's pool: taking a pooled
        connection checks it for stray data and records metrics on every command, which
        cost several times the ``LPUSH`` itself."""
        local, pid = self._local, os.getpid()
        connection = getattr(local, "connection", None)
        if connection is None or local.pid != pid:
            pool = self.client.connection_pool
            local.connection, local.pid = pool.connection_class(**pool.connection_kwargs), pid
            connection = local.connection
        return connection


def redis_publisher(task: Any) -> RedisTaskPublisher | None:
    """The publisher for ``task`` on its app's broker, or None where only ``apply_async``
    publishes exactly (see the module docstring). Built from the configuration on first
    use; code that points the app at another broker calls :func:`forget_publishers`, as
    Celery's own connection pools are rebuilt only when told."""
    try:
        return _publishers[task.name]
    except KeyError:
        pass
    with _lock:
        if task.name not in _publishers:
            conf = task.app.conf
            _publishers[task.name] = _build(
                task.app, task, conf.broker_url or "", dict(conf.broker_transport_options or {})
            )
        return _publishers[task.name]


def forget_publishers() -> None:
    """Build the publishers again from the app's configuration on next use."""
    with _lock:
        _publishers.clear()


def _build(app: Any, task: Any, broker_url: str, options: dict) -> RedisTaskPublisher | None:
    if not broker_url.startswith(_SCHEMES) or options.get("global_keyprefix"):
        return None
    # Celery publishes a task routed to a queue of a direct exchange, with no exchange or
    # routing key of its own, to the anonymous exchange with the queue's name as the
    # routing key (celery.app.amqp, "convert to anon-exchange"); kombu's Redis transport
    # then pushes to the list of that name.
    route = app.amqp.router.route({}, task.name)
    queue = route.get("queue")
    if queue is None or isinstance(queue, str) or route.get("exchange") or route.get("routing_key"):
        return None
    if getattr(queue.exchange, "type", "direct") != "direct" or route.get("priority") is not None:
        return None
    return RedisTaskPublisher(app, task, queue=queue.name, broker_url=broker_url, options=options)


__all__ = ["RedisTaskPublisher", "forget_publishers", "redis_publisher"]

"""A fix for kombu 5.7's Redis transport, applied when the Celery app is created.

When Redis goes away while a worker holds unacknowledged messages, Celery closes the
broker connection and the transport forgets its client. Whatever then still talks
through the old channel (closing it gives unacknowledged messages back; a task that
finishes afterwards acknowledges its message) rebuilds a Redis connection pool from that
client, and fails with ``AttributeError: 'NoneType' object has no attribute 'hostname'``.
That is not an error kombu and Celery expect from a lost broker, so it escapes as an
"Unrecoverable error" and the worker exits.

With this fix the channel reports what really happened, a lost connection (Redis's
``ConnectionError``, one of the transport's connection errors), which Celery handles as it
handles any broker outage: it reconnects. Nothing is lost: an acknowledgement that did
not reach Redis leaves the message in Redis's unacknowledged set, which kombu redelivers
after its visibility timeout, and the dispatch claim makes the redelivery a no-op
(docs/adr/0005-dispatch-exactly-once.md).
"""

from __future__ import annotations

from typing import Any

from kombu.transport import redis as redis_transport
from redis.exceptions import ConnectionError as RedisConnectionError

_original_connparams = redis_transport.Channel._connparams


def _connparams(self: Any, asynchronous: bool = False) -> Any:
    if self.connection.client is None:
        raise RedisConnectionError("The broker connection of this channel is closed.")
    return _original_connparams(self, asynchronous=asynchronous)


def apply() -> None:
    """Install the fix (idempotent)."""
    redis_transport.Channel._connparams = _connparams


__all__ = ["apply"]

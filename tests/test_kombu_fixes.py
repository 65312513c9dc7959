"""peachcomms/kombu_fixes.py: a Redis channel whose broker connection is gone reports a
connection error (which Celery survives by reconnecting), not an AttributeError (which
made kombu 5.7 workers exit when Redis went away; tests/interactions_dispatch covers the
outage end to end)."""

from __future__ import annotations

import os

import pytest
from kombu import Connection
from redis.exceptions import ConnectionError as RedisConnectionError

import peachcomms.celery  # noqa: F401 - the app applies the fix


def test_a_channel_of_a_closed_connection_reports_a_lost_connection() -> None:
    connection = Connection(os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/15"))
    try:
        channel = connection.channel()
        assert channel._connparams()["host"]  # a live channel is unaffected
        channel.connection.client = None  # what a lost broker connection leaves behind
        with pytest.raises(RedisConnectionError) as raised:
            channel._connparams()
        assert isinstance(raised.value, connection.connection_errors)
    finally:
        connection.release()

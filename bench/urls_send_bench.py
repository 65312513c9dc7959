"""Settings *and* root URLconf of the send-throughput benchmark server only
(``DJANGO_SETTINGS_MODULE=bench.urls_send_bench``; bench/send_throughput.py sets it).

As settings: the production settings with ``ROOT_URLCONF`` pointing here. As a URLconf: the
production routes plus ``POST /bench/send-floor``, the floor ``POST /api/communicator/send``
is measured against: through the same gunicorn, middleware and client, it does the two
writes every accepted send needs and nothing else — one INSERT of the request body into
PostgreSQL (a table of its own, ``bench_send_floor``, created by the benchmark) and one
LPUSH of the new row's id to Redis — and answers a fixed JSON body. No authentication, no
validation, no render, no Compliance Guard. It never exists in the production URLs.

``urlpatterns`` is built on first access (module ``__getattr__``): the production URLconf
imports the apps, which cannot happen while Django is still reading the settings.
"""

from __future__ import annotations

if __name__ == "__main__":  # `make bench` runs every bench/*.py; this one is a module
    raise SystemExit(0)

import os  # noqa: E402
from functools import cache  # noqa: E402
from typing import Any  # noqa: E402

from django.db import connection  # noqa: E402
from django.http import HttpRequest, JsonResponse  # noqa: E402
from django.views.decorators.csrf import csrf_exempt  # noqa: E402

from peachcomms.settings import *  # noqa: E402, F403 - these are settings

ROOT_URLCONF = "bench.urls_send_bench"

FLOOR_TABLE = "bench_send_floor"
FLOOR_LIST = "bench:send-floor"
FLOOR_BODY = {"status": 200, "message": "queued", "data": {"id": None}}


@cache
def _redis() -> Any:
    import redis

    return redis.Redis.from_url(os.environ["REDIS_URL"])


@csrf_exempt
def send_floor(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {FLOOR_TABLE} (body) VALUES (%s) RETURNING id", [request.body.decode()])
        (row_id,) = cursor.fetchone()
    _redis().lpush(FLOOR_LIST, row_id)
    return JsonResponse({**FLOOR_BODY, "data": {"id": row_id}})


def __getattr__(name: str) -> Any:
    if name == "urlpatterns":
        from django.urls import path

        from peachcomms.urls import urlpatterns as production

        patterns = [path("bench/send-floor", send_floor, name="bench-send-floor"), *production]
        globals()["urlpatterns"] = patterns
        return patterns
    raise AttributeError(name)

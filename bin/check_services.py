#!/usr/bin/env python
"""Check that the PostgreSQL and Redis the tests use are reachable (``make test`` runs this
first). Reads ``DATABASE_URL`` and ``REDIS_URL``; prints what is missing and how to start
it, and exits 1 when either is unreachable."""

from __future__ import annotations

import os
import sys
from urllib.parse import urlsplit

import psycopg
import redis

HOW_TO_START = {
    "PostgreSQL": [
        "sudo pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start   (Debian/Ubuntu)",
        "docker run -d --name peachcomms-test-postgres -p 127.0.0.1:5432:5432 "
        "-e POSTGRES_HOST_AUTH_METHOD=trust postgres:16",
    ],
    "Redis": [
        "redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save '' --appendonly no",
        "docker run -d --name peachcomms-test-redis -p 127.0.0.1:6379:6379 redis:7",
    ],
}


def check_postgres(url: str) -> str | None:
    if urlsplit(url).scheme not in ("postgres", "postgresql", "pgsql"):
        return "DATABASE_URL is not a PostgreSQL URL; the tests need PostgreSQL"
    try:
        # The maintenance database: the tests create their own test_<name> database.
        with psycopg.connect(url, dbname="postgres", connect_timeout=3):
            return None
    except psycopg.Error as error:
        return str(error).strip().splitlines()[0]


def check_redis(url: str) -> str | None:
    try:
        redis.Redis.from_url(url, socket_connect_timeout=3, socket_timeout=3).ping()
        return None
    except (redis.RedisError, ValueError) as error:
        return str(error)


def shown(url: str) -> str:
    """The URL without its password."""
    parts = urlsplit(url)
    if not parts.password:
        return url
    return parts._replace(netloc=parts.netloc.replace(f":{parts.password}@", ":***@", 1)).geturl()


def main() -> int:
    database_url = os.environ.get("DATABASE_URL", "")
    redis_url = os.environ.get("REDIS_URL", "")
    problems = []
    for service, variable, url, check in (
        ("PostgreSQL", "DATABASE_URL", database_url, check_postgres),
        ("Redis", "REDIS_URL", redis_url, check_redis),
    ):
        problem = f"{variable} is not set" if not url else check(url)
        if problem is not None:
            problems.append((service, variable, url, problem))
    for service, variable, url, problem in problems:
        print(
            f"{service} is not reachable at {variable}={shown(url) or '(unset)'}: {problem}", file=sys.stderr
        )
        print("  Start it, for example with:", file=sys.stderr)
        for command in HOW_TO_START[service]:
            print(f"    {command}", file=sys.stderr)
        print(f"  or point {variable} at a running {service}.", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

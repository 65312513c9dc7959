#!/usr/bin/env python
"""Run schemathesis (``st run --checks all``) against a live server: the served OpenAPI
document must declare what the server enforces, so no generated request gets a 5xx, no
schema-valid request is refused and no schema-invalid one is accepted. ``.ci/run`` calls
this after ``make test``; a developer can run it alone, from the project folder:

    .venv/bin/python bin/schemathesis_run.py [extra st run options, e.g. --max-examples 20]

What it does, and undoes on exit whatever happens:

1. creates a fresh PostgreSQL database ``peachcomms_schemathesis_<hash of this checkout>``
   on the server of ``DATABASE_URL`` (default: the local one), migrates it and creates a
   company and API key with ``manage.py create_company --json``;
2. starts gunicorn on a free loopback port against it, with Celery's filesystem broker in
   a temporary folder (no Redis needed, nothing leaks into a shared Redis; no worker runs,
   so sends stay queued and no provider is called);
3. runs ``st run`` with the key in ``X-API-KEY``; the run is deterministic and bounded
   (``MAX_EXAMPLES`` per operation);
4. stops the server and drops the database.

Exits with st's status: any finding fails CI.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/peachcomms"
#: what st's options cannot say (error feedback and the cache off, with why).
CONFIG_FILE = ROOT / "bin" / "schemathesis.toml"
HOOKS_FILE = ROOT / "bin" / "schemathesis_hooks.py"
MAX_EXAMPLES = 5
SEED = 13
START_TIMEOUT = 60


def _database_name() -> str:
    checkout = hashlib.sha1(str(ROOT).encode()).hexdigest()[:10]
    return f"peachcomms_schemathesis_{checkout}"


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def _admin_connection(url: str) -> psycopg.Connection:
    return psycopg.connect(_with_database(url, "postgres"), autocommit=True)


def _drop_database(url: str, name: str) -> None:
    with _admin_connection(url) as connection:
        connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def _create_database(url: str, name: str) -> None:
    _drop_database(url, name)  # a run interrupted by SIGKILL leaves one behind
    with _admin_connection(url) as connection:
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _manage(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    )
    return result.stdout


def _wait_until_serving(base_url: str, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"schemathesis: the server exited with status {server.returncode}")
        with contextlib.suppress(OSError), urllib.request.urlopen(f"{base_url}/healthz", timeout=2) as ok:
            if ok.status == 200:
                return
        time.sleep(0.3)
    raise SystemExit(f"schemathesis: the server did not answer within {START_TIMEOUT} s")


def _stop(server: subprocess.Popen) -> None:
    if server.poll() is not None:
        return
    server.send_signal(signal.SIGTERM)
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def main(extra_args: list[str]) -> int:
    database_url = os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL
    name = _database_name()
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory(prefix="peachcomms-schemathesis-") as scratch:
        env = {
            **os.environ,
            "DATABASE_URL": _with_database(database_url, name),
            "REDIS_URL": "",
            "CELERY_DATA_DIR": scratch,
            "DEBUG": "false",
            "SECRET_KEY": "schemathesis-" + "x" * 50,
            "ALLOWED_HOSTS": "127.0.0.1",
            "LOG_LEVEL": "WARNING",
            # Strategies of the formats beyond JSON Schema's own (``phone``).
            "SCHEMATHESIS_HOOKS": str(HOOKS_FILE),
        }
        print(f"schemathesis: database {name}, server {base_url}", flush=True)
        _create_database(database_url, name)
        server = None
        try:
            _manage(env, "migrate", "--noinput", "-v", "0")
            issued = json.loads(_manage(env, "create_company", "Schemathesis Lender", "--json"))
            server = subprocess.Popen(
                [
                    str(VENV_BIN / "gunicorn"),
                    "peachcomms.wsgi",
                    "--bind",
                    f"127.0.0.1:{port}",
                    "--workers",
                    "2",
                    "--timeout",
                    "60",
                    "--log-level",
                    "warning",
                ],
                cwd=ROOT,
                env=env,
            )
            _wait_until_serving(base_url, server)
            command = [
                str(VENV_BIN / "st"),
                "--config-file",
                str(CONFIG_FILE),
                "run",
                f"{base_url}/api/schema/?format=json",
                "--url",
                base_url,
                "--checks",
                "all",
                "--max-examples",
                str(MAX_EXAMPLES),
                "--seed",
                str(SEED),
                "--generation-deterministic",
                # One worker: hypothesis' lambda descriptions call ast.parse, which is not
                # thread-safe on Python 3.11 ("AST constructor recursion depth mismatch").
                "--workers",
                "1",
                "--request-timeout",
                "30",
                "--no-color",
                # NUL (U+0000) is refused everywhere with a 400 naming the field (PostgreSQL
                # cannot store it; the API description says so), which a schema cannot say.
                "--generation-allow-x00",
                "false",
                "-H",
                f"X-API-KEY: {issued['apiKey']}",
                *extra_args,
            ]
            return subprocess.run(command, cwd=ROOT, env=env).returncode
        finally:
            if server is not None:
                _stop(server)
            _drop_database(database_url, name)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""Real infrastructure for the fault tests: a private ``redis-server`` and Celery workers
as subprocesses, and pointing this process's Celery app at that Redis.

Every process started here runs in its own process group (so the whole group — a
worker's pool children included — is signalled at once), dies with this process
(``PR_SET_PDEATHSIG``), and is registered for a last-resort kill at interpreter exit.
Only processes started here are ever signalled; the machine's shared PostgreSQL and
Redis are never touched.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

from django.conf import settings

from interactions.dispatch.publish import forget_publishers
from peachcomms.celery import app as celery_app

ROOT = Path(__file__).resolve().parents[2]
CELERY = str(ROOT / ".venv" / "bin" / "celery")
_started: set[subprocess.Popen] = set()  # still to be killed at exit


def _own_group_and_die_with_parent() -> None:
    os.setsid()
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def _kill_group(process: subprocess.Popen, signum: int = signal.SIGKILL) -> None:
    """Signal the process group led by ``process``, only while its leader is not reaped:
    until then its pid (the group id) cannot belong to anyone else."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signum)


@atexit.register
def _kill_leftovers() -> None:
    for process in list(_started):
        _kill_group(process)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(predicate: Callable[[], bool], timeout: float, what: str, interval: float = 0.05) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(f"Timed out after {timeout:.0f} s waiting for {what}.")
        time.sleep(interval)


class _Process:
    """A subprocess in its own process group, output to a log file."""

    def __init__(self, command: list[str], log_path: Path, env: dict[str, str] | None = None) -> None:
        self.command = command
        self.log_path = log_path
        self.env = env
        self.process: subprocess.Popen | None = None
        self._log: IO[bytes] | None = None

    def start(self) -> None:
        self._close_log()
        self._log = open(self.log_path, "ab")  # noqa: SIM115 - closed in kill()
        self.process = subprocess.Popen(
            self.command,
            cwd=ROOT,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            preexec_fn=_own_group_and_die_with_parent,
        )
        _started.add(self.process)

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        """SIGKILL the whole group, at once (no clean shutdown)."""
        if self.process is not None:
            _kill_group(self.process)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=10)
            _started.discard(self.process)
        self._close_log()

    def stop(self, grace: float = 10.0) -> None:
        """SIGTERM the group, then SIGKILL whatever is left after ``grace`` seconds."""
        if self.process is None:
            return
        _kill_group(self.process, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=grace)
        self.kill()

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def _close_log(self) -> None:
        if self._log is not None:
            self._log.close()
            self._log = None


class Command(_Process):
    """Any command, started as the others are: its own process group, killed at the end."""


class RedisServer(_Process):
    """``redis-server`` on a spare port, without persistence: a restart loses its data,
    as a broker outage does."""

    def __init__(self, log_dir: Path) -> None:
        self.port = free_port()
        super().__init__(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--daemonize",
                "no",
            ],
            log_dir / f"redis-{self.port}.log",
        )
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        super().start()
        wait_for(self.ping, 10, f"redis-server on port {self.port}")

    def ping(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False


def database_url_of_tests() -> str:
    """The pytest test database, as a URL for subprocesses."""
    db = settings.DATABASES["default"]
    user = db.get("USER") or ""
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    auth = f"{user}{password}@" if user else ""
    return f"postgres://{auth}{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{db['NAME']}"


class CeleryWorker(_Process):
    """``celery -A peachcomms worker -Q sends,celery -c N --pool prefork`` against the
    test database and the given Redis."""

    def __init__(
        self,
        log_dir: Path,
        redis_url: str,
        name: str,
        concurrency: int = 4,
        extra_env: dict[str, str] | None = None,
        extra_args: tuple[str, ...] = (),
    ) -> None:
        env = {
            **os.environ,
            "DATABASE_URL": database_url_of_tests(),
            "REDIS_URL": redis_url,
            "CONN_MAX_AGE": "60",
            # The suite runs Django's system checks itself; the workers start faster.
            "CELERY_SKIP_CHECKS": "1",
            **(extra_env or {}),
        }
        super().__init__(
            [
                CELERY,
                "-A",
                "peachcomms",
                "worker",
                "-Q",
                "sends,celery",
                "-c",
                str(concurrency),
                "--pool",
                "prefork",
                "-n",
                f"{name}@%h",
                "-l",
                "info",
                "--without-mingle",
                "--without-gossip",
                *extra_args,
            ],
            log_dir / f"worker-{name}.log",
            env,
        )

    def start(self) -> None:
        super().start()
        wait_for(lambda: "ready." in self.log_text() or not self.alive, 60, "the Celery worker to start")
        if not self.alive:
            raise RuntimeError(f"The worker exited:\n{self.log_text()[-3000:]}")


def _forget_broker_connections() -> None:
    # What Celery itself does after a fork (Celery._after_fork): the connection and
    # producer pools are rebuilt from the configuration on next use.
    celery_app._pool = None
    amqp = celery_app.__dict__.get("amqp")
    if amqp is not None:
        amqp._producer_pool = None
    forget_publishers()  # the send path's own Redis publisher, likewise


@contextlib.contextmanager
def broker_redirect(url: str) -> Iterator[None]:
    """Point this process's Celery app (the enqueue path) at another broker."""
    old = celery_app.conf.broker_url
    _forget_broker_connections()
    celery_app.conf.broker_url = url
    try:
        yield
    finally:
        _forget_broker_connections()
        celery_app.conf.broker_url = old


@contextlib.contextmanager
def running(*processes: _Process) -> Iterator[None]:
    """Stop (and finally SIGKILL) every process on the way out, whatever happened."""
    try:
        yield
    finally:
        for process in reversed(processes):
            with contextlib.suppress(Exception):
                process.stop(grace=5)

"""Helpers the benchmarks share: a benchmark database, a gunicorn server on loopback, and
a bounded load generator. Everything stops by itself; nothing leaves 127.0.0.1."""

from __future__ import annotations

import http.client
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/peachcomms_bench"


def bench_env(**extra: str) -> dict[str, str]:
    """The environment of the benchmark processes: the bench settings, a production-like
    configuration (DEBUG off, persistent DB connections), the benchmark database."""
    env = dict(os.environ)
    env.setdefault("DATABASE_URL", DEFAULT_DATABASE_URL)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "bench.urls_bench",
            "DEBUG": "false",
            "SECRET_KEY": env.get("SECRET_KEY") or "bench-only-secret-key-" + "x" * 40,
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "CONN_MAX_AGE": "60",
            "LOG_LEVEL": "WARNING",
            "PYTHONPATH": str(ROOT),
            **extra,
        }
    )
    return env


def ensure_database(url: str) -> None:
    """Create the benchmark database if it does not exist (PostgreSQL only)."""
    parts = urlsplit(url)
    if not parts.scheme.startswith("postgres"):
        return
    import psycopg

    name = parts.path.lstrip("/")
    admin = parts._replace(path="/postgres").geturl().replace("postgres://", "postgresql://", 1)
    with psycopg.connect(admin, autocommit=True) as connection:
        exists = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            connection.execute(f'CREATE DATABASE "{name}"')


def migrate(env: dict[str, str]) -> None:
    subprocess.run(
        [PYTHON, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True, timeout=600
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """gunicorn serving the app on 127.0.0.1 until ``stop()``."""

    def __init__(self, env: dict[str, str], *, workers: int = 2) -> None:
        self.port = free_port()
        self.process = subprocess.Popen(
            [
                str(Path(PYTHON).with_name("gunicorn")),
                "peachcomms.wsgi:application",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                str(workers),
                "--worker-class",
                "sync",
                "--log-level",
                "warning",
                "--timeout",
                "60",
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            start_new_session=True,
        )

    def wait_ready(self, path: str = "/healthz", timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("gunicorn exited during start-up")
            try:
                status, _ = request("GET", self.port, path)
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError("gunicorn did not answer in time")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)


def request(
    method: str, port: int, path: str, body: bytes | None = None, headers: dict[str, str] | None = None
) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


@dataclass
class Run:
    requests: int
    errors: int
    seconds: float

    @property
    def rate(self) -> float:
        return self.requests / self.seconds


def load(send: Callable[[], int], *, concurrency: int, seconds: float) -> Run:
    """Call ``send`` (returns an HTTP status) from ``concurrency`` threads for ``seconds``."""
    counts = [0] * concurrency
    errors = [0] * concurrency
    stop_at = time.monotonic() + seconds

    def worker(index: int) -> None:
        while time.monotonic() < stop_at:
            if send() == 200:
                counts[index] += 1
            else:
                errors[index] += 1

    started = time.monotonic()
    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=seconds + 60)
    return Run(sum(counts), sum(errors), time.monotonic() - started)


def median(values: list[float]) -> float:
    return statistics.median(values)


# Where the CPU goes: per process kind, from /proc (Linux)

_CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def cpu_seconds() -> dict[str, float]:
    """CPU seconds used so far (user + system) by the processes of this machine, summed
    by kind: ``gunicorn``, ``postgres``, ``redis``, ``client`` (this process) and ``other``,
    and ``busy``: the whole machine's, from /proc/stat. Take it before and after a run;
    the differences divided by the requests give each kind's CPU per request. Linux only
    (an empty dict elsewhere)."""
    proc = Path("/proc")
    if not (proc / "stat").exists():
        return {}
    found = dict.fromkeys(("gunicorn", "postgres", "redis", "client", "other"), 0.0)
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:  # the process ended meanwhile
            continue
        name = stat[stat.index("(") + 1 : stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2 :].split()
        seconds = (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS
        if int(entry.name) == os.getpid():
            kind = "client"
        elif "gunicorn" in command:
            kind = "gunicorn"
        elif name.startswith("postgres") or command.startswith("postgres"):
            kind = "postgres"
        elif name.startswith("redis"):
            kind = "redis"
        else:
            kind = "other"
        found[kind] += seconds
    ticks = [int(value) for value in (proc / "stat").read_text().split("\n", 1)[0].split()[1:9]]
    found["busy"] = (sum(ticks) - ticks[3] - ticks[4]) / _CLOCK_TICKS  # all but idle and iowait
    return found


def cpu_per_request(before: dict[str, float], after: dict[str, float], requests: int) -> str:
    """``gunicorn 4.40 ms, postgres 1.02 ms, …`` per request between two :func:`cpu_seconds`.
    A process that ended in between takes its CPU out of its kind's sum (shown as 0):
    per kind, the figures are a lower bound; ``busy`` is exact."""
    if not before or not requests:
        return "(no /proc here)"
    return ", ".join(
        f"{kind} {max(after[kind] - before[kind], 0.0) / requests * 1000:.2f} ms" for kind in after
    )

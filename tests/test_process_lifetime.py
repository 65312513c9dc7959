"""No process outlives the one that owns it: the beat embedded by ``celery worker --beat``
dies with its worker, even a SIGKILLed one (peachcomms/celery.py; docs/adr/0014), and
``make run``'s supervisor (bin/run_web_and_worker.py) leaves nothing behind when stopped
with Ctrl-C or killed outright.

Real processes against the test database and a private redis-server; the process tree
is read from /proc (Linux). Only processes started here are ever signalled.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.interactions_dispatch.infra import (
    ROOT,
    CeleryWorker,
    Command,
    RedisServer,
    database_url_of_tests,
    free_port,
    running,
    wait_for,
)

pytestmark = [
    pytest.mark.slow,
    pytest.mark.django_db,
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc; the guarantee is Linux's"),
]

#: Bound on how long a process may take to notice its owner's death and exit.
EXIT_TIMEOUT = 30

# A process is (pid, start time in clock ticks since boot): the start time tells a live
# process from a later one that reused its pid.
Proc = tuple[int, int]


def _stat(pid: int) -> tuple[int, str, int] | None:
    """(ppid, state, start time) of ``pid`` from /proc, or None once it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    fields = text[text.rindex(")") + 2 :].split()  # after "pid (comm) "
    return int(fields[1]), fields[0], int(fields[19])


def _alive(proc: Proc) -> bool:
    stat = _stat(proc[0])
    return stat is not None and stat[2] == proc[1] and stat[1] not in ("Z", "X")


def _descendants(root: int) -> set[Proc]:
    children: dict[int, list[tuple[int, int]]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            stat = _stat(int(entry.name))
            if stat is not None:
                children.setdefault(stat[0], []).append((int(entry.name), stat[2]))
    found: set[Proc] = set()
    stack = [root]
    while stack:
        for proc in children.get(stack.pop(), []):
            found.add(proc)
            stack.append(proc[0])
    return found


@contextlib.contextmanager
def _reaping(procs: set[Proc]) -> Iterator[None]:
    """SIGKILL whatever of ``procs`` is still alive on the way out, so a failing test
    leaves no orphan (once its leader is reaped, ``running`` can no longer reach them)."""
    try:
        yield
    finally:
        for proc in procs:
            if _alive(proc):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(proc[0], signal.SIGKILL)


def _service_env(tmp_path: Path, redis: RedisServer) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": database_url_of_tests(),
        "REDIS_URL": redis.url,
        "CELERY_DATA_DIR": str(tmp_path / "celery"),  # the beat's schedule file
        "CELERY_SKIP_CHECKS": "1",
    }


def test_sigkill_of_a_worker_with_beat_leaves_no_scheduler(tmp_path):
    redis = RedisServer(tmp_path)
    redis.start()
    worker = CeleryWorker(
        tmp_path,
        redis.url,
        "beat",
        concurrency=1,
        extra_env={"CELERY_DATA_DIR": str(tmp_path / "celery")},
        extra_args=("--beat",),
    )
    with running(redis, worker):
        worker.start()
        wait_for(lambda: "beat: Starting..." in worker.log_text(), 30, "the embedded beat to start")
        wait_for(
            lambda: "Sending due task interactions-claim-due" in worker.log_text(), 30, "the beat to schedule"
        )
        children = _descendants(worker.process.pid)
        with _reaping(children):
            assert len(children) == 2, children  # one pool process and the beat

            os.kill(worker.process.pid, signal.SIGKILL)  # the main process only, as the OOM killer does
            worker.process.wait(timeout=10)

            wait_for(lambda: not any(_alive(proc) for proc in children), EXIT_TIMEOUT, "the beat to exit")
        assert not any(_alive(proc) for proc in children)
        assert "Traceback" not in worker.log_text()


def _listening(port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
        return True
    return False


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGKILL], ids=["ctrl-c", "killed"])
def test_make_run_leaves_no_process_behind(tmp_path, stop):
    redis = RedisServer(tmp_path)
    redis.start()
    port = free_port()
    supervisor = Command(
        [sys.executable, str(ROOT / "bin" / "run_web_and_worker.py"), f"127.0.0.1:{port}"],
        tmp_path / "run.log",
        _service_env(tmp_path, redis),
    )
    with running(redis, supervisor):
        supervisor.start()
        wait_for(lambda: _listening(port) or not supervisor.alive, 90, "the web server to listen")
        wait_for(
            lambda: "beat: Starting..." in supervisor.log_text() or not supervisor.alive,
            90,
            "the beat to start",
        )
        assert supervisor.alive, supervisor.log_text()[-3000:]
        # web (runserver and its reloaded server) and worker (its pool process and beat)
        tree = _descendants(supervisor.process.pid)
        with _reaping(tree):
            assert len(tree) >= 5, tree

            os.kill(supervisor.process.pid, stop)
            supervisor.process.wait(timeout=EXIT_TIMEOUT)

            wait_for(lambda: not any(_alive(proc) for proc in tree), EXIT_TIMEOUT, "every process to exit")
        assert not _listening(port)

#!/usr/bin/env python
"""Run the development web server and the Celery worker (with beat) together, in the
foreground, for ``make run``.

Usage: ``bin/run_web_and_worker.py [ADDR]`` (default ``127.0.0.1:8000``), from the
project folder, with the virtualenv's Python.

Each child runs in its own process group, so the whole group (runserver's reloader
child, Celery's pool processes) can be signalled at once. Ctrl-C or SIGTERM to this
script, or either child exiting, stops both: SIGTERM to each main process, then to the
rest of its group, then SIGKILL to what is left after a grace period. On Linux the
children also get SIGTERM if this script is killed outright, so no process outlives the
command.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
import sys
import time

GRACE_SECONDS = 15
PR_SET_PDEATHSIG = 1


def _in_own_group() -> None:
    os.setsid()
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _signal_group(pgid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, signum)


def main(argv: list[str]) -> int:
    addr = argv[1] if len(argv) > 1 else "127.0.0.1:8000"
    python = sys.executable
    commands = {
        "web": [python, "manage.py", "runserver", addr],
        "worker": [python, "-m", "celery", "-A", "peachcomms", "worker", "--beat", "-l", "info"],
    }
    stopping = False

    def request_stop(signum: int, frame: object) -> None:
        nonlocal stopping
        stopping = True

    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, request_stop)

    children = {
        name: subprocess.Popen(command, preexec_fn=_in_own_group) for name, command in commands.items()
    }
    exited = None
    while not stopping and exited is None:
        exited = next((name for name, child in children.items() if child.poll() is not None), None)
        time.sleep(0.2)
    if exited is not None:
        print(f"run: {exited} exited with {children[exited].returncode}; stopping the rest.", file=sys.stderr)
    else:
        print("run: stopping web and worker…", file=sys.stderr)

    # The main process of each child first, so Celery stops its own pool (a warm
    # shutdown); then whatever is left in its group (runserver's reloaded server).
    for child in children.values():
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    swept: set[str] = set()
    deadline = time.monotonic() + GRACE_SECONDS
    while time.monotonic() < deadline:
        for name, child in children.items():
            if child.poll() is not None and name not in swept:
                _signal_group(child.pid, signal.SIGTERM)
                swept.add(name)
        if not any(_group_alive(child.pid) for child in children.values()):
            break
        time.sleep(0.2)
    for name, child in children.items():
        if _group_alive(child.pid):
            print(f"run: {name} did not stop in {GRACE_SECONDS}s; killing it.", file=sys.stderr)
            _signal_group(child.pid, signal.SIGKILL)
        child.wait()
    return 1 if exited is not None and children[exited].returncode not in (0, None) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

#!/usr/bin/env python
"""Dispatch throughput: queued messages through real Celery workers to the outbox provider,
against a no-op Celery task through the same broker and workers. Prints the ratio (goal:
at least 0.5).

    .venv/bin/python bench/dispatch_throughput.py [--messages 10000] [--concurrency 4]
        [--repeat 2] [--db-reuse-max N]

Environment: ``DATABASE_URL`` (default the benchmarks' own database,
``postgres://postgres@127.0.0.1:5432/peachcomms_bench``, created and migrated if needed;
the benchmark's rows are removed at the end). Redis: a private ``redis-server`` on a spare
port, stopped at the end. Bounded: a round gives up after ``--timeout`` seconds, and every
process it starts is stopped on the way out (and dies with it).

Method, the same for every round: with no worker running, fill the ``sends`` queue with
N messages (dispatch rounds: one task per interaction, published by
``interactions_enqueue_after_commit`` as the send service does; each task then takes a
batch of due rows, docs/adr/0005, "Batches"); start
``celery -A peachcomms worker -Q sends,celery -c C --pool prefork`` with
the production-like benchmark environment (``bench.common.bench_env``: DEBUG off,
``CONN_MAX_AGE``); once the first 1% are taken (start-up excluded), time until the queue
is empty and nothing is unacknowledged. Rate = messages taken in that span / its length.

Rounds: ``noop`` (the floor: a task that does nothing), ``dispatch`` (interactions as the
send service leaves them: ``compliance_checked``, so Compliance Guard re-checks each one
in the worker, with the company's default rules) and ``dispatch-unchecked`` (resends:
no guard). ``--repeat`` sets of the three (default 2, the second in reverse order); each
set's ratio is against its own floor, and the median of the sets is the result: one set
alone swung between 0.42 and 0.74 on the shared 2-core machine as its speed drifted.

``--db-reuse-max N`` runs the workers with ``CELERY_DB_REUSE_MAX = N``: Celery 5.7's Django
fixup otherwise closes the database connection before and after every task, whatever
``CONN_MAX_AGE`` says, so each dispatch opens a new PostgreSQL connection.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

from celery import shared_task

ROOT = Path(__file__).resolve().parent.parent
CELERY = str(Path(sys.executable).with_name("celery"))
QUEUE = "sends"
COMPANY_NAME = "Dispatch Bench Lending LLC"


@shared_task(name="bench.noop", ignore_result=True)
def noop(interaction_id: str) -> None:
    """The floor: a task with the dispatch task's signature that does nothing."""


# Processes


def _own_group_and_die_with_parent() -> None:
    os.setsid()
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def _start(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    with open(log, "ab") as out:
        return subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            preexec_fn=_own_group_and_die_with_parent,
        )


def _stop(process: subprocess.Popen | None, grace: float = 10) -> None:
    if process is None or process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# Measurement


class Redis:
    def __init__(self, port: int) -> None:
        import redis

        self.client = redis.Redis(port=port)

    def waiting(self) -> int:
        return int(self.client.llen(QUEUE))

    def unacked(self) -> int:
        return int(self.client.hlen("unacked"))


def measure(
    redis: Redis, total: int, worker_command: list[str], env: dict[str, str], log: Path, timeout: float
) -> float:
    """Start a worker on a queue of ``total`` messages; the steady rate (messages/s)."""
    assert redis.waiting() == total, f"expected {total} queued messages, found {redis.waiting()}"
    warm = total - max(total // 100, 1)
    worker = _start(worker_command, env, log)
    try:
        deadline = time.monotonic() + timeout
        while (left := redis.waiting()) > warm:
            if time.monotonic() > deadline or worker.poll() is not None:
                raise RuntimeError(f"the worker did not start consuming; see {log}")
            time.sleep(0.002)
        start, start_left = time.perf_counter(), left
        while redis.waiting() or redis.unacked():
            if time.monotonic() > deadline:
                raise RuntimeError(f"round timed out with {redis.waiting()} messages left; see {log}")
            time.sleep(0.002)
        elapsed = time.perf_counter() - start
    finally:
        _stop(worker)
    return start_left / elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--repeat", type=int, default=2, help="sets of the three rounds (see run_rounds)")
    parser.add_argument("--timeout", type=float, default=300, help="seconds per round")
    parser.add_argument("--keep-logs", action="store_true", help="keep the worker logs in bench/results/")
    parser.add_argument(
        "--db-reuse-max",
        type=int,
        default=None,
        help="run the workers with CELERY_DB_REUSE_MAX=N (see above)",
    )
    args = parser.parse_args()

    sys.path.insert(0, str(ROOT))
    from bench.common import bench_env, ensure_database, migrate

    results = ROOT / "bench" / "results"
    results.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    env = bench_env(REDIS_URL=f"redis://127.0.0.1:{port}/0", EMAIL_PROVIDER="outbox")
    worker_env = dict(env)
    if args.db_reuse_max is not None:
        # The workers' settings: the benchmark settings plus the one setting.
        (results / "dispatch_worker_settings.py").write_text(
            f"from bench.urls_bench import *  # noqa: F403\nCELERY_DB_REUSE_MAX = {args.db_reuse_max}\n"
        )
        worker_env.update(
            DJANGO_SETTINGS_MODULE="dispatch_worker_settings", PYTHONPATH=f"{results}{os.pathsep}{ROOT}"
        )
    reuse = f", CELERY_DB_REUSE_MAX={args.db_reuse_max}" if args.db_reuse_max is not None else ""
    print(f"dispatch throughput: {args.messages} messages, {args.concurrency} worker processes{reuse}")
    redis_server = None
    try:
        ensure_database(env["DATABASE_URL"])
        migrate(env)
        redis_server = _start(
            ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            env,
            results / "dispatch-redis.log",
        )
        os.environ.update({key: env[key] for key in ("DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE")})
        os.environ.update({key: env[key] for key in ("DEBUG", "SECRET_KEY", "CONN_MAX_AGE", "LOG_LEVEL")})
        import django

        django.setup()
        sets = run_rounds(args, worker_env, port, results)
    finally:
        _stop(redis_server)
        (results / "dispatch_worker_settings.py").unlink(missing_ok=True)
        if not args.keep_logs:
            for log in results.glob("dispatch-*.log"):
                log.unlink()

    # Each set's ratio against its own floor; their median (the mean of two).
    ratios = {name: statistics.median(rates[name] / rates["noop"] for rates in sets) for name in ROUNDS}
    floor = statistics.median(rates["noop"] for rates in sets)
    print(f"  no-op task (floor)          {floor:8.0f} messages/s (median)")
    for name in ("dispatch", "dispatch-unchecked"):
        rate = statistics.median(rates[name] for rates in sets)
        print(f"  {name:<28}{rate:8.0f} messages/s   ratio {ratios[name]:.2f} (median of the sets)")
    ratio = ratios["dispatch"]
    print(f"dispatch / no-op = {ratio:.2f} (goal >= 0.5): {'ok' if ratio >= 0.5 else 'BELOW GOAL'}")
    return 0


def worker_command(concurrency: int) -> list[str]:
    return [
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
        "-l",
        "warning",
        "--without-mingle",
        "--without-gossip",
        "--include",
        "bench.dispatch_throughput",
    ]


ROUNDS = ("noop", "dispatch", "dispatch-unchecked")


def run_rounds(
    args: argparse.Namespace, env: dict[str, str], port: int, results: Path
) -> list[dict[str, float]]:
    """``--repeat`` sets of the three rounds, on a company of the benchmark's own (removed
    at the end); every other set runs them in reverse order, so a machine that slows
    down or speeds up during the run weighs on the floor and the dispatch alike."""
    from peachcomms.celery import app

    redis = Redis(port)
    command = worker_command(args.concurrency)
    sets: list[dict[str, float]] = []
    _remove_rows()
    try:
        contacts = _bench_contacts()
        for repeat in range(args.repeat):
            rates: dict[str, float] = {}
            for name in ROUNDS if repeat % 2 == 0 else reversed(ROUNDS):
                log = results / f"dispatch-{name}.log"
                if name == "noop":  # the floor: N no-op tasks through the same queue
                    with app.producer_or_acquire() as producer:
                        for n in range(args.messages):
                            noop.apply_async((f"IT-{n}",), queue=QUEUE, producer=producer)
                    rates[name] = measure(redis, args.messages, command, env, log, args.timeout)
                    continue
                ids = _queue_sends(contacts, args.messages, compliance_checked=name == "dispatch")
                rates[name] = measure(redis, args.messages, command, env, log, args.timeout)
                _check_all_sent(name, ids)
            print(
                f"  set {repeat + 1}: "
                + ", ".join(f"{name} {rates[name]:.0f}/s" for name in ROUNDS)
                + f"; ratio {rates['dispatch'] / rates['noop']:.2f}",
                flush=True,
            )
            sets.append(rates)
    finally:
        _remove_rows()
    return sets


def _bench_contacts() -> list:
    """A company with its default Compliance Guard rules; 100 borrowers, an email each."""
    from compliance.services import rules_create_defaults
    from tests.factories import BorrowerFactory, CompanyFactory, ContactFactory

    company = CompanyFactory(name=COMPANY_NAME)
    rules_create_defaults(company)
    return [ContactFactory(borrower=BorrowerFactory(company=company)) for _ in range(100)]


def _queue_sends(contacts: list, count: int, *, compliance_checked: bool) -> list[str]:
    """``count`` due interactions as the send service stores them, handed to the broker
    as the send service does (``interactions_enqueue_after_commit``: ``enqueued_at``
    stamped, one task per message); no worker runs yet, so they wait in the queue."""
    from django.utils import timezone

    from interactions.dispatch import interactions_enqueue_after_commit
    from interactions.models import Interaction

    now = timezone.now()
    rows = [
        Interaction(
            company_id=contact.company_id,
            borrower_id=contact.borrower_id,
            contact=contact,
            channel="email",
            direction="outbound",
            subject="paymentDueReminder",
            theme="opsServicing",
            is_transactional=True,
            status="scheduled",
            send_at=now,
            compliance_checked=compliance_checked,
            content={
                "subjectLine": "Your payment is due",
                "contentText": "Hello, your payment of $120.00 is due on 1 December.",
                "contentHtml": "<p>Hello, your payment of $120.00 is due on 1 December.</p>",
                "to": contact.value,
                "from": "billing@peach.example",
                "attachments": [],
                "providerMessageId": None,
            },
        )
        for contact in (contacts[n % len(contacts)] for n in range(count))
    ]
    ids = [row.pk for row in Interaction.objects.bulk_create(rows, batch_size=2000)]
    assert len(interactions_enqueue_after_commit(ids)) == len(ids)  # no transaction: published at once
    return ids


def _check_all_sent(name: str, ids: list[str]) -> None:
    from interactions.models import Interaction
    from providers.models import OutboxMessage

    done = Interaction.objects.filter(pk__in=ids, status="succeeded").count()
    sent = OutboxMessage.objects.filter(reference__in=ids).count()
    if done != len(ids) or sent != len(ids):
        raise RuntimeError(f"{name}: {done} succeeded and {sent} sent of {len(ids)}")


def _remove_rows() -> None:
    """The benchmark's company and everything it sent (its interactions cascade)."""
    from borrowers.models import Company
    from interactions.models import Interaction
    from providers.models import OutboxMessage

    ids = Interaction.objects.filter(company__name=COMPANY_NAME).values_list("pk", flat=True)
    OutboxMessage.objects.filter(reference__in=ids).delete()
    Company.objects.filter(name=COMPANY_NAME).delete()


if __name__ == "__main__":
    sys.exit(main())

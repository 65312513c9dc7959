"""Throughput of ``POST /api/communicator/send`` as a ratio to a floor on the same stack.

The measured route authenticates the key, resolves borrower, contact and loan, renders the
built-in ``paymentProcessed`` email (transactional, so no frequency cap refuses a send),
runs Compliance Guard under the borrower's row lock, inserts the interaction and, after
commit, publishes its dispatch task to Redis. The floor (``POST /bench/send-floor``,
bench/urls_send_bench.py) does one INSERT into PostgreSQL and one LPUSH to Redis per
request and nothing else: the writes every accepted send must make. Goal: at least 0.5.

Both are served by the same gunicorn on a spare loopback port, to 16 client threads with
keep-alive connections (``http.client``), in interleaved rounds; the medians and their
ratio are printed. Each round also prints the CPU each kind of process spent per request
(gunicorn, PostgreSQL, Redis, this client, the rest; ``busy`` is the whole machine), read
from /proc: both routes keep both cores busy, so the ratio is the floor's CPU per request
over a send's, and these lines say where a send's goes. Sends go to many borrowers (a
client never waits for another's borrower lock). The outbox provider is configured; no
worker runs (the queued tasks are removed at the end, with the benchmark's rows).

Environment: ``DATABASE_URL`` (default ``postgres://postgres@127.0.0.1:5432/peachcomms_bench``,
created and migrated if needed), ``SEND_BENCH_REDIS_URL`` (default
``redis://127.0.0.1:6379/5``, a database of its own), ``SEND_BENCH_WORKERS`` (gunicorn
workers, default 4), ``SEND_BENCH_SECONDS`` (per measurement, default 4). Bounded (about a
minute), loopback only; it stops its server itself.

``--collection``: the same measurement for debt-collection sends, the traffic Compliance
Guard exists for: the built-in ``loanOverdueFirstNotice`` email about the borrower's loan
(``loanId``), which the email frequency cap counts (3 per 7 days at normal intensity), so
each send also reads the borrower's counted history (ADR 0006, fourth pass). Sends go to
8,192 borrowers so that none reaches the cap during the run, and the company's
time-of-day rows are disabled so that the benchmark runs at any hour (quiet hours would
refuse collection email at night; that rule's check costs microseconds, reading nothing).

``--profile``: instead, run sends in-process under cProfile and print the top functions.
"""

from __future__ import annotations

import http.client
import json
import os
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (  # noqa: E402
    Run,
    Server,
    bench_env,
    cpu_per_request,
    cpu_seconds,
    ensure_database,
    median,
    migrate,
)

CONCURRENCY = 16
WORKERS = int(os.environ.get("SEND_BENCH_WORKERS", "4"))
ROUNDS = 5
SECONDS = float(os.environ.get("SEND_BENCH_SECONDS", "4"))
WARMUP_SECONDS = 2.0
BORROWERS = 256
COLLECTION_BORROWERS = 8192
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/5"
SEND_PATH = "/api/communicator/send"
FLOOR_PATH = "/bench/send-floor"
COMPANY_NAME = "Send Bench Lending LLC"


def environment() -> dict[str, str]:
    return bench_env(
        DJANGO_SETTINGS_MODULE="bench.urls_send_bench",
        REDIS_URL=os.environ.get("SEND_BENCH_REDIS_URL", DEFAULT_REDIS_URL),
        EMAIL_PROVIDER="outbox",
        SMS_PROVIDER="outbox",
        VOICE_PROVIDER="outbox",
        MAIL_PROVIDER="outbox",
    )


def setup_data(
    env: dict[str, str], *, borrowers: int = BORROWERS, collection: bool = False
) -> tuple[str, list[str], list[str]]:
    """A fresh company (an earlier run's is removed) with a send key and ``borrowers``
    borrowers, each with an email contact and a loan; the floor's table. ``collection``:
    the company's time-of-day rows disabled (see the module docstring). Returns (api key,
    borrower ids, their loans' ids)."""
    os.environ.update(env)
    import django

    django.setup()
    from django.db import connection

    from bench.urls_send_bench import FLOOR_TABLE
    from borrowers.models import Borrower, Company, Contact, Loan
    from borrowers.services import api_key_create, company_create
    from compliance.models import ComplianceRule

    Company.objects.filter(name=COMPANY_NAME).delete()
    company = company_create(
        name=COMPANY_NAME,
        brand_name="Send Bench",
        support_phone="+18005550100",
        support_email="help@sendbench.example",
        mailing_address={
            "addressLine1": "1 Main St",
            "city": "Springfield",
            "state": "IL",
            "postalCode": "62701",
        },
    )
    key = api_key_create(company=company, name="bench", permissions=["communicator:send"]).raw_key
    borrowers = Borrower.objects.bulk_create(
        Borrower(company=company, first_name="Ada", last_name=f"Bench{i}", timezone="America/Chicago")
        for i in range(borrowers)
    )
    Contact.objects.bulk_create(
        Contact(company=company, borrower=b, contact_type="email", value=f"ada{i}@sendbench.example")
        for i, b in enumerate(borrowers)
    )
    loans = Loan.objects.bulk_create(
        Loan(
            company=company,
            borrower=b,
            display_id=f"LN-{i:05d}",
            amount_due="245.50",
            product_name="personal loan",
        )
        for i, b in enumerate(borrowers)
    )
    if collection:
        ComplianceRule.objects.filter(company=company, family="timeOfDay").update(enabled=False)
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE IF NOT EXISTS {FLOOR_TABLE} "
            "(id bigserial PRIMARY KEY, body jsonb NOT NULL, created_at timestamptz NOT NULL DEFAULT now())"
        )
        cursor.execute(f"TRUNCATE {FLOOR_TABLE}")
    return key, [b.pk for b in borrowers], [loan.pk for loan in loans]


def cleanup(env: dict[str, str]) -> dict[str, int]:
    """Remove the benchmark's company (and its interactions), the floor rows, the floor's
    Redis list and the dispatch tasks queued in the benchmark's Redis database."""
    import redis
    from django.db import connection

    from bench.urls_send_bench import FLOOR_LIST, FLOOR_TABLE
    from borrowers.models import Company
    from interactions.models import Interaction

    sent = Interaction.objects.filter(company__name=COMPANY_NAME).count()
    scheduled = Interaction.objects.filter(company__name=COMPANY_NAME, status="scheduled").count()
    client = redis.Redis.from_url(env["REDIS_URL"])
    queued = client.llen("sends")
    client.delete(FLOOR_LIST, "sends")
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {FLOOR_TABLE}")
        (floor_rows,) = cursor.fetchone()
        cursor.execute(f"DROP TABLE IF EXISTS {FLOOR_TABLE}")
    Company.objects.filter(name=COMPANY_NAME).delete()
    return {"interactions": sent, "scheduled": scheduled, "queued": queued, "floorRows": floor_rows}


class KeepAliveClient:
    """One keep-alive connection per thread; reconnects when the server closes it."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.local = threading.local()

    def post(self, path: str, body: bytes, headers: dict[str, str]) -> int:
        connection = getattr(self.local, "connection", None)
        if connection is None:
            connection = self.local.connection = http.client.HTTPConnection(
                "127.0.0.1", self.port, timeout=30
            )
        try:
            connection.request("POST", path, body=body, headers=headers)
            response = connection.getresponse()
            response.read()
            if response.getheader("Connection", "").lower() == "close":
                connection.close()
            return response.status
        except (http.client.HTTPException, OSError):
            connection.close()
            self.local.connection = None
            return 0


def measure(send, *, seconds: float) -> Run:  # noqa: ANN001
    """Call ``send(thread_index, n)`` (an HTTP status) from CONCURRENCY threads for
    ``seconds``; bounded by time, so it always ends."""
    counts = [0] * CONCURRENCY
    errors = [0] * CONCURRENCY
    stop_at = time.monotonic() + seconds

    def worker(index: int) -> None:
        n = 0
        while time.monotonic() < stop_at:
            if send(index, n) == 200:
                counts[index] += 1
            else:
                errors[index] += 1
            n += 1

    started = time.monotonic()
    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(CONCURRENCY)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=seconds + 60)
    return Run(sum(counts), sum(errors), time.monotonic() - started)


def bodies(borrower_ids: list[str], loan_ids: list[str], *, collection: bool = False) -> list[bytes]:
    context = {"paymentAmount": "245.50", "paymentDate": "2026-12-01", "referenceNumber": "R-1"}
    if collection:
        return [
            json.dumps(
                {
                    "personId": person,
                    "subject": "loanOverdueFirstNotice",
                    "channel": "email",
                    "loanId": loan,
                    "context": context,
                }
            ).encode()
            for person, loan in zip(borrower_ids, loan_ids, strict=True)
        ]
    return [
        json.dumps(
            {"personId": person, "subject": "paymentProcessed", "channel": "email", "context": context}
        ).encode()
        for person in borrower_ids
    ]


def main(*, collection: bool = False) -> None:
    env = environment()
    ensure_database(env["DATABASE_URL"])
    migrate(env)
    borrowers = COLLECTION_BORROWERS if collection else BORROWERS
    key, borrower_ids, loan_ids = setup_data(env, borrowers=borrowers, collection=collection)
    payloads = bodies(borrower_ids, loan_ids, collection=collection)
    headers = {"Content-Type": "application/json", "X-API-KEY": key}
    per_thread = len(payloads) // CONCURRENCY

    sent = [0] * CONCURRENCY

    def payload(index: int) -> bytes:
        # Each thread has its own borrowers (no thread waits for another's borrower lock)
        # and goes round them across measurements (collection sends are capped per borrower).
        sent[index] += 1
        return payloads[index * per_thread + sent[index] % per_thread]

    server = Server(env, workers=WORKERS)
    try:
        server.wait_ready()
        client = KeepAliveClient(server.port)
        status = client.post(SEND_PATH, payloads[0], headers)
        if status != 200:
            raise SystemExit(f"send answered {status}")

        def floor(index: int, n: int) -> int:
            return client.post(FLOOR_PATH, payload(index), headers)

        def send(index: int, n: int) -> int:
            return client.post(SEND_PATH, payload(index), headers)

        measure(floor, seconds=WARMUP_SECONDS)
        measure(send, seconds=WARMUP_SECONDS)
        floor_rates: list[float] = []
        send_rates: list[float] = []
        for round_ in range(1, ROUNDS + 1):
            runs = (("floor", floor, floor_rates), ("send", send, send_rates))
            cpu = {}
            for name, fn, rates in runs if round_ % 2 else reversed(runs):
                before = cpu_seconds()
                run = measure(fn, seconds=SECONDS)
                if run.errors:
                    raise SystemExit(f"{name}: {run.errors} requests failed")
                rates.append(run.rate)
                cpu[name] = cpu_per_request(before, cpu_seconds(), run.requests)
            print(
                f"round {round_}: floor {floor_rates[-1]:.1f} req/s, send {send_rates[-1]:.1f} req/s",
                flush=True,
            )
            for name in ("floor", "send"):
                print(f"  CPU per {name} request: {cpu[name]}", flush=True)
    finally:
        server.stop()
        counts = cleanup(env)

    floor_rate, send_rate = median(floor_rates), median(send_rates)
    print(
        f"checked: {counts['interactions']} interactions written, {counts['scheduled']} scheduled, "
        f"{counts['queued']} dispatch tasks queued; {counts['floorRows']} floor rows"
    )
    kind = "collection send (loanOverdueFirstNotice email with loanId)" if collection else "send"
    print(
        f"{kind} throughput: {send_rate:.1f} req/s; floor (one INSERT + one LPUSH): {floor_rate:.1f} req/s; "
        f"ratio {send_rate / floor_rate:.2f} of the floor (goal >= 0.50) [gunicorn {WORKERS} sync workers, "
        f"{CONCURRENCY} keep-alive client threads, median of {ROUNDS} rounds of {SECONDS:g}s]"
    )


def profile(sends: int = 300) -> None:
    """Sends in-process (Django's test client, same settings) under cProfile."""
    import cProfile
    import pstats

    env = environment()
    ensure_database(env["DATABASE_URL"])
    migrate(env)
    key, borrower_ids, loan_ids = setup_data(env)
    from django.test import Client

    client = Client(HTTP_X_API_KEY=key, HTTP_HOST="localhost")
    payloads = bodies(borrower_ids, loan_ids)
    for body in payloads[:20]:
        client.post(SEND_PATH, body, content_type="application/json")
    profiler = cProfile.Profile()
    started = time.perf_counter()
    profiler.enable()
    for n in range(sends):
        response = client.post(SEND_PATH, payloads[n % len(payloads)], content_type="application/json")
        assert response.status_code == 200, response.content[:300]
    profiler.disable()
    elapsed = time.perf_counter() - started
    cleanup(env)
    print(f"{sends} sends in {elapsed:.2f}s ({sends / elapsed:.1f}/s in one thread, profiled)")
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(45)


if __name__ == "__main__":
    if "--profile" in sys.argv:
        profile()
    else:
        main(collection="--collection" in sys.argv)

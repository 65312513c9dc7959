"""Another company's reads while one company renders long PDFs, as a ratio to the same
reads alone.

Two companies on one gunicorn (``WORKERS`` sync workers, as the image's default
``WEB_CONCURRENCY``): "Reader Lending" lists its borrowers (``GET /api/people``, from
``READERS`` client threads); "Heavy Lending" renders a long letter
(``POST /api/communicator/render?fmt=pdf``: about 2,400 tags, under ``PDF_MAX_ELEMENTS``,
a few seconds of xhtml2pdf each) from ``HEAVY`` client threads that send the next render
as soon as one is answered (after a 429, 0.1 s later: a client that does not wait the
``Retry-After``). The floor is the reads with no render running, measured in the same run
in interleaved rounds; the result is the reads' median latency, 95th percentile and
throughput during the renders as a ratio to the floor.

Measured twice, on two servers: with the per-company limit (``PDF_RENDERS_PER_COMPANY``,
default 2), and with it off (``0``), which is how the service behaved before the limit
(the renders take every worker, and the reads wait for one).

Runs against PostgreSQL (``DATABASE_URL``, default
``postgres://postgres@127.0.0.1:5432/peachcomms_bench``, created and migrated if needed)
and Redis (``REDIS_URL``, default db 5, where the limit's slots are), on loopback only,
for a bounded time (about two minutes), and stops its servers itself.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import Server, bench_env, ensure_database, migrate, request  # noqa: E402

DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/5"
WORKERS = 3
READERS = 2
HEAVY = 4
ROUNDS = 2
SECONDS = 8.0
#: Let the renders take their workers before the reads under load are timed.
RAMP_SECONDS = 1.0
LONG_LETTER = (
    "<h1>Statement of account</h1>{% for i in range(600) %}"
    "<table><tr><td>Line {{ i }}</td><td>$1.00</td></tr></table>{% endfor %}"
)


def setup_data(env: dict[str, str]) -> tuple[str, str, bytes]:
    """The two companies; returns (reader key, heavy key, the heavy render's body)."""
    os.environ.update(env)
    import django

    django.setup()
    from borrowers.models import Borrower
    from borrowers.services import api_key_create, company_create
    from templating import services as templating_services

    address = {"addressLine1": "1 Main St", "city": "Springfield", "state": "IL", "postalCode": "62701"}
    companies = {}
    for name in ("Reader Lending", "Heavy Lending"):
        companies[name] = company_create(
            name=f"{name} {time.time_ns()}",
            brand_name=name,
            support_phone="+18005550100",
            support_email="help@bench.example",
            mailing_address=address,
        )
    reader, heavy = companies["Reader Lending"], companies["Heavy Lending"]
    Borrower.objects.bulk_create(
        Borrower(company=reader, first_name=f"Reader{i}", last_name="Borrower") for i in range(25)
    )
    heavy_person = Borrower.objects.create(company=heavy, first_name="Ada", last_name="Lovelace")
    descriptor = templating_services.template_descriptor_create(
        company=heavy, data={"subject": "debtValidationNotice", "channel": "mail", "language": "en"}
    )
    version = templating_services.template_version_create(
        descriptor=descriptor, data={"content_html_template": LONG_LETTER}
    )
    templating_services.template_version_activate(version=version)
    reader_key = api_key_create(company=reader, name="bench", permissions=["people:read"]).raw_key
    heavy_key = api_key_create(company=heavy, name="bench", permissions=["communicator:read"]).raw_key
    body = json.dumps({"subject": "debtValidationNotice", "personId": heavy_person.pk}).encode()
    return reader_key, heavy_key, body


@dataclass
class Reads:
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    seconds: float = 0.0

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds

    @property
    def median_ms(self) -> float:
        return statistics.median(self.latencies) * 1000

    @property
    def p95_ms(self) -> float:
        return statistics.quantiles(self.latencies, n=20)[-1] * 1000


def read_for(port: int, key: str, seconds: float) -> Reads:
    """``GET /api/people`` from ``READERS`` threads for ``seconds``, each request timed."""
    reads = Reads()
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds

    def reader() -> None:
        while time.monotonic() < stop_at:
            started = time.perf_counter()
            status, _ = request("GET", port, "/api/people?limit=25", headers={"X-API-KEY": key})
            elapsed = time.perf_counter() - started
            with lock:
                if status == 200:
                    reads.latencies.append(elapsed)
                else:
                    reads.errors += 1

    started = time.monotonic()
    threads = [threading.Thread(target=reader, daemon=True) for _ in range(READERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=seconds + 90)
    reads.seconds = time.monotonic() - started
    return reads


class Renders:
    """``HEAVY`` threads rendering the long letter until ``stop()``; counts answers."""

    def __init__(self, port: int, key: str, body: bytes) -> None:
        self.statuses: dict[int, int] = {}
        self._stop = threading.Event()
        self._lock = threading.Lock()
        headers = {"X-API-KEY": key, "Content-Type": "application/json"}

        def render() -> None:
            while not self._stop.is_set():
                status, _ = request("POST", port, "/api/communicator/render?fmt=pdf", body, headers)
                with self._lock:
                    self.statuses[status] = self.statuses.get(status, 0) + 1
                if status == 429:
                    self._stop.wait(0.1)

        self._threads = [threading.Thread(target=render, daemon=True) for _ in range(HEAVY)]
        for thread in self._threads:
            thread.start()

    def stop(self) -> dict[int, int]:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=90)
        return dict(sorted(self.statuses.items()))


def measure(env: dict[str, str], label: str, reader_key: str, heavy_key: str, body: bytes) -> str:
    server = Server(env, workers=WORKERS)
    try:
        server.wait_ready()
        status, content = request(
            "POST",
            server.port,
            "/api/communicator/render?fmt=pdf",
            body,
            {"X-API-KEY": heavy_key, "Content-Type": "application/json"},
        )
        if status != 200 or not content.startswith(b"%PDF"):
            raise SystemExit(f"the long letter answered {status}: {content[:300]!r}")
        read_for(server.port, reader_key, 1.5)  # warm-up
        alone: list[Reads] = []
        loaded: list[Reads] = []
        statuses: dict[int, int] = {}
        for round_ in range(1, ROUNDS + 1):
            alone.append(read_for(server.port, reader_key, SECONDS))
            renders = Renders(server.port, heavy_key, body)
            time.sleep(RAMP_SECONDS)
            loaded.append(read_for(server.port, reader_key, SECONDS))
            for code, count in renders.stop().items():
                statuses[code] = statuses.get(code, 0) + count
            print(
                f"[{label}] round {round_}: alone {alone[-1].rate:.1f} reads/s, median "
                f"{alone[-1].median_ms:.1f} ms; during renders {loaded[-1].rate:.1f} reads/s, median "
                f"{loaded[-1].median_ms:.1f} ms, p95 {loaded[-1].p95_ms:.1f} ms"
            )
        if any(run.errors for run in alone + loaded):
            raise SystemExit(f"[{label}] some reads failed")
    finally:
        server.stop()

    def med(runs: list[Reads], attr: str) -> float:
        return statistics.median(getattr(run, attr) for run in runs)

    latency = med(loaded, "median_ms") / med(alone, "median_ms")
    p95 = med(loaded, "p95_ms") / med(alone, "p95_ms")
    rate = med(loaded, "rate") / med(alone, "rate")
    answers = ", ".join(f"{count} x {code}" for code, count in statuses.items())
    return (
        f"{label}: another company's GET /api/people during {HEAVY} concurrent long PDF renders vs "
        f"alone: median latency {latency:.2f}x ({med(loaded, 'median_ms'):.1f} vs "
        f"{med(alone, 'median_ms'):.1f} ms), p95 {p95:.2f}x, throughput {rate:.2f} of the floor "
        f"({med(loaded, 'rate'):.1f} vs {med(alone, 'rate'):.1f} reads/s); renders answered: {answers}"
    )


def main() -> None:
    # The limit's slots are in the cache: Redis, shared by the workers (the in-process
    # cache of the embedded default would limit each worker on its own).
    env = bench_env(REDIS_URL=os.environ.get("REDIS_URL") or DEFAULT_REDIS_URL)
    ensure_database(env["DATABASE_URL"])
    migrate(env)
    reader_key, heavy_key, body = setup_data(env)
    limited = measure(
        {**env, "PDF_RENDERS_PER_COMPANY": "2"},
        "limit on (PDF_RENDERS_PER_COMPANY=2)",
        reader_key,
        heavy_key,
        body,
    )
    unlimited = measure(
        {**env, "PDF_RENDERS_PER_COMPANY": "0"}, "limit off (=0)", reader_key, heavy_key, body
    )
    print(limited)
    print(unlimited)
    print(
        f"[gunicorn {WORKERS} sync workers, {READERS} reader threads, {HEAVY} render threads, "
        f"{ROUNDS} interleaved rounds of {SECONDS:g} s]"
    )


if __name__ == "__main__":
    main()

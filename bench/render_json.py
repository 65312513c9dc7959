"""Request throughput of ``POST /api/communicator/render-json`` as a ratio to a floor.

The floor is ``/bench/floor`` (bench/urls_bench.py): a minimal Django view returning a
fixed JSON body, served by the same gunicorn, middleware and client. The measured route
authenticates the key, checks the subject, hydrates company, person and loan, selects the
template (the built-in ``paymentDueReminder`` email, which extends the branded layout)
and renders its three parts. Both get the same POST, from the same number of client
threads, in interleaved rounds; the medians and their ratio are printed.

Runs against PostgreSQL (``DATABASE_URL``, default
``postgres://postgres@127.0.0.1:5432/peachcomms_bench``, created and migrated if needed),
on loopback only, for a bounded time (about 45 s), and stops its server itself.
"""

from __future__ import annotations

import json
import os
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import Server, bench_env, ensure_database, load, median, migrate, request  # noqa: E402

CONCURRENCY = 4
WORKERS = 2
ROUNDS = 5
SECONDS = 3.0
WARMUP_SECONDS = 1.5


def setup_data(env: dict[str, str]) -> tuple[str, dict]:
    """A company with a key, a borrower and a loan; returns (api key, request body)."""
    os.environ.update(env)
    import django

    django.setup()
    from borrowers.models import Borrower, Loan
    from borrowers.services import api_key_create, company_create

    company = company_create(
        name="Bench Lending LLC",
        brand_name="Bench Lending",
        support_phone="+18005550100",
        support_email="help@bench.example",
        mailing_address={
            "addressLine1": "1 Main St",
            "city": "Springfield",
            "state": "IL",
            "postalCode": "62701",
        },
    )
    key = api_key_create(company=company, name="bench", permissions=["communicator:read"]).raw_key
    person = Borrower.objects.create(company=company, first_name="Ada", last_name="Lovelace")
    loan = Loan.objects.create(
        company=company,
        borrower=person,
        display_id="LN-2026-004417",
        amount_due=Decimal("245.50"),
        due_date=date(2026, 12, 15),
        product_name="personal loan",
    )
    body = {
        "subject": "paymentDueReminder",
        "channel": "email",
        "personId": person.pk,
        "loanId": loan.pk,
        "context": {"actionUrl": "https://pay.bench.example/x"},
    }
    return key, body


def main() -> None:
    env = bench_env()
    ensure_database(env["DATABASE_URL"])
    migrate(env)
    key, body = setup_data(env)
    payload = json.dumps(body).encode()
    headers = {"Content-Type": "application/json", "X-API-KEY": key}

    server = Server(env, workers=WORKERS)
    try:
        server.wait_ready()
        status, content = request("POST", server.port, "/api/communicator/render-json", payload, headers)
        if status != 200:
            raise SystemExit(f"render-json answered {status}: {content[:300]!r}")
        rendered = json.loads(content)
        assert "$245.50" in rendered["contentText"], rendered

        def floor() -> int:
            return request("POST", server.port, "/bench/floor", payload, headers)[0]

        def render_json() -> int:
            return request("POST", server.port, "/api/communicator/render-json", payload, headers)[0]

        load(floor, concurrency=CONCURRENCY, seconds=WARMUP_SECONDS)
        load(render_json, concurrency=CONCURRENCY, seconds=WARMUP_SECONDS)
        floor_rates, render_rates = [], []
        for round_ in range(1, ROUNDS + 1):
            runs = (("floor", floor, floor_rates), ("render-json", render_json, render_rates))
            for name, send, rates in runs if round_ % 2 else reversed(runs):
                run = load(send, concurrency=CONCURRENCY, seconds=SECONDS)
                if run.errors:
                    raise SystemExit(f"{name}: {run.errors} requests failed")
                rates.append(run.rate)
            print(
                f"round {round_}: floor {floor_rates[-1]:.1f} req/s, render-json {render_rates[-1]:.1f} req/s"
            )
    finally:
        server.stop()

    floor_rate, render_rate = median(floor_rates), median(render_rates)
    print(
        f"render-json throughput: {render_rate:.1f} req/s; floor (fixed JSON view): {floor_rate:.1f} req/s; "
        f"ratio {render_rate / floor_rate:.2f} of the floor "
        f"({floor_rate / render_rate:.2f}x the cost per request) [gunicorn {WORKERS} sync workers, "
        f"{CONCURRENCY} client threads, median of {ROUNDS} rounds of {SECONDS:g}s]"
    )


if __name__ == "__main__":
    main()

"""Two concurrent updates of one interaction to conflicting forward statuses: the row lock
makes the second see the first's status, so exactly one wins."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection

from interactions import catalogue
from interactions.models import Interaction
from tests.conftest import make_client
from tests.factories import BorrowerFactory, CompanyFactory, InteractionFactory

pytestmark = [
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    # SQLite (the smoke run) locks the whole database: there is no row lock to test.
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks are PostgreSQL's"),
]

# Held between reading the status and writing it, so that without the row lock both
# requests would read "scheduled", both pass the forward check and both write.
CHECK_DELAY = 0.3
ROUNDS = 3


def _race(clients: list, url: str, targets: list[str]) -> dict[str, tuple[int, dict]]:
    """PUT each target status through its own client, all released at once."""
    barrier = threading.Barrier(len(targets))
    results: dict[str, tuple[int, dict]] = {}

    def update(client, status: str) -> None:  # noqa: ANN001
        try:
            barrier.wait(timeout=5)
            response = client.put(url, {"status": status}, format="json")
            results[status] = (response.status_code, response.json())
        finally:
            connection.close()

    threads = [threading.Thread(target=update, args=pair) for pair in zip(clients, targets, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


def test_conflicting_status_updates_one_wins(monkeypatch):
    original = catalogue.can_transition

    def slow_can_transition(old: str, new: str) -> bool:
        allowed = original(old, new)
        time.sleep(CHECK_DELAY)
        return allowed

    monkeypatch.setattr(catalogue, "can_transition", slow_can_transition)
    company = CompanyFactory()
    borrower = BorrowerFactory(company=company)
    clients = [make_client(company), make_client(company)]

    for _ in range(ROUNDS):
        interaction = InteractionFactory(borrower=borrower, status="scheduled")
        url = f"/api/people/{borrower.pk}/interactions/{interaction.pk}"
        # Both are allowed from "scheduled"; neither may follow the other.
        results = _race(clients, url, ["canceled", "inProgress"])

        assert sorted(code for code, _ in results.values()) == [200, 400], results
        (winner,) = [s for s, (code, _) in results.items() if code == 200]
        (loser,) = [s for s, (code, _) in results.items() if code == 400]
        interaction.refresh_from_db()
        assert interaction.status == winner
        assert f"'{winner}'" in results[loser][1]["message"]
        assert Interaction.objects.filter(pk=interaction.pk, status=loser).count() == 0

"""Concurrent sends against real PostgreSQL: each thread is a client with its own
database connection, so the borrower lock and the unique constraint are what decide."""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

import pytest
from django.db import connection
from rest_framework.test import APIClient

from interactions.models import Interaction
from tests.interactions_send.helpers import iso, ny

THREADS = 20


def _post_concurrently(raw_key: str, bodies: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """POST each body to /api/communicator/send from its own thread, all released at once."""
    barrier = threading.Barrier(len(bodies))
    answers: list[dict[str, Any]] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def post(body: dict[str, Any]) -> None:
        client = APIClient()
        client.credentials(HTTP_X_API_KEY=raw_key)
        try:
            barrier.wait(timeout=30)
            response = client.post("/api/communicator/send", body, format="json")
            with lock:
                answers.append({"statusCode": response.status_code, **response.json()})
        except BaseException as error:  # noqa: BLE001 - reported below
            with lock:
                errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=post, args=(body,)) for body in bodies]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    return answers


@pytest.mark.slow
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_twenty_concurrent_calls_over_a_cap_accept_exactly_the_cap(api, borrower, phone_contact, published):
    # loanOverdueFirstNotice is opsCollDebt; a normal-intensity borrower may get 7 calls per
    # 7 days. 10:00 in New York, three days ahead: inside the calling window.
    at = ny(3, 10)
    body = {
        "personId": borrower.pk,
        "subject": "loanOverdueFirstNotice",
        "channel": "voice",
        "sendAt": iso(at),
    }
    answers = _post_concurrently(api.raw_key, [body] * THREADS)
    outcomes = Counter((a["statusCode"], a.get("reason"), a.get("sendAt")) for a in answers)
    assert outcomes == Counter({(200, None, None): 7, (422, "frequency", iso(ny(10, 10))): 13})
    rows = Interaction.objects.filter(borrower=borrower)
    assert rows.count() == 7
    assert set(rows.values_list("status", "send_at", "channel")) == {("scheduled", at, "voice")}
    assert published == []  # due in three days: the beat hands them over then


@pytest.mark.slow
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_retries_with_one_external_id_create_one_interaction(
    api, borrower, email_contact, published
):
    body = {
        "personId": borrower.pk,
        "subject": "paymentProcessed",
        "channel": "email",
        "interactionExternalId": "lender-retry-1",
    }
    answers = _post_concurrently(api.raw_key, [body] * 4)
    assert [a["statusCode"] for a in answers] == [200] * 4
    assert Counter(a["message"] for a in answers) == Counter({"queued": 1, "already queued: scheduled": 3})
    ids = {a["data"]["id"] for a in answers}
    assert len(ids) == 1
    assert list(Interaction.objects.values_list("pk", "external_id")) == [(ids.pop(), "lender-retry-1")]
    assert len(published) == 1

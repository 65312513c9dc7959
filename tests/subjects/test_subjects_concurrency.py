"""Concurrent writes of one company's subject settings, through the API, each request on
its own PostgreSQL connection (committed rows: a transactional test)."""

import threading

import pytest
from django.db import connection

from subjects.models import CompanySubjectSetting
from tests.conftest import make_client
from tests.factories import CompanyFactory

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_concurrent_puts_of_different_fields_all_stick():
    """Each request changes one attribute of the same (not yet overridden) subject at the
    same moment: the first-write race and the row lock must keep every change."""
    bodies = [
        {"theme": "marketing"},
        {"caseTypes": ["collection"]},
        {"agentCanSend": False},
        {"previewOnly": True},
    ]
    url = "/api/communicator/subjects/welcome"
    company = CompanyFactory(name="Concurrent Lender")
    clients = [make_client(company) for _ in bodies]
    statuses: list[int] = []

    def put(client, body, barrier) -> None:  # noqa: ANN001
        try:
            barrier.wait(timeout=10)
            statuses.append(client.put(url, body, format="json").status_code)
        finally:
            connection.close()

    for _ in range(3):
        CompanySubjectSetting.objects.filter(company=company).delete()
        barrier = threading.Barrier(len(bodies))
        threads = [
            threading.Thread(target=put, args=(client, body, barrier))
            for client, body in zip(clients, bodies, strict=True)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        setting = CompanySubjectSetting.objects.get(company=company, subject_id="welcome")
        assert (setting.theme_id, setting.case_types, setting.agent_can_send, setting.preview_only) == (
            "marketing",
            ["collection"],
            False,
            True,
        )
    assert statuses == [200] * (3 * len(bodies))

"""Test setup: the suite runs against real PostgreSQL and Redis (make test sets
DATABASE_URL and REDIS_URL to their usual local addresses)."""

from __future__ import annotations

import os

import pytest
from django.conf import settings
from rest_framework.test import APIClient

from borrowers import services as borrower_services
from tests.factories import CompanyFactory


def pytest_configure(config: pytest.Config) -> None:
    engine = settings.DATABASES["default"]["ENGINE"]
    # PEACHCOMMS_SQLITE_SMOKE=1 runs API tests against the embedded SQLite default, to find
    # what breaks there (not part of make test: locks and concurrency need PostgreSQL).
    if "postgresql" not in engine and not os.environ.get("PEACHCOMMS_SQLITE_SMOKE"):
        raise pytest.UsageError(
            "The tests need PostgreSQL: run them with `make test`, or set "
            "DATABASE_URL=postgres://postgres@127.0.0.1:5432/peachcomms (and REDIS_URL)."
        )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Transactional tests flush every table when they end, which would also wipe the rows
    data migrations load (the subject catalogue, the built-in templates). Give each of them
    serialized_rollback, which restores those rows, so test order never matters."""
    for item in items:
        marker = item.get_closest_marker("django_db")
        if (
            marker is not None
            and marker.kwargs.get("transaction")
            and not marker.kwargs.get("serialized_rollback")
        ):
            kwargs = {**marker.kwargs, "serialized_rollback": True}
            item.add_marker(pytest.mark.django_db(*marker.args, **kwargs), append=False)


class ApiClient(APIClient):
    """An API client for one company's key; ``.company`` and ``.raw_key`` are set."""


def make_client(company, permissions: list[str] | None = None) -> ApiClient:  # noqa: ANN001
    issued = borrower_services.api_key_create(company=company, permissions=permissions)
    client = ApiClient()
    client.credentials(HTTP_X_API_KEY=issued.raw_key)
    client.company = company
    client.raw_key = issued.raw_key
    client.api_key = issued.api_key
    return client


@pytest.fixture
def company(db):  # noqa: ANN001, ANN201
    return CompanyFactory()


@pytest.fixture
def other_company(db):  # noqa: ANN001, ANN201
    return CompanyFactory(name="Other Lender")


@pytest.fixture
def api(company) -> ApiClient:  # noqa: ANN001
    """A client whose key has every permission."""
    return make_client(company)


@pytest.fixture
def other_api(other_company) -> ApiClient:  # noqa: ANN001
    return make_client(other_company)


@pytest.fixture
def client_with():  # noqa: ANN201
    """``client_with(company, ["people:read"])``: a client whose key has only these permissions."""
    return make_client


@pytest.fixture(autouse=True)
def _fresh_settings_cache():  # noqa: ANN202
    """Each test starts with an empty per-process settings cache (borrowers.settings_cache).
    Correctness never depends on it; it keeps one test's entries out of another's view."""
    from borrowers import settings_cache

    settings_cache.clear()
    yield

from __future__ import annotations

import pytest

from tests.factories import BorrowerFactory


@pytest.fixture
def borrower(company):  # noqa: ANN001, ANN201
    return BorrowerFactory(company=company, external_id="B-1")


@pytest.fixture
def sibling(company):  # noqa: ANN001, ANN201
    """Another borrower of the same company: its records are never reachable through
    ``borrower``'s paths."""
    return BorrowerFactory(company=company, external_id="B-2")


@pytest.fixture
def stranger(other_company):  # noqa: ANN001, ANN201
    """A borrower of another company."""
    return BorrowerFactory(company=other_company, external_id="B-1")


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):  # noqa: ANN001, ANN201
    """Document content goes to a per-test folder."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT

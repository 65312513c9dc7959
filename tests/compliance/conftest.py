"""Fixtures shared by the Compliance Guard tests (API, admin and the guard engine)."""

from __future__ import annotations

import pytest

from compliance.models import ComplianceRule
from compliance.services import rules_create_defaults
from tests.factories import BorrowerFactory


@pytest.fixture
def rules(company) -> dict[str, ComplianceRule]:  # noqa: ANN001
    """The company's rule rows from the shipped defaults, by ``code``."""
    rules_create_defaults(company)
    return {rule.code: rule for rule in ComplianceRule.objects.filter(company=company)}


@pytest.fixture
def borrower(company):  # noqa: ANN001, ANN201
    """An active borrower of ``company`` (no contacts, loans or cases)."""
    return BorrowerFactory(company=company)

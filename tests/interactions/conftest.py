from __future__ import annotations

from typing import Any

import pytest

from tests.factories import BorrowerFactory


@pytest.fixture
def borrower(company):  # noqa: ANN001, ANN201
    return BorrowerFactory(company=company, external_id="B-1")


@pytest.fixture
def log(api, borrower):  # noqa: ANN001, ANN201
    """``log(**body)``: POST a logged interaction for ``borrower``; returns the response."""

    def post(client=None, person=None, **body: Any):  # noqa: ANN001, ANN202
        base = {"channel": "email", "direction": "outbound", "subject": "paymentDueReminder"}
        return (client or api).post(
            f"/api/people/{(person or borrower).pk}/interactions", {**base, **body}, format="json"
        )

    return post

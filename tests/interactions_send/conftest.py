"""Fixtures of the send-path tests: a company with its Compliance Guard rule rows, a
borrower in New York with an email, a consenting mobile phone and a postal address, and
the ids the dispatcher would hand to the broker (recorded, never published)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from borrowers.models import Contact
from compliance.services import rules_create_defaults
from interactions.models import Interaction
from tests.conftest import make_client
from tests.factories import BorrowerFactory, CompanyFactory, ContactFactory, LoanFactory

NY_PHONE = "+12125550100"


@pytest.fixture
def company(db):  # noqa: ANN001, ANN201
    company = CompanyFactory(
        name="Peach Lending LLC",
        brand_name="Peach",
        legal_name="Peach Lending LLC",
        support_email="help@peach.example",
        support_phone="+18005550100",
        mailing_address={
            "addressLine1": "1 Peach St",
            "city": "Atlanta",
            "state": "GA",
            "postalCode": "30301",
        },
    )
    rules_create_defaults(company)
    return company


@pytest.fixture
def other_company(db):  # noqa: ANN001, ANN201
    company = CompanyFactory(name="Other Lender")
    rules_create_defaults(company)
    return company


@pytest.fixture
def borrower(company):  # noqa: ANN001, ANN201
    return BorrowerFactory(
        company=company, first_name="Ada", last_name="Lovelace", timezone="America/New_York"
    )


@pytest.fixture
def email_contact(borrower):  # noqa: ANN001, ANN201
    return ContactFactory(borrower=borrower, value="ada@example.com")


@pytest.fixture
def phone_contact(borrower):  # noqa: ANN001, ANN201
    return ContactFactory(
        borrower=borrower,
        contact_type=Contact.ContactType.PHONE,
        label=Contact.Label.MOBILE,
        value=NY_PHONE,
        receive_text_messages=True,
        consent_autodialed_call=True,
    )


@pytest.fixture
def address_contact(borrower):  # noqa: ANN001, ANN201
    return ContactFactory(
        borrower=borrower,
        contact_type=Contact.ContactType.ADDRESS,
        label=Contact.Label.HOME,
        value="",
        address_line1="12 Main St",
        city="Brooklyn",
        state="NY",
        postal_code="11201",
        country="US",
    )


@pytest.fixture
def contacts(email_contact, phone_contact, address_contact):  # noqa: ANN001, ANN201
    return {"email": email_contact, "phone": phone_contact, "address": address_contact}


@pytest.fixture
def loan(borrower):  # noqa: ANN001, ANN201
    return LoanFactory(
        borrower=borrower,
        display_id="LN-2026-0042",
        amount_due=Decimal("120.00"),
        due_date=date(2026, 12, 15),
        product_name="personal loan",
    )


@pytest.fixture
def api(company):  # noqa: ANN001, ANN201
    """A client whose key has every permission."""
    return make_client(company)


@pytest.fixture
def published(monkeypatch):  # noqa: ANN001, ANN201
    """The ids handed to the broker after commit (recorded instead of published)."""
    ids: list[str] = []
    monkeypatch.setattr("interactions.dispatch.enqueue._publish", lambda batch, stamp: ids.extend(batch))
    return ids


@pytest.fixture(autouse=True)
def _no_broker(published, settings):  # noqa: ANN001, ANN202
    """No test of this package talks to the broker; senders come from the company."""
    settings.SENDGRID_FROM_EMAIL = ""
    settings.TWILIO_FROM_NUMBER = ""


@pytest.fixture
def send(api, borrower, django_capture_on_commit_callbacks):  # noqa: ANN001, ANN201
    """``send(client=None, **body)``: POST /api/communicator/send for ``borrower``
    (email, paymentDueReminder unless overridden), running the after-commit callbacks."""

    def post(client=None, **body: Any):  # noqa: ANN001, ANN202
        base = {"personId": borrower.pk, "subject": "paymentDueReminder", "channel": "email"}
        with django_capture_on_commit_callbacks(execute=True):
            return (client or api).post("/api/communicator/send", {**base, **body}, format="json")

    return post


def count() -> int:
    return Interaction.objects.count()

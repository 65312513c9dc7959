"""The demo company that ``manage.py seed_demo`` (and so ``make run``) sets up: one
borrower with an email, a mobile phone that accepts texts and a home address, one active
loan, and an API key with every permission.

Seeding is idempotent: the rows are found by their external ids (and the company by its
demo key, else by name) and only what is missing is created, through the services.

Keys are stored only hashed, so the demo key cannot be read back; instead it is derived
from ``SECRET_KEY`` (HMAC-SHA256), and every run prints the same key. With the fixed
development key it is stable across machines; with a real ``SECRET_KEY`` it is as
unguessable as the secret. Changing ``SECRET_KEY`` gives a new demo key (the next seed
adds it to the demo company; the old one keeps working until it is revoked).

The demo staff login (``seed_demo --staff-login``, which ``make run`` passes) is made the
same way, and only in the embedded default (SQLite with ``DEBUG`` on): a superuser
``demo`` whose password is derived from ``SECRET_KEY``. Anywhere else it is skipped, so a
deployment never gets a login whose password a log or a terminal has shown.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.utils import timezone

from borrowers.models import ApiKey, Borrower, Company, Contact, Loan
from borrowers.services import borrower_create, company_create, contact_create, loan_create
from peachcomms.api.permissions import ALL_PERMISSIONS

DEMO_COMPANY_NAME = "Demo Lending"
DEMO_KEY_PREFIX = "pck_demo_"
DEMO_KEY_NAME = "demo (seed_demo)"
DEMO_BORROWER_EXTERNAL_ID = "demo-borrower-1"
DEMO_LOAN_EXTERNAL_ID = "demo-loan-1"

DEMO_COMPANY = {
    "brand_name": "Demo",
    "legal_name": "Demo Lending, Inc.",
    "timezone": "America/New_York",
    "support_phone": "+18005550199",
    "support_email": "support@demo-lending.example",
    "help_text": "Demo Lending: call +1 800 555 0199 or email support@demo-lending.example.",
}
DEMO_BORROWER = {
    "external_id": DEMO_BORROWER_EXTERNAL_ID,
    "first_name": "Alex",
    "last_name": "Rivera",
    "timezone": "America/New_York",
}
# external id → contact: an email, a mobile phone that accepts texts, a home address.
DEMO_CONTACTS = {
    "demo-email-1": {
        "contact_type": Contact.ContactType.EMAIL,
        "label": Contact.Label.PERSONAL,
        "value": "alex.rivera@example.com",
    },
    "demo-mobile-1": {
        "contact_type": Contact.ContactType.PHONE,
        "label": Contact.Label.MOBILE,
        "value": "+14155550100",
        "receive_text_messages": True,
    },
    "demo-home-1": {
        "contact_type": Contact.ContactType.ADDRESS,
        "label": Contact.Label.HOME,
        "address_line1": "1 Market St",
        "address_line2": "Apt 5",
        "city": "San Francisco",
        "state": "CA",
        "postal_code": "94105",
        "country": "US",
    },
}
DEMO_LOAN_DAYS_TO_DUE = 14
DEMO_STAFF_USERNAME = "demo"


@dataclass(frozen=True)
class DemoSetup:
    company: Company
    borrower: Borrower
    loan: Loan
    api_key: ApiKey
    raw_key: str


@dataclass(frozen=True)
class DemoLogin:
    """What ``demo_staff_login_ensure`` did. ``password`` is None when it is not the derived
    one (someone changed it: it is left alone); ``skipped`` says why nothing was done."""

    username: str
    password: str | None = None
    created: bool = False
    skipped: str | None = None


def _derived(purpose: bytes) -> str:
    return hmac.new(settings.SECRET_KEY.encode(), purpose, hashlib.sha256).hexdigest()


def demo_key() -> str:
    """The demo API key for this ``SECRET_KEY``."""
    return DEMO_KEY_PREFIX + _derived(b"peachcomms-demo-key")[:40]


def demo_staff_password() -> str:
    """The demo staff login's password for this ``SECRET_KEY``."""
    return "demo-" + _derived(b"peachcomms-demo-staff-login")[:16]


def embedded_default_refusal() -> str | None:
    """Why this is not the embedded default (SQLite with DEBUG on), or None when it is."""
    if connection.vendor != "sqlite":
        return f"the database is {connection.vendor}, not the embedded SQLite default"
    if not settings.DEBUG:
        return "DEBUG is off"
    return None


def demo_staff_login_ensure() -> DemoLogin:
    """The superuser ``demo`` with the derived password, created when missing, in the
    embedded default only. An existing ``demo`` user is never changed (not its password,
    not its rights): a developer who changed them meant it."""
    refusal = embedded_default_refusal()
    if refusal is not None:
        return DemoLogin(username=DEMO_STAFF_USERNAME, skipped=refusal)
    password = demo_staff_password()
    User = get_user_model()  # noqa: N806
    user = User.objects.filter(username=DEMO_STAFF_USERNAME).first()
    if user is None:
        # A superuser: the demo shows every admin page compliance and content staff use.
        User.objects.create_superuser(username=DEMO_STAFF_USERNAME, email="", password=password)
        return DemoLogin(username=DEMO_STAFF_USERNAME, password=password, created=True)
    return DemoLogin(
        username=DEMO_STAFF_USERNAME, password=password if user.check_password(password) else None
    )


def demo_api_key_ensure(*, company: Company, raw_key: str) -> ApiKey:
    """The API key whose hash is that of ``raw_key``, created for ``company`` with every
    permission when missing. A key that exists is returned as it is (a revoked demo key
    stays revoked)."""
    key_hash = ApiKey.hash_key(raw_key)
    key, _ = ApiKey.objects.get_or_create(
        key_hash=key_hash,
        defaults={
            "company": company,
            "name": DEMO_KEY_NAME,
            "key_hint": raw_key[:10],
            "permissions": list(ALL_PERMISSIONS),
        },
    )
    return key


def demo_seed() -> DemoSetup:
    """Create what is missing of the demo company, borrower, contacts and loan, and
    return them with the demo key."""
    raw_key = demo_key()
    with transaction.atomic():
        existing = ApiKey.objects.select_related("company").filter(key_hash=ApiKey.hash_key(raw_key)).first()
        if existing is not None:
            company = existing.company
        else:
            company = Company.objects.filter(name=DEMO_COMPANY_NAME).order_by("created_at").first()
            if company is None:
                company = company_create(name=DEMO_COMPANY_NAME, **DEMO_COMPANY)
        api_key = demo_api_key_ensure(company=company, raw_key=raw_key)

        borrower = Borrower.objects.filter(company=company, external_id=DEMO_BORROWER_EXTERNAL_ID).first()
        if borrower is None:
            borrower = borrower_create(company=company, data=DEMO_BORROWER)

        have = set(
            Contact.objects.filter(borrower=borrower, external_id__in=DEMO_CONTACTS).values_list(
                "external_id", flat=True
            )
        )
        for external_id, data in DEMO_CONTACTS.items():
            if external_id not in have:
                contact_create(borrower=borrower, data={"external_id": external_id, **data})

        loan = Loan.objects.filter(company=company, external_id=DEMO_LOAN_EXTERNAL_ID).first()
        if loan is None:
            loan = loan_create(
                borrower=borrower,
                data={
                    "external_id": DEMO_LOAN_EXTERNAL_ID,
                    "display_id": "DEMO-1001",
                    "status": Loan.Status.ACTIVE,
                    "product_name": "Demo Installment Loan",
                    "amount_due": Decimal("250.00"),
                    "due_date": timezone.localdate() + timedelta(days=DEMO_LOAN_DAYS_TO_DUE),
                },
            )
    return DemoSetup(company=company, borrower=borrower, loan=loan, api_key=api_key, raw_key=raw_key)

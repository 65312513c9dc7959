"""Hydration's shortcuts give what the plain composition gives: the company is not sent
through the JSON round trip twice, a loan named by ``loanId`` alone is represented once
for ``loan`` and ``loans``, and the encoder is built once. The company part is kept only
for as long as the row is unchanged, so a company edited between two hydrations shows in
the second (more in tests/templating/test_hydration_company_cache.py)."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from markupsafe import Markup
from rest_framework.utils.encoders import JSONEncoder

from borrowers.api.serializers import (
    BorrowerSerializer,
    CaseSerializer,
    ContactSerializer,
    DocumentSerializer,
    LoanSerializer,
)
from templating.hydration import company_representation, hydrate_context, plain, represent
from tests.factories import BorrowerFactory, CaseFactory, ContactFactory, DocumentFactory, LoanFactory

pytestmark = pytest.mark.django_db


def round_trip(data):  # noqa: ANN001, ANN201
    """``plain`` as it was: a new encoder per call."""
    return json.loads(json.dumps(data, cls=JSONEncoder))


def reference(company, *, person=None, contact=None, loan=None, loans=(), case=None, statement=None):  # noqa: ANN001, ANN201
    """Every object represented, then the whole context through one round trip."""
    return round_trip(
        {
            "company": company_representation(company),
            "person": represent(BorrowerSerializer, person) if person else None,
            "contact": represent(ContactSerializer, contact) if contact else None,
            "loan": represent(LoanSerializer, loan) if loan else None,
            "loans": [represent(LoanSerializer, row) for row in loans],
            "case": represent(CaseSerializer, case) if case else None,
            "statement": represent(DocumentSerializer, statement) if statement else None,
        }
    )


def same(a, b) -> bool:  # noqa: ANN001
    return a == b and json.dumps(a) == json.dumps(b)


def test_plain_is_the_round_trip_and_changes_plain_data_no_further():
    data = {
        "amount": Decimal("1234.50"),
        "when": dt.datetime(2026, 3, 8, 7, 30, tzinfo=dt.UTC),
        "day": dt.date(2026, 1, 2),
        "pair": ("a", 1),
        "markup": Markup("<b>"),
        1: "int key",
        "nested": [{"x": None, "y": True, "z": 1.5e300, "n": float("nan")}],
        "text": "caf\u00e9 \U0001f600 \ud83d\ude00 \ud800",
    }
    once = plain(data)
    assert json.dumps(once) == json.dumps(round_trip(data))
    assert json.dumps(plain(once)) == json.dumps(once)
    assert type(once["markup"]) is str


@pytest.fixture
def records(company):  # noqa: ANN001, ANN201
    company.support_phone = "+18005550100"
    company.mailing_address = {"addressLine1": "1 Main St", "city": "Springfield", "state": "IL"}
    company.save()
    person = BorrowerFactory(company=company, meta_data={"tier": "gold"})
    return {
        "person": person,
        "contact": ContactFactory(borrower=person),
        "loan": LoanFactory(borrower=person, amount_due=Decimal("1234.50"), due_date=dt.date(2026, 12, 15)),
        "loan2": LoanFactory(borrower=person, amount_due=Decimal("0.10")),
        "case": CaseFactory(borrower=person),
        "statement": DocumentFactory(borrower=person),
    }


def test_hydration_is_the_plain_composition(company, records):
    r = records
    got = hydrate_context(company, person=r["person"], contact=r["contact"], loan_id=r["loan"].pk)
    want = reference(company, person=r["person"], contact=r["contact"], loan=r["loan"], loans=[r["loan"]])
    assert same(got, want)
    # One representation, two independent copies: a change to one is not a change to the other.
    assert got["loans"][0] == got["loan"] and got["loans"][0] is not got["loan"]

    got = hydrate_context(
        company,
        person=r["person"],
        loan_id=r["loan"].pk,
        loan_ids=[r["loan2"].pk, r["loan"].pk],
        case_id=r["case"].pk,
        statement_id=r["statement"].pk,
        context={"company": {"brandName": "Other"}, "extra": Decimal("2.5")},
    )
    want = reference(
        company,
        person=r["person"],
        loan=r["loan"],
        loans=[r["loan2"], r["loan"]],
        case=r["case"],
        statement=r["statement"],
    )
    want["company"]["brandName"] = "Other"
    assert same(got, {**want, "extra": 2.5})
    assert same(hydrate_context(company), reference(company))


def test_a_company_edited_between_two_hydrations_shows_in_the_second(company, records):
    first = hydrate_context(company, person=records["person"])
    company.brand_name = "Renamed"
    company.mailing_address = {"addressLine1": "2 Side St"}
    company.save()
    second = hydrate_context(company, person=records["person"])
    assert first["company"]["brandName"] != "Renamed"
    assert second["company"]["brandName"] == "Renamed"
    assert second["company"]["mailingAddress"]["addressLine1"] == "2 Side St"
    assert second["company"]["mailingAddress"]["city"] == ""

"""The company part of a context is kept per company, and is exactly what representing the
row gives now: any change to the row (saved, unsaved, or made behind the ORM's back), the
current time zone and the API's settings all show at once, and no caller can change what
the next one gets."""

from __future__ import annotations

import json

import pytest
from django.test import override_settings
from django.utils import timezone

from borrowers.api.serializers import CompanySerializer
from borrowers.models import Company
from templating import hydration
from templating.hydration import ADDRESS_KEYS, company_representation, hydrate_context, plain, represent
from tests.factories import CompanyFactory

pytestmark = pytest.mark.django_db


def uncached(company: Company) -> dict:
    """What ``company_representation`` gave before it kept anything."""
    data = plain(represent(CompanySerializer, company))
    address = data.get("mailingAddress") or {}
    data["mailingAddress"] = {key: address.get(key) or "" for key in ADDRESS_KEYS}
    return data


def exactly(got: dict, want: dict) -> bool:
    return got == want and json.dumps(got) == json.dumps(want)


@pytest.fixture
def company():  # noqa: ANN201
    return CompanyFactory(
        brand_name="Acme",
        support_phone="+18005550100",
        mailing_address={"addressLine1": "1 Main St", "city": "Springfield", "state": "IL"},
    )


def test_a_second_read_of_an_unchanged_company_is_served_from_the_cache(company):
    first = company_representation(Company.objects.get(pk=company.pk))
    entry = hydration._companies[company.pk]
    again = company_representation(Company.objects.get(pk=company.pk))
    assert hydration._companies[company.pk] is entry
    assert exactly(first, uncached(company)) and exactly(again, first)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", "Renamed LLC"),
        ("brand_name", "Other"),
        ("legal_name", "Acme Holdings"),
        ("domain_name", "acme.example"),
        ("timezone", "America/Chicago"),
        ("support_phone", "+18005550199"),
        ("support_email", "help@acme.example"),
        ("help_text", "Reply STOP to stop."),
        ("mailing_address", {"addressLine1": "2 Side St"}),
        ("mailing_address", None),
    ],
)
def test_any_change_to_the_row_shows_in_the_next_representation(company, field, value):
    company_representation(company)
    setattr(company, field, value)  # not saved: the instance is what is represented
    assert exactly(company_representation(company), uncached(company))
    if value is not None:  # the column is NOT NULL
        company.save()
        fresh = Company.objects.get(pk=company.pk)
        assert exactly(company_representation(fresh), uncached(fresh))


def test_an_update_that_leaves_updated_at_alone_shows_in_a_fresh_read(company):
    company_representation(company)
    Company.objects.filter(pk=company.pk).update(brand_name="Behind the ORM")
    fresh = Company.objects.get(pk=company.pk)
    assert fresh.updated_at == company.updated_at
    got = company_representation(fresh)
    assert got["brandName"] == "Behind the ORM"
    assert exactly(got, uncached(fresh))


def test_values_equal_in_python_but_represented_differently_are_told_apart(company):
    company.mailing_address = {"city": 1}
    assert company_representation(company)["mailingAddress"]["city"] == "1"
    company.mailing_address = {"city": True}
    assert company_representation(company)["mailingAddress"]["city"] == "True"
    company.mailing_address = {"city": 1.0}
    assert company_representation(company)["mailingAddress"]["city"] == "1.0"


def test_timestamps_follow_the_current_time_zone_and_the_api_settings(company):
    utc = company_representation(company)
    with timezone.override("America/Chicago"):
        chicago = company_representation(company)
        assert exactly(chicago, uncached(company))
    assert chicago["createdAt"] != utc["createdAt"]
    with override_settings(REST_FRAMEWORK={"DATETIME_FORMAT": "%Y-%m-%d"}):
        short = company_representation(company)
        assert exactly(short, uncached(company))
        assert len(short["createdAt"]) == len("2026-11-26")
    assert exactly(company_representation(company), utc)


def test_a_company_with_deferred_fields_is_represented_as_the_full_row(company):
    company_representation(company)
    Company.objects.filter(pk=company.pk).update(help_text="Deferred until read")
    partial = Company.objects.only("id", "name").get(pk=company.pk)
    got = company_representation(partial)
    assert got["helpText"] == "Deferred until read"
    assert exactly(got, uncached(Company.objects.get(pk=company.pk)))


def test_a_caller_changing_its_context_changes_nobody_elses(company):
    first = hydrate_context(company)
    first["company"]["brandName"] = "Mutated"
    first["company"]["mailingAddress"]["city"] = "Mutated"
    second = hydrate_context(company)
    assert exactly(second["company"], uncached(company))
    assert second["company"]["mailingAddress"] is not first["company"]["mailingAddress"]


def test_companies_are_kept_apart(company):
    other = CompanyFactory(brand_name="Other Brand")
    assert company_representation(company)["brandName"] == "Acme"
    assert company_representation(other)["brandName"] == "Other Brand"
    assert company_representation(company)["brandName"] == "Acme"

"""Operator commands: create_company, create_api_key, seed_demo."""

from __future__ import annotations

import hashlib
import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from borrowers.demo import DEMO_COMPANY_NAME, demo_key
from borrowers.models import ApiKey, Borrower, Company, Contact, Loan
from peachcomms.api.permissions import ALL_PERMISSIONS
from tests.factories import CompanyFactory

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def run_json(*args: str) -> dict[str, str]:
    return json.loads(run(*args, "--json"))


def people(client, key: str):  # noqa: ANN001, ANN201
    return client.get("/api/people", HTTP_X_API_KEY=key)


def test_create_company_json_prints_only_the_id_and_a_working_key(client):
    result = run_json("create_company", "Acme Loans")
    assert set(result) == {"companyId", "apiKey"}
    company = Company.objects.get(pk=result["companyId"])
    assert (company.name, company.brand_name) == ("Acme Loans", "Acme Loans")
    key = ApiKey.objects.get(company=company)
    assert key.key_hash == hashlib.sha256(result["apiKey"].encode()).hexdigest()
    assert key.permissions == ALL_PERMISSIONS
    response = people(client, result["apiKey"])
    assert response.status_code == 200
    assert response.json()["data"] == []


def test_create_company_text_says_the_key_is_shown_once():
    output = run("create_company", "Acme Loans")
    company = Company.objects.get()
    key = output.split("API key: ")[1].split()[0]
    assert company.pk in output
    assert ApiKey.objects.get().key_hash == ApiKey.hash_key(key)
    assert "cannot be shown again" in output


@pytest.mark.parametrize("name", ["", "   ", "x" * 201])
def test_create_company_refuses_a_bad_name(name):
    with pytest.raises(CommandError, match="company name must be 1 to 200 characters"):
        run("create_company", name)
    assert not Company.objects.exists()


def test_create_api_key_with_name_and_permissions(client):
    company = CompanyFactory()
    result = run_json("create_api_key", company.pk, "--name", "reporting", "--permissions", "people:read")
    assert result["companyId"] == company.pk
    key = ApiKey.objects.get(company=company)
    assert (key.name, key.permissions) == ("reporting", ["people:read"])
    assert key.key_hash == ApiKey.hash_key(result["apiKey"])
    assert people(client, result["apiKey"]).status_code == 200
    denied = client.post("/api/people", {}, HTTP_X_API_KEY=result["apiKey"], content_type="application/json")
    assert denied.status_code == 403


def test_create_api_key_defaults_to_every_permission():
    company = CompanyFactory()
    output = run("create_api_key", company.pk)
    assert ApiKey.objects.get(company=company).permissions == ALL_PERMISSIONS
    assert "cannot be shown again" in output


def test_create_api_key_for_an_unknown_company_fails_clearly():
    with pytest.raises(CommandError, match="No company with id 'CP-NOPE-0000'"):
        run("create_api_key", "CP-NOPE-0000", "--json")
    assert not ApiKey.objects.exists()


def test_create_api_key_with_an_unknown_permission_fails_clearly():
    company = CompanyFactory()
    with pytest.raises(CommandError, match="Unknown permission"):
        run("create_api_key", company.pk, "--permissions", "people:read,people:fly")
    assert not ApiKey.objects.exists()


def test_seed_demo_creates_the_demo_and_its_key_works(client):
    result = run_json("seed_demo")
    assert result["apiKey"] == demo_key()
    assert result["apiKey"].startswith("pck_demo_") and len(result["apiKey"]) == len("pck_demo_") + 40

    company = Company.objects.get(pk=result["companyId"])
    assert (company.name, company.brand_name) == (DEMO_COMPANY_NAME, "Demo")
    borrower = Borrower.objects.get(company=company)
    assert (borrower.pk, borrower.external_id, borrower.timezone) == (
        result["personId"],
        "demo-borrower-1",
        "America/New_York",
    )
    contacts = {c.contact_type: c for c in Contact.objects.filter(borrower=borrower)}
    assert contacts["email"].status == "primary" and contacts["email"].affiliation == "self"
    assert contacts["phone"].value == "+14155550100"
    assert contacts["phone"].receive_text_messages is True
    assert (contacts["address"].label, contacts["address"].state) == ("home", "CA")
    loan = Loan.objects.get(company=company)
    assert (loan.pk, loan.external_id, loan.status) == (result["loanId"], "demo-loan-1", "active")
    assert loan.amount_due is not None and loan.due_date is not None

    response = people(client, result["apiKey"])
    assert response.status_code == 200
    assert [p["externalId"] for p in response.json()["data"]] == ["demo-borrower-1"]


def test_seed_demo_twice_changes_nothing():
    first = run_json("seed_demo")
    second = run_json("seed_demo")
    assert first == second
    assert Company.objects.count() == 1
    assert Borrower.objects.count() == 1
    assert Contact.objects.count() == 3
    assert Loan.objects.count() == 1
    assert ApiKey.objects.count() == 1


def test_seed_demo_text_prints_the_company_key_and_a_curl():
    output = run("seed_demo")
    company = Company.objects.get()
    assert company.pk in output
    assert f"curl -H 'X-API-KEY: {demo_key()}' http://127.0.0.1:8000/api/people" in output


def test_seed_demo_key_follows_the_secret_key(settings, client):
    first = run_json("seed_demo")
    settings.SECRET_KEY = "another-secret-" + "x" * 40
    second = run_json("seed_demo")
    assert second["apiKey"] != first["apiKey"]
    assert second["companyId"] == first["companyId"]  # the same demo company gets the new key
    assert Company.objects.count() == 1
    assert people(client, second["apiKey"]).status_code == 200

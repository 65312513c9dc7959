"""Operator commands: create_company, create_api_key, seed_demo, load_builtin_templates
(what they do against the embedded default itself: tests/test_embedded_default.py)."""

from __future__ import annotations

import hashlib
import json
import logging
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
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


def run_both(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


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


@pytest.mark.parametrize("again", ["Acme Loans", "acme loans", "  ACME LOANS "])
def test_create_company_refuses_a_name_that_exists_ignoring_case(again):
    first = run_json("create_company", "Acme Loans")
    message = (
        f"A company named 'Acme Loans' exists already ({first['companyId']}); nothing was created. "
        f"Use `create_api_key {first['companyId']}` for another key, or --allow-duplicate "
        "to create a second company of that name."
    )
    with pytest.raises(CommandError) as raised:
        run("create_company", again)
    assert str(raised.value) == message
    assert list(Company.objects.values_list("pk", flat=True)) == [first["companyId"]]
    assert ApiKey.objects.count() == 1


def test_create_company_allow_duplicate_creates_a_second_one(client):
    first = run_json("create_company", "Acme Loans")
    second = run_json("create_company", "ACME Loans", "--allow-duplicate")
    assert second["companyId"] != first["companyId"]
    assert sorted(Company.objects.values_list("name", flat=True)) == ["ACME Loans", "Acme Loans"]
    assert people(client, second["apiKey"]).status_code == 200


def test_create_company_a_name_that_only_contains_another_is_not_a_duplicate():
    run_json("create_company", "Acme Loans")
    run_json("create_company", "Acme Loans West")
    assert Company.objects.count() == 2


def test_seed_demo_curl_uses_the_base_url_given():
    output = run("seed_demo", "--base-url", "http://0.0.0.0:9000/")
    assert (
        output.splitlines()[-1]
        == f"Try it:        curl -H 'X-API-KEY: {demo_key()}' http://0.0.0.0:9000/api/people"
    )
    assert "8000" not in output


def test_seed_demo_refuses_a_base_url_without_a_scheme_and_seeds_nothing():
    with pytest.raises(CommandError) as raised:
        run("seed_demo", "--base-url", "127.0.0.1:9000")
    assert str(raised.value) == "--base-url must start with http:// or https:// (got '127.0.0.1:9000')."
    assert not Company.objects.exists()


def test_seed_demo_staff_login_is_skipped_on_postgresql():
    """The suite's database is PostgreSQL, so this is "not the embedded default": the
    demo seed still runs, no login is created, and it says why on stderr."""
    out, err = run_both("seed_demo", "--staff-login")
    assert err == (
        "Demo login:    not created (the database is postgresql, not the embedded SQLite default); "
        "create one with `manage.py createsuperuser`.\n"
    )
    assert "Demo login" not in out
    assert not get_user_model().objects.exists()
    assert Company.objects.filter(name=DEMO_COMPANY_NAME).count() == 1
    assert run_json("seed_demo", "--staff-login")["staffLogin"] is None
    assert not get_user_model().objects.exists()


def test_seed_demo_without_the_flag_says_nothing_of_a_login():
    out, err = run_both("seed_demo")
    assert ("Demo login" in out, err) == (False, "")
    assert "staffLogin" not in run_json("seed_demo")


def test_load_builtin_templates_reports_once_and_logs_nothing_at_info(caplog):
    caplog.set_level(logging.INFO)
    out, err = run_both("load_builtin_templates")
    assert out.count("Built-in templates:") == 1
    assert out.startswith("Built-in templates: 0 created, 0 updated, ")
    assert err == ""
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.INFO] == []

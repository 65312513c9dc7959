"""The staff console: every page loads, history and the built-in catalogue are read-only,
writes go through the services, API keys are shown once, and lists cost the same number of
queries whatever the number of rows."""

from __future__ import annotations

import hashlib
import re

import pytest
from django.db import connection
from django.db.models import Model
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from borrowers.admin import base as admin_base
from borrowers.models import ApiKey, Borrower, Case, Company, Contact, Document, Loan
from borrowers.services import api_key_create
from interactions.models import Interaction
from subjects.models import CompanySubjectSetting, Subject, SubjectAlias, Theme
from tests.factories import (
    BorrowerFactory,
    CaseFactory,
    CompanyFactory,
    ContactFactory,
    DocumentFactory,
    InteractionFactory,
    LoanFactory,
)

pytestmark = pytest.mark.django_db

EDITABLE = [Company, ApiKey, Borrower, Contact, Loan, Case, CompanySubjectSetting]
READ_ONLY = [Interaction, Document, Theme, Subject, SubjectAlias]
KEY_RE = re.compile(r"pck_[A-Za-z0-9_-]{20,}")


def url(model: type[Model], action: str, *args: object) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{action}", args=args)


@pytest.fixture
def rows(settings, tmp_path) -> dict[type[Model], Model]:  # noqa: ANN001
    settings.MEDIA_ROOT = tmp_path
    company = CompanyFactory()
    borrower = BorrowerFactory(company=company, external_id="b-1")
    contact = ContactFactory(borrower=borrower)
    loan = LoanFactory(borrower=borrower, external_id="l-1")
    case = CaseFactory(borrower=borrower)
    return {
        Company: company,
        ApiKey: api_key_create(company=company, name="integration").api_key,
        Borrower: borrower,
        Contact: contact,
        Loan: loan,
        Case: case,
        Document: DocumentFactory(borrower=borrower, loan=loan),
        Interaction: InteractionFactory(
            borrower=borrower, contact=contact, loan=loan, case=case, content={"subjectLine": "Due soon"}
        ),
        Theme: Theme.objects.get(pk="opsServicing"),
        Subject: Subject.objects.get(pk="paymentDueReminder"),
        SubjectAlias: SubjectAlias.objects.get(pk="locStatementGenerated"),
        CompanySubjectSetting: CompanySubjectSetting.objects.create(
            company=company, subject_id="paymentDueReminder", agent_can_send=False
        ),
    }


@pytest.mark.parametrize("model", EDITABLE + READ_ONLY, ids=lambda m: m.__name__)
def test_changelist_and_change_page_load(admin_client, rows, model):
    row = rows[model]
    listing = admin_client.get(url(model, "changelist"))
    assert listing.status_code == 200
    assert url(model, "change", row.pk) in listing.content.decode()

    page = admin_client.get(url(model, "change", row.pk))
    assert page.status_code == 200
    can_save = 'name="_save"' in page.content.decode()
    assert can_save is (model in EDITABLE)


@pytest.mark.parametrize("model", EDITABLE, ids=lambda m: m.__name__)
def test_add_page_loads(admin_client, model):
    assert admin_client.get(url(model, "add")).status_code == 200


@pytest.mark.parametrize("model", READ_ONLY, ids=lambda m: m.__name__)
def test_read_only_models_cannot_be_added_changed_or_deleted(admin_client, rows, model):
    row = rows[model]
    before = model.objects.count()
    assert admin_client.get(url(model, "add")).status_code == 403
    assert admin_client.post(url(model, "change", row.pk), {}).status_code == 403
    assert admin_client.post(url(model, "delete", row.pk), {"post": "yes"}).status_code == 403
    assert model.objects.count() == before


def test_interaction_page_shows_its_content(admin_client, rows):
    page = admin_client.get(url(Interaction, "change", rows[Interaction].pk)).content.decode()
    assert "Due soon" in page
    assert rows[Borrower].pk in page


def test_api_key_add_shows_the_key_once_and_stores_only_its_hash(admin_client, client):
    company = CompanyFactory()
    response = admin_client.post(
        url(ApiKey, "add"),
        {"company": company.pk, "name": "crm sync", "permissions": ["people:read"]},
        follow=True,
    )
    assert response.status_code == 200
    page = response.content.decode()
    keys = set(KEY_RE.findall(page))
    assert len(keys) == 1, page
    raw = keys.pop()
    assert "cannot be shown again" in page

    key = ApiKey.objects.get(company=company)
    assert key.key_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert key.key_hint == raw[:10]
    assert key.name == "crm sync"
    assert key.permissions == ["people:read"]
    assert raw not in {key.name, key.key_hint, key.key_hash, str(key.permissions)}

    # Shown once: neither the list nor the key's page shows the key or its hash again.
    for again in (url(ApiKey, "changelist"), url(ApiKey, "change", key.pk)):
        html = admin_client.get(again).content.decode()
        assert raw not in html
        assert key.key_hash not in html

    assert client.get("/api/people", HTTP_X_API_KEY=raw).status_code == 200
    assert (
        client.post("/api/people", {}, HTTP_X_API_KEY=raw, content_type="application/json").status_code == 403
    )


def test_api_key_permissions_are_a_checkbox_list_and_editable(admin_client, rows):
    key = rows[ApiKey]
    page = admin_client.get(url(ApiKey, "change", key.pk)).content.decode()
    assert 'type="checkbox" name="permissions" value="interactions:readSensitive"' in page
    response = admin_client.post(
        url(ApiKey, "change", key.pk),
        {"name": "renamed", "permissions": ["people:read", "interactions:read"]},
    )
    assert response.status_code == 302
    key.refresh_from_db()
    assert (key.name, key.permissions) == ("renamed", ["people:read", "interactions:read"])
    assert key.company_id == rows[Company].pk


def test_revoke_action_sets_revoked_at_and_the_key_stops_working(admin_client, client):
    issued = api_key_create(company=CompanyFactory())
    assert client.get("/api/people", HTTP_X_API_KEY=issued.raw_key).status_code == 200
    response = admin_client.post(
        url(ApiKey, "changelist"), {"action": "revoke", "_selected_action": [issued.api_key.pk]}
    )
    assert response.status_code == 302
    issued.api_key.refresh_from_db()
    assert issued.api_key.revoked_at is not None
    assert client.get("/api/people", HTTP_X_API_KEY=issued.raw_key).status_code == 401


def test_company_add_goes_through_company_create(admin_client):
    response = admin_client.post(url(Company, "add"), {"name": "Acme Loans", "timezone": "America/Chicago"})
    assert response.status_code == 302
    company = Company.objects.get(name="Acme Loans")
    assert company.brand_name == "Acme Loans"  # company_create's default
    assert company.timezone == "America/Chicago"


def test_company_support_phone_is_checked(admin_client, rows):
    company = rows[Company]
    form = {"name": company.name, "timezone": company.timezone}
    bad = admin_client.post(url(Company, "change", company.pk), {**form, "support_phone": "415 555"})
    assert bad.status_code == 200
    assert "&#x27;415 555&#x27; is not a valid phone number." in bad.content.decode()
    good = admin_client.post(url(Company, "change", company.pk), {**form, "support_phone": "(415) 555-0100"})
    assert good.status_code == 302
    company.refresh_from_db()
    assert company.support_phone == "+14155550100"


def _inline_management(prefix: str, total: int = 0, initial: int = 0) -> dict[str, str]:
    return {
        f"{prefix}-TOTAL_FORMS": str(total),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }


def _borrower_add_form(company: Company, phone: str) -> dict[str, str]:
    return {
        "company": company.pk,
        "external_id": "crm-7",
        "borrower_type": "person",
        "status": "active",
        "collections_intensity": "normal",
        "first_name": "Grace",
        "last_name": "Hopper",
        "statement_delivery_channels": "[]",
        "send_reminders_when_current": "on",
        "meta_data": "{}",
        **_inline_management("contacts", total=1),
        "contacts-0-contact_type": "phone",
        "contacts-0-label": "mobile",
        "contacts-0-affiliation": "self",
        "contacts-0-value": phone,
        "contacts-0-status": "primary",
        "contacts-0-valid": "on",
        "contacts-0-receive_text_messages": "on",
        **_inline_management("loans", total=1),
        "loans-0-external_id": "loan-9",
        "loans-0-status": "active",
        "loans-0-amount_due": "120.50",
        "loans-0-days_past_due": "0",
        **_inline_management("cases"),
    }


def test_borrower_add_with_inlines_goes_through_the_services(admin_client):
    company = CompanyFactory()
    response = admin_client.post(url(Borrower, "add"), _borrower_add_form(company, "(415) 555-0100"))
    assert response.status_code == 302, response.content.decode()[:3000]
    borrower = Borrower.objects.get(company=company, external_id="crm-7")
    contact = borrower.contacts.get()
    assert contact.company_id == company.pk
    assert contact.value == "+14155550100"
    assert contact.receive_text_messages_last_consent_at is not None  # recorded by contact_create
    loan = borrower.loans.get()
    assert (loan.company_id, loan.external_id, str(loan.amount_due)) == (company.pk, "loan-9", "120.50")


def test_borrower_add_with_a_bad_phone_shows_the_problem_and_writes_nothing(admin_client):
    company = CompanyFactory()
    response = admin_client.post(url(Borrower, "add"), _borrower_add_form(company, "555"))
    assert response.status_code == 200
    assert "is not a valid phone number" in response.content.decode()
    assert not Borrower.objects.exists()
    assert not Contact.objects.exists()


def test_contact_change_goes_through_contact_update(admin_client, rows):
    contact = ContactFactory(
        borrower=rows[Borrower], contact_type="phone", value="+14155550100", verified=True
    )
    form = {
        "external_id": "",
        "contact_type": "phone",
        "label": "mobile",
        "affiliation": "self",
        "value": "415 555 0199",
        "status": "primary",
        "valid": "on",
        "verified": "on",
        "country": "",
    }
    response = admin_client.post(url(Contact, "change", contact.pk), form)
    assert response.status_code == 302, response.content.decode()[:3000]
    contact.refresh_from_db()
    assert contact.value == "+14155550199"
    assert contact.verified is False  # a changed value is no longer verified (contact_update)
    assert contact.company_id == rows[Company].pk


def test_company_subject_setting_is_edited_through_the_service(admin_client, rows):
    company = rows[Company]
    response = admin_client.post(
        url(CompanySubjectSetting, "add"),
        {"company": company.pk, "subject": "annualPrivacyPolicyNotice", "preview_only": "true"},
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    setting = CompanySubjectSetting.objects.get(company=company, subject_id="annualPrivacyPolicyNotice")
    assert setting.preview_only is True
    assert setting.agent_can_send is None


def test_search_by_public_id_and_external_id(admin_client, rows):
    borrower = rows[Borrower]
    other = BorrowerFactory(company=rows[Company], external_id="b-2")
    for term in (borrower.pk.lower(), "ext-b-1"):
        page = admin_client.get(url(Borrower, "changelist"), {"q": term}).content.decode()
        assert url(Borrower, "change", borrower.pk) in page
        assert url(Borrower, "change", other.pk) not in page
    interactions = admin_client.get(url(Interaction, "changelist"), {"q": borrower.pk}).content.decode()
    assert url(Interaction, "change", rows[Interaction].pk) in interactions


def test_changelist_count_is_capped(admin_client, monkeypatch):
    monkeypatch.setattr(admin_base, "COUNT_CAP", 3)
    company = CompanyFactory()
    BorrowerFactory.create_batch(5, company=company)
    page = admin_client.get(url(Borrower, "changelist")).content.decode()
    assert "More than 3 borrowers match" in page


def test_interaction_changelist_queries_do_not_grow_with_rows(admin_client, django_assert_max_num_queries):
    companies = [CompanyFactory(name=f"Lender {n}") for n in range(3)]
    for company in companies:
        InteractionFactory(borrower=BorrowerFactory(company=company), company=company)
    changelist = url(Interaction, "changelist")
    with CaptureQueriesContext(connection) as few:
        assert admin_client.get(changelist).status_code == 200

    for n in range(30):
        company = companies[n % 3]
        InteractionFactory(borrower=BorrowerFactory(company=company), company=company)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = admin_client.get(changelist)
    assert response.status_code == 200
    assert len(response.context["cl"].result_list) == 33


def test_a_service_refusal_is_shown_and_nothing_is_written(admin_client, rows):
    company = rows[Company]
    add = url(CompanySubjectSetting, "add")
    response = admin_client.post(
        add,
        {"company": company.pk, "subject": "annualPrivacyPolicyNotice", "case_types": '["nope"]'},
        follow=True,
    )
    assert response.redirect_chain == [(add, 302)]
    assert "Not saved: Unknown case type &#x27;nope&#x27;." in response.content.decode()
    assert not CompanySubjectSetting.objects.filter(subject_id="annualPrivacyPolicyNotice").exists()

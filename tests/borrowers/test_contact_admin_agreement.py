"""The staff console's contact form and the contacts API check a contact with one function
(``borrowers.services.contact_clean``): for the same input the admin refuses what the API
refuses, with the same sentence on the matching form field, and stores the same
normalised values. Each case is sent to both, through the real admin pages."""

from __future__ import annotations

from typing import Any, NamedTuple

import pytest
from django.http import HttpResponse
from django.urls import reverse

from borrowers.admin.people import ContactForm
from borrowers.models import Borrower, Contact
from tests.factories import ContactFactory

pytestmark = pytest.mark.django_db

ADD_URL = reverse("admin:borrowers_contact_add")
#: model field → key of the API's ``address`` object
ADDRESS = {
    "address_line1": "addressLine1",
    "address_line2": "addressLine2",
    "city": "city",
    "state": "state",
    "postal_code": "postalCode",
    "country": "country",
}
API_NAMES = {
    "contact_type": "contactType",
    "value": "value",
    "label": "label",
    "receive_text_messages": "receiveTextMessages",
    "consent_autodialed_call": "consentAutodialedCall",
}
#: the admin field that shows the problem the API reports under this name
FORM_FIELD = {
    **{name: field for field, name in API_NAMES.items()},
    **{f"address.{key}": field for field, key in ADDRESS.items()},
}
#: what the tests compare between the row the API wrote and the one the admin wrote
STORED = ["contact_type", "value", *ADDRESS, "receive_text_messages", "consent_autodialed_call", "verified"]
#: the fields of the admin's contact change page, as stored (its borrower is read-only there)
CHANGE_PAGE = [field for field in ContactForm.Meta.fields if field != "borrower"]


class Refused(NamedTuple):
    """The API's 400 ``errors`` (one sentence per field); ``on`` names the admin field for
    the API names that have none of their own (``address``: the address as a whole)."""

    errors: dict[str, str]
    on: dict[str, str] = {}

    def form_errors(self) -> dict[str, list[str]]:
        return {self.on.get(name, FORM_FIELD.get(name)): [problem] for name, problem in self.errors.items()}


US = {"contact_type": "address", "address_line1": "1 Main St"}

ADD_CASES = [
    (
        {"contact_type": "email", "value": "  Ada.Lovelace@Example.COM "},
        {"value": "Ada.Lovelace@example.com"},
    ),
    ({"contact_type": "email", "value": "ada@example.com"}, {"value": "ada@example.com"}),
    ({"contact_type": "email", "value": "ada@"}, Refused({"value": "'ada@' is not a valid email address."})),
    (
        {"contact_type": "email", "value": "+14155551234"},
        Refused({"value": "'+14155551234' is not a valid email address."}),
    ),
    ({"contact_type": "email", "value": ""}, Refused({"value": "An email address is required."})),
    ({"contact_type": "phone", "value": "(415) 555-1234"}, {"value": "+14155551234"}),
    ({"contact_type": "phone", "value": "415.555.0100"}, {"value": "+14155550100"}),
    ({"contact_type": "phone", "value": "1-415-555-0100"}, {"value": "+14155550100"}),
    ({"contact_type": "phone", "value": "+44 20 7946 0958"}, {"value": "+442079460958"}),
    ({"contact_type": "phone", "value": ""}, Refused({"value": "A phone number is required."})),
    (
        {"contact_type": "phone", "value": "555-12"},
        Refused({"value": "'555-12' is not a valid phone number."}),
    ),
    ({"contact_type": "phone", "value": "call me"}, Refused({"value": "'call me' is not a phone number."})),
    (
        {"contact_type": "phone", "value": "+1 415 555 1234 ext 5"},
        Refused({"value": "Phone extensions are not supported (E.164 has none)."}),
    ),
    (
        {"contact_type": "phone", "value": "ada@example.com"},
        Refused({"value": "'ada@example.com' is not a phone number."}),
    ),
    (
        {"contact_type": "phone", "value": "4155551234", "receive_text_messages": True},
        {"value": "+14155551234", "receive_text_messages": True},
    ),
    (
        {"contact_type": "email", "value": "ada@example.com", "receive_text_messages": True},
        Refused({"receiveTextMessages": "Only a phone contact can have this consent."}),
    ),
    (
        {**US, "consent_autodialed_call": True},
        Refused({"consentAutodialedCall": "Only a phone contact can have this consent."}),
    ),
    (
        {**US, "address_line2": "Apt 5", "city": "Boston", "state": "ma", "postal_code": "021081234 "},
        {"value": "", "state": "MA", "postal_code": "02108-1234", "country": "US"},
    ),
    (
        {**US, "city": "London", "postal_code": "SW1A 2AA", "country": "gb"},
        {"postal_code": "SW1A 2AA", "country": "GB"},
    ),
    (
        {"contact_type": "address", "city": "Boston"},
        Refused({"address.addressLine1": "Required for a postal address."}),
    ),
    (
        {"contact_type": "address", "state": "Texas", "postal_code": "1234"},
        Refused(
            {
                "address.addressLine1": "Required for a postal address.",
                "address.state": "'TEXAS' is not a 2-letter USPS state code (for example CA).",
                "address.postalCode": "'1234' is not a US ZIP code (5 or 9 digits).",
            }
        ),
    ),
    (
        {**US, "country": "ZZ"},
        Refused({"address.country": "'ZZ' is not an ISO 3166-1 alpha-2 country code."}),
    ),
    (
        {**US, "value": "ada@example.com"},
        Refused({"value": "Not used for contactType address; send the address object."}),
    ),
    (
        {"contact_type": "email", "value": "ada@example.com", "address_line1": "1 Main St"},
        Refused({"address": "Not used for contactType email; send value."}, on={"address": "address_line1"}),
    ),
    (
        {"contact_type": "phone", "value": "4155551234", "city": "Boston"},
        Refused({"address": "Not used for contactType phone; send value."}, on={"address": "city"}),
    ),
    ({"value": "ada@example.com"}, Refused({"contactType": "This field is required."})),
]


def api_body(fields: dict[str, Any]) -> dict[str, Any]:
    body = {API_NAMES[field]: value for field, value in fields.items() if field in API_NAMES}
    address = {key: fields[field] for field, key in ADDRESS.items() if field in fields}
    return {**body, "address": address} if address else body


def form_data(fields: dict[str, Any]) -> dict[str, str]:
    """What a browser posts for these values (an unticked box is not sent)."""
    data = {}
    for field, value in fields.items():
        if value is True:
            data[field] = "on"
        elif value not in (False, None):
            data[field] = str(value)
    return data


def add_form(borrower: Borrower, fields: dict[str, Any]) -> dict[str, str]:
    blank = {"label": "personal", "affiliation": "self", "status": "primary", "valid": True}
    return {"borrower": borrower.pk, **form_data({**blank, **fields})}


def change_form(contact: Contact, changes: dict[str, Any]) -> dict[str, str]:
    return form_data({**{field: getattr(contact, field) for field in CHANGE_PAGE}, **changes})


def form_errors(response: HttpResponse) -> dict[str, list[str]]:
    return {field: list(problems) for field, problems in response.context["adminform"].form.errors.items()}


def stored(contact: Contact) -> dict[str, Any]:
    consent_recorded = contact.receive_text_messages_last_consent_at is not None
    return {**{field: getattr(contact, field) for field in STORED}, "consent recorded": consent_recorded}


def assert_agree(api_response: Any, admin_response: HttpResponse, expected: dict[str, Any] | Refused) -> None:
    if isinstance(expected, Refused):
        assert api_response.status_code == 400, api_response.json()
        assert api_response.json()["errors"] == {name: [problem] for name, problem in expected.errors.items()}
        assert admin_response.status_code == 200, admin_response
        assert form_errors(admin_response) == expected.form_errors()
        assert "Not saved" not in admin_response.content.decode()
    else:
        assert api_response.status_code == 200, api_response.json()
        assert admin_response.status_code == 302, form_errors(admin_response)
        assert admin_response.url == reverse("admin:borrowers_contact_changelist")  # not "Not saved"


def describe(fields: dict[str, Any]) -> str:
    return ",".join(f"{field}={value!r}" for field, value in fields.items())


@pytest.mark.parametrize("fields, expected", ADD_CASES, ids=[describe(fields) for fields, _ in ADD_CASES])
def test_admin_add_refuses_and_normalises_as_the_api(api, admin_client, borrower, sibling, fields, expected):
    api_response = api.post(f"/api/people/{borrower.pk}/contacts", api_body(fields), format="json")
    admin_response = admin_client.post(ADD_URL, add_form(sibling, fields))
    assert_agree(api_response, admin_response, expected)
    if isinstance(expected, Refused):
        assert not Contact.objects.exists()
    else:
        by_api, by_admin = borrower.contacts.get(), sibling.contacts.get()
        assert stored(by_admin) == stored(by_api)
        assert {field: getattr(by_api, field) for field in expected} == expected


PHONE = {"contact_type": "phone", "value": "+14155551234", "receive_text_messages": True, "verified": True}
EMAIL = {"contact_type": "email", "value": "ada@example.com", "verified": True}
ADDRESS_ROW = {**US, "value": "", "state": "NY", "country": "US"}

CHANGE_CASES = [
    (EMAIL, {"label": "work"}, {"value": "ada@example.com", "verified": True}),
    (EMAIL, {"value": "ada@EXAMPLE.com"}, {"value": "ada@example.com", "verified": True}),
    (EMAIL, {"value": " Ada@Example.ORG"}, {"value": "Ada@example.org", "verified": False}),
    (EMAIL, {"value": "ada@"}, Refused({"value": "'ada@' is not a valid email address."})),
    (
        EMAIL,
        {"receive_text_messages": True},
        Refused({"receiveTextMessages": "Only a phone contact can have this consent."}),
    ),
    (PHONE, {"value": "(415) 555-0199"}, {"value": "+14155550199", "verified": False}),
    (PHONE, {"consent_autodialed_call": True}, {"consent_autodialed_call": True, "verified": True}),
    (PHONE, {"contact_type": "email"}, Refused({"value": "Required when contactType changes to email."})),
    (
        PHONE,
        {"contact_type": "email", "value": "415 555 0100"},
        Refused({"value": "'415 555 0100' is not a valid email address."}),
    ),
    (
        PHONE,
        {"contact_type": "address"},
        Refused(
            {"address": "Required when contactType changes to address."}, on={"address": "address_line1"}
        ),
    ),
    (
        PHONE,  # the phone left in the value box and the ticked consent belong to the old type
        {"contact_type": "address", "address_line1": "9 Elm St", "state": "ny", "postal_code": "100011234"},
        {"value": "", "receive_text_messages": False, "postal_code": "10001-1234", "country": "US"},
    ),
    (ADDRESS_ROW, {"city": "Albany"}, {"city": "Albany", "address_line1": "1 Main St"}),
    (ADDRESS_ROW, {"address_line1": ""}, Refused({"address.addressLine1": "Required for a postal address."})),
    (
        ADDRESS_ROW,
        {"state": "New York"},
        Refused({"address.state": "'NEW YORK' is not a 2-letter USPS state code (for example CA)."}),
    ),
    (
        ADDRESS_ROW,
        {"value": "ada@example.com"},
        Refused({"value": "Not used for contactType address; send the address object."}),
    ),
]


@pytest.mark.parametrize(
    "row, changes, expected",
    CHANGE_CASES,
    ids=[f"{row['contact_type']}:{describe(changes)}" for row, changes, _ in CHANGE_CASES],
)
def test_admin_change_refuses_and_normalises_as_the_api(
    api, admin_client, borrower, sibling, row, changes, expected
):
    by_api, by_admin = ContactFactory(borrower=borrower, **row), ContactFactory(borrower=sibling, **row)
    before = stored(by_admin)
    api_response = api.put(
        f"/api/people/{borrower.pk}/contacts/{by_api.pk}", api_body(changes), format="json"
    )
    change_url = reverse("admin:borrowers_contact_change", args=[by_admin.pk])
    admin_response = admin_client.post(change_url, change_form(by_admin, changes))
    assert_agree(api_response, admin_response, expected)
    by_api.refresh_from_db()
    by_admin.refresh_from_db()
    if isinstance(expected, Refused):
        assert stored(by_admin) == before
    else:
        assert stored(by_admin) == stored(by_api)
        assert {field: getattr(by_api, field) for field in expected} == expected


def management(prefix: str, total: int = 0) -> dict[str, str]:
    keys = {"TOTAL_FORMS": total, "INITIAL_FORMS": 0, "MIN_NUM_FORMS": 0, "MAX_NUM_FORMS": 1000}
    return {f"{prefix}-{key}": str(count) for key, count in keys.items()}


def test_a_contact_added_on_the_borrower_page_is_checked_as_in_the_api(admin_client, company):
    form = {
        "company": company.pk,
        "borrower_type": "person",
        "status": "active",
        "collections_intensity": "normal",
        "last_name": "Hopper",
        "statement_delivery_channels": "[]",
        "meta_data": "{}",
        **management("contacts", total=1),
        **management("loans"),
        **management("cases"),
        "contacts-0-contact_type": "email",
        "contacts-0-label": "personal",
        "contacts-0-affiliation": "self",
        "contacts-0-value": "Grace@Example.COM",
        "contacts-0-status": "primary",
        "contacts-0-receive_text_messages": "on",
    }
    response = admin_client.post(reverse("admin:borrowers_borrower_add"), form)
    assert response.status_code == 200
    contacts = response.context["inline_admin_formsets"][0].formset
    assert contacts.errors == [{"receive_text_messages": ["Only a phone contact can have this consent."]}]
    assert not Borrower.objects.exists()

    # The row has no address boxes: an address is entered on the contact's own page.
    address = {**form, "contacts-0-contact_type": "address", "contacts-0-value": ""}
    del address["contacts-0-receive_text_messages"]
    response = admin_client.post(reverse("admin:borrowers_borrower_add"), address)
    assert response.context["inline_admin_formsets"][0].formset.errors == [
        {"contact_type": ["Add or change a postal address on its contact page."]}
    ]
    assert not Borrower.objects.exists()

    del form["contacts-0-receive_text_messages"]
    assert admin_client.post(reverse("admin:borrowers_borrower_add"), form).status_code == 302
    assert Contact.objects.get().value == "Grace@example.com"

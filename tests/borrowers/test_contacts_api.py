from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from borrowers.models import Contact
from tests.factories import ContactFactory

pytestmark = pytest.mark.django_db


def contacts_url(person, contact=None) -> str:  # noqa: ANN001
    base = f"/api/people/{getattr(person, 'pk', person)}/contacts"
    return base if contact is None else f"{base}/{getattr(contact, 'pk', contact)}"


def test_create_email_contact(api, borrower):
    response = api.post(
        contacts_url(borrower),
        {
            "contactType": "email",
            "value": "  Ada.Lovelace@Example.COM ",
            "label": "work",
            "affiliation": "self",
            "status": "primary",
            "externalId": "C-1",
        },
        format="json",
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["status"] == 200
    assert body["message"] == "created"
    contact = body["data"]
    row = Contact.objects.get()
    assert contact == {
        "id": row.pk,
        "object": "contact",
        "personId": borrower.pk,
        "companyId": api.company.pk,
        "externalId": "C-1",
        "contactType": "email",
        "label": "work",
        "affiliation": "self",
        "value": "Ada.Lovelace@example.com",
        "address": None,
        "status": "primary",
        "valid": True,
        "verified": False,
        "receiveTextMessages": False,
        "receiveTextMessagesLastConsentAt": None,
        "consentAutodialedCall": False,
        "authorizedThirdParty": False,
        "powerOfAttorney": False,
        "phoneDisconnectionDetails": None,
        "createdAt": row.created_at.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "updatedAt": row.updated_at.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
    }
    assert row.value == "Ada.Lovelace@example.com"
    assert row.borrower_id == borrower.pk and row.company_id == api.company.pk


def test_create_phone_contact_normalises_to_e164_and_records_text_consent(api, borrower):
    before = timezone.now()
    response = api.post(
        contacts_url(borrower),
        {"contactType": "phone", "value": "(415) 555-1234", "label": "mobile", "receiveTextMessages": True},
        format="json",
    )
    assert response.status_code == 200, response.json()
    contact = response.json()["data"]
    assert contact["value"] == "+14155551234"
    assert contact["receiveTextMessages"] is True
    row = Contact.objects.get()
    assert before <= row.receive_text_messages_last_consent_at <= timezone.now()
    assert contact["receiveTextMessagesLastConsentAt"] == row.receive_text_messages_last_consent_at.strftime(
        "%Y-%m-%dT%H:%M:%S.%fZ"
    )


def test_create_international_phone_keeps_its_country(api, borrower):
    response = api.post(
        contacts_url(borrower), {"contactType": "phone", "value": "+44 20 7946 0958"}, format="json"
    )
    assert response.json()["data"]["value"] == "+442079460958"


def test_create_address_contact(api, borrower):
    response = api.post(
        contacts_url(borrower),
        {
            "contactType": "address",
            "label": "home",
            "address": {
                "addressLine1": "1 Market St",
                "addressLine2": "Suite 5",
                "city": "San Francisco",
                "state": "ca",
                "postalCode": "941051234",
            },
        },
        format="json",
    )
    assert response.status_code == 200, response.json()
    contact = response.json()["data"]
    assert contact["value"] is None
    assert contact["address"] == {
        "addressLine1": "1 Market St",
        "addressLine2": "Suite 5",
        "city": "San Francisco",
        "state": "CA",
        "postalCode": "94105-1234",
        "country": "US",
    }
    row = Contact.objects.get()
    assert (row.state, row.postal_code, row.country, row.value) == ("CA", "94105-1234", "US", "")


def test_non_us_address_keeps_its_own_state_and_postal_code(api, borrower):
    response = api.post(
        contacts_url(borrower),
        {
            "contactType": "address",
            "address": {
                "addressLine1": "10 Downing St",
                "city": "London",
                "postalCode": "SW1A 2AA",
                "country": "gb",
            },
        },
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert response.json()["data"]["address"]["country"] == "GB"
    assert response.json()["data"]["address"]["postalCode"] == "SW1A 2AA"


def test_get_by_id_and_external_id_and_list_newest_first(api, borrower, sibling):
    first = ContactFactory(borrower=borrower, external_id="C-1")
    second = ContactFactory(borrower=borrower)
    ContactFactory(borrower=sibling)
    by_id = api.get(contacts_url(borrower, first)).json()["data"]
    assert by_id["id"] == first.pk and by_id["value"] == first.value
    assert api.get(contacts_url("ext-B-1", "ext-C-1")).json()["data"]["id"] == first.pk
    listed = api.get(contacts_url(borrower)).json()
    assert [c["id"] for c in listed["data"]] == [second.pk, first.pk]
    assert listed["count"] == 2 and listed["nextUrl"] is None


def test_list_filters(api, borrower):
    email = ContactFactory(borrower=borrower)
    phone = ContactFactory(borrower=borrower, contact_type="phone", value="+14155551234")
    archived = ContactFactory(borrower=borrower, status="archived")
    assert [c["id"] for c in api.get(contacts_url(borrower) + "?contactType=phone").json()["data"]] == [
        phone.pk
    ]
    assert [c["id"] for c in api.get(contacts_url(borrower) + "?status=archived").json()["data"]] == [
        archived.pk
    ]
    assert {c["id"] for c in api.get(contacts_url(borrower) + "?status=primary").json()["data"]} == {
        email.pk,
        phone.pk,
    }
    response = api.get(contacts_url(borrower) + "?contactType=fax")
    assert response.status_code == 400
    assert response.json()["errors"] == {
        "contactType": [("'fax' is not a valid choice. Must be one of: email, phone, address.")]
    }


def test_update_only_the_fields_sent(api, borrower):
    contact = ContactFactory(borrower=borrower, value="ada@example.com", label="personal", verified=True)
    response = api.put(contacts_url(borrower, contact), {"label": "work", "valid": False}, format="json")
    assert response.status_code == 200, response.json()
    data = response.json()["data"]
    assert response.json()["message"] == "updated"
    assert (data["label"], data["valid"], data["value"], data["verified"]) == (
        "work",
        False,
        "ada@example.com",
        True,
    )


def test_changing_the_value_unverifies(api, borrower):
    contact = ContactFactory(borrower=borrower, value="ada@example.com", verified=True)
    same = api.put(contacts_url(borrower, contact), {"value": "ada@EXAMPLE.com"}, format="json")
    assert same.json()["data"]["verified"] is True  # the same address once normalised
    changed = api.put(contacts_url(borrower, contact), {"value": "ada@example.org"}, format="json")
    assert changed.json()["data"]["verified"] is False
    contact.refresh_from_db()
    assert (contact.value, contact.verified) == ("ada@example.org", False)


def test_turning_text_consent_on_records_the_time_once(api, borrower):
    contact = ContactFactory(borrower=borrower, contact_type="phone", value="+14155551234")
    assert contact.receive_text_messages_last_consent_at is None
    api.put(contacts_url(borrower, contact), {"receiveTextMessages": True}, format="json")
    contact.refresh_from_db()
    first_consent = contact.receive_text_messages_last_consent_at
    assert first_consent is not None
    api.put(contacts_url(borrower, contact), {"receiveTextMessages": True, "label": "mobile"}, format="json")
    contact.refresh_from_db()
    assert contact.receive_text_messages_last_consent_at == first_consent  # already on: unchanged
    api.put(contacts_url(borrower, contact), {"receiveTextMessages": False}, format="json")
    contact.refresh_from_db()
    assert contact.receive_text_messages is False
    assert contact.receive_text_messages_last_consent_at == first_consent  # the last consent stays
    Contact.objects.filter(pk=contact.pk).update(
        receive_text_messages_last_consent_at=first_consent - timedelta(days=3)
    )
    api.put(contacts_url(borrower, contact), {"receiveTextMessages": True}, format="json")
    contact.refresh_from_db()
    assert contact.receive_text_messages_last_consent_at > first_consent


def test_changing_contact_type_needs_a_fitting_value(api, borrower):
    contact = ContactFactory(borrower=borrower, value="ada@example.com", verified=True)
    missing = api.put(contacts_url(borrower, contact), {"contactType": "phone"}, format="json")
    assert missing.status_code == 400
    assert missing.json()["errors"] == {"value": ["Required when contactType changes to phone."]}
    wrong = api.put(
        contacts_url(borrower, contact), {"contactType": "phone", "value": "ada@example.com"}, format="json"
    )
    assert wrong.status_code == 400
    assert list(wrong.json()["errors"]) == ["value"]
    contact.refresh_from_db()
    assert (contact.contact_type, contact.value) == ("email", "ada@example.com")

    ok = api.put(
        contacts_url(borrower, contact),
        {"contactType": "phone", "value": "415.555.0100", "receiveTextMessages": True},
        format="json",
    )
    assert ok.status_code == 200, ok.json()
    data = ok.json()["data"]
    assert (data["contactType"], data["value"], data["verified"], data["receiveTextMessages"]) == (
        "phone",
        "+14155550100",
        False,
        True,
    )


def test_changing_to_address_clears_the_value_and_phone_consents(api, borrower):
    contact = ContactFactory(
        borrower=borrower, contact_type="phone", value="+14155551234", receive_text_messages=True
    )
    no_address = api.put(contacts_url(borrower, contact), {"contactType": "address"}, format="json")
    assert no_address.status_code == 400
    assert no_address.json()["errors"] == {"address": ["Required when contactType changes to address."]}
    response = api.put(
        contacts_url(borrower, contact),
        {
            "contactType": "address",
            "address": {"addressLine1": "1 Main St", "state": "NY", "postalCode": "10001"},
        },
        format="json",
    )
    assert response.status_code == 200, response.json()
    contact.refresh_from_db()
    assert (contact.contact_type, contact.value, contact.receive_text_messages) == ("address", "", False)
    assert (contact.address_line1, contact.state, contact.postal_code, contact.country) == (
        "1 Main St",
        "NY",
        "10001",
        "US",
    )


def test_partial_address_update_is_checked_against_the_stored_address(api, borrower):
    contact = ContactFactory(
        borrower=borrower,
        contact_type="address",
        value="",
        address_line1="1 Main St",
        state="NY",
        country="US",
    )
    ok = api.put(contacts_url(borrower, contact), {"address": {"city": "Albany"}}, format="json")
    assert ok.status_code == 200, ok.json()
    assert ok.json()["data"]["address"]["city"] == "Albany"
    assert ok.json()["data"]["address"]["addressLine1"] == "1 Main St"
    bad = api.put(contacts_url(borrower, contact), {"address": {"addressLine1": ""}}, format="json")
    assert bad.status_code == 400
    assert bad.json()["errors"] == {"address.addressLine1": ["Required for a postal address."]}
    contact.refresh_from_db()
    assert contact.address_line1 == "1 Main St"


def test_a_read_contact_can_be_sent_back(api, borrower):
    contact = ContactFactory(borrower=borrower)
    read = api.get(contacts_url(borrower, contact)).json()["data"]
    response = api.put(contacts_url(borrower, contact), read, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["data"]["value"] == contact.value


def test_delete_archives_and_keeps_the_row(api, borrower):
    contact = ContactFactory(borrower=borrower)
    response = api.delete(contacts_url(borrower, contact))
    assert response.status_code == 200
    assert response.json()["message"] == "archived"
    assert response.json()["data"]["status"] == "archived"
    contact.refresh_from_db()
    assert contact.status == "archived"
    again = api.delete(contacts_url(borrower, contact))
    assert again.status_code == 200 and again.json()["data"]["status"] == "archived"
    assert Contact.objects.count() == 1


def test_duplicate_external_id_is_409(api, borrower, sibling):
    ContactFactory(borrower=sibling, external_id="C-1")
    response = api.post(
        contacts_url(borrower),
        {"contactType": "email", "value": "a@example.com", "externalId": "C-1"},
        format="json",
    )
    assert response.status_code == 409
    assert response.json()["message"] == "A contact with externalId 'C-1' already exists in this company."
    assert Contact.objects.count() == 1


def test_same_external_id_in_another_company_is_fine(api, borrower, stranger):
    ContactFactory(borrower=stranger, external_id="C-1")
    response = api.post(
        contacts_url(borrower),
        {"contactType": "email", "value": "a@example.com", "externalId": "C-1"},
        format="json",
    )
    assert response.status_code == 200


@pytest.mark.parametrize(
    "body, field, problem",
    [
        ({"value": "a@example.com"}, "contactType", "This field is required."),
        (
            {"contactType": "fax", "value": "a@example.com"},
            "contactType",
            ("'fax' is not a valid choice. Must be one of: email, phone, address."),
        ),
        (
            {"contactType": "email", "value": "a@example.com", "label": "boss"},
            "label",
            ("'boss' is not a valid choice. Must be one of: personal, work, home, mobile, military, other."),
        ),
        ({"contactType": "email", "value": ["a@example.com"]}, "value", "Not a valid string."),
        (
            {"contactType": "email", "value": "a@example.com", "valid": "maybe"},
            "valid",
            "Must be a valid boolean.",
        ),
        (
            {"contactType": "email", "value": "a" * 250 + "@example.com"},
            "value",
            "Ensure this field has no more than 254 characters.",
        ),
        ({"contactType": "email", "value": "ada@"}, "value", "'ada@' is not a valid email address."),
        ({"contactType": "email"}, "value", "An email address is required."),
        ({"contactType": "phone", "value": "555-12"}, "value", "'555-12' is not a valid phone number."),
        ({"contactType": "phone", "value": "call me"}, "value", "'call me' is not a phone number."),
        (
            {"contactType": "phone", "value": "+1 415 555 1234 ext 5"},
            "value",
            "Phone extensions are not supported (E.164 has none).",
        ),
        (
            {"contactType": "address", "address": {"city": "Boston"}},
            "address.addressLine1",
            "Required for a postal address.",
        ),
        (
            {"contactType": "address", "address": {"addressLine1": "1 Main St", "state": "Texas"}},
            "address.state",
            "'TEXAS' is not a 2-letter USPS state code (for example CA).",
        ),
        (
            {"contactType": "address", "address": {"addressLine1": "1 Main St", "postalCode": "1234"}},
            "address.postalCode",
            "'1234' is not a US ZIP code (5 or 9 digits).",
        ),
        (
            {"contactType": "address", "address": {"addressLine1": "1 Main St", "country": "ZZ"}},
            "address.country",
            "'ZZ' is not an ISO 3166-1 alpha-2 country code.",
        ),
        (
            {"contactType": "address", "address": "1 Main St"},
            "address",
            "Invalid data. Expected a dictionary, but got str.",
        ),
        (
            {"contactType": "address", "value": "x", "address": {"addressLine1": "1 Main St"}},
            "value",
            "Not used for contactType address; send the address object.",
        ),
        (
            {"contactType": "email", "value": "a@example.com", "address": {"addressLine1": "1 Main St"}},
            "address",
            "Not used for contactType email; send value.",
        ),
        (
            {"contactType": "email", "value": "a@example.com", "receiveTextMessages": True},
            "receiveTextMessages",
            "Only a phone contact can have this consent.",
        ),
        (
            {"contactType": "phone", "value": "+14155551234", "phoneDisconnectionDetails": [1]},
            "phoneDisconnectionDetails",
            "Must be a JSON object.",
        ),
        (
            {"contactType": "email", "value": "a@example.com", "externalId": ""},
            "externalId",
            "This field may not be blank.",
        ),
        ({"contactType": "email", "value": "a@example.com", "mobile": True}, "mobile", "Unknown field."),
    ],
)
def test_bad_input_is_400_naming_the_field_and_writes_nothing(api, borrower, body, field, problem):
    response = api.post(contacts_url(borrower), body, format="json")
    assert response.status_code == 400, response.json()
    payload = response.json()
    assert payload["status"] == 400
    assert payload["errors"][field] == [problem]
    assert payload["message"].startswith(f"Invalid field '{field}': {problem}")
    assert Contact.objects.count() == 0


def test_malformed_json_is_400_and_writes_nothing(api, borrower):
    response = api.post(contacts_url(borrower), '{"contactType": "email",', content_type="application/json")
    assert response.status_code == 400
    assert response.json()["message"].startswith("Malformed JSON")
    assert Contact.objects.count() == 0


def test_a_non_json_body_is_415(api, borrower):
    response = api.post(
        contacts_url(borrower), "contactType=email", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 415
    assert Contact.objects.count() == 0


def test_bad_update_writes_nothing(api, borrower):
    contact = ContactFactory(borrower=borrower, contact_type="phone", value="+14155551234", label="mobile")
    response = api.put(contacts_url(borrower, contact), {"value": "12", "label": "home"}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"] == {"value": ["'12' is not a valid phone number."]}
    contact.refresh_from_db()
    assert (contact.value, contact.label) == ("+14155551234", "mobile")


@pytest.mark.parametrize("method", ["get", "post"])
def test_list_routes_of_another_company_are_404(api, stranger, method):
    ContactFactory(borrower=stranger)
    body = {"contactType": "email", "value": "a@example.com"}
    for person in (stranger.pk, "ext-NOPE"):
        response = getattr(api, method)(contacts_url(person), body, format="json")
        assert response.status_code == 404, response.json()
        assert response.json()["status"] == 404
    assert Contact.objects.filter(company=api.company).count() == 0


@pytest.mark.parametrize("method", ["get", "put", "delete"])
def test_item_routes_of_another_borrower_or_company_are_404(api, borrower, sibling, stranger, method):
    sibling_contact = ContactFactory(borrower=sibling, external_id="C-9")
    foreign_contact = ContactFactory(borrower=stranger, external_id="C-1")
    cases = [
        (borrower.pk, sibling_contact.pk),  # another borrower of the same company
        (borrower.pk, "ext-C-9"),
        (sibling.pk, "CT-0000-0000"),
        (stranger.pk, foreign_contact.pk),  # another company's borrower and contact
        (borrower.pk, foreign_contact.pk),
        (borrower.pk, "ext-C-1"),
    ]
    for person, contact in cases:
        response = getattr(api, method)(contacts_url(person, contact), {"label": "work"}, format="json")
        assert response.status_code == 404, (person, contact)
    for row in (sibling_contact, foreign_contact):
        before = (row.label, row.status, row.updated_at)
        row.refresh_from_db()
        assert (row.label, row.status, row.updated_at) == before


def test_read_only_key_cannot_write(company, borrower, client_with):
    reader = client_with(company, ["people:read"])
    contact = ContactFactory(borrower=borrower)
    assert reader.get(contacts_url(borrower)).status_code == 200
    assert reader.get(contacts_url(borrower, contact)).status_code == 200
    body = {"contactType": "email", "value": "a@example.com"}
    for response in (
        reader.post(contacts_url(borrower), body, format="json"),
        reader.put(contacts_url(borrower, contact), {"label": "work"}, format="json"),
        reader.delete(contacts_url(borrower, contact)),
    ):
        assert response.status_code == 403
        assert response.json()["message"] == "This API key lacks the 'people:write' permission."
    contact.refresh_from_db()
    assert contact.status == "primary" and Contact.objects.count() == 1


def test_key_without_people_read_is_403(company, borrower, client_with):
    response = client_with(company, ["company:read"]).get(contacts_url(borrower))
    assert response.status_code == 403


def test_list_query_count_does_not_grow_with_rows(api, borrower, django_assert_max_num_queries):
    ContactFactory.create_batch(2, borrower=borrower)
    api.get(contacts_url(borrower))  # the key's last_used_at write happens on first use
    with CaptureQueriesContext(connection) as few:
        assert len(api.get(contacts_url(borrower)).json()["data"]) == 2
    ContactFactory.create_batch(40, borrower=borrower)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(api.get(contacts_url(borrower) + "?limit=100").json()["data"]) == 42
    assert len(few.captured_queries) <= 3  # key, borrower, page

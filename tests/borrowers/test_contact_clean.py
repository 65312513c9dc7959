"""``contact_clean``: the one check of a contact, shared by the contact services (the API)
and the staff console's contact form. It returns what would be written and writes nothing."""

from __future__ import annotations

import pytest

from borrowers.models import Contact
from borrowers.services import contact_clean
from borrowers.services.contacts import ERROR_FIELDS
from peachcomms.errors import InvalidInput
from tests.factories import ContactFactory

pytestmark = pytest.mark.django_db


def test_a_new_contact_gets_every_value_normalised_and_nothing_is_written():
    changes = contact_clean(
        {
            "contact_type": "phone",
            "value": "(415) 555-1234",
            "label": "mobile",
            "receive_text_messages": True,
        },
        current=None,
    )
    consent_at = changes.pop("receive_text_messages_last_consent_at")
    assert consent_at is not None
    assert changes == {
        "contact_type": "phone",
        "value": "+14155551234",
        "label": "mobile",
        "receive_text_messages": True,
    }
    assert not Contact.objects.exists()


def test_a_change_returns_only_what_differs_from_the_stored_row(borrower):
    contact = ContactFactory(borrower=borrower, value="ada@example.com", verified=True)
    assert contact_clean({"value": " ada@EXAMPLE.com", "label": "personal"}, current=contact) == {}
    assert contact_clean({"value": "ada@example.org"}, current=contact) == {
        "value": "ada@example.org",
        "verified": False,
    }
    contact.refresh_from_db()
    assert (contact.value, contact.verified) == ("ada@example.com", True)


def test_a_type_change_clears_what_belonged_to_the_old_type(borrower):
    contact = ContactFactory(borrower=borrower, contact_type="phone", value="+14155551234", verified=True)
    changes = contact_clean({"contact_type": "address", "address_line1": "1 Main St"}, current=contact)
    assert changes == {
        "contact_type": "address",
        "address_line1": "1 Main St",
        "value": "",
        "country": "US",
        "verified": False,
    }


def test_problems_are_named_by_api_field_and_map_to_model_fields():
    with pytest.raises(InvalidInput) as refused:
        contact_clean(
            {"contact_type": "address", "state": "Texas", "consent_autodialed_call": True}, current=None
        )
    assert refused.value.errors == {
        "consentAutodialedCall": ["Only a phone contact can have this consent."],
        "address.addressLine1": ["Required for a postal address."],
        "address.state": ["'TEXAS' is not a 2-letter USPS state code (for example CA)."],
    }
    assert [ERROR_FIELDS[name] for name in refused.value.errors] == [
        "consent_autodialed_call",
        "address_line1",
        "state",
    ]
    model_fields = {field.name for field in Contact._meta.get_fields()}
    assert {field for field in ERROR_FIELDS.values() if field is not None} <= model_fields

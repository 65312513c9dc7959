from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any
from zoneinfo import available_timezones

from rest_framework import serializers

from borrowers.models import Borrower, Case, Company, Contact, Document, Loan
from borrowers.validators import ValueInvalid, normalize_media_type, validate_file_name
from peachcomms.api.serializers import (
    CamelModelSerializer,
    EnumField,
    MetaDataField,
    ObjectIdField,
    StrictSerializer,
)


@cache
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


class TimezoneField(serializers.CharField):
    """An IANA time-zone name (``America/Chicago``)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 64)
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> str:
        value = super().to_internal_value(data)
        if value and value not in _zones():
            raise serializers.ValidationError(f"'{value[:64]}' is not an IANA time zone.")
        return value


class BorrowerNameSerializer(StrictSerializer):
    firstName = serializers.CharField(source="first_name", max_length=100, required=False, allow_blank=True)
    middleName = serializers.CharField(source="middle_name", max_length=100, required=False, allow_blank=True)
    lastName = serializers.CharField(source="last_name", max_length=100, required=False, allow_blank=True)
    preferredFirstName = serializers.CharField(
        source="preferred_first_name", max_length=100, required=False, allow_blank=True
    )


class CommPreferencesSerializer(StrictSerializer):
    statementDeliveryChannels = serializers.ListField(
        source="statement_delivery_channels",
        child=EnumField(choices=["email", "mail", "text", "gui"]),
        max_length=4,
        required=False,
    )
    sendRemindersWhenCurrent = serializers.BooleanField(source="send_reminders_when_current", required=False)


class BorrowerSerializer(CamelModelSerializer):
    """A borrower (person or business)."""

    object = serializers.SerializerMethodField()
    companyId = serializers.CharField(source="company_id", read_only=True)
    name = BorrowerNameSerializer(source="*", required=False)
    commPreferences = CommPreferencesSerializer(source="*", required=False)
    timezone = TimezoneField(required=False, allow_blank=True)
    metaData = MetaDataField(source="meta_data")

    class Meta:
        model = Borrower
        fields = [
            "id",
            "object",
            "companyId",
            "external_id",
            "borrower_type",
            "status",
            "collections_intensity",
            "name",
            "business_name",
            "timezone",
            "display_id",
            "commPreferences",
            "metaData",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "created_at", "updated_at"]

    def get_object(self, obj: Borrower) -> str:
        return "person"


def _checked(check: Callable[[str], Any]) -> Callable[[str], None]:
    """A DRF validator from a ``borrowers.validators`` check."""

    def validator(value: str) -> None:
        try:
            check(value)
        except ValueInvalid as error:
            raise serializers.ValidationError(str(error)) from None

    return validator


def _object_name(name: str) -> serializers.SerializerMethodField:
    return serializers.SerializerMethodField(help_text=f'Always "{name}".')


class RecordSerializer(CamelModelSerializer):
    # A record of a borrower: id, object, personId, companyId, and externalId (unique per
    # company and type; blank is refused, null clears it). Subclasses set ``object_name``.

    object_name = ""
    personId = serializers.CharField(source="borrower_id", read_only=True)
    companyId = serializers.CharField(source="company_id", read_only=True)

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        if "externalId" in fields:
            fields["externalId"].allow_blank = False
        return fields

    def get_object(self, obj: Any) -> str:
        return self.object_name


RECORD_FIELDS = ["id", "object", "personId", "companyId", "external_id"]
TIMESTAMPS = ["created_at", "updated_at"]


def _address_part(max_length: int, source: str | None = None, **kwargs: Any) -> serializers.CharField:
    return serializers.CharField(
        max_length=max_length, source=source, required=False, allow_blank=True, **kwargs
    )


ADDRESS_HELP = (
    "A postal address. For a US address (`country` blank or `US`) `state` is a 2-letter USPS "
    "code and `postalCode` a 5- or 9-digit ZIP code (stored as `12345` or `12345-6789`)."
)


class AddressSerializer(StrictSerializer):
    __doc__ = ADDRESS_HELP

    addressLine1 = _address_part(200)
    addressLine2 = _address_part(200)
    city = _address_part(100)
    state = _address_part(50)
    postalCode = _address_part(20)
    country = _address_part(2, help_text="ISO 3166-1 alpha-2; default US.")


class ContactAddressSerializer(StrictSerializer):
    __doc__ = ADDRESS_HELP

    addressLine1 = _address_part(200, "address_line1")
    addressLine2 = _address_part(200, "address_line2")
    city = _address_part(100)
    state = _address_part(50)
    postalCode = _address_part(20, "postal_code")
    country = _address_part(2, help_text="ISO 3166-1 alpha-2; default US.")


class ContactSerializer(RecordSerializer):
    """A borrower's email address, phone or postal address. `value` is the email address
    or the E.164 phone (null for an address contact); `address` is the postal address (null
    unless `contactType` is `address`)."""

    object = _object_name("contact")
    object_name = "contact"
    value = serializers.CharField(
        max_length=254,
        required=False,
        allow_blank=True,
        allow_null=True,
        help_text="Email address, or phone number (stored in E.164, read with default region US).",
    )
    address = ContactAddressSerializer(source="*", required=False, allow_null=True)
    phoneDisconnectionDetails = MetaDataField(source="phone_disconnection_details", allow_null=True)

    class Meta:
        model = Contact
        fields = [
            *RECORD_FIELDS,
            "contact_type",
            "label",
            "affiliation",
            "value",
            "address",
            "status",
            "valid",
            "verified",
            "receive_text_messages",
            "receive_text_messages_last_consent_at",
            "consent_autodialed_call",
            "authorized_third_party",
            "power_of_attorney",
            "phoneDisconnectionDetails",
            *TIMESTAMPS,
        ]
        read_only_fields = ["id", "verified", "receive_text_messages_last_consent_at", *TIMESTAMPS]

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, dict):
            # What a read shows as null for the other contact types may be sent back.
            data = {**data}
            if "address" in data and data["address"] is None:
                del data["address"]
            if "value" in data and data["value"] is None:
                data["value"] = ""
        return super().to_internal_value(data)

    def to_representation(self, instance: Contact) -> dict[str, Any]:
        data = super().to_representation(instance)
        if instance.contact_type == Contact.ContactType.ADDRESS:
            data["value"] = None
        else:
            data["address"] = None
        return data


class LoanSerializer(RecordSerializer):
    """A borrower's loan; `metaData` carries anything else a template needs."""

    object = _object_name("loan")
    object_name = "loan"
    metaData = MetaDataField(source="meta_data")

    class Meta:
        model = Loan
        fields = [
            *RECORD_FIELDS,
            "display_id",
            "status",
            "amount_due",
            "due_date",
            "days_past_due",
            "product_name",
            "metaData",
            *TIMESTAMPS,
        ]
        read_only_fields = ["id", *TIMESTAMPS]
        extra_kwargs = {"amount_due": {"coerce_to_string": False}}


class CaseSerializer(RecordSerializer):
    """A borrower's case (bankruptcy, cease-communication, dispute...); open while
    `status` is `initiated` or `processing`."""

    object = _object_name("case")
    object_name = "case"
    loanIds = serializers.ListField(
        source="loan_ids",
        child=ObjectIdField("LN"),
        max_length=100,
        required=False,
        help_text="Loans of this borrower (LN-… or ext-…); stored and returned as LN- ids.",
    )
    metaData = MetaDataField(source="meta_data")

    class Meta:
        model = Case
        fields = [
            *RECORD_FIELDS,
            "case_type",
            "status",
            "outcome",
            "loanIds",
            "started_at",
            "closed_at",
            "metaData",
            *TIMESTAMPS,
        ]
        read_only_fields = ["id", *TIMESTAMPS]


class DocumentSerializer(RecordSerializer):
    """A document descriptor. Its bytes are uploaded and downloaded at
    `/people/{personId}/documents/{documentId}/content`."""

    object = _object_name("document")
    object_name = "document"
    fileName = serializers.CharField(
        source="file_name",
        max_length=255,
        required=False,
        allow_blank=True,
        validators=[_checked(validate_file_name)],
    )
    contentType = serializers.CharField(
        source="content_type",
        max_length=127,
        required=False,
        allow_blank=True,
        validators=[_checked(normalize_media_type)],
        help_text="Media type; an upload replaces it with the upload's Content-Type.",
    )
    loanId = ObjectIdField("LN", source="loan_id", required=False, allow_null=True)

    class Meta:
        model = Document
        fields = [
            *RECORD_FIELDS,
            "type",
            "fileName",
            "contentType",
            "content_length",
            "description",
            "loanId",
            "template_version_id",
            "autogenerated",
            "status",
            *TIMESTAMPS,
        ]
        read_only_fields = [
            "id",
            "content_length",
            "template_version_id",
            "autogenerated",
            "status",
            *TIMESTAMPS,
        ]


class CompanySerializer(CamelModelSerializer):
    """The lender or servicer that owns the API key."""

    object = _object_name("company")
    timezone = TimezoneField(required=False)
    mailingAddress = AddressSerializer(source="mailing_address", required=False, allow_null=True)

    class Meta:
        model = Company
        fields = [
            "id",
            "object",
            "name",
            "brand_name",
            "legal_name",
            "domain_name",
            "timezone",
            "support_phone",
            "support_email",
            "help_text",
            "mailingAddress",
            *TIMESTAMPS,
        ]
        read_only_fields = ["id", *TIMESTAMPS]
        extra_kwargs = {
            "support_phone": {"help_text": "Stored in E.164."},
            "support_email": {"help_text": "Stored with a lower-cased domain."},
            "help_text": {"help_text": "The reply to an SMS HELP keyword (at most 320 characters)."},
        }

    def get_object(self, obj: Company) -> str:
        return "company"

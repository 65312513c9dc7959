from __future__ import annotations

from functools import cache
from typing import Any
from zoneinfo import available_timezones

from rest_framework import serializers

from borrowers.models import Borrower
from peachcomms.api.serializers import CamelModelSerializer, MetaDataField, StrictSerializer


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
        child=serializers.ChoiceField(choices=["email", "mail", "text", "gui"]),
        max_length=4,
        required=False,
    )
    sendRemindersWhenCurrent = serializers.BooleanField(source="send_reminders_when_current", required=False)


class BorrowerSerializer(CamelModelSerializer):
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

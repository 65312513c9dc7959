"""Request bodies and query filters of the interaction routes. They check form only
(types, enums, sizes); the services check everything that needs the company's data."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from interactions import catalogue
from interactions.api.serializers import InteractionSerializer, with_from_field
from interactions.models import Interaction
from peachcomms.api.serializers import EnumField, MetaDataField, ObjectIdField, StrictSerializer

SUBJECT_LINE_MAX = 1_000
CONTENT_TEXT_MAX = 100_000
CONTENT_HTML_MAX = 500_000
ADDRESS_MAX = 320
LOAN_IDS_MAX = 100


class ChannelField(EnumField):
    """A channel of the catalogue; a deprecated one (``fax``) is refused for new rows."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=catalogue.channel_values(include_deprecated=False), **kwargs)

    def to_internal_value(self, data: Any) -> str:
        if isinstance(data, str) and catalogue.channel_is_deprecated(data):
            raise serializers.ValidationError(f"'{data}' is deprecated; no new {data} interactions.")
        return super().to_internal_value(data)


def _status_field(**kwargs: Any) -> EnumField:
    return EnumField(choices=catalogue.status_values(), **kwargs)


def _status_details_field(**kwargs: Any) -> EnumField:
    return EnumField(
        choices=catalogue.status_details_values(),
        help_text="Must fit the channel and direction; implies the status (data.md).",
        **kwargs,
    )


def _agent_outcome_field(**kwargs: Any) -> EnumField:
    return EnumField(choices=catalogue.agent_outcome_values(), **kwargs)


class InteractionContentInputSerializer(StrictSerializer):
    subjectLine = serializers.CharField(
        max_length=SUBJECT_LINE_MAX, required=False, allow_null=True, allow_blank=True
    )
    contentText = serializers.CharField(
        max_length=CONTENT_TEXT_MAX, required=False, allow_null=True, allow_blank=True, trim_whitespace=False
    )
    contentHtml = serializers.CharField(
        max_length=CONTENT_HTML_MAX, required=False, allow_null=True, allow_blank=True, trim_whitespace=False
    )
    to = serializers.CharField(max_length=ADDRESS_MAX, required=False, allow_null=True, allow_blank=True)

    def get_fields(self) -> dict[str, serializers.Field]:
        return with_from_field(
            super().get_fields(),
            serializers.CharField(max_length=ADDRESS_MAX, required=False, allow_null=True, allow_blank=True),
        )


class InteractionLogSerializer(StrictSerializer):
    """Body of ``POST /people/{personId}/interactions``."""

    channel = ChannelField()
    direction = EnumField(choices=Interaction.Direction.values)
    subject = serializers.CharField(
        max_length=64,
        required=False,
        allow_null=True,
        help_text="Optional (a logged call may have a theme and no subject; null when absent). "
        "Deprecated aliases are rewritten.",
    )
    theme = serializers.CharField(
        max_length=64,
        required=False,
        help_text="Defaults to the subject's theme; required without a subject or when it has none.",
    )
    status = _status_field(
        required=False, help_text="Defaults to what statusDetails implies, else 'succeeded'."
    )
    statusDetails = _status_details_field(required=False)
    agentOutcome = _agent_outcome_field(required=False)
    contactId = ObjectIdField("CT", required=False)
    loanId = ObjectIdField("LN", required=False)
    loanIds = serializers.ListField(child=ObjectIdField("LN"), required=False, max_length=LOAN_IDS_MAX)
    caseId = ObjectIdField("CS", required=False)
    externalId = serializers.CharField(max_length=255, required=False)
    previousInteractionId = ObjectIdField("IT", required=False)
    statementId = ObjectIdField(
        "DD", required=False, help_text="A statement document (DD-…) of the borrower, as a send's."
    )
    supercaseBulkOperationId = serializers.CharField(max_length=64, required=False)
    startedAt = serializers.DateTimeField(required=False)
    endedAt = serializers.DateTimeField(required=False)
    content = InteractionContentInputSerializer(required=False)
    metaData = MetaDataField()
    sensitive = serializers.BooleanField(required=False)
    isTransactional = serializers.BooleanField(
        required=False, help_text="Defaults to the subject descriptor's default; false without a subject."
    )


#: A PUT may send back a field of the representation it cannot change only with its current value.
IMMUTABLE_PROBLEM = "Cannot be changed."


class InteractionUpdateSerializer(StrictSerializer):
    """Body of ``PUT /people/{personId}/interactions/{interactionId}``: only the fields
    sent change. Other fields of the representation (``channel``, ``direction``,
    ``personId``…) may be sent back as read; a different value is a 400. ``statusDetails``,
    ``theme`` and ``endedAt`` may be null only while they are null (nothing to clear)."""

    status = _status_field(required=False)
    statusDetails = _status_details_field(required=False, allow_null=True)
    agentOutcome = _agent_outcome_field(required=False, allow_null=True, help_text="null clears it.")
    endedAt = serializers.DateTimeField(required=False, allow_null=True)
    metaData = MetaDataField(help_text="Replaces the stored metaData.")
    externalId = serializers.CharField(
        max_length=255, required=False, allow_null=True, help_text="null clears it."
    )
    theme = serializers.CharField(
        max_length=64, required=False, allow_null=True, help_text="Only while the theme is null."
    )

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(self.instance, Interaction):
            current = InteractionSerializer(self.instance, context=self.context).data
            fixed = [name for name in data if name in current and name not in self.fields]
            changed = sorted(name for name in fixed if data[name] != current[name])
            if changed:
                raise serializers.ValidationError(
                    {name: [f"{IMMUTABLE_PROBLEM} (it is {current[name]!r:.80})."] for name in changed}
                )
            data = {name: value for name, value in data.items() if name not in fixed}
        return super().to_internal_value(data)


class InteractionFilterSerializer(StrictSerializer):
    """Query filters of the interaction lists. An unknown parameter is a 400, like an
    unknown body field."""

    personId = serializers.CharField(max_length=260, required=False)
    channel = EnumField(choices=catalogue.channel_values(), required=False)
    direction = EnumField(choices=Interaction.Direction.values, required=False)
    status = _status_field(required=False)
    statusDetails = _status_details_field(required=False)
    subject = serializers.CharField(max_length=64, required=False)
    theme = serializers.CharField(max_length=64, required=False)
    loanId = serializers.CharField(max_length=260, required=False)
    caseId = serializers.CharField(max_length=260, required=False)
    supercaseBulkOperationId = serializers.CharField(max_length=64, required=False)
    createdAtFrom = serializers.DateTimeField(required=False)
    createdAtTo = serializers.DateTimeField(required=False)

    #: owned by the paginator
    PAGINATION = ("limit", "startingAfter", "endingBefore")

    def to_internal_value(self, data: Any) -> Any:
        params = {name: data.get(name) for name in data if name not in self.PAGINATION}
        return super().to_internal_value(params)


class PersonInteractionFilterSerializer(InteractionFilterSerializer):
    """The filters of a borrower's list: the path names the borrower, so no ``personId``."""

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        del fields["personId"]
        return fields

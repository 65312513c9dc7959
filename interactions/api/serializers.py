"""The Interaction representation of data.md. Request bodies and query filters are in
``interactions.api.inputs``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from interactions import catalogue
from interactions.models import Interaction
from peachcomms.api.serializers import CamelModelSerializer, EnumField

CONTENT_KEYS = ("subjectLine", "contentText", "contentHtml", "to", "from", "attachments", "providerMessageId")
READ_SENSITIVE = "interactions:readSensitive"


def with_from_field(
    fields: dict[str, serializers.Field], field: serializers.Field
) -> dict[str, serializers.Field]:
    # ``from`` is a Python keyword, so it cannot be declared in a class body.
    fields["from"] = field
    return fields


class InteractionContentSerializer(serializers.Serializer):
    """What was (or will be) delivered, or what was received."""

    subjectLine = serializers.CharField(allow_null=True)
    contentText = serializers.CharField(allow_null=True)
    contentHtml = serializers.CharField(allow_null=True)
    to = serializers.CharField(allow_null=True)
    attachments = serializers.ListField(child=serializers.CharField(), help_text="Document ids (DD-...).")
    providerMessageId = serializers.CharField(allow_null=True)

    def get_fields(self) -> dict[str, serializers.Field]:
        return with_from_field(super().get_fields(), serializers.CharField(allow_null=True))


class CreatedBySerializer(serializers.Serializer):
    id = serializers.CharField(allow_null=True)
    name = serializers.CharField(allow_null=True)
    userType = EnumField(choices=["agent", "integration", "system", "borrower"])
    descriptor = serializers.CharField(allow_null=True)


def _none_or(represent: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """A field's representation as DRF's Serializer applies it: None stays None."""
    return lambda value: None if value is None else represent(value)


# DRF's own representations (unbound fields read only the value and the settings). A text
# or choice column holds str, which CharField and ChoiceField both give back as it is.
_text = _none_or(serializers.CharField().to_representation)
_datetime = _none_or(serializers.DateTimeField().to_representation)
_boolean = _none_or(serializers.BooleanField().to_representation)
_texts = _none_or(serializers.ListField(child=serializers.CharField()).to_representation)
_mapping = _none_or(serializers.DictField().to_representation)


class InteractionSerializer(CamelModelSerializer):
    """An interaction as the API shows it. ``content`` is null for a sensitive interaction
    unless the caller's key holds ``interactions:readSensitive``."""

    object = serializers.SerializerMethodField()
    companyId = serializers.CharField(source="company_id", read_only=True)
    personId = serializers.CharField(source="borrower_id", read_only=True, allow_null=True)
    contactId = serializers.CharField(source="contact_id", read_only=True, allow_null=True)
    contactExternalId = serializers.SerializerMethodField(method_name="get_contact_external_id")
    channel = serializers.ChoiceField(choices=catalogue.channel_values(), read_only=True)
    status = serializers.ChoiceField(choices=catalogue.status_values(), read_only=True)
    statusDetails = serializers.ChoiceField(
        source="status_details", choices=catalogue.status_details_values(), read_only=True, allow_null=True
    )
    agentOutcome = serializers.ChoiceField(
        source="agent_outcome", choices=catalogue.agent_outcome_values(), read_only=True, allow_null=True
    )
    previousInteractionId = serializers.CharField(
        source="previous_interaction_id", read_only=True, allow_null=True
    )
    loanId = serializers.CharField(source="loan_id", read_only=True, allow_null=True)
    loanIds = serializers.ListField(source="loan_ids", child=serializers.CharField(), read_only=True)
    caseId = serializers.CharField(source="case_id", read_only=True, allow_null=True)
    content = serializers.SerializerMethodField()
    metaData = serializers.DictField(source="meta_data", read_only=True)
    createdBy = serializers.SerializerMethodField(method_name="get_created_by")
    lastTaskMeta = serializers.DictField(source="last_task_meta", read_only=True, allow_null=True)

    class Meta:
        model = Interaction
        fields = [
            "id",
            "object",
            "companyId",
            "personId",
            "contactId",
            "contactExternalId",
            "channel",
            "direction",
            "subject",
            "theme",
            "borrower_selected_theme",
            "status",
            "statusDetails",
            "status_updated_at",
            "status_details_updated_at",
            "agentOutcome",
            "agent_outcome_updated_at",
            "is_transactional",
            "sensitive",
            "is_external",
            "external_id",
            "previousInteractionId",
            "loanId",
            "loanIds",
            "caseId",
            "statement_id",
            "supercase_bulk_operation_id",
            "template_version_id",
            "send_at",
            "started_at",
            "ended_at",
            "scheduled_at_from",
            "scheduled_at_to",
            "content",
            "metaData",
            "twilio_error_code",
            "failure_description_short",
            "failure_description_long",
            "compliance_guard_rule_id",
            "createdBy",
            "lastTaskMeta",
            "created_at",
            "updated_at",
            "deleted_at",
        ]
        read_only_fields = fields

    def to_representation(self, instance: Interaction) -> dict[str, Any]:
        """What DRF's ``Serializer.to_representation`` gives over the fields above, written
        out: the send route answers with one interaction per request, and DRF builds this
        ModelSerializer's 44 fields for every serializer instance before reading a value
        (ADR 0006, issue 14). A serializer whose fields were built or changed takes DRF's path."""
        if "fields" in self.__dict__:
            return super().to_representation(instance)
        i, text, when = instance, _text, _datetime
        contact_id = i.contact_id
        return {
            "id": text(i.id),
            "object": self.get_object(i),
            "companyId": text(i.company_id),
            "personId": text(i.borrower_id),
            "contactId": text(contact_id),
            "contactExternalId": self.get_contact_external_id(i),
            "channel": text(i.channel),
            "direction": text(i.direction),
            "subject": text(i.subject),
            "theme": text(i.theme),
            "borrowerSelectedTheme": text(i.borrower_selected_theme),
            "status": text(i.status),
            "statusDetails": text(i.status_details),
            "statusUpdatedAt": when(i.status_updated_at),
            "statusDetailsUpdatedAt": when(i.status_details_updated_at),
            "agentOutcome": text(i.agent_outcome),
            "agentOutcomeUpdatedAt": when(i.agent_outcome_updated_at),
            "isTransactional": _boolean(i.is_transactional),
            "sensitive": _boolean(i.sensitive),
            "isExternal": _boolean(i.is_external),
            "externalId": text(i.external_id),
            "previousInteractionId": text(i.previous_interaction_id),
            "loanId": text(i.loan_id),
            "loanIds": _texts(i.loan_ids),
            "caseId": text(i.case_id),
            "statementId": text(i.statement_id),
            "supercaseBulkOperationId": text(i.supercase_bulk_operation_id),
            "templateVersionId": text(i.template_version_id),
            "sendAt": when(i.send_at),
            "startedAt": when(i.started_at),
            "endedAt": when(i.ended_at),
            "scheduledAtFrom": when(i.scheduled_at_from),
            "scheduledAtTo": when(i.scheduled_at_to),
            "content": self.get_content(i),
            "metaData": _mapping(i.meta_data),
            "twilioErrorCode": text(i.twilio_error_code),
            "failureDescriptionShort": text(i.failure_description_short),
            "failureDescriptionLong": text(i.failure_description_long),
            "complianceGuardRuleId": text(i.compliance_guard_rule_id),
            "createdBy": self.get_created_by(i),
            "lastTaskMeta": _mapping(i.last_task_meta),
            "createdAt": when(i.created_at),
            "updatedAt": when(i.updated_at),
            "deletedAt": when(i.deleted_at),
        }

    def get_object(self, obj: Interaction) -> str:
        return "interaction"

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_contact_external_id(self, obj: Interaction) -> str | None:
        if hasattr(obj, "contact_external_id"):
            return obj.contact_external_id
        return obj.contact.external_id if obj.contact_id else None

    def _can_read_sensitive(self) -> bool:
        if "can_read_sensitive" not in self.context:
            key = self.context.get("api_key")
            self.context["can_read_sensitive"] = key is not None and key.has_permission(READ_SENSITIVE)
        return self.context["can_read_sensitive"]

    @extend_schema_field(InteractionContentSerializer(allow_null=True))
    def get_content(self, obj: Interaction) -> dict[str, Any] | None:
        if obj.content is None or (obj.sensitive and not self._can_read_sensitive()):
            return None
        content = {key: obj.content.get(key) for key in CONTENT_KEYS}
        content["attachments"] = content["attachments"] or []
        return content

    @extend_schema_field(CreatedBySerializer(allow_null=True))
    def get_created_by(self, obj: Interaction) -> dict[str, Any] | None:
        return obj.created_by

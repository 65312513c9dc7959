"""Request bodies of the send routes (send, resend, send-free-form-email) and the 422 body
of a Compliance Guard refusal. They check form only (types, enums, sizes); the services
check everything that needs the company's data."""

from __future__ import annotations

import json
from typing import Any

from rest_framework import serializers

from interactions.api.inputs import (
    CONTENT_HTML_MAX,
    CONTENT_TEXT_MAX,
    LOAN_IDS_MAX,
    SUBJECT_LINE_MAX,
    ChannelField,
)
from interactions.services.free_form import PERSONALIZATIONS_MAX
from interactions.services.send import ATTACHMENTS_MAX, SEND_CHANNELS, SEND_JITTER_MAX
from peachcomms.api.serializers import ObjectIdField, StrictSerializer

#: ``context`` serialised as JSON may be at most this many bytes.
CONTEXT_MAX_BYTES = 64 * 1024
ADDRESS_MAX = 320
NAME_MAX = 200


class SendChannelField(ChannelField):
    """A channel a message can be sent on; ``fax`` is deprecated (400 saying so)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.choices = list(SEND_CHANNELS)


class ContextField(serializers.JSONField):
    """Template variables: a JSON object of at most 64 KB (as JSON)."""

    default_error_messages = {
        "not_object": "Must be a JSON object.",
        "too_large": f"At most {CONTEXT_MAX_BYTES // 1024} KB as JSON.",
    }

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        value = super().to_internal_value(data)
        if not isinstance(value, dict):
            self.fail("not_object")
        if len(json.dumps(value, separators=(",", ":")).encode()) > CONTEXT_MAX_BYTES:
            self.fail("too_large")
        return value


class SendSerializer(StrictSerializer):
    """Body of ``POST /communicator/send`` (api.md)."""

    personId = ObjectIdField("BO", help_text="The borrower (BO-… or ext-<externalId>).")
    subject = serializers.CharField(max_length=64, help_text="Deprecated aliases are rewritten.")
    channel = SendChannelField()
    theme = serializers.CharField(
        max_length=64,
        required=False,
        help_text="Defaults to the subject's implicit theme; required when it has none (freeForm, custom*).",
    )
    contactId = ObjectIdField(
        "CT", required=False, help_text="A contact of this borrower; absent: chosen by contact selection."
    )
    companyId = serializers.CharField(max_length=64, required=False, help_text="The caller's own company.")
    loanId = ObjectIdField("LN", required=False)
    loanIds = serializers.ListField(child=ObjectIdField("LN"), required=False, max_length=LOAN_IDS_MAX)
    caseId = ObjectIdField("CS", required=False)
    statementId = ObjectIdField(
        "DD", required=False, help_text="A statement document (DD-…) of the borrower."
    )
    context = ContextField(
        required=False, help_text="Template variables merged over the hydrated ones; at most 64 KB."
    )
    attachments = serializers.ListField(
        child=ObjectIdField("DD"),
        required=False,
        max_length=ATTACHMENTS_MAX,
        help_text="Documents of this borrower with content; email only.",
    )
    isTransactional = serializers.BooleanField(
        required=False,
        help_text="false: treat a transactional subject's message as non-transactional. true never "
        "lifts a Compliance Guard rule: a message is transactional only when its subject is "
        "transactional by default, its theme is the subject's own and not debt collection, and its "
        "content is the subject's template. The interaction records how it was treated.",
    )
    useTemplate = serializers.BooleanField(
        required=False,
        default=True,
        help_text="false: no template; the content is context.subjectLine, context.contentHtml, "
        "context.contentText.",
    )
    overrideTemplateId = ObjectIdField(
        "TV", required=False, help_text="A template version to render instead."
    )
    strictUndefined = serializers.BooleanField(
        required=False, default=False, help_text="true: a variable missing from the context is a 422."
    )
    sendAt = serializers.DateTimeField(
        required=False, help_text="Do not send before this time (at most 366 days ahead)."
    )
    sendJitter = serializers.IntegerField(
        required=False,
        min_value=0,
        max_value=SEND_JITTER_MAX,
        help_text="Seconds; the send time is sendAt (or now) plus a uniform random 0..sendJitter.",
    )
    overrideRecipient = serializers.CharField(
        max_length=ADDRESS_MAX,
        required=False,
        help_text="Deliver to this email (email) or phone (text, voice) instead; needs "
        "communicator:overrideRecipient.",
    )
    interactionExternalId = serializers.CharField(
        max_length=255, required=False, help_text="Idempotency key, unique per company."
    )
    previousInteractionId = ObjectIdField("IT", required=False)
    supercaseBulkOperationId = serializers.CharField(max_length=64, required=False)


class ResendSerializer(StrictSerializer):
    """``POST /communicator/interactions/{interactionId}/resend`` takes no body (an empty
    object is accepted)."""


class EmailAddressSerializer(StrictSerializer):
    email = serializers.CharField(max_length=ADDRESS_MAX)
    name = serializers.CharField(max_length=NAME_MAX, required=False, allow_blank=True, allow_null=True)


class PersonalizationSerializer(StrictSerializer):
    to = EmailAddressSerializer(many=True, allow_empty=False)
    cc = EmailAddressSerializer(many=True, required=False)
    bcc = EmailAddressSerializer(many=True, required=False)


class FreeFormEmailSerializer(StrictSerializer):
    """Body of ``POST /communicator/send-free-form-email``."""

    personalizations = PersonalizationSerializer(
        many=True,
        allow_empty=False,
        max_length=PERSONALIZATIONS_MAX,
        help_text="SendGrid's shape; at most 100 personalizations and 100 recipients (to, cc, bcc).",
    )
    theme = serializers.CharField(max_length=64, required=False, allow_null=True)
    language = serializers.RegexField(r"^[a-z]{2}$", required=False, default="en")
    subjectLine = serializers.CharField(max_length=SUBJECT_LINE_MAX)
    contentHtml = serializers.CharField(
        max_length=CONTENT_HTML_MAX, required=False, allow_blank=True, trim_whitespace=False
    )
    contentPlain = serializers.CharField(
        max_length=CONTENT_TEXT_MAX, required=False, allow_blank=True, trim_whitespace=False
    )
    previousInteractionId = ObjectIdField("IT", required=False)
    isTransactional = serializers.BooleanField(required=False, default=False)
    personId = ObjectIdField("BO", required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not (attrs.get("contentHtml") or "").strip() and not (attrs.get("contentPlain") or "").strip():
            raise serializers.ValidationError({"contentHtml": ["contentHtml or contentPlain is required."]})
        return attrs


# Responses


class ComplianceRefusalSerializer(serializers.Serializer):
    """422 of a send Compliance Guard refused: nothing was written or queued."""

    status = serializers.IntegerField(help_text="422")
    message = serializers.CharField(help_text="Which rule refused, why, and when it would allow.")
    sendAt = serializers.DateTimeField(
        allow_null=True, help_text="The earliest time every rule allows; null when waiting will not help."
    )
    complianceGuardRuleId = serializers.CharField(allow_null=True, help_text="The refusing rule row (CG-…).")
    reason = serializers.CharField(help_text="The rule family code (timeOfDay, frequency, doNotInteract, …).")


class InteractionIdSerializer(serializers.Serializer):
    interactionId = serializers.CharField()


class FreeFormEmailAcceptedSerializer(serializers.Serializer):
    interactionId = serializers.CharField(help_text="The first interaction created.")
    interactionIds = serializers.ListField(child=serializers.CharField(), help_text="One per `to` recipient.")

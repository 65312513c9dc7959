from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from peachcomms.api.serializers import CamelModelSerializer, EnumField, ObjectIdField, StrictSerializer
from templating.hydration import REQUEST_OBJECTS
from templating.models import TemplateDescriptor, TemplateVersion
from templating.rendering.limits import MAX_SOURCE_CHARS
from templating.selectors import DEFAULT_LANGUAGE, ContextNeeds, template_channels, template_context_needs

FREE_FORM_MAX_CHARS = 200_000


class CreatedBySerializer(StrictSerializer):
    id = serializers.CharField(allow_null=True)
    name = serializers.CharField()
    userType = EnumField(choices=["agent", "integration", "system", "borrower"])
    descriptor = serializers.CharField(allow_null=True)


class TemplateDescriptorSerializer(CamelModelSerializer):
    """A template slot: what a template is for. `companyId` is null for the built-in
    defaults, which every company can read and none can change; a company's own enabled
    descriptor for the same subject, channel and language overrides the built-in one."""

    object = serializers.SerializerMethodField(help_text='Always "templateDescriptor".')
    companyId = serializers.CharField(source="company_id", read_only=True, allow_null=True)
    activeVersionId = serializers.CharField(source="active_version_id", read_only=True, allow_null=True)
    isBuiltIn = serializers.SerializerMethodField(help_text="True for a built-in default (read-only).")
    overriddenBy = serializers.SerializerMethodField(
        help_text="On a built-in descriptor: the id of the caller's own enabled descriptor for the same "
        "subject, channel and language (with an active version), which template selection uses "
        "instead; null when the built-in one is in use, and always null on the company's own."
    )
    requiredContext = serializers.SerializerMethodField(
        help_text="The hydrated objects the active version's parts use, which a send or render names "
        "by id: `person` (personId), `contact` (contactId), `loan` (loanId), `loans` (loanIds), "
        "`case` (caseId), `statement` (statementId). `company` is always there and not listed. "
        "Computed from the template source (a variable the parts use directly, or through a "
        "layout variable such as `amountDueText`, which comes from `loan`); a template renders "
        "without them (missing data renders empty) unless `strictUndefined` is set. "
        "Empty without an active version."
    )
    contextVariables = serializers.SerializerMethodField(
        help_text="The other variables the active version uses (`actionUrl`, `confirmationCode` …), "
        "which come from the request's `context`."
    )
    subject = serializers.CharField(
        max_length=64, help_text="An InteractionSubject (deprecated aliases are rewritten)."
    )
    channel = serializers.CharField(
        max_length=16,
        help_text=f"One of {', '.join(template_channels())} (InteractionChannel; fax is deprecated).",
    )
    language = serializers.CharField(
        max_length=2, required=False, default=DEFAULT_LANGUAGE, help_text="2 letters; default en."
    )
    externalId = serializers.CharField(
        source="external_id", max_length=255, required=False, allow_null=True, allow_blank=False
    )

    class Meta:
        model = TemplateDescriptor
        fields = [
            "id",
            "object",
            "companyId",
            "isBuiltIn",
            "overriddenBy",
            "subject",
            "channel",
            "language",
            "name",
            "enabled",
            "activeVersionId",
            "requiredContext",
            "contextVariables",
            "externalId",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "created_at", "updated_at"]

    def get_object(self, obj: TemplateDescriptor) -> str:
        return "templateDescriptor"

    def get_isBuiltIn(self, obj: TemplateDescriptor) -> bool:  # noqa: N802
        return obj.company_id is None

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_overriddenBy(self, obj: TemplateDescriptor) -> str | None:  # noqa: N802
        return getattr(obj, "overridden_by", None) if obj.company_id is None else None

    @extend_schema_field(serializers.ListField(child=EnumField(choices=REQUEST_OBJECTS)))
    def get_requiredContext(self, obj: TemplateDescriptor) -> list[str]:  # noqa: N802
        return list(_needs(obj).objects)

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_contextVariables(self, obj: TemplateDescriptor) -> list[str]:  # noqa: N802
        return list(_needs(obj).variables)


def _needs(descriptor: TemplateDescriptor) -> ContextNeeds:
    version = descriptor.active_version if descriptor.active_version_id else None
    return template_context_needs(version)


class TemplateDescriptorUpdateSerializer(TemplateDescriptorSerializer):
    """PUT: `name`, `enabled`, `externalId`. `subject`, `channel` and `language` may be sent
    back unchanged; a different value is a 400 (create another descriptor instead)."""

    subject = serializers.CharField(max_length=64, required=False)
    channel = serializers.CharField(max_length=16, required=False)
    language = serializers.CharField(max_length=2, required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        errors = {}
        for field in ("subject", "channel", "language"):
            if field in attrs and attrs[field] != getattr(self.instance, field):
                errors[field] = [f"Cannot change; create a new template descriptor for another {field}."]
        if errors:
            raise serializers.ValidationError(errors)
        return {k: v for k, v in attrs.items() if k not in ("subject", "channel", "language")}


class StringField(serializers.CharField):
    """A string, never a number silently turned into one."""

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


def _template_field(source: str, help_text: str) -> serializers.CharField:
    return StringField(
        source=source,
        max_length=MAX_SOURCE_CHARS,
        required=False,
        allow_blank=True,
        allow_null=True,
        trim_whitespace=False,
        help_text=help_text + f" Jinja syntax, at most {MAX_SOURCE_CHARS} characters; empty: none.",
    )


class TemplateVersionSerializer(CamelModelSerializer):
    """One version of a descriptor's content. Created as a `draft`; editable only while it
    is one; `activate` makes it the descriptor's one `active` version and archives the
    previous one. Active and archived versions are immutable."""

    object = serializers.SerializerMethodField(help_text='Always "templateVersion".')
    descriptorId = serializers.CharField(source="descriptor_id", read_only=True)
    companyId = serializers.CharField(source="company_id", read_only=True, allow_null=True)
    subjectLineTemplate = _template_field("subject_line_template", "The subject line (not escaped).")
    contentHtmlTemplate = _template_field(
        "content_html_template", "The HTML part (variables are HTML-escaped)."
    )
    contentTextTemplate = _template_field("content_text_template", "The text part (not escaped).")
    createdBy = CreatedBySerializer(source="created_by", read_only=True, allow_null=True)

    class Meta:
        model = TemplateVersion
        fields = [
            "id",
            "object",
            "descriptorId",
            "companyId",
            "status",
            "subjectLineTemplate",
            "contentHtmlTemplate",
            "contentTextTemplate",
            "createdBy",
            "activated_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "status", "activated_at", "created_at", "updated_at"]

    def get_object(self, obj: TemplateVersion) -> str:
        return "templateVersion"

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        values = super().to_internal_value(data)
        return {key: value or "" for key, value in values.items()}


class RenderSerializer(StrictSerializer):
    """What to render: the subject's template for the channel, with the context hydrated
    from the ids given (each within the caller's company, and within the borrower when
    `personId` is given) and the caller's `context` merged over it."""

    subject = StringField(max_length=64)
    channel = StringField(
        max_length=16,
        required=False,
        help_text="Default: `mail` for fmt=pdf, else `email`.",
    )
    language = StringField(max_length=2, required=False, default=DEFAULT_LANGUAGE)
    personId = ObjectIdField("BO", required=False)
    contactId = ObjectIdField("CT", required=False, help_text="Hydrated as `contact` (else null).")
    loanId = ObjectIdField("LN", required=False)
    loanIds = serializers.ListField(child=ObjectIdField("LN"), required=False, max_length=100)
    caseId = ObjectIdField("CS", required=False)
    statementId = ObjectIdField("DD", required=False, help_text="A document (DD-…) hydrated as `statement`.")
    context = serializers.DictField(
        required=False, help_text="Template variables merged over the hydrated ones (objects key by key)."
    )
    overrideTemplateId = ObjectIdField(
        "TV", required=False, help_text="Render this version (any status) instead of the selected one."
    )
    strictUndefined = serializers.BooleanField(
        required=False, default=False, help_text="A variable the template uses but the context lacks → 422."
    )


class RenderToDocumentSerializer(RenderSerializer):
    documentId = ObjectIdField("DD", help_text="The document whose content is replaced.")


class RenderedContentSerializer(serializers.Serializer):
    subjectLine = serializers.CharField(allow_null=True)
    contentHtml = serializers.CharField(allow_null=True)
    contentText = serializers.CharField(allow_null=True)


class FreeFormPreviewSerializer(StrictSerializer):
    personId = ObjectIdField(
        "BO",
        required=False,
        help_text="Hydrated as `person`, as send-free-form-email does for its `personId` (404 when "
        "not a borrower of this company); `person` is null without it.",
    )
    subjectLine = StringField(required=False, allow_blank=True, max_length=1000, default="")
    contentHtml = StringField(
        required=False, allow_blank=True, max_length=FREE_FORM_MAX_CHARS, default="", trim_whitespace=False
    )
    contentPlain = StringField(
        required=False, allow_blank=True, max_length=FREE_FORM_MAX_CHARS, default="", trim_whitespace=False
    )
    language = StringField(max_length=2, required=False, default=DEFAULT_LANGUAGE)

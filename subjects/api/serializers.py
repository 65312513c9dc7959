from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from borrowers.models import Case
from peachcomms.api.serializers import EnumField, StrictSerializer
from subjects.selectors import SubjectDescriptor


class SubjectDescriptorSerializer(serializers.Serializer):
    """A subject as the caller's company sees it (built-in values with its overrides)."""

    subject = serializers.CharField(help_text="The subject's name; the key of the descriptor.")
    title = serializers.CharField()
    theme = serializers.CharField(
        allow_null=True,
        help_text="The implicit theme; null for subjects without one (a send must name a theme).",
    )
    caseTypes = serializers.ListField(source="case_types", child=EnumField(choices=Case.CaseType.choices))
    agentCanSend = serializers.BooleanField(
        source="agent_can_send", help_text="False: a send made by an agent user is refused."
    )
    previewOnly = serializers.BooleanField(
        source="preview_only", help_text="True: the subject can be rendered and previewed but not sent."
    )
    isTransactional = serializers.BooleanField(
        source="is_transactional", help_text="The default `isTransactional` of a send of this subject."
    )
    channels = serializers.SerializerMethodField(
        help_text="The channels the caller's company has a template for (sorted): its own enabled "
        "template descriptors and the built-in defaults, with an active version, in any language. "
        "A send or render on another channel finds no template (404)."
    )

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_channels(self, obj: SubjectDescriptor) -> list[str]:
        # The view reads the company's channels once per response (``subject_channels``).
        return self.context.get("channels", {}).get(obj.subject, [])


class SubjectSettingSerializer(StrictSerializer):
    """The company's override of a subject. A field not sent keeps its current value; null
    removes the company's override of that field (the built-in value applies again).
    `subject`, `title`, `isTransactional` and `channels` may be sent back as read; they are
    ignored."""

    subject = serializers.CharField(read_only=True)
    title = serializers.CharField(read_only=True)
    isTransactional = serializers.BooleanField(source="is_transactional", read_only=True)
    channels = serializers.ListField(child=serializers.CharField(), read_only=True)

    theme = serializers.CharField(
        required=False,
        allow_null=True,
        max_length=64,
        help_text="An InteractionTheme (`opsServicing`, `opsCollDebt` …); unknown themes are a 400. "
        "null: back to the built-in implicit theme (none for freeForm/custom subjects).",
    )
    caseTypes = serializers.ListField(
        source="case_types",
        child=EnumField(choices=Case.CaseType.choices),
        max_length=len(Case.CaseType.choices),
        required=False,
        allow_null=True,
        help_text="Case types the subject belongs to. null: back to the built-in list.",
    )
    agentCanSend = serializers.BooleanField(
        source="agent_can_send",
        required=False,
        allow_null=True,
        help_text="null: back to the built-in value.",
    )
    previewOnly = serializers.BooleanField(
        source="preview_only", required=False, allow_null=True, help_text="null: back to the built-in value."
    )

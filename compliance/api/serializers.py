"""Representations and request bodies of the Compliance Guard routes. They check form
(types, sizes); the services check values against the catalogues and the rule families."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from compliance.models import ComplianceRule, ComplianceRuleChange, DoNotInteract
from compliance.selectors import company_today, do_not_interact_is_active
from interactions import catalogue
from peachcomms.api.serializers import (
    CamelModelSerializer,
    EnumField,
    ObjectIdField,
    StrictSerializer,
)

LIST_MAX = 100
LOAN_IDS_MAX = 100


def _names(**kwargs: Any) -> serializers.ListField:
    return serializers.ListField(child=serializers.CharField(max_length=64), max_length=LIST_MAX, **kwargs)


class ComplianceRuleSerializer(CamelModelSerializer):
    """A rule row. ``PUT`` changes ``name``, ``description``, ``enabled``, ``parameters``
    (merged one level deep), ``channels`` and ``states``; the others are read-only."""

    object = serializers.SerializerMethodField()
    parameters = serializers.JSONField(
        required=False,
        help_text="The family's parameters (compliance.md). On PUT, each key sent replaces that key; "
        "the result must be valid for the family.",
    )
    channels = _names(required=False, help_text="Channels the rule applies to; empty: every channel.")
    states = serializers.ListField(
        child=serializers.CharField(max_length=64),
        max_length=LIST_MAX,
        required=False,
        help_text="2-letter USPS codes of the states the rule applies to; empty: every state (federal).",
    )

    class Meta:
        model = ComplianceRule
        fields = [
            "id",
            "object",
            "family",
            "code",
            "name",
            "description",
            "parameters",
            "channels",
            "states",
            "enabled",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "family", "code", "created_at", "updated_at"]
        extra_kwargs = {"name": {"required": False}}

    def get_object(self, obj: ComplianceRule) -> str:
        return "complianceGuardRule"


class ComplianceRuleChangeActorSerializer(serializers.Serializer):
    """Who made a change: an API key (``integration``), an admin user (``agent``) or the
    shipped defaults (``system``, id null)."""

    id = serializers.CharField(allow_null=True)
    name = serializers.CharField()
    userType = EnumField(choices=["integration", "agent", "system"])


class ComplianceRuleChangeSerializer(serializers.ModelSerializer):
    """One change of a rule row: who, when, and the changed fields before and after."""

    object = serializers.SerializerMethodField()
    ruleId = serializers.CharField(source="rule_id", read_only=True)
    changedAt = serializers.DateTimeField(source="changed_at", read_only=True)
    changedBy = ComplianceRuleChangeActorSerializer(source="changed_by", read_only=True)
    before = serializers.JSONField(
        read_only=True, allow_null=True, help_text="The changed fields before; null when the row was created."
    )
    after = serializers.JSONField(
        read_only=True, help_text="The changed fields after (every field on creation)."
    )

    class Meta:
        model = ComplianceRuleChange
        fields = ["id", "object", "ruleId", "changedAt", "changedBy", "before", "after"]

    def get_object(self, obj: ComplianceRuleChange) -> str:
        return "complianceGuardRuleChange"


class DoNotInteractSerializer(CamelModelSerializer):
    """A do-not-interact record of a borrower, on one of its cases."""

    object = serializers.SerializerMethodField()
    personId = serializers.CharField(source="borrower_id", read_only=True)
    caseId = serializers.CharField(source="case_id", read_only=True, allow_null=True)
    channels = _names(help_text='Channels (voice, email, text, mail, ...), or ["all"].')
    themes = _names(
        help_text='Themes of the subject catalogue, or ["all"] (never covers opsAccountCredentials).'
    )
    endDate = serializers.DateField(
        source="end_date",
        required=False,
        allow_null=True,
        help_text="Last day it applies (company time zone); null: until deleted.",
    )
    active = serializers.SerializerMethodField(
        help_text="Not deleted, and no endDate or endDate today or later (company time zone)."
    )

    class Meta:
        model = DoNotInteract
        fields = [
            "id",
            "object",
            "personId",
            "caseId",
            "channels",
            "themes",
            "endDate",
            "active",
            "created_at",
            "updated_at",
            "deleted_at",
        ]
        read_only_fields = ["id", "created_at", "updated_at", "deleted_at"]

    def get_object(self, obj: DoNotInteract) -> str:
        return "doNotInteract"

    def get_active(self, obj: DoNotInteract) -> bool:
        today = self.context.get("today")
        if today is None:
            today = self.context["today"] = company_today(self.context.get("company") or obj.company)
        return do_not_interact_is_active(obj, today)


class DoNotInteractUpdateSerializer(DoNotInteractSerializer):
    """Body of ``PUT …/do-not-interact/{doNotInteractId}``: only the fields sent change."""

    channels = _names(required=False, help_text='Channels, or ["all"].')
    themes = _names(required=False, help_text='Themes, or ["all"] (never covers opsAccountCredentials).')


class CanInteractInputSerializer(StrictSerializer):
    """Body of ``POST /people/{personId}/can-interact``."""

    channel = EnumField(choices=catalogue.channel_values(include_deprecated=False))
    subject = serializers.CharField(
        max_length=64,
        required=False,
        help_text="A subject of the catalogue; deprecated aliases are rewritten.",
    )
    theme = serializers.CharField(max_length=64, required=False, help_text="Defaults to the subject's theme.")
    contactId = ObjectIdField("CT", required=False, help_text="The contact it would go to (CT-… or ext-…).")
    loanId = ObjectIdField("LN", required=False, help_text="The loan (debt) it is about.")
    loanIds = serializers.ListField(
        child=ObjectIdField("LN"),
        max_length=LOAN_IDS_MAX,
        required=False,
        help_text="Loans it is about; with loanId, all of them. None: all the borrower's loans.",
    )
    isAutodialed = serializers.BooleanField(default=False, help_text="Voice: placed by an autodialer.")
    checkAtCompanyNoon = serializers.BooleanField(
        default=False, help_text="Evaluate the time-of-day rule at noon today in the company time zone."
    )
    at = serializers.DateTimeField(
        required=False, help_text="Evaluate at this instant instead of now (ISO-8601; UTC if no offset)."
    )


class DecisionSerializer(serializers.Serializer):
    """A Compliance Guard decision (compliance.md, "Decision")."""

    result = serializers.BooleanField(help_text="True: the interaction is allowed at the evaluated instant.")
    reason = serializers.CharField(
        allow_null=True,
        help_text="The refusing rule's family (timeOfDay, frequency, ...); null when allowed.",
    )
    message = serializers.CharField(help_text="One sentence a compliance officer can read.")
    complianceGuardRuleId = serializers.CharField(allow_null=True, help_text="The refusing rule row (CG-…).")
    sendAt = serializers.DateTimeField(
        allow_null=True,
        help_text="Earliest instant every rule allows it (the evaluated instant when allowed); "
        "null when waiting will not help.",
    )

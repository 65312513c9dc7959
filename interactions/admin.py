"""The interaction log in the staff console: history, so it is read-only; its one action,
"Resend selected", goes through a confirmation page (:mod:`interactions.admin_resend`)."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from borrowers.admin.base import ReadOnlyAdminMixin, StaffAdmin
from interactions import catalogue
from interactions.admin_resend import ResendActionMixin
from interactions.models import Interaction
from subjects.models import Theme


class ChoicesFilter(admin.SimpleListFilter):
    """Filters a column by values of a small catalogue, never by a DISTINCT over the table."""

    def values(self) -> list[str]:
        raise NotImplementedError

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [(value, value) for value in self.values()]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() is None:
            return queryset
        return queryset.filter(**{self.parameter_name: self.value()})


class ChannelFilter(ChoicesFilter):
    title = "channel"
    parameter_name = "channel"

    def values(self) -> list[str]:
        return catalogue.channel_values()


class StatusDetailsFilter(ChoicesFilter):
    title = "status details"
    parameter_name = "status_details"

    def values(self) -> list[str]:
        return catalogue.status_details_values()


class ThemeFilter(ChoicesFilter):
    title = "theme"
    parameter_name = "theme"

    def values(self) -> list[str]:
        return list(Theme.objects.values_list("theme", flat=True))


@admin.register(Interaction)
class InteractionAdmin(ResendActionMixin, ReadOnlyAdminMixin, StaffAdmin):
    list_display = [
        "id",
        "created_at",
        "direction",
        "channel",
        "subject",
        "theme",
        "status",
        "status_details",
        "send_at",
        "borrower",
        "company",
    ]
    list_filter = [
        "direction",
        ChannelFilter,
        "status",
        StatusDetailsFilter,
        ThemeFilter,
        "is_transactional",
        "sensitive",
        "company",
    ]
    list_select_related = ["borrower", "company"]
    search_fields = ["=subject"]
    search_help_text = (
        "An IT-, BO-, CT-, LN-, CS- or CP- id, ext-<externalId>, or an exact subject (paymentReminder)."
    )
    id_search_fields = {
        "IT": "pk",
        "BO": "borrower",
        "CT": "contact",
        "LN": "loan",
        "CS": "case",
        "CP": "company",
    }
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "id",
                    "company",
                    "borrower",
                    "contact",
                    "external_id",
                    "direction",
                    "channel",
                    "subject",
                    "theme",
                    "borrower_selected_theme",
                    "is_transactional",
                    "sensitive",
                    "is_external",
                ]
            },
        ),
        (
            "Status",
            {
                "fields": [
                    "status",
                    "status_details",
                    "status_updated_at",
                    "status_details_updated_at",
                    "agent_outcome",
                    "agent_outcome_updated_at",
                    "twilio_error_code",
                    "failure_description_short",
                    "failure_description_long",
                    "compliance_guard_rule_id",
                ]
            },
        ),
        (
            "Timing",
            {
                "fields": [
                    "send_at",
                    "started_at",
                    "ended_at",
                    "scheduled_at_from",
                    "scheduled_at_to",
                    "created_at",
                    "updated_at",
                    "deleted_at",
                ]
            },
        ),
        (
            "About",
            {
                "fields": [
                    "loan",
                    "loan_ids",
                    "case",
                    "statement_id",
                    "previous_interaction",
                    "supercase_bulk_operation_id",
                    "template_version_id",
                ]
            },
        ),
        ("Content", {"fields": ["content", "meta_data", "created_by", "last_task_meta"]}),
    ]

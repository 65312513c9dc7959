"""The subject catalogue in the staff console. Built-in themes, subjects and aliases are
data loaded by migration, so they are read-only; a company's overrides are edited here
through ``subjects.services.subject_setting_update``."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest

from borrowers.admin.base import ReadOnlyAdminMixin, StaffAdmin, adopt
from subjects.models import CompanySubjectSetting, Subject, SubjectAlias, Theme
from subjects.services import OVERRIDABLE, subject_setting_update


@admin.register(Theme)
class ThemeAdmin(ReadOnlyAdminMixin, StaffAdmin):
    list_display = ["theme", "title", "is_debt_collection", "covered_by_do_not_interact_all"]
    list_filter = ["is_debt_collection", "covered_by_do_not_interact_all"]
    search_fields = ["theme", "title"]


@admin.register(Subject)
class SubjectAdmin(ReadOnlyAdminMixin, StaffAdmin):
    list_per_page = 100  # the whole built-in catalogue on one page
    list_display = [
        "subject",
        "title",
        "category",
        "theme",
        "is_transactional",
        "agent_can_send",
        "preview_only",
        "is_free_form",
    ]
    list_filter = ["category", "theme", "is_transactional", "agent_can_send", "preview_only", "is_free_form"]
    list_select_related = ["theme"]
    search_fields = ["subject", "title"]


@admin.register(SubjectAlias)
class SubjectAliasAdmin(ReadOnlyAdminMixin, StaffAdmin):
    list_display = ["alias", "subject"]
    list_select_related = ["subject"]
    search_fields = ["alias", "subject__subject"]


class CompanySubjectSettingForm(forms.ModelForm):
    class Meta:
        model = CompanySubjectSetting
        fields = ["company", "subject", *OVERRIDABLE]
        help_texts = {name: "Empty keeps the built-in value." for name in OVERRIDABLE}

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if all(data.get(name) is None for name in OVERRIDABLE if name in self.fields):
            raise forms.ValidationError(
                "Override at least one attribute; to use the built-in values again, delete this setting."
            )
        return data


@admin.register(CompanySubjectSetting)
class CompanySubjectSettingAdmin(StaffAdmin):
    form = CompanySubjectSettingForm
    list_display = [
        "company",
        "subject",
        "theme",
        "agent_can_send",
        "preview_only",
        "case_types",
        "updated_at",
    ]
    list_filter = ["company", "theme", "agent_can_send", "preview_only"]
    list_select_related = ["company", "subject", "theme"]
    search_fields = ["subject__subject"]
    search_help_text = "A CP- id or a subject."
    id_search_fields = {"CP": "company"}
    autocomplete_fields = ["company", "subject"]

    def get_readonly_fields(
        self, request: HttpRequest, obj: CompanySubjectSetting | None = None
    ) -> list[str]:
        return ["updated_at", *(["company", "subject"] if obj is not None else [])]

    def save_model(
        self, request: HttpRequest, obj: CompanySubjectSetting, form: forms.ModelForm, change: bool
    ) -> None:
        data = {name: getattr(obj, "theme_id" if name == "theme" else name) for name in OVERRIDABLE}
        subject_setting_update(obj.company, obj.subject_id, data)
        adopt(obj, CompanySubjectSetting.objects.get(company=obj.company, subject_id=obj.subject_id))

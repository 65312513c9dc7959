"""Companies and their API keys. New rows go through the services: a company gets its
per-company defaults (``company_create``), a key is generated, hashed and shown once
(``api_key_create``)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

from borrowers.admin.base import StaffAdmin, adopt, check_with
from borrowers.models import ApiKey, Company
from borrowers.services import api_key_create, company_create, company_update
from borrowers.validators import (
    FieldErrors,
    clean_address,
    normalize_domain_name,
    normalize_email,
    normalize_phone,
)
from peachcomms.api.permissions import ALL_PERMISSIONS, PERMISSIONS

EVERY_PERMISSION = "*"


class CompanyForm(forms.ModelForm):
    class Meta:
        model = Company
        fields = [
            "name",
            "brand_name",
            "legal_name",
            "domain_name",
            "timezone",
            "support_phone",
            "support_email",
            "help_text",
            "mailing_address",
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        check_with(self, "support_phone", normalize_phone)
        check_with(self, "support_email", normalize_email)
        check_with(self, "domain_name", normalize_domain_name)
        address = data.get("mailing_address")
        if address:  # blank is stored as {} (StaffAdmin.save_form)
            if not isinstance(address, dict):
                self.add_error("mailing_address", "A JSON object with addressLine1, city, state, postalCode…")
            else:
                errors = FieldErrors()
                data["mailing_address"] = clean_address(address, errors, field="mailingAddress")
                for field, problems in errors.errors.items():
                    self.add_error("mailing_address", f"{field}: {problems[0]}")
        return data


@admin.register(Company)
class CompanyAdmin(StaffAdmin):
    form = CompanyForm
    list_display = ["name", "id", "brand_name", "timezone", "support_email", "created_at"]
    search_fields = ["name", "brand_name", "legal_name", "domain_name"]
    search_help_text = "A CP- id, or part of a name or domain."
    id_search_fields = {"CP": "pk"}
    readonly_fields = ["id", "created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["id", "name", "brand_name", "legal_name", "domain_name", "timezone"]}),
        ("Support", {"fields": ["support_phone", "support_email", "help_text", "mailing_address"]}),
        ("Record", {"fields": ["created_at", "updated_at"]}),
    ]

    def save_model(self, request: HttpRequest, obj: Company, form: forms.ModelForm, change: bool) -> None:
        if change:
            company_update(company=obj, data={name: getattr(obj, name) for name in form.changed_data})
            return
        fields = {name: getattr(obj, name) for name in form.cleaned_data if name != "name"}
        if not fields.get("brand_name"):
            fields.pop("brand_name", None)  # the service defaults it to the name
        adopt(obj, company_create(name=obj.name, **fields))


PERMISSION_CHOICES = [(EVERY_PERMISSION, "* (every permission, including ones added later)")] + [
    (name, f"{name}: {description}") for name, description in PERMISSIONS.items()
]


class ApiKeyForm(forms.ModelForm):
    permissions = forms.MultipleChoiceField(
        choices=PERMISSION_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        initial=ALL_PERMISSIONS,
        help_text="What the key may do (peachcomms.api.permissions).",
    )

    class Meta:
        model = ApiKey
        fields = ["company", "name", "permissions"]


class ApiKeyStateFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "state"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [("active", "Active"), ("revoked", "Revoked")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[ApiKey]) -> QuerySet[ApiKey]:
        if self.value() == "active":
            return queryset.filter(revoked_at__isnull=True)
        if self.value() == "revoked":
            return queryset.filter(revoked_at__isnull=False)
        return queryset


@admin.register(ApiKey)
class ApiKeyAdmin(StaffAdmin):
    """The hash is never shown. A new key is shown once, in the message after it is added."""

    form = ApiKeyForm
    list_display = ["hint", "name", "company", "is_active", "created_at", "last_used_at", "revoked_at"]
    list_filter = [ApiKeyStateFilter, "company"]
    list_select_related = ["company"]
    search_fields = ["name", "key_hint"]
    search_help_text = "An AK- or CP- id, a name, or the first characters of a key."
    id_search_fields = {"AK": "pk", "CP": "company"}
    autocomplete_fields = ["company"]
    actions = ["revoke"]

    def get_fields(self, request: HttpRequest, obj: ApiKey | None = None) -> list[str]:
        if obj is None:
            return ["company", "name", "permissions"]
        return [
            "id",
            "company",
            "hint",
            "name",
            "permissions",
            "created_at",
            "last_used_at",
            "revoked_at",
        ]

    def get_readonly_fields(self, request: HttpRequest, obj: ApiKey | None = None) -> list[str]:
        if obj is None:
            return []
        return ["id", "company", "hint", "created_at", "last_used_at", "revoked_at"]

    @admin.display(description="key", ordering="key_hint")
    def hint(self, key: ApiKey) -> str:
        return f"{key.key_hint}…"

    @admin.display(description="active", boolean=True)
    def is_active(self, key: ApiKey) -> bool:
        return key.revoked_at is None

    def save_model(self, request: HttpRequest, obj: ApiKey, form: forms.ModelForm, change: bool) -> None:
        if change:
            obj.save(update_fields=["name", "permissions", "updated_at"])
            return
        issued = api_key_create(
            company=form.cleaned_data["company"],
            name=form.cleaned_data["name"],
            permissions=form.cleaned_data["permissions"],
        )
        adopt(obj, issued.api_key)
        messages.success(
            request,
            f"The new API key is {issued.raw_key} . Copy it now: only its hash is stored, "
            "so it cannot be shown again.",
        )

    @admin.action(description="Revoke the selected API keys", permissions=["change"])
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiKey]) -> None:
        now = timezone.now()
        revoked = queryset.filter(revoked_at__isnull=True).update(revoked_at=now, updated_at=now)
        self.message_user(request, f"Revoked {revoked} API key(s).", messages.SUCCESS)

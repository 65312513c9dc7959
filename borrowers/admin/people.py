"""Borrowers and their records. A record belongs to its borrower's company: the company
is taken from the borrower and never edited. Borrowers, contacts, loans and cases are
written through their services (contacts get E.164 phones and consent times there, cases
their open/closed times); documents are read-only here."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import Model
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html

from borrowers.admin.base import ReadOnlyAdminMixin, StaffAdmin, adopt
from borrowers.models import Borrower, Case, Contact, Document, Loan
from borrowers.services import (
    borrower_create,
    borrower_update,
    case_create,
    case_update,
    contact_clean,
    contact_create,
    contact_update,
    loan_create,
    loan_update,
)
from borrowers.services.contacts import ADDRESS_FIELDS, ERROR_FIELDS
from peachcomms.errors import InvalidInput

RECORD_FIELDS = ["created_at", "updated_at"]
# Public-id prefixes a search on a borrower-record page understands.
RECORD_ID_SEARCH = {"BO": "borrower", "CP": "company"}


class ContactForm(forms.ModelForm):
    """Checked by :func:`contact_clean`, the check behind the API, with what the service
    will be sent (every field on add, the changed ones on change), so the console refuses
    what the API refuses, with the same sentences on the matching fields, and stores the
    same normalised values."""

    class Meta:
        model = Contact
        fields = [
            "borrower",
            "external_id",
            "contact_type",
            "label",
            "affiliation",
            "value",
            *ADDRESS_FIELDS,
            "status",
            "valid",
            "verified",
            "receive_text_messages",
            "consent_autodialed_call",
            "authorized_third_party",
            "power_of_attorney",
            "phone_disconnection_details",
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if self.errors:
            return data  # as in the API, a contact's rules are checked once its fields are well-formed
        adding = self.instance._state.adding
        names = [name for name in self.base_fields if name != "borrower"] if adding else self.changed_data
        sent = {name: data[name] for name in names if name in data}
        if (
            data.get("contact_type") == Contact.ContactType.ADDRESS
            and "address_line1" not in self.fields
            and (adding or "contact_type" in sent)
        ):
            self.add_error("contact_type", "Add or change a postal address on its contact page.")
            return data
        try:
            changes = contact_clean(sent, current=None if adding else self.instance)
        except InvalidInput as error:
            self._add_service_errors(error, sent)
            return data
        data.update({name: value for name, value in changes.items() if name in self.fields})
        return data

    def _add_service_errors(self, error: InvalidInput, sent: dict[str, Any]) -> None:
        for name, problems in (error.errors or {None: [error.message]}).items():
            field = ERROR_FIELDS.get(name) if name else None
            if name == "address":  # the address as a whole: shown on the part filled in, or line 1
                field = next((part for part in ADDRESS_FIELDS if sent.get(part)), "address_line1")
            for problem in problems:
                self.add_error(field if field in self.fields else None, problem)


def _values(instance: Model, fields: list[str]) -> dict[str, Any]:
    return {name: getattr(instance, name) for name in fields}


# model → (create service, update service, the update service's argument name)
RECORD_SERVICES: dict[type[Model], tuple[Callable[..., Model], Callable[..., Model], str]] = {
    Contact: (contact_create, contact_update, "contact"),
    Loan: (loan_create, loan_update, "loan"),
    Case: (case_create, case_update, "case"),
}


def save_record(record: Model, fields: list[str], *, adding: bool) -> None:
    """Write the admin's ``record`` through its services: ``fields`` are the form's
    fields (on add) or the changed ones."""
    create, update, name = RECORD_SERVICES[type(record)]
    if adding:
        saved = create(borrower=record.borrower, data=_values(record, fields))
    else:
        stored = type(record).objects.get(pk=record.pk)  # services compare with what is stored
        saved = update(**{name: stored}, data=_values(record, fields))
    adopt(record, saved)


class BorrowerRecordInline(admin.TabularInline):
    extra = 0
    show_change_link = True

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False  # records stay for the interactions about them; archive or cancel instead


class ContactInline(BorrowerRecordInline):
    model = Contact
    form = ContactForm
    fields = ["contact_type", "label", "affiliation", "value", "status", "valid", "receive_text_messages"]


class LoanInline(BorrowerRecordInline):
    model = Loan
    fields = ["external_id", "display_id", "status", "amount_due", "due_date", "days_past_due"]


class CaseInline(BorrowerRecordInline):
    model = Case
    fields = ["case_type", "status", "outcome", "started_at", "closed_at"]


@admin.register(Borrower)
class BorrowerAdmin(StaffAdmin):
    list_display = [
        "id",
        "full_name",
        "external_id",
        "company",
        "borrower_type",
        "status",
        "collections_intensity",
        "created_at",
    ]
    list_filter = ["status", "borrower_type", "collections_intensity", "company"]
    list_select_related = ["company"]
    search_fields = ["last_name", "first_name", "business_name"]
    search_help_text = "A BO- or CP- id, ext-<externalId>, or part of a name."
    id_search_fields = {"BO": "pk", "CP": "company"}
    autocomplete_fields = ["company"]
    inlines = [ContactInline, LoanInline, CaseInline]
    fieldsets = [
        (
            None,
            {"fields": ["id", "company", "external_id", "borrower_type", "status", "collections_intensity"]},
        ),
        (
            "Name",
            {"fields": ["first_name", "middle_name", "last_name", "preferred_first_name", "business_name"]},
        ),
        (
            "Preferences",
            {
                "fields": [
                    "timezone",
                    "display_id",
                    "statement_delivery_channels",
                    "send_reminders_when_current",
                    "meta_data",
                ]
            },
        ),
        ("Compliance Guard", {"fields": ["can_contact_now"]}),
        ("Record", {"fields": RECORD_FIELDS}),
    ]

    def get_readonly_fields(self, request: HttpRequest, obj: Borrower | None = None) -> list[str]:
        return ["id", "can_contact_now", *RECORD_FIELDS, *(["company"] if obj is not None else [])]

    @admin.display(description="Can we contact now?")
    def can_contact_now(self, obj: Borrower) -> str:
        if obj.pk is None or obj._state.adding:
            return "—"
        url = reverse("admin:compliance_can_contact", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, "Each channel's decision, reason and next time")

    def save_model(self, request: HttpRequest, obj: Borrower, form: forms.ModelForm, change: bool) -> None:
        if change:
            borrower_update(borrower=obj, data=_values(obj, form.changed_data))
        else:
            data = _values(obj, [name for name in form.cleaned_data if name != "company"])
            adopt(obj, borrower_create(company=obj.company, data=data))

    def save_formset(
        self, request: HttpRequest, form: forms.ModelForm, formset: forms.BaseModelFormSet, change: bool
    ) -> None:
        formset.save(commit=False)
        fields = list(formset.form.base_fields)
        for record in formset.new_objects:
            save_record(record, fields, adding=True)
        for record, changed in formset.changed_objects:
            save_record(record, changed, adding=False)
        formset.save_m2m()


class BorrowerRecordAdmin(StaffAdmin):
    """A record of one borrower: chosen by autocomplete when added, fixed afterwards."""

    list_select_related = ["borrower", "company"]
    autocomplete_fields = ["borrower"]
    id_search_fields = RECORD_ID_SEARCH
    hidden_on_add = (*StaffAdmin.hidden_on_add, "company")

    def get_readonly_fields(self, request: HttpRequest, obj: Model | None = None) -> list[str]:
        fixed = ["borrower", "company"] if obj is not None else []
        return ["id", *RECORD_FIELDS, *fixed]

    def save_model(self, request: HttpRequest, obj: Model, form: forms.ModelForm, change: bool) -> None:
        fields = form.changed_data if change else [name for name in form.cleaned_data if name != "borrower"]
        save_record(obj, fields, adding=not change)


@admin.register(Contact)
class ContactAdmin(BorrowerRecordAdmin):
    form = ContactForm
    list_display = ["id", "contact_type", "value", "label", "affiliation", "status", "borrower", "company"]
    list_filter = ["contact_type", "label", "affiliation", "status", "valid", "receive_text_messages"]
    search_fields = ["=value"]
    search_help_text = "A CT-, BO- or CP- id, ext-<externalId>, or an exact email or E.164 phone."
    id_search_fields = {"CT": "pk", **RECORD_ID_SEARCH}
    fieldsets = [
        (
            None,
            {"fields": ["id", "borrower", "company", "external_id", "contact_type", "label", "affiliation"]},
        ),
        ("Email or phone", {"fields": ["value"]}),
        ("Postal address", {"fields": list(ADDRESS_FIELDS)}),
        (
            "State and consent",
            {
                "fields": [
                    "status",
                    "valid",
                    "verified",
                    "receive_text_messages",
                    "receive_text_messages_last_consent_at",
                    "consent_autodialed_call",
                    "authorized_third_party",
                    "power_of_attorney",
                    "phone_disconnection_details",
                ]
            },
        ),
        ("Record", {"fields": RECORD_FIELDS}),
    ]

    def get_readonly_fields(self, request: HttpRequest, obj: Model | None = None) -> list[str]:
        # The consent time is recorded by the service when text consent is given.
        return [*super().get_readonly_fields(request, obj), "receive_text_messages_last_consent_at"]


@admin.register(Loan)
class LoanAdmin(BorrowerRecordAdmin):
    list_display = [
        "id",
        "display_id",
        "external_id",
        "status",
        "amount_due",
        "due_date",
        "borrower",
        "company",
    ]
    list_filter = ["status"]
    search_fields = ["=display_id"]
    search_help_text = "A LN-, BO- or CP- id, ext-<externalId>, or an exact display id."
    id_search_fields = {"LN": "pk", **RECORD_ID_SEARCH}
    fields = [
        "id",
        "borrower",
        "company",
        "external_id",
        "display_id",
        "status",
        "product_name",
        "amount_due",
        "due_date",
        "days_past_due",
        "meta_data",
        *RECORD_FIELDS,
    ]


@admin.register(Case)
class CaseAdmin(BorrowerRecordAdmin):
    list_display = [
        "id",
        "case_type",
        "status",
        "external_id",
        "started_at",
        "closed_at",
        "borrower",
        "company",
    ]
    list_filter = ["case_type", "status"]
    search_fields = ["=external_id"]
    search_help_text = "A CS-, BO- or CP- id, or an externalId (with or without ext-)."
    id_search_fields = {"CS": "pk", **RECORD_ID_SEARCH}
    fields = [
        "id",
        "borrower",
        "company",
        "external_id",
        "case_type",
        "status",
        "outcome",
        "loan_ids",
        "started_at",
        "closed_at",
        "meta_data",
        *RECORD_FIELDS,
    ]


@admin.register(Document)
class DocumentAdmin(ReadOnlyAdminMixin, BorrowerRecordAdmin):
    """Documents and their content are written through the API (the upload service
    stores the file); the console shows them."""

    list_display = [
        "id",
        "file_name",
        "type",
        "status",
        "content_type",
        "autogenerated",
        "borrower",
        "company",
    ]
    list_filter = ["status", "autogenerated"]
    search_fields = ["=file_name"]
    search_help_text = "A DD-, BO- or CP- id, ext-<externalId>, or an exact file name."
    id_search_fields = {"DD": "pk", **RECORD_ID_SEARCH}
    list_select_related = ["borrower", "company"]
    fields = [
        "id",
        "borrower",
        "company",
        "external_id",
        "type",
        "status",
        "file_name",
        "content_type",
        "content_length",
        "description",
        "loan",
        "template_version_id",
        "autogenerated",
        "content",
        *RECORD_FIELDS,
    ]

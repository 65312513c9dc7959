"""What every page of the staff console shares: lists that stay fast on a million rows.

- No full-table count: the paginator counts at most ``COUNT_CAP + 1`` rows (a bounded
  subquery), ``show_full_result_count`` is off, and a message says when the list was cut.
- Search by public id (``BO-XXXX-XXXX``) or ``ext-<externalId>`` is an exact, indexed
  lookup; other terms fall back to ``search_fields``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.paginator import Paginator
from django.db.models import JSONField, Model, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils.functional import cached_property

from borrowers.validators import ValueInvalid
from peachcomms.api.ids import EXTERNAL_PREFIX, is_valid_id
from peachcomms.errors import ServiceError

COUNT_CAP = 10_000


class CappedCountPaginator(Paginator):
    """Counts at most ``COUNT_CAP`` rows, so a page of a huge table costs a page, not a scan."""

    truncated = False

    @cached_property
    def count(self) -> int:
        rows = self.object_list
        # Without the ordering, the bounded subquery needs no sort.
        found = rows.order_by()[: COUNT_CAP + 1].count() if isinstance(rows, QuerySet) else len(rows)
        self.truncated = found > COUNT_CAP
        return min(found, COUNT_CAP)


class StaffAdmin(admin.ModelAdmin):
    """Base of the console's model pages."""

    paginator = CappedCountPaginator
    show_full_result_count = False
    list_per_page = 50
    # Public-id prefix → lookup: a search for ``BO-…`` on this page filters that column.
    id_search_fields: dict[str, str] = {}
    # Shown on the change page only (they have no value, or a fixed one, before the add).
    hidden_on_add: tuple[str, ...] = ("id", "created_at", "updated_at")

    def get_fieldsets(
        self, request: HttpRequest, obj: Model | None = None
    ) -> list[tuple[Any, dict[str, Any]]]:
        fieldsets = super().get_fieldsets(request, obj)
        if obj is not None:
            return fieldsets
        shown = [
            (name, {**options, "fields": [f for f in options["fields"] if f not in self.hidden_on_add]})
            for name, options in fieldsets
        ]
        return [(name, options) for name, options in shown if options["fields"]]

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet, search_term: str
    ) -> tuple[QuerySet, bool]:
        term = search_term.strip()
        upper = term.upper()
        for prefix, lookup in self.id_search_fields.items():
            if is_valid_id(upper, prefix):
                return queryset.filter(**{lookup: upper}), False
        if term.startswith(EXTERNAL_PREFIX) and _has_field(self.model, "external_id"):
            return queryset.filter(external_id=term[len(EXTERNAL_PREFIX) :]), False
        return super().get_search_results(request, queryset, search_term)

    def save_form(self, request: HttpRequest, form: forms.ModelForm, change: bool) -> Model:
        obj = super().save_form(request, form, change)
        # A blank JSON box reads as None; a column that cannot be null gets its default.
        for field in obj._meta.concrete_fields:
            if isinstance(field, JSONField) and not field.null and getattr(obj, field.attname) is None:
                setattr(obj, field.attname, field.get_default())
        return obj

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        # Forms check values with the validators the services use, so a service refusing
        # a save is rare; when it does, the admin's transaction is rolled back and the
        # service's sentence is shown instead of a server error.
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ServiceError as error:
            messages.error(request, f"Not saved: {error.message}")
            return HttpResponseRedirect(request.get_full_path())

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        response = super().changelist_view(request, extra_context)
        changelist = (getattr(response, "context_data", None) or {}).get("cl")
        # The response renders lazily, so a message added now is shown on this page.
        if changelist is not None and getattr(changelist.paginator, "truncated", False):
            messages.info(
                request,
                f"More than {COUNT_CAP:,} {changelist.opts.verbose_name_plural} match; the pages show "
                f"the first {COUNT_CAP:,}. Narrow the list with search or filters.",
            )
        return response


def _has_field(model: type[Model], name: str) -> bool:
    return any(field.name == name for field in model._meta.get_fields())


def check_with(form: forms.BaseForm, field: str, normalize: Callable[[str], str]) -> None:
    """Store ``normalize(value)`` of a filled-in field, or show its problem on the field."""
    value = form.cleaned_data.get(field)
    if not value:
        return
    try:
        form.cleaned_data[field] = normalize(value)
    except ValueInvalid as problem:
        form.add_error(field, str(problem))


def adopt(unsaved: Model, saved: Model) -> None:
    """Make the admin's form instance the row a service created, so the admin's redirect,
    log entry and inlines refer to it."""
    unsaved.__dict__.update(saved.__dict__)


class ReadOnlyAdminMixin:
    """History and built-in data: staff may look, not add, change or delete."""

    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

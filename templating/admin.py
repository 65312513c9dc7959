"""Templates in the staff console, for content staff.

- Descriptors list their versions (read-only history, newest first); the action "New draft
  from the active version" starts an edit.
- A draft is edited on its own page with a live preview: the saved draft is rendered
  against a fixed sample context (:mod:`templating.sample_context`) on page load, and the
  "Refresh preview" button renders what is in the form, unsaved, through a small admin view.
  Render and syntax errors are shown with their part and line.
- "Save and activate" on a draft's page, and the list action "Activate", call
  ``template_version_activate``; active and archived versions are read-only pages.
- Every write goes through :mod:`templating.services`.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString

from borrowers.admin.base import StaffAdmin, adopt
from peachcomms.errors import ServiceError
from templating import services
from templating.models import TemplateDescriptor, TemplateVersion
from templating.rendering import PARTS, TemplateRenderError, render_sources, source_errors
from templating.rendering.pdf import html_to_pdf
from templating.sample_context import sample_context
from templating.selectors import template_channels

SOURCE_FIELDS = [part.attribute for part in PARTS]


class BuiltInFilter(admin.SimpleListFilter):
    title = "owner"
    parameter_name = "owner"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("builtin", "Built-in defaults"), ("company", "Company templates")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() == "builtin":
            return queryset.filter(company__isnull=True)
        if self.value() == "company":
            return queryset.filter(company__isnull=False)
        return queryset


# --- descriptors --------------------------------------------------------------------------


class TemplateVersionInline(admin.TabularInline):
    model = TemplateVersion
    fk_name = "descriptor"
    extra = 0
    can_delete = False
    show_change_link = True
    fields = ["id", "status", "created_by_name", "created_at", "activated_at"]
    readonly_fields = fields
    ordering = ["-created_at", "-id"]
    verbose_name_plural = "Version history (newest first; open one to preview or edit a draft)"

    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    @admin.display(description="created by")
    def created_by_name(self, version: TemplateVersion) -> str:
        return (version.created_by or {}).get("name") or "—"


class TemplateDescriptorForm(forms.ModelForm):
    channel = forms.ChoiceField(choices=lambda: [(c, c) for c in template_channels()])

    class Meta:
        model = TemplateDescriptor
        fields = ["company", "subject", "channel", "language", "name", "enabled", "external_id"]
        help_texts = {"company": "Empty: a built-in default (shared by every company)."}


@admin.register(TemplateDescriptor)
class TemplateDescriptorAdmin(StaffAdmin):
    form = TemplateDescriptorForm
    list_display = [
        "id",
        "subject",
        "channel",
        "language",
        "owner",
        "enabled",
        "active_version",
        "updated_at",
    ]
    list_filter = [BuiltInFilter, "channel", "language", "enabled"]
    list_select_related = ["company"]
    search_fields = ["subject", "name"]
    search_help_text = "A subject, a name, or a TD-/CP- id."
    id_search_fields = {"TD": "pk", "CP": "company_id"}
    inlines = [TemplateVersionInline]
    actions = ["new_draft_from_active"]

    def get_readonly_fields(self, request: HttpRequest, obj: TemplateDescriptor | None = None) -> list[str]:
        fixed = ["id", "active_version", "created_at", "updated_at"]
        if obj is not None:
            fixed += ["company", "subject", "channel", "language"]
        return fixed

    def get_fields(self, request: HttpRequest, obj: TemplateDescriptor | None = None) -> list[str]:
        fields = ["company", "subject", "channel", "language", "name", "enabled", "external_id"]
        if obj is not None:
            return ["id", *fields, "active_version", "created_at", "updated_at"]
        return fields

    @admin.display(description="owner", ordering="company")
    def owner(self, descriptor: TemplateDescriptor) -> str:
        return str(descriptor.company) if descriptor.company_id else "built-in"

    def save_model(
        self, request: HttpRequest, obj: TemplateDescriptor, form: forms.ModelForm, change: bool
    ) -> None:
        data = {name: form.cleaned_data[name] for name in form.changed_data if name in form.cleaned_data}
        if change:
            services.template_descriptor_update(descriptor=obj, data=data)
            return
        data = {name: form.cleaned_data.get(name) for name in services.DESCRIPTOR_FIELDS}
        if not data.get("external_id"):
            data["external_id"] = None
        adopt(obj, services.template_descriptor_create(company=form.cleaned_data.get("company"), data=data))

    @admin.action(description="New draft from the active version")
    def new_draft_from_active(self, request: HttpRequest, queryset: QuerySet) -> None:
        for descriptor in queryset.select_related("active_version"):
            active = descriptor.active_version
            data = {name: getattr(active, name) for name in SOURCE_FIELDS} if active else {}
            draft = services.template_version_create(
                descriptor=descriptor, data=data, created_by=services.created_by_user(request.user)
            )
            link = reverse("admin:templating_templateversion_change", args=[draft.pk])
            messages.success(
                request, format_html('Draft <a href="{}">{}</a> created for {}.', link, draft.pk, descriptor)
            )


# --- versions ------------------------------------------------------------------------------


class TemplateVersionForm(forms.ModelForm):
    class Meta:
        model = TemplateVersion
        fields = ["descriptor", *SOURCE_FIELDS]
        widgets = {
            name: forms.Textarea(
                attrs={"rows": rows, "cols": 110, "spellcheck": "false", "class": "vLargeTextField"}
            )
            for name, rows in zip(SOURCE_FIELDS, (2, 24, 12), strict=True)
        }

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        for part in PARTS:
            for problem in source_errors(part, data.get(part.attribute) or ""):
                self.add_error(part.attribute, problem)
        return data


def preview_html(sources: dict[str, str], descriptor: TemplateDescriptor) -> SafeString:
    """The rendered parts (or the error, with its part and line) as admin HTML."""
    try:
        rendered = render_sources(sources, sample_context(descriptor.channel, descriptor.subject))
    except TemplateRenderError as error:
        return format_html('<div class="template-preview"><p class="errornote">{}</p></div>', error.message)
    blocks = []
    if rendered.subject_line is not None:
        blocks.append(format_html("<h4>Subject line</h4><p><strong>{}</strong></p>", rendered.subject_line))
    if rendered.content_html is not None:
        blocks.append(
            format_html(
                '<h4>HTML</h4><iframe sandbox="" title="HTML preview" srcdoc="{}" style="width:100%;'
                'max-width:760px;height:560px;border:1px solid #ccc;background:#fff"></iframe>',
                rendered.content_html,
            )
        )
    if rendered.content_text is not None:
        blocks.append(
            format_html(
                '<h4>Text ({} characters)</h4><pre style="white-space:pre-wrap;max-width:760px">{}</pre>',
                len(rendered.content_text),
                rendered.content_text,
            )
        )
    if not blocks:
        blocks.append(format_html("<p>{}</p>", "The version has no parts yet."))
    return format_html('<div class="template-preview">{}</div>', SafeString("".join(blocks)))


@admin.register(TemplateVersion)
class TemplateVersionAdmin(StaffAdmin):
    form = TemplateVersionForm
    change_form_template = "admin/templating/templateversion/change_form.html"
    list_display = ["id", "descriptor", "status", "created_at", "activated_at"]
    list_filter = ["status", "descriptor__channel"]
    list_select_related = ["descriptor", "descriptor__company"]
    search_fields = ["descriptor__subject"]
    search_help_text = "A subject, or a TV-/TD- id."
    id_search_fields = {"TV": "pk", "TD": "descriptor_id"}
    raw_id_fields = ["descriptor"]
    actions = ["activate"]

    def get_fields(self, request: HttpRequest, obj: TemplateVersion | None = None) -> list[str]:
        if obj is None:
            return ["descriptor", *SOURCE_FIELDS]
        return ["id", "descriptor", "status", "created_by", "activated_at", *SOURCE_FIELDS, "preview"]

    def get_readonly_fields(self, request: HttpRequest, obj: TemplateVersion | None = None) -> list[str]:
        if obj is None:
            return []
        fixed = ["id", "descriptor", "status", "created_by", "activated_at", "preview"]
        if obj.status != TemplateVersion.Status.DRAFT:
            fixed += SOURCE_FIELDS
        return fixed

    def has_change_permission(self, request: HttpRequest, obj: TemplateVersion | None = None) -> bool:
        if obj is not None and obj.status != TemplateVersion.Status.DRAFT:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: TemplateVersion | None = None) -> bool:
        return False

    @admin.display(description="preview (sample context)")
    def preview(self, version: TemplateVersion) -> SafeString:
        return preview_html(
            {part.name: getattr(version, part.attribute) for part in PARTS}, version.descriptor
        )

    def save_model(
        self, request: HttpRequest, obj: TemplateVersion, form: forms.ModelForm, change: bool
    ) -> None:
        data = {name: form.cleaned_data.get(name) or "" for name in SOURCE_FIELDS}
        if change:
            adopt(obj, services.template_version_update(version=obj, data=data))
        else:
            adopt(
                obj,
                services.template_version_create(
                    descriptor=form.cleaned_data["descriptor"],
                    data=data,
                    created_by=services.created_by_user(request.user),
                ),
            )
        if "_activate" in request.POST:
            services.template_version_activate(version=obj)
            messages.success(request, f"{obj.pk} is now the active version of {obj.descriptor}.")

    @admin.action(description="Activate (archives the descriptor's current active version)")
    def activate(self, request: HttpRequest, queryset: QuerySet) -> None:
        descriptors = set()
        for version in queryset.order_by("created_at"):
            if version.descriptor_id in descriptors:
                messages.warning(
                    request, f"Skipped {version.pk}: one version per descriptor can be activated."
                )
                continue
            descriptors.add(version.descriptor_id)
            try:
                services.template_version_activate(version=version)
            except ServiceError as error:
                messages.error(request, f"{version.pk}: {error.message}")
            else:
                messages.success(request, f"{version.pk} is now active.")

    # --- the live preview ------------------------------------------------------------------

    def get_urls(self) -> list:
        own = [
            path(
                "<str:object_id>/preview/",
                self.admin_site.admin_view(self.preview_view),
                name="templating_templateversion_preview",
            ),
            path(
                "<str:object_id>/preview.pdf",
                self.admin_site.admin_view(self.preview_pdf_view),
                name="templating_templateversion_preview_pdf",
            ),
        ]
        return own + super().get_urls()

    def preview_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """POST the three sources (unsaved form values): the preview fragment as JSON."""
        version = get_object_or_404(TemplateVersion.objects.select_related("descriptor"), pk=object_id)
        if not self.has_view_permission(request, version):
            raise PermissionDenied
        if request.method != "POST":
            return JsonResponse({"html": self.preview(version)})
        sources = {part.name: request.POST.get(part.attribute, "") for part in PARTS}
        problems = [
            f"{part.field} {problem}" for part in PARTS for problem in source_errors(part, sources[part.name])
        ]
        if problems:
            html = format_html(
                '<div class="template-preview"><p class="errornote">{}</p></div>', "; ".join(problems)
            )
            return JsonResponse({"html": html})
        return JsonResponse({"html": preview_html(sources, version.descriptor)})

    def preview_pdf_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """The saved HTML part, rendered against the sample context, as a PDF letter."""
        version = get_object_or_404(TemplateVersion.objects.select_related("descriptor"), pk=object_id)
        if not self.has_view_permission(request, version):
            raise PermissionDenied
        try:
            rendered = render_sources(
                {part.name: getattr(version, part.attribute) for part in PARTS},
                sample_context(version.descriptor.channel, version.descriptor.subject),
                parts=["contentHtml"],
            )
            if rendered.content_html is None:
                raise TemplateRenderError("The version has no HTML part.")
            pdf = html_to_pdf(rendered.content_html)
        except TemplateRenderError as error:
            return TemplateResponse(
                request,
                "admin/templating/templateversion/preview_error.html",
                {**self.admin_site.each_context(request), "message": error.message, "version": version},
                status=422,
            )
        response = HttpResponse(pdf, content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="{version.pk}.pdf"'
        return response

"""Compliance Guard in the staff console.

- Rule rows are edited by compliance staff through ``rule_update``, so every save records
  who, when, and the changed fields before and after; the history is shown read-only on
  the rule's page and in its own list. Rows come from the shipped defaults: no add, no
  delete (disable a rule instead).
- Do-not-interact records are created, changed and (softly) deleted through the services.
- "Can we contact now?": for one borrower, the guard's decision on each channel now, at
  ``admin:compliance_can_contact`` (``/admin/compliance/compliancerule/can-contact/<borrower id>/``).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, path, reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.html import format_html

from borrowers.admin.base import ReadOnlyAdminMixin, StaffAdmin, adopt
from borrowers.models import Borrower
from compliance import selectors, services
from compliance.models import ComplianceRule, ComplianceRuleChange, DoNotInteract
from interactions import catalogue
from peachcomms.errors import InvalidInput
from subjects.selectors import theme_names

if TYPE_CHECKING:
    from compliance.guard import Decision

#: API field names of the services' problems → the admin form's field names.
FORM_FIELDS = {"endDate": "end_date"}


def add_service_errors(form: forms.BaseForm, error: InvalidInput) -> None:
    """Show a service's problems (``parameters.caps.normal``) on the form's fields."""
    for name, problems in (error.errors or {"__all__": [error.message]}).items():
        root = name.split(".")[0].split("[")[0]
        field = FORM_FIELDS.get(root, root)
        label = f"{name}: " if name != root else ""
        target = field if field in form.fields else None
        for problem in problems:
            form.add_error(target, f"{label}{problem}")


def pretty_json(value: Any) -> str:
    if value is None:
        return "—"
    return format_html("<pre style='margin:0;white-space:pre-wrap'>{}</pre>", json.dumps(value, indent=2))


def actor_label(changed_by: dict[str, Any]) -> str:
    who = changed_by.get("userType", "")
    if changed_by.get("id"):
        who = f"{who}, {changed_by['id']}"
    return f"{changed_by.get('name')} ({who})"


def _channel_choices() -> list[tuple[str, str]]:
    return [(channel, channel) for channel in catalogue.channel_values(include_deprecated=False)]


# Rules


class ComplianceRuleForm(forms.ModelForm):
    """The editable fields; values are checked by ``rule_clean`` (the service's checks)."""

    channels = forms.MultipleChoiceField(
        choices=_channel_choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="None ticked: every channel.",
    )
    states = forms.CharField(
        required=False,
        help_text="2-letter USPS codes separated by commas (WA, MA). Empty: every state (a federal rule).",
    )

    class Meta:
        model = ComplianceRule
        fields = ["name", "description", "enabled", "channels", "states", "parameters"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.initial["states"] = ", ".join(self.instance.states or [])

    def clean_states(self) -> list[str]:
        raw = self.cleaned_data.get("states") or ""
        return [code.strip().upper() for code in raw.split(",") if code.strip()]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        changed = {name: data[name] for name in self.changed_data if name in data}
        if changed and self.instance.pk is not None:
            stored = ComplianceRule.objects.get(pk=self.instance.pk)
            try:
                data.update(services.rule_clean(stored, changed, merge_parameters=False))
            except InvalidInput as error:
                add_service_errors(self, error)
        return data


class _RuleChangeColumns:
    """The read-only columns of a rule change, shared by the inline and its own admin."""

    @admin.display(description="by")
    def who(self, change: ComplianceRuleChange) -> str:
        return actor_label(change.changed_by)

    @admin.display(description="before")
    def before_json(self, change: ComplianceRuleChange) -> str:
        return pretty_json(change.before)

    @admin.display(description="after")
    def after_json(self, change: ComplianceRuleChange) -> str:
        return pretty_json(change.after)


class ComplianceRuleChangeInline(_RuleChangeColumns, admin.TabularInline):
    model = ComplianceRuleChange
    fk_name = "rule"
    extra = 0
    can_delete = False
    fields = ["changed_at", "who", "before_json", "after_json"]
    readonly_fields = fields
    ordering = ["-changed_at", "-id"]
    verbose_name = "change"
    verbose_name_plural = "change history (newest first)"

    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


@admin.register(ComplianceRule)
class ComplianceRuleAdmin(StaffAdmin):
    form = ComplianceRuleForm
    list_display = ["code", "name", "family", "enabled", "channels", "states", "company", "updated_at"]
    list_filter = ["family", "enabled", "company"]
    list_select_related = ["company"]
    search_fields = ["code", "name"]
    search_help_text = "A CG- or CP- id, or part of a rule's code or name."
    id_search_fields = {"CG": "pk", "CP": "company"}
    ordering = ["company", "code"]
    inlines = [ComplianceRuleChangeInline]
    readonly_fields = ["id", "company", "family", "code", "shipped_default", "created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["id", "company", "family", "code", "name", "description", "enabled"]}),
        ("Scope", {"fields": ["channels", "states"]}),
        ("Parameters", {"fields": ["parameters", "shipped_default"]}),
        ("Record", {"fields": ["created_at", "updated_at"]}),
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # rows come from the shipped defaults (rules_create_defaults)

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False  # disable a rule instead; its history stays

    @admin.display(description="shipped default parameters")
    def shipped_default(self, rule: ComplianceRule) -> str:
        default = next((d for d in services.default_rules() if d["code"] == rule.code), None)
        return pretty_json(default["parameters"]) if default else "— (not a shipped rule)"

    def save_model(
        self, request: HttpRequest, obj: ComplianceRule, form: forms.ModelForm, change: bool
    ) -> None:
        data = {
            name: form.cleaned_data[name]
            for name in form.changed_data
            if name in services.RULE_EDITABLE_FIELDS
        }
        if data:
            adopt(obj, services.rule_update(obj, data, changed_by=request.user, merge_parameters=False))

    # "Can we contact now?"

    def get_urls(self) -> list:
        view = self.admin_site.admin_view(self.can_contact_view)
        return [
            path("can-contact/<str:borrower_id>/", view, name="compliance_can_contact"),
            *super().get_urls(),
        ]

    def can_contact_view(self, request: HttpRequest, borrower_id: str) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        borrower = Borrower.objects.select_related("company").filter(pk=borrower_id).first()
        if borrower is None:
            raise Http404(f"No borrower {borrower_id[:40]}.")
        company_zone = ZoneInfo(borrower.company.timezone)
        theme = request.GET.get("theme") or selectors.CONTACT_CHECK_THEME
        if theme not in theme_names():
            messages.warning(
                request, f"Unknown theme '{theme[:64]}'; showing {selectors.CONTACT_CHECK_THEME}."
            )
            theme = selectors.CONTACT_CHECK_THEME
        at = _parse_at(request, request.GET.get("at"))
        rows = [
            _decision_row(channel, decision, company_zone)
            for channel, decision in selectors.contact_decisions(borrower, theme=theme, at=at)
        ]
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": f"Can we contact {borrower} now?",
            "borrower": borrower,
            "borrower_url": _reverse("admin:borrowers_borrower_change", borrower.pk),
            "rules_url": reverse("admin:compliance_compliancerule_changelist")
            + f"?company__id__exact={borrower.company_id}",
            "do_not_interacts_url": reverse("admin:compliance_donotinteract_changelist")
            + f"?q={borrower.pk}",
            "rows": rows,
            "theme": theme,
            "themes": theme_names(),
            "at": _format(at, UTC),
            "at_local": _format(at, company_zone),
            "company_zone": borrower.company.timezone,
        }
        return TemplateResponse(request, "admin/compliance/can_contact.html", context)


def _parse_at(request: HttpRequest, raw: str | None) -> datetime:
    if raw:
        parsed = parse_datetime(raw)
        if parsed is not None:
            return parsed if timezone.is_aware(parsed) else timezone.make_aware(parsed, ZoneInfo("UTC"))
        messages.warning(request, f"'{raw[:40]}' is not an ISO date-time; showing now.")
    return timezone.now()


def _format(value: datetime | None, zone: ZoneInfo) -> str | None:
    """Formatted here, in ``zone``: the template's ``date`` filter would use the current zone."""
    return timezone.localtime(value, zone).strftime("%Y-%m-%d %H:%M:%S %Z") if value is not None else None


def _reverse(name: str, *args: Any) -> str | None:
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return None


def _decision_row(channel: str, decision: Decision, zone: ZoneInfo) -> dict[str, Any]:
    send_at = decision.send_at
    rule_id = decision.compliance_guard_rule_id
    return {
        "channel": channel,
        "result": decision.result,
        "reason": decision.reason,
        "message": decision.message,
        "rule_id": rule_id,
        "rule_url": _reverse("admin:compliance_compliancerule_change", rule_id) if rule_id else None,
        "send_at": _format(send_at, UTC),
        "send_at_local": _format(send_at, zone),
        "lasting": decision.lasting,
    }


@admin.register(ComplianceRuleChange)
class ComplianceRuleChangeAdmin(_RuleChangeColumns, ReadOnlyAdminMixin, StaffAdmin):
    list_display = ["changed_at", "rule", "who", "company"]
    list_filter = ["rule__family"]
    list_select_related = ["rule", "company"]
    search_help_text = "A CG- (rule) or CP- (company) id."
    id_search_fields = {"CG": "rule", "CP": "company"}
    fields = ["rule", "company", "changed_at", "who", "before_json", "after_json"]
    readonly_fields = fields


# Do-not-interact records


def _all_or(values: list[str]) -> list[tuple[str, str]]:
    return [(services.ALL, "all"), *((value, value) for value in values)]


class DoNotInteractForm(forms.ModelForm):
    channels = forms.MultipleChoiceField(
        choices=lambda: _all_or(catalogue.channel_values(include_deprecated=False)),
        widget=forms.CheckboxSelectMultiple,
        help_text='"all", or the channels it blocks.',
    )
    themes = forms.MultipleChoiceField(
        choices=lambda: _all_or(theme_names()),
        widget=forms.CheckboxSelectMultiple,
        help_text='"all" (never covers opsAccountCredentials), or the themes it blocks.',
    )

    class Meta:
        model = DoNotInteract
        fields = ["borrower", "case", "channels", "themes", "end_date"]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        adding = self.instance._state.adding
        borrower, case = data.get("borrower"), data.get("case")
        if adding and borrower and case and case.borrower_id != borrower.pk:
            self.add_error("case", "This case is not the borrower's.")
        names = ["channels", "themes", "end_date"] if adding else self.changed_data
        values = {name: data[name] for name in names if name in data}
        try:
            services.do_not_interact_clean(values, current=None if adding else self.instance)
        except InvalidInput as error:
            add_service_errors(self, error)
        return data


class DoNotInteractStateFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "state"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [("active", "Active"), ("ended", "Ended"), ("deleted", "Deleted")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        # "Today" in UTC here; each record's company day may differ by hours at the edges.
        today = timezone.now().date()
        if self.value() == "active":
            return queryset.filter(selectors.do_not_interact_active_q(today))
        if self.value() == "ended":
            return queryset.filter(deleted_at__isnull=True, end_date__lt=today)
        if self.value() == "deleted":
            return queryset.filter(deleted_at__isnull=False)
        return queryset


@admin.register(DoNotInteract)
class DoNotInteractAdmin(StaffAdmin):
    form = DoNotInteractForm
    list_display = [
        "id",
        "borrower",
        "case",
        "channels",
        "themes",
        "end_date",
        "is_active",
        "deleted_at",
        "created_at",
        "can_contact",
    ]
    list_filter = [DoNotInteractStateFilter, "end_date"]
    list_select_related = ["borrower", "case", "company"]
    raw_id_fields = ["borrower", "case"]
    search_help_text = "A DN-, BO- (borrower), CS- (case) or CP- (company) id."
    id_search_fields = {"DN": "pk", "BO": "borrower", "CS": "case", "CP": "company"}
    fieldsets = [
        (None, {"fields": ["id", "borrower", "case", "channels", "themes", "end_date"]}),
        ("Record", {"fields": ["company", "is_active", "created_at", "updated_at", "deleted_at"]}),
    ]
    hidden_on_add = ("id", "company", "is_active", "created_at", "updated_at", "deleted_at")

    def get_readonly_fields(self, request: HttpRequest, obj: DoNotInteract | None = None) -> list[str]:
        fixed = ["id", "company", "is_active", "created_at", "updated_at", "deleted_at"]
        return fixed if obj is None else [*fixed, "borrower", "case"]

    def has_change_permission(self, request: HttpRequest, obj: DoNotInteract | None = None) -> bool:
        if obj is not None and obj.deleted_at is not None:
            return False  # a deleted record is history
        return super().has_change_permission(request, obj)

    @admin.display(description="active", boolean=True)
    def is_active(self, record: DoNotInteract) -> bool:
        return selectors.do_not_interact_is_active(record, selectors.company_today(record.company))

    @admin.display(description="can we contact now?")
    def can_contact(self, record: DoNotInteract) -> str:
        return format_html(
            '<a href="{}">decisions</a>', reverse("admin:compliance_can_contact", args=[record.borrower_id])
        )

    def save_model(
        self, request: HttpRequest, obj: DoNotInteract, form: forms.ModelForm, change: bool
    ) -> None:
        data = {name: form.cleaned_data[name] for name in ("channels", "themes", "end_date")}
        if change:
            stored = DoNotInteract.objects.get(pk=obj.pk)
            changed = {name: value for name, value in data.items() if name in form.changed_data}
            adopt(obj, services.do_not_interact_update(do_not_interact=stored, data=changed))
        else:
            adopt(obj, services.do_not_interact_create(borrower=obj.borrower, case=obj.case, data=data))

    def delete_model(self, request: HttpRequest, obj: DoNotInteract) -> None:
        services.do_not_interact_delete(do_not_interact=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[DoNotInteract]) -> None:
        for record in queryset:
            services.do_not_interact_delete(do_not_interact=record)

"""The staff console's "Resend selected" action, under the rules of ``manage.py
resend_interactions`` (docs/adr/0010-bulk-resend.md): the action only leads to a
confirmation page (GET) that says how many interactions would be resent, which are skipped
(inbound, and resends unless included) and whether the copies are checked against
Compliance Guard; only its POST resends, through the same service as the command
(:mod:`interactions.services.bulk_resend`), and reports what was resent, refused and
skipped."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse

from interactions.models import Interaction
from interactions.selectors import ResendSelection, resend_selection
from interactions.services.bulk_resend import BulkResendReport, interactions_resend_bulk
from peachcomms.api.ids import is_valid_id

#: At most this many interactions per confirmation page (their ids travel in its URL);
#: more is a job for ``manage.py resend_interactions``.
RESEND_MAX = 500
#: Refusals and errors named one by one in the report; the rest are counted.
LISTED_MAX = 20
SKIP_WARNING = (
    "The copies will NOT be checked against Compliance Guard: quiet hours, frequency caps, "
    "do-not-interact records, case holds and consent are ignored, and you own that decision."
)


class ResendActionMixin:
    """For :class:`interactions.admin.InteractionAdmin` (a ``ModelAdmin``)."""

    actions = ["resend_selected"]

    def has_resend_permission(self, request: HttpRequest) -> bool:
        # Resending creates interactions: the permission to add one (superusers have it).
        return request.user.has_perm("interactions.add_interaction")

    @admin.action(description="Resend selected interactions…", permissions=["resend"])
    def resend_selected(self, request: HttpRequest, queryset: QuerySet[Interaction]) -> HttpResponse | None:
        ids = list(queryset.order_by("created_at", "id").values_list("pk", flat=True)[: RESEND_MAX + 1])
        if len(ids) > RESEND_MAX:
            self.message_user(
                request,
                f"Select at most {RESEND_MAX} interactions to resend here; for more, use "
                "manage.py resend_interactions. Nothing was sent.",
                messages.ERROR,
            )
            return None
        url = reverse("admin:interactions_interaction_resend")
        return HttpResponseRedirect(f"{url}?{urlencode({'ids': ','.join(ids)})}")

    def get_urls(self) -> list:
        view = self.admin_site.admin_view(self.resend_view)
        return [path("resend/", view, name="interactions_interaction_resend"), *super().get_urls()]

    def resend_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_resend_permission(request):
            raise PermissionDenied
        data = request.POST if request.method == "POST" else request.GET
        ids = [value.strip() for value in data.get("ids", "").split(",") if value.strip()]
        bad = [value for value in ids if not is_valid_id(value, "IT")]
        if not ids or bad or len(ids) > RESEND_MAX:
            problem = f"not interaction ids: {', '.join(bad[:5])}" if bad else f"give 1 to {RESEND_MAX}"
            return HttpResponseBadRequest(
                f"ids: {problem[:200]}. Nothing was sent.", content_type="text/plain"
            )
        include = bool(data.get("include_resends"))
        rows = Interaction.objects.filter(pk__in=ids, deleted_at__isnull=True)
        selection = resend_selection(rows, include_resends=include)
        if request.method != "POST":
            return self._confirmation(request, ids, selection)
        check = not data.get("skip_compliance_check")
        report = interactions_resend_bulk(
            selection.rows.order_by("created_at", "id"), request.user, check_compliance=check
        )
        self._report(request, selection, report, check=check)
        return HttpResponseRedirect(reverse("admin:interactions_interaction_changelist"))

    def _confirmation(self, request: HttpRequest, ids: list[str], selection: ResendSelection) -> HttpResponse:
        context: dict[str, Any] = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "Resend interactions?",
            "ids": ",".join(ids),
            "selection": selection,
            "found": selection.matching,
            "missing": len(ids) - selection.matching,
            "without_resends": selection.matching - selection.inbound - selection.resends,
            "with_resends": selection.matching - selection.inbound,
            "skip_warning": SKIP_WARNING,
        }
        return TemplateResponse(request, "admin/interactions/interaction/resend_confirmation.html", context)

    def _report(
        self, request: HttpRequest, selection: ResendSelection, report: BulkResendReport, *, check: bool
    ) -> None:
        checked = "checked against Compliance Guard" if check else "NOT checked against Compliance Guard"
        resends = 0 if selection.resends_included else selection.resends
        self.message_user(
            request,
            f"Resent {len(report.resent)} of {selection.matching} interaction(s) ({checked}); "
            f"refused {len(report.refused)} by Compliance Guard; skipped {selection.inbound} inbound and "
            f"{resends} resend(s); {len(report.errors)} error(s).",
            messages.SUCCESS if check else messages.WARNING,
        )
        for outcomes, level in ((report.refused, messages.WARNING), (report.errors, messages.ERROR)):
            for outcome in outcomes[:LISTED_MAX]:
                self.message_user(request, outcome.describe(), level)
            if len(outcomes) > LISTED_MAX:
                self.message_user(request, f"… and {len(outcomes) - LISTED_MAX} more.", level)


__all__ = ["RESEND_MAX", "ResendActionMixin"]

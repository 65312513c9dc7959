"""What the template descriptor and version views share: the base view, its pagination and
the path parameters."""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework.exceptions import ValidationError

from peachcomms.api.ids import ID_RE
from peachcomms.api.pagination import CursorPagination, unknown_cursor
from peachcomms.api.views import CompanyScopedView
from templating import selectors
from templating.models import TemplateDescriptor

TAGS = ["templates"]
DESCRIPTOR_ID = OpenApiParameter(
    "templateDescriptorId",
    OpenApiTypes.STR,
    OpenApiParameter.PATH,
    description="The template descriptor: `TD-XXXX-XXXX` (a built-in one too), or `ext-<externalId>`.",
)
VERSION_ID = OpenApiParameter(
    "templateVersionId", OpenApiTypes.STR, OpenApiParameter.PATH, description="`TV-XXXX-XXXX`."
)
BUILT_IN_READ_ONLY = (
    " Built-in descriptors (`companyId: null`) and their versions are read-only: a write is "
    "a 403; create your own descriptor for the slot instead."
)


class TemplateCursorPagination(CursorPagination):
    """The cursor may name a built-in row (``company`` null) the company can see."""

    @staticmethod
    def _cursor(queryset: Any, view: Any, value: str, param: str) -> tuple[Any, str]:
        if not ID_RE.match(value):
            raise ValidationError({param: ["Not an object id (XX-XXXX-XXXX)."]})
        company = getattr(view, "company", None)
        base = queryset.model._default_manager.filter(pk=value)
        if company is not None:
            base = base.filter(Q(company_id=company.pk) | Q(company__isnull=True))
        row = base.values_list("created_at", "pk").first()
        if row is None:
            raise unknown_cursor(param, value)
        return row


class TemplatesView(CompanyScopedView):
    permission_scope = "templates"
    pagination_class = TemplateCursorPagination
    queryset = TemplateDescriptor.objects.all()

    def descriptor(self, *, for_write: bool = False) -> TemplateDescriptor:
        return selectors.template_descriptor_get(
            self.company, self.kwargs["templateDescriptorId"], for_write=for_write
        )

"""The one base view every API view derives from.

``CompanyScopedView`` owns authentication, permissions and tenant scoping: its
``get_queryset`` always filters by the caller's company (and by the borrower of a
``/people/{personId}/…`` path), and ``get_object`` resolves ``{…Id}`` path segments,
including ``ext-<externalId>``, through :func:`peachcomms.scoping.get_scoped`. Subclasses
narrow the queryset with ``filter_scoped_queryset`` and never override ``get_queryset``.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

from django.db.models import Model, QuerySet
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response

from borrowers.models import Borrower, Company
from peachcomms.api.pagination import CursorPagination
from peachcomms.api.parsers import NUL_MESSAGE
from peachcomms.scoping import get_scoped


class CompanyScopedView(GenericAPIView):
    pagination_class = CursorPagination
    #: permission scope: ``<scope>:read`` for GET, ``<scope>:write`` otherwise.
    permission_scope: str | None = None
    #: ``{method: permission}`` overriding the scope's default.
    required_permissions: dict[str, str] = {}
    #: the path kwarg naming this view's object (``contactId`` …), if any.
    lookup_url_kwarg: str | None = None
    #: True on ``/people/{personId}/…`` paths: rows must belong to that borrower.
    borrower_scoped: bool = False

    @property
    def company(self) -> Company:
        return self.request.auth.company

    @cached_property
    def borrower(self) -> Borrower:
        return get_scoped(Borrower, self.company.pk, self.kwargs["personId"])

    def get_queryset(self) -> QuerySet:
        queryset = super().get_queryset().filter(company_id=self.company.pk)
        if self.borrower_scoped:
            queryset = queryset.filter(borrower_id=self.borrower.pk)
        return self.filter_scoped_queryset(queryset)

    def filter_scoped_queryset(self, queryset: QuerySet) -> QuerySet:
        return queryset

    def get_object(self) -> Model:
        queryset = self.get_queryset()
        return get_scoped(queryset, self.company.pk, self.kwargs[self.lookup_url_kwarg])

    def initial(self, request, *args: Any, **kwargs: Any) -> None:  # noqa: ANN001
        super().initial(request, *args, **kwargs)
        for name, value in request.query_params.items():
            if "\x00" in name or "\x00" in value:
                raise ValidationError({name.replace("\x00", "")[:100] or "query": [NUL_MESSAGE]})
        if any(isinstance(value, str) and "\x00" in value for value in self.kwargs.values()):
            raise NotFound()
        if self.borrower_scoped:
            self.borrower  # noqa: B018 - an unknown borrower is a 404 before anything else

    def get_serializer_context(self) -> dict[str, Any]:
        context = super().get_serializer_context()
        if self.request is not None and self.request.auth is not None:
            context["company"] = self.company
            context["api_key"] = self.request.auth
        return context

    # Responses in the envelope of api.md.
    def respond(self, data: Any, *, message: str = "OK", status: int = 200) -> Response:
        return Response({"status": status, "message": message, "data": data}, status=status)

    def respond_list(self, queryset: QuerySet, serializer_class: type | None = None) -> Response:
        page = self.paginate_queryset(queryset)
        serializer = (serializer_class or self.get_serializer_class())(
            page, many=True, context=self.get_serializer_context()
        )
        return self.get_paginated_response(serializer.data)

    def input(
        self, serializer_class: type | None = None, *, instance: Any = None, partial: bool = False
    ) -> dict:
        """Validate the request body; returns the validated data or raises a 400."""
        serializer = (serializer_class or self.get_serializer_class())(
            instance, data=self.request.data, partial=partial, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    def output(self, instance: Any, serializer_class: type | None = None) -> Any:
        return (serializer_class or self.get_serializer_class())(
            instance, context=self.get_serializer_context()
        ).data

"""Cursor pagination, newest first: ``limit`` (1..100, default 25), ``startingAfter``,
``endingBefore`` (object ids; ``endingBefore`` wins). Pages are read with
``LIMIT limit + 1`` on the (created_at, id) index; no ``COUNT(*)`` ever runs."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import BasePagination
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

from peachcomms.api.ids import ID_RE

DEFAULT_LIMIT = 25
MAX_LIMIT = 100


def unknown_cursor(param: str, value: str, kind: str = "object") -> NotFound:
    """A well-formed cursor naming no row the caller can see: a 404, as any reference to an
    unknown object is (api.md); a malformed one is a 400."""
    return NotFound(f"{param}: no {kind} with id '{value[:40]}' to page from.")


class CursorPagination(BasePagination):
    def paginate_queryset(self, queryset: QuerySet, request, view=None) -> list:  # noqa: ANN001
        self.request = request
        limit = self._limit(request.query_params.get("limit"))
        ending_before = request.query_params.get("endingBefore")
        starting_after = request.query_params.get("startingAfter")
        for param, value in (("endingBefore", ending_before), ("startingAfter", starting_after)):
            if value and "\x00" in value:  # PostgreSQL text cannot hold NUL: no row has this id
                raise ValidationError({param: ["Not an object id."]})
        self.has_next = self.has_previous = False
        if ending_before:
            created_at, pk = self._cursor(queryset, view, ending_before, "endingBefore")
            newer = Q(created_at__gt=created_at) | Q(created_at=created_at, pk__gt=pk)
            rows = list(queryset.filter(newer).order_by("created_at", "pk")[: limit + 1])
            self.has_previous = len(rows) > limit
            rows = rows[:limit][::-1]
            self.has_next = bool(rows)
        else:
            ordered = queryset.order_by("-created_at", "-pk")
            if starting_after:
                created_at, pk = self._cursor(queryset, view, starting_after, "startingAfter")
                older = Q(created_at__lt=created_at) | Q(created_at=created_at, pk__lt=pk)
                ordered = ordered.filter(older)
                self.has_previous = True
            rows = list(ordered[: limit + 1])
            self.has_next = len(rows) > limit
            rows = rows[:limit]
            self.has_previous = self.has_previous and bool(rows)
        self.page = rows
        return rows

    @staticmethod
    def _limit(raw: str | None) -> int:
        if raw is None:  # absent only: ``limit=`` is not an integer (the document says integer)
            return DEFAULT_LIMIT
        try:
            limit = int(raw)
        except ValueError:
            limit = 0
        if not 1 <= limit <= MAX_LIMIT:
            raise ValidationError({"limit": [f"Must be an integer from 1 to {MAX_LIMIT}."]})
        return limit

    @staticmethod
    def _cursor(queryset: QuerySet, view, value: str, param: str) -> tuple[Any, str]:  # noqa: ANN001
        # The cursor is looked up among the company's rows, not the filtered page, so a
        # row that stopped matching a filter still works as a position.
        if not ID_RE.match(value):
            raise ValidationError({param: ["Not an object id (XX-XXXX-XXXX)."]})
        base = queryset.model._default_manager.filter(pk=value)
        company = getattr(view, "company", None)
        if company is not None:
            base = base.filter(company_id=company.pk)
        row = base.values_list("created_at", "pk").first()
        if row is None:
            raise unknown_cursor(param, value)
        return row

    def _url(self, cursor_param: str, value: str) -> str:
        url = self.request.build_absolute_uri()
        url = remove_query_param(url, "startingAfter")
        url = remove_query_param(url, "endingBefore")
        return replace_query_param(url, cursor_param, value)

    def get_next_url(self) -> str | None:
        return self._url("startingAfter", self.page[-1].pk) if self.has_next and self.page else None

    def get_previous_url(self) -> str | None:
        return self._url("endingBefore", self.page[0].pk) if self.has_previous and self.page else None

    def get_paginated_response(self, data: list) -> Response:
        return Response(
            {
                "status": 200,
                "count": len(data),
                "nextUrl": self.get_next_url(),
                "previousUrl": self.get_previous_url(),
                "data": data,
            }
        )

    def get_paginated_response_schema(self, schema: dict) -> dict:
        return {
            "type": "object",
            "required": ["status", "count", "nextUrl", "previousUrl", "data"],
            "properties": {
                "status": {"type": "integer", "example": 200},
                "count": {"type": "integer", "description": "Items on this page."},
                "nextUrl": {"type": "string", "format": "uri", "nullable": True},
                "previousUrl": {"type": "string", "format": "uri", "nullable": True},
                "data": schema,
            },
        }

    def get_schema_operation_parameters(self, view) -> list[dict]:  # noqa: ANN001
        return [
            {
                "name": "limit",
                "in": "query",
                "required": False,
                "description": f"Page size, 1 to {MAX_LIMIT} (default {DEFAULT_LIMIT}).",
                "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT},
            },
            {
                "name": "startingAfter",
                "in": "query",
                "required": False,
                "description": "Id of an object: return the objects after it (older).",
                "schema": {"type": "string"},
            },
            {
                "name": "endingBefore",
                "in": "query",
                "required": False,
                "description": "Id of an object: the objects before it (newer). Wins over startingAfter.",
                "schema": {"type": "string"},
            },
        ]

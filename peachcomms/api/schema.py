"""OpenAPI helpers: the response envelope and error bodies as drf-spectacular components,
and an AutoSchema that documents the errors every route can answer."""

from __future__ import annotations

from functools import cache

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers

from peachcomms.api.schema_constraints import constrain_field, references_objects
from peachcomms.api.serializers import StrictMixin


class ErrorSerializer(serializers.Serializer):
    status = serializers.IntegerField()
    message = serializers.CharField()
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="Validation problems per field (400 only).",
    )


def _component_name(serializer_class: type[serializers.Serializer]) -> str:
    name = serializer_class.__name__
    return name[: -len("Serializer")] if name.endswith("Serializer") else name


@cache
def enveloped(serializer_class: type[serializers.Serializer]) -> type[serializers.Serializer]:
    """``{"status", "message", "data": <serializer>}``."""
    return type(
        f"{_component_name(serializer_class)}ResponseSerializer",
        (serializers.Serializer,),
        {
            "status": serializers.IntegerField(),
            "message": serializers.CharField(),
            "data": serializer_class(),
        },
    )


ERROR_DESCRIPTIONS = {
    400: "Validation error: `errors` names each field and its problems.",
    401: "Missing or invalid API key.",
    403: "The API key lacks the permission for this action.",
    404: "Not found (also for objects of another company).",
    409: "Conflict (for example an `externalId` already used).",
    413: "Request body too large.",
    422: "Refused by a business rule.",
    429: "Rate limited; see `Retry-After`.",
}


def error_response(status: int, description: str | None = None) -> OpenApiResponse:
    return OpenApiResponse(ErrorSerializer, description=description or ERROR_DESCRIPTIONS[status])


class ApiAutoSchema(AutoSchema):
    """Adds the error responses of api.md "Conventions" to every operation, and declares
    what the serializers enforce (:mod:`peachcomms.api.schema_constraints`)."""

    def _map_serializer_field(self, field, direction, bypass_extensions=False):  # noqa: ANN001, ANN202, FBT002
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        return constrain_field(field, schema, direction) if isinstance(schema, dict) else schema

    def _map_basic_serializer(self, serializer, direction):  # noqa: ANN001, ANN202
        schema = super()._map_basic_serializer(serializer, direction)
        if direction == "request" and isinstance(serializer, StrictMixin):
            # StrictMixin refuses unknown fields with a 400.
            schema["additionalProperties"] = False
        return schema

    def get_operation(self, *args, **kwargs):  # noqa: ANN002, ANN003, ANN201
        operation = super().get_operation(*args, **kwargs)
        if operation is None or not self.path.startswith("/api/"):
            return operation
        query = {p["name"] for p in operation.get("parameters", []) if p.get("in") == "query"}
        has_query = bool(query)
        codes = [401, 403]
        # A path id, a body id or a page cursor can name an object that does not exist.
        names_objects = "{" in self.path or bool(query & {"startingAfter", "endingBefore"})
        if names_objects or references_objects(self.get_request_serializer()):
            codes.append(404)
        if self.method in ("POST", "PUT", "PATCH") or has_query:
            codes.append(400)
        if self.method in ("POST", "PUT", "PATCH"):
            codes.append(413)
        responses = operation.setdefault("responses", {})
        for code in codes:
            if str(code) not in responses:
                responses[str(code)] = self._get_response_for_code(error_response(code), str(code))
        return operation


PAGINATION_PARAMETERS = [
    OpenApiParameter("limit", int, description="Page size, 1 to 100 (default 25)."),
    OpenApiParameter("startingAfter", str, description="An object id: the page of objects after it (older)."),
    OpenApiParameter(
        "endingBefore", str, description="An object id: the page of objects before it (newer); wins."
    ),
]


@cache
def paginated(serializer_class: type[serializers.Serializer]) -> type[serializers.Serializer]:
    """``{"status", "count", "nextUrl", "previousUrl", "data": [<serializer>]}``."""
    return type(
        f"{_component_name(serializer_class)}ListSerializer",
        (serializers.Serializer,),
        {
            "status": serializers.IntegerField(),
            "count": serializers.IntegerField(help_text="Items on this page."),
            "nextUrl": serializers.URLField(allow_null=True),
            "previousUrl": serializers.URLField(allow_null=True),
            "data": serializer_class(many=True),
        },
    )


def list_schema(serializer_class: type[serializers.Serializer], *, parameters: list | None = None, **kwargs):  # noqa: ANN003, ANN201
    """``extend_schema`` for a cursor-paginated list route."""
    return extend_schema(
        responses=paginated(serializer_class),
        parameters=[*PAGINATION_PARAMETERS, *(parameters or [])],
        **kwargs,
    )

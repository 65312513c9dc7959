"""What ``OPTIONS`` answers on every API route."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rest_framework.metadata import BaseMetadata
from rest_framework.request import Request

if TYPE_CHECKING:  # rest_framework.views imports this module through its settings
    from rest_framework.views import APIView


class RouteMetadata(BaseMetadata):
    """The route's name, description and media types (the methods are in ``Allow``).

    Unlike DRF's SimpleMetadata it lists no per-method fields ("actions"): to build them
    for PUT it calls ``get_object()``, which views that resolve their object their own way
    do not support (``subjects/{subject}`` has no queryset, ``templatedescriptors/{id}``
    and its versions no ``lookup_url_kwarg``): a 500. And the field list would only
    repeat, less precisely, the OpenAPI document at ``/api/schema/``, where request
    bodies are described. So ``OPTIONS`` reads no rows and behaves alike on every route."""

    def determine_metadata(self, request: Request, view: APIView) -> dict[str, Any]:
        return {
            "name": view.get_view_name(),
            "description": view.get_view_description(),
            "renders": [renderer.media_type for renderer in view.renderer_classes],
            "parses": [parser.media_type for parser in view.parser_classes],
            "schema": "/api/schema/",
        }

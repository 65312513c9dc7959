"""What ``OPTIONS`` answers on every API route."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rest_framework.metadata import BaseMetadata
from rest_framework.request import Request

if TYPE_CHECKING:  # rest_framework.views imports this module through its settings
    from rest_framework.views import APIView


class RouteMetadata(BaseMetadata):
    """The route's name, description and media types (the methods are in ``Allow``).

    Unlike DRF's SimpleMetadata it lists no per-method fields ("actions"): building them
    resolves the path's object (``get_object``) and the view's serializer, which on routes
    whose object is not a company row, or whose serializer depends on the body, raised a
    500; and a field list would only repeat, less precisely, the OpenAPI document at
    ``/api/schema/``, which is where request bodies are described. So ``OPTIONS`` reads
    no rows and behaves the same on every route."""

    def determine_metadata(self, request: Request, view: APIView) -> dict[str, Any]:
        return {
            "name": view.get_view_name(),
            "description": view.get_view_description(),
            "renders": [renderer.media_type for renderer in view.renderer_classes],
            "parses": [parser.media_type for parser in view.parser_classes],
            "schema": "/api/schema/",
        }

"""Turns what escapes the views under /api/ (unknown routes, oversize bodies, bugs) into
the JSON error format. A 500 never shows a traceback."""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse

from peachcomms.api.errors import error_body

logger = logging.getLogger("peachcomms.api")

API_PREFIX = "/api/"


class ApiErrorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            request.path.startswith(API_PREFIX)
            and response.status_code == 404
            and not response.get("Content-Type", "").startswith("application/json")
        ):
            return JsonResponse(error_body(404, f"No route {request.path}."), status=404)
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not request.path.startswith(API_PREFIX):
            return None
        if isinstance(exception, RequestDataTooBig):
            return JsonResponse(error_body(413), status=413)
        logger.exception("Unhandled error on %s %s", request.method, request.path)
        return JsonResponse(error_body(500), status=500)

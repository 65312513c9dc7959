"""Every API error, whatever raised it, leaves as
``{"status": <code>, "message": "<sentence>", "errors": {<field>: [...]}}``."""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.http import Http404
from rest_framework import exceptions as drf
from rest_framework.response import Response

from peachcomms.errors import RateLimited, ServiceError

logger = logging.getLogger(__name__)
NON_FIELD = "nonFieldErrors"  # REST_FRAMEWORK["NON_FIELD_ERRORS_KEY"]

STATUS_MESSAGES = {
    400: "The request is not valid.",
    401: "Authentication failed: send a valid API key in X-API-KEY or Authorization: Bearer.",
    403: "This API key does not have permission for this action.",
    404: "Not found.",
    405: "This method is not allowed on this path.",
    406: "Only application/json responses are available.",
    409: "The request conflicts with the current state.",
    413: "The request body is too large.",
    415: "The request body must be JSON (Content-Type: application/json).",
    422: "The request was refused by a business rule.",
    429: "Too many requests.",
    500: "Internal server error. The error was logged; retrying may help.",
}


def error_body(status: int, message: str | None = None, errors: Any = None, **extra: Any) -> dict:
    body: dict[str, Any] = {"status": status, "message": message or STATUS_MESSAGES.get(status, "Error.")}
    if errors:
        body["errors"] = errors
    body.update(extra)
    return body


def _flatten(detail: Any) -> dict[str, list[str]]:
    """DRF's nested error detail → ``{"field.sub": ["problem", ...]}``."""
    out: dict[str, list[str]] = {}

    def walk(value: Any, path: str) -> None:
        if isinstance(value, dict):
            for key, sub in value.items():
                # A nested serializer's own error ("expected an object") belongs to its field.
                nested_own = key == NON_FIELD and path
                walk(sub, path if nested_own else (f"{path}.{key}" if path else str(key)))
        elif isinstance(value, list):
            if all(not isinstance(v, (dict, list)) for v in value):
                out.setdefault(path or NON_FIELD, []).extend(str(v) for v in value)
            else:
                for index, sub in enumerate(value):
                    if sub:
                        walk(sub, f"{path}[{index}]")
        else:
            out.setdefault(path or NON_FIELD, []).append(str(value))

    walk(detail, "")
    return out


def validation_message(errors: dict[str, list[str]]) -> str:
    field, problems = next(iter(errors.items()))
    if field == NON_FIELD:
        return problems[0]
    more = f" ({len(errors) - 1} more field(s) in errors)" if len(errors) > 1 else ""
    return f"Invalid field '{field}': {problems[0]}{more}"


def exception_handler(exc: Exception, context: dict) -> Response | None:
    headers: dict[str, str] = {}
    if isinstance(exc, ServiceError):
        body = error_body(exc.status_code, exc.message, exc.errors, **exc.extra)
        if isinstance(exc, RateLimited):
            headers["Retry-After"] = str(exc.retry_after)
        return Response(body, status=exc.status_code, headers=headers)
    if isinstance(exc, RequestDataTooBig):
        return Response(error_body(413), status=413)
    if isinstance(exc, Http404):
        exc = drf.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = drf.PermissionDenied()
    if not isinstance(exc, drf.APIException):
        return None  # ApiErrorMiddleware logs it and answers a plain 500
    status = exc.status_code
    if isinstance(exc, drf.ValidationError):
        errors = _flatten(exc.detail)
        body = error_body(400, validation_message(errors), errors)
    elif isinstance(exc, drf.ParseError):
        body = error_body(400, f"Malformed JSON: {exc.detail}")
    elif isinstance(exc, (drf.NotAuthenticated, drf.AuthenticationFailed)):
        status = 401
        detail = str(exc.detail)
        body = error_body(401, detail if isinstance(exc, drf.AuthenticationFailed) else None)
    elif isinstance(exc, drf.Throttled):
        body = error_body(429, str(exc.detail))
        if exc.wait is not None:
            headers["Retry-After"] = str(int(exc.wait))
    elif isinstance(exc, drf.MethodNotAllowed):
        body = error_body(405, f"Method {context['request'].method} is not allowed on this path.")
    elif isinstance(exc, drf.UnsupportedMediaType):
        body = error_body(415)
    elif isinstance(exc, drf.PermissionDenied):
        detail = str(exc.detail)
        body = error_body(403, detail if detail != drf.PermissionDenied.default_detail else None)
    elif isinstance(exc, drf.NotFound):
        detail = str(exc.detail)
        body = error_body(404, detail if detail != drf.NotFound.default_detail else None)
    else:
        body = error_body(status, str(exc.detail) if isinstance(exc.detail, str) else None)
    if isinstance(exc, (drf.NotAuthenticated, drf.AuthenticationFailed)):
        headers["WWW-Authenticate"] = 'Bearer realm="api"'
    return Response(body, status=status, headers=headers)

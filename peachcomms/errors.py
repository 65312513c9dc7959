"""The one error hierarchy of the service. Services raise these; the API maps them to
HTTP once (``peachcomms.api.errors.exception_handler``)."""

from __future__ import annotations

from typing import Any


class ServiceError(Exception):
    status_code = 400
    default_message = "The request could not be processed."

    def __init__(
        self,
        message: str | None = None,
        *,
        errors: dict[str, list[str]] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        self.message = message or self.default_message
        self.errors = errors
        self.extra = extra or {}
        super().__init__(self.message)


class InvalidInput(ServiceError):
    status_code = 400
    default_message = "The request is not valid."

    @classmethod
    def for_field(cls, field: str, problem: str, message: str | None = None) -> InvalidInput:
        """A 400 naming one field of the body and its problem."""
        return cls(message or f"Invalid field '{field}': {problem}", errors={field: [problem]})


class NotFound(ServiceError):
    status_code = 404
    default_message = "Not found."


class Conflict(ServiceError):
    status_code = 409
    default_message = "The request conflicts with the current state."


class BusinessRuleViolation(ServiceError):
    """422: the request is well-formed but a rule refuses it (Compliance Guard, no
    eligible contact, template render failure...)."""

    status_code = 422
    default_message = "The request was refused by a business rule."


class RateLimited(ServiceError):
    status_code = 429
    default_message = "Too many requests."

    def __init__(self, message: str | None = None, *, retry_after: int, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after

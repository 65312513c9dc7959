"""Permissions an API key can hold, and the DRF permission class that checks them.

A view names its ``permission_scope`` (``people``, ``interactions`` …); safe methods need
``<scope>:read``, the others ``<scope>:write``. A view may name other permissions per
method in ``required_permissions``.
"""

from __future__ import annotations

from rest_framework import permissions

PERMISSIONS: dict[str, str] = {
    "company:read": "Read the company's own settings.",
    "company:write": "Change the company's own settings.",
    "people:read": "Read borrowers, contacts, loans, cases and documents.",
    "people:write": "Create and change borrowers, contacts, loans, cases and documents.",
    "interactions:read": "Read interactions.",
    "interactions:write": "Log and update interactions.",
    "interactions:readSensitive": "See the content of interactions marked sensitive.",
    "communicator:read": "Read the subject catalogue and render previews.",
    "communicator:write": "Change the company's subject settings.",
    "communicator:send": "Send, resend and free-form messages.",
    "communicator:overrideRecipient": "Send to another address than the contact's (overrideRecipient).",
    "templates:read": "Read template descriptors and versions.",
    "templates:write": "Create, edit and activate template versions.",
    "compliance:read": "Read Compliance Guard rules and decisions.",
    "compliance:manage": "Change Compliance Guard rules and do-not-interact records.",
}
ALL_PERMISSIONS = list(PERMISSIONS)


class HasApiKeyPermission(permissions.BasePermission):
    message = "This API key does not have permission for this action."

    def has_permission(self, request, view) -> bool:  # noqa: ANN001
        key = request.auth
        if key is None:
            return False
        needed = required_permission(view, request.method)
        if needed is None or key.has_permission(needed):
            return True
        self.message = f"This API key lacks the '{needed}' permission."
        return False


def required_permission(view, method: str) -> str | None:  # noqa: ANN001
    explicit = getattr(view, "required_permissions", {}) or {}
    if method in explicit:
        return explicit[method]
    scope = getattr(view, "permission_scope", None)
    if scope is None:
        return None
    return f"{scope}:read" if method in permissions.SAFE_METHODS else f"{scope}:write"

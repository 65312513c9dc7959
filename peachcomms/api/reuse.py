"""Request-body serializers that build their fields once per thread, not once per request.

DRF gives every serializer instance its own fields: deep copies of the declared ones
(each copy re-runs the field's ``__init__``), bound to the instance. For a body like the
send request's (about 25 fields, some with child fields) that costs more than validating
the body. Fields keep no state between validations: what a validation reads of its
serializer (``context``, ``root``, ``partial``) goes through ``field.parent``. So
:class:`ReusedFieldsMixin` builds the bound field set once per serializer class and
thread, and points each field's ``parent`` at the new instance; instances in other
threads get their own set, so concurrent validations never share a field.

Only for serializers whose ``get_fields()`` does not depend on the instance (its
``context``, ``instance`` or ``partial``): every input serializer that only declares
fields.
"""

from __future__ import annotations

import threading
from typing import Any

from rest_framework import serializers

_local = threading.local()


class ReusedFieldsMixin:
    """Mix into a :class:`rest_framework.serializers.Serializer` (see the module docstring)."""

    @property
    def fields(self) -> Any:
        own = self.__dict__.get("_reused_fields")
        if own is not None:
            return own
        by_class = getattr(_local, "fields", None)
        if by_class is None:
            by_class = _local.fields = {}
        fields = by_class.get(type(self))
        if fields is None:
            fields = by_class[type(self)] = serializers.Serializer.fields.func(self)
        else:
            fields.serializer = self
            for field in fields.values():
                field.parent = self
        self.__dict__["_reused_fields"] = fields
        return fields


__all__ = ["ReusedFieldsMixin"]

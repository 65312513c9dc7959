"""Request-body serializers that build their fields once per thread, not once per request,
and spend nothing on the fields a body leaves out.

DRF gives every serializer instance its own fields: deep copies of the declared ones
(each copy re-runs the field's ``__init__``), bound to the instance. For a body like the
send request's (about 25 fields, some with child fields) that costs more than validating
the body. Fields keep no state between validations: what a validation reads of its
serializer (``context``, ``root``, ``partial``) goes through ``field.parent``. So
:class:`ReusedFieldsMixin` builds the bound field set once per serializer class and
thread, and points each field's ``parent`` at the new instance; instances in other
threads get their own set, so concurrent validations never share a field.

Validating a JSON object, DRF then asks every writable field for its value and runs it;
an optional field without a default that the body leaves out ends in ``SkipField`` and
adds nothing. Where every step of that is DRF's own code, the mixin skips such a field
without running it; every other field is validated exactly as DRF's
``Serializer.to_internal_value`` does, in the same order, with the same errors.

Only for serializers whose ``get_fields()`` does not depend on the instance (its
``context``, ``instance`` or ``partial``): every input serializer that only declares
fields.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import fields as drf_fields
from rest_framework import serializers
from rest_framework.fields import SkipField, empty, get_error_detail
from rest_framework.serializers import ValidationError

from peachcomms.api.serializers import StrictMixin, refuse_unexpected_input

_local = threading.local()

# DRF's code for a value missing from a plain dict: ``get_value`` gives ``empty`` and
# ``run_validation(empty)`` raises SkipField for an optional field without a default.
_STOCK_GET_VALUE = frozenset(
    {
        drf_fields.Field.get_value,
        drf_fields.ListField.get_value,
        drf_fields.DictField.get_value,
        drf_fields.JSONField.get_value,
    }
)
_STOCK_RUN_VALIDATION = frozenset({drf_fields.Field.run_validation, drf_fields.CharField.run_validation})


def _skipped_when_absent(field: serializers.Field) -> bool:
    """True when DRF skips ``field`` (SkipField) whenever a dict body leaves it out."""
    cls = type(field)
    return (
        not field.read_only
        and not field.required
        and field.default is empty
        and cls.get_value in _STOCK_GET_VALUE
        and cls.run_validation in _STOCK_RUN_VALIDATION
        and cls.validate_empty_values is drf_fields.Field.validate_empty_values
        and cls.get_default is drf_fields.Field.get_default
    )


# What the mixin stands in for when the classes after it have only DRF's own.
_REPLACED = ("to_internal_value", "_writable_fields", "run_validators", "_read_only_defaults")


def _replaceable(serializer_class: type) -> tuple[bool, bool]:
    """(whether the mixin may stand in for the _REPLACED methods of the classes after it:
    DRF's, and StrictMixin's checks, nothing else; whether StrictMixin is among them)."""
    mro = serializer_class.__mro__
    after = mro[mro.index(ReusedFieldsMixin) + 1 :]
    strict = False
    for klass in after:
        if klass is serializers.Serializer:
            break
        overridden = [name for name in _REPLACED if name in vars(klass)]
        if klass is StrictMixin and overridden == ["to_internal_value"]:
            strict = True
        elif overridden:
            return False, False
    else:
        return False, False
    return True, strict


@dataclass(frozen=True)
class _FieldSet:
    fields: serializers.BindingDict
    bound: tuple[serializers.Field, ...]
    names: frozenset[str]
    # (field name, field, skipped when absent) of the writable fields, in order.
    writable: tuple[tuple[str, serializers.Field, bool], ...]
    replaceable: bool
    strict: bool


def _thread_field_set(serializer: Any) -> _FieldSet:
    by_class = getattr(_local, "fields", None)
    if by_class is None:
        by_class = _local.fields = {}
    field_set = by_class.get(type(serializer))
    if field_set is None:
        fields = serializers.Serializer.fields.func(serializer)
        replaceable, strict = _replaceable(type(serializer))
        field_set = by_class[type(serializer)] = _FieldSet(
            fields=fields,
            bound=tuple(fields.values()),
            names=frozenset(fields),
            writable=tuple(
                (name, field, _skipped_when_absent(field))
                for name, field in fields.items()
                if not field.read_only
            ),
            replaceable=replaceable,
            strict=strict,
        )
    return field_set


class ReusedFieldsMixin:
    """Mix into a :class:`rest_framework.serializers.Serializer`, before
    :class:`~peachcomms.api.serializers.StrictMixin` (see the module docstring)."""

    def _field_set(self) -> _FieldSet:
        """The thread's field set of this class, bound to this instance."""
        field_set = self.__dict__.get("_reused_field_set")
        if field_set is None:
            field_set = self.__dict__["_reused_field_set"] = _thread_field_set(self)
            field_set.fields.serializer = self
            for field in field_set.bound:
                field.parent = self
        return field_set

    @property
    def fields(self) -> Any:
        return self._field_set().fields

    def to_internal_value(self, data: Any) -> Any:
        field_set = self._field_set()
        if type(data) is not dict or not field_set.replaceable:
            return super().to_internal_value(data)
        if field_set.strict:
            refuse_unexpected_input(data, field_set.fields, field_set.names)
        # Serializer.to_internal_value, minus the fields it would skip.
        ret: dict[str, Any] = {}
        errors: dict[str, Any] = {}
        for name, field, skipped_when_absent in field_set.writable:
            if skipped_when_absent and name not in data:
                continue
            validate_method = getattr(self, "validate_" + name, None)
            primitive_value = field.get_value(data)
            try:
                validated_value = field.run_validation(primitive_value)
                if validate_method is not None:
                    validated_value = validate_method(validated_value)
            except ValidationError as exc:
                errors[name] = exc.detail
            except DjangoValidationError as exc:
                errors[name] = get_error_detail(exc)
            except SkipField:
                pass
            else:
                self.set_value(ret, field.source_attrs, validated_value)
        if errors:
            raise ValidationError(errors)
        return ret

    def run_validators(self, value: Any) -> None:
        # Without validators, DRF's would only collect the read-only defaults it hands them.
        if self.validators or not self._field_set().replaceable:
            super().run_validators(value)


__all__ = ["ReusedFieldsMixin"]

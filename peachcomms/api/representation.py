"""Representation plans: objects represented from a plan built once per serializer class,
with the output DRF's ``Serializer.to_representation`` gives (tests/test_representation.py
compares them for every serializer of the API)."""

from __future__ import annotations

import datetime
import functools
from collections.abc import Callable, Mapping, MutableMapping
from typing import Any, ClassVar

from django.core.exceptions import ObjectDoesNotExist
from django.core.signals import setting_changed
from django.dispatch import receiver
from rest_framework import ISO_8601, serializers
from rest_framework import fields as drf_fields
from rest_framework.fields import SkipField
from rest_framework.settings import api_settings

#
# DRF builds a serializer's fields (deep copies of the declared ones, plus one built per
# model field) on every serializer instance, that is once per response, before it reads a
# single attribute. The field set of a serializer class is the same for every instance, so
# a plan builds it once per class, on a prototype instance, and represents objects with the
# prototype's fields; only fields whose representation provably depends on nothing but the
# value and the field's own arguments are used that way.

_WHOLE = object()  # a step whose source is "*": the object itself
_DATETIME = object()  # a stock DateTimeField: see _represent_datetime
_UNSET = object()

# Stock representations that read only the value and the field's own arguments (never
# ``context``, ``parent`` or ``root``), mapped to a cheaper equivalent where one exists
# (None: the bound method). A subclass qualifies when it changes only the request side.
_PURE_REPRESENTATIONS: dict[Callable[..., Any], Callable[[Any], Any] | None] = {
    drf_fields.CharField.to_representation: str,
    drf_fields.IntegerField.to_representation: int,
    drf_fields.BigIntegerField.to_representation: None,
    drf_fields.BooleanField.to_representation: None,
    drf_fields.FloatField.to_representation: None,
    drf_fields.DecimalField.to_representation: None,
    drf_fields.DateTimeField.to_representation: None,
    drf_fields.DateField.to_representation: None,
    drf_fields.TimeField.to_representation: None,
    drf_fields.DurationField.to_representation: None,
    drf_fields.UUIDField.to_representation: None,
    drf_fields.ChoiceField.to_representation: None,
    drf_fields.MultipleChoiceField.to_representation: None,
    drf_fields.JSONField.to_representation: None,
    drf_fields.ReadOnlyField.to_representation: None,
    drf_fields._UnvalidatedField.to_representation: None,  # DictField's default child
}
_CONTAINER_REPRESENTATIONS = (drf_fields.ListField.to_representation, drf_fields.DictField.to_representation)
# What a field class outside DRF may define and still be represented from a plan (the
# project's fields only add checks of request bodies).
_REQUEST_SIDE = frozenset(
    {"to_internal_value", "run_validation", "run_validators", "validate_empty_values", "get_value"}
)

# (field name, prototype field, attribute name | _WHOLE | None (DRF's get_attribute),
# representation | None | _DATETIME, method name of a SerializerMethodField | None)
Step = tuple[str, serializers.Field, Any, Any, str | None]


class _Impure(Exception):
    """A field whose representation may depend on the serializer it is bound to."""


class _ContextProbe(MutableMapping):
    """The (empty) context of a plan's prototype: notes whether building the fields read
    it, in which case the field set may differ between contexts and no plan is made."""

    def __init__(self) -> None:
        self.read = False

    def __getitem__(self, key: Any) -> Any:
        self.read = True
        raise KeyError(key)

    def __setitem__(self, key: Any, value: Any) -> None:
        self.read = True

    def __delitem__(self, key: Any) -> None:
        self.read = True
        raise KeyError(key)

    def __iter__(self) -> Any:
        self.read = True
        return iter(())

    def __len__(self) -> int:
        self.read = True
        return 0


def _represent_datetime(field: serializers.DateTimeField, value: Any, zone: Any) -> Any:
    """``DateTimeField.to_representation`` of an aware datetime, given the current time
    zone (DRF reads it for every value, which costs more than the rest); anything else is
    left to DRF."""
    output_format = getattr(field, "format", api_settings.DATETIME_FORMAT)
    if (
        zone is None
        or output_format is None
        or type(value) is not datetime.datetime
        or value.utcoffset() is None
    ):
        return field.to_representation(value)
    try:
        value = value.astimezone(zone)
    except OverflowError:
        return field.to_representation(value)  # DRF's "overflow" error
    if output_format.lower() == ISO_8601:
        value = value.isoformat()
        return value[:-6] + "Z" if value.endswith("+00:00") else value
    return value.strftime(output_format)


def _represent(steps: tuple[Step, ...], serializer: Any, instance: Any) -> dict[str, Any]:
    """``Serializer.to_representation`` over prepared steps; ``serializer`` is the live
    serializer, whose methods the SerializerMethodFields call (with its context)."""
    ret: dict[str, Any] = {}
    zone: Any = _UNSET  # the current time zone, read once per object
    generic = isinstance(instance, Mapping)
    for name, field, attr, represent, method in steps:
        if method is not None:
            ret[name] = getattr(serializer, method)(instance)
            continue
        if attr is _WHOLE:
            attribute = instance
        elif attr is None or generic:
            try:
                attribute = field.get_attribute(instance)
            except SkipField:
                continue
        else:
            try:
                attribute = getattr(instance, attr)
            except ObjectDoesNotExist:
                attribute = None  # as DRF's get_attribute: a missing related object is null
            except (AttributeError, KeyError):
                # DRF decides: the field's default, null, an omitted field, or its error.
                try:
                    attribute = field.get_attribute(instance)
                except SkipField:
                    continue
            else:
                if callable(attribute):
                    # DRF calls argument-less callables (reading the attribute again).
                    try:
                        attribute = field.get_attribute(instance)
                    except SkipField:
                        continue
        if attribute is None:
            ret[name] = None
        elif represent is None:
            ret[name] = attribute
        elif represent is _DATETIME:
            if zone is _UNSET:
                zone = field.default_timezone()
            ret[name] = _represent_datetime(field, attribute, zone)
        else:
            ret[name] = represent(attribute)
    return ret


def _request_side_only(field_class: type) -> bool:
    """True when the classes of ``field_class`` outside DRF define no method but
    request-side ones, so its representation is DRF's own code on the field's arguments."""
    for klass in field_class.__mro__:
        if klass is object or klass.__module__.startswith("rest_framework."):
            continue
        for name, value in vars(klass).items():
            if (
                name.startswith("__")
                and name.endswith("__")
                and name not in ("__getattr__", "__getattribute__")
            ):
                continue
            if name in _REQUEST_SIDE:
                continue
            if callable(value) or isinstance(
                value, (property, staticmethod, classmethod, functools.cached_property)
            ):
                return False
    return True


def _stock_readable_fields(serializer_class: type) -> bool:
    return serializer_class._readable_fields is serializers.Serializer._readable_fields


def _representation(field: serializers.Field) -> Any:
    """The representation of a value of ``field``: a callable, None (the value as is) or
    _DATETIME; raises _Impure when it may depend on more than the value and the field's
    arguments."""
    if isinstance(field, serializers.BaseSerializer):
        cls = type(field)
        if (
            not isinstance(field, serializers.Serializer)
            or cls.to_representation
            not in (serializers.Serializer.to_representation, RepresentationPlanMixin.to_representation)
            or not getattr(cls, "plan_representation", True)
            or not _stock_readable_fields(cls)
        ):
            raise _Impure(field)
        return functools.partial(_represent, _steps(field, methods=False), None)
    if not _request_side_only(type(field)):
        raise _Impure(field)
    method = type(field).to_representation
    if method is drf_fields.DateTimeField.to_representation and not hasattr(field, "timezone"):
        return _DATETIME
    if method in _PURE_REPRESENTATIONS:
        cheaper = _PURE_REPRESENTATIONS[method]
        if cheaper is not None:
            return cheaper
        if method is drf_fields.JSONField.to_representation and not field.binary:
            return None
        if method in (
            drf_fields.ReadOnlyField.to_representation,
            drf_fields._UnvalidatedField.to_representation,
        ):
            return None
        return field.to_representation
    if method in _CONTAINER_REPRESENTATIONS:
        _representation(field.child)
        return field.to_representation
    raise _Impure(field)


def _steps(serializer: serializers.Serializer, *, methods: bool) -> tuple[Step, ...]:
    steps: list[Step] = []
    for field in serializer.fields.values():
        if field.write_only:
            continue
        if type(field).get_attribute is not drf_fields.Field.get_attribute or getattr(
            field.default, "requires_context", False
        ):
            raise _Impure(field)
        if (
            methods
            and isinstance(field, serializers.SerializerMethodField)
            and type(field).to_representation is serializers.SerializerMethodField.to_representation
        ):
            # Called on the live serializer, so the method sees its context.
            steps.append((field.field_name, field, _WHOLE, None, field.method_name))
            continue
        if field.source == "*":
            attr: Any = _WHOLE
        elif len(field.source_attrs) == 1:
            attr = field.source_attrs[0]
        else:
            attr = None
        steps.append((field.field_name, field, attr, _representation(field), None))
    return tuple(steps)


_PLANS: dict[type, tuple[Step, ...] | None] = {}


def representation_plan(serializer_class: type[serializers.Serializer]) -> tuple[Step, ...] | None:
    """The steps representing an object of ``serializer_class``, built once per class; None
    when some field's representation may depend on the serializer instance (its context,
    its parent), or when building the fields read the context."""
    try:
        return _PLANS[serializer_class]
    except KeyError:
        pass
    plan: tuple[Step, ...] | None = None
    if _stock_readable_fields(serializer_class):
        probe = _ContextProbe()
        try:
            plan = _steps(serializer_class(context=probe), methods=True)
        except _Impure:
            plan = None
        if probe.read:
            plan = None
    _PLANS[serializer_class] = plan
    return plan


@receiver(setting_changed, weak=False)
def _clear_plans(**kwargs: Any) -> None:
    # Building fields may read settings (ModelSerializer's URL_FIELD_NAME, a get_fields).
    _PLANS.clear()


class RepresentationPlanMixin:
    """Represents an object from its class's :func:`representation_plan` instead of
    building the serializer's fields per instance; ``many=True`` lists use the one plan for
    every row. The output is the one DRF's ``Serializer.to_representation`` gives.

    A subclass may rely on it as long as its field set (``get_fields``) is the same for
    every instance; one whose fields depend on the instance sets
    ``plan_representation = False`` (a field set read from the context is detected). A
    serializer whose fields were already built (after ``is_valid``, or changed by the
    caller) is represented with those fields.
    """

    plan_representation: ClassVar[bool] = True

    def to_representation(self, instance: Any) -> Any:
        if self.plan_representation and instance is not None and "fields" not in self.__dict__:
            plan = representation_plan(type(self))
            if plan is not None:
                return _represent(plan, self, instance)
        return super().to_representation(instance)


__all__ = ["RepresentationPlanMixin", "representation_plan"]

"""Serializer building blocks shared by every app: camelCase model serializers that
refuse unknown fields, ``metaData`` limits, and id fields."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

from django.http import QueryDict
from rest_framework import serializers

from peachcomms.api.ids import EXTERNAL_PREFIX, ID_RE
from peachcomms.choices import invalid_choice

META_DATA_MAX_KEYS = 50
META_DATA_MAX_KEY_LENGTH = 100
META_DATA_MAX_VALUE_LENGTH = 500

_CAMEL_RE = re.compile(r"_([a-z0-9])")


def to_camel(name: str) -> str:
    return _CAMEL_RE.sub(lambda m: m.group(1).upper(), name)


class StrictMixin:
    """Unknown fields in a request body are a 400 naming them, so a typo (``sendat``)
    is never silently ignored. Read-only fields of the representation are accepted and
    ignored, so a client may send back what it read."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, dict):
            refuse_unexpected_input(data, self.fields)
        return super().to_internal_value(data)


def refuse_unexpected_input(
    data: dict, fields: dict[str, serializers.Field], names: Iterable[str] | None = None
) -> None:
    """StrictMixin's checks, before any field runs: unknown fields, and in a JSON body a
    boolean or string field given another JSON type. ``names``: the field names, when
    the caller has them as a set already."""
    refuse_unknown_fields(data, fields if names is None else names)
    if not isinstance(data, QueryDict):
        refuse_non_boolean_values(data, fields)
        refuse_non_string_values(data, fields)


def refuse_unknown_fields(data: dict, names: Iterable[str]) -> None:
    """StrictMixin's check: a 400 naming the keys of ``data`` that are not in ``names``."""
    unknown = sorted(set(data).difference(names))
    if unknown:
        raise serializers.ValidationError({name[:100]: ["Unknown field."] for name in unknown[:20]})


def refuse_non_boolean_values(data: dict, fields: dict[str, serializers.Field]) -> None:
    """A JSON boolean field takes true or false only: DRF's BooleanField also reads 0, 1,
    "yes", "off" …, which the OpenAPI document (type boolean) does not allow, and a typo
    such as ``"isTransactional": "false"`` must not be read as a choice."""
    wrong = [
        name
        for name, value in data.items()
        if isinstance(fields.get(name), serializers.BooleanField)
        and not fields[name].read_only
        and not isinstance(value, bool)
        and not (value is None and fields[name].allow_null)
    ]
    if wrong:
        raise serializers.ValidationError({name[:100]: ["Must be a valid boolean."] for name in wrong[:20]})


def _is_string_field(field: serializers.Field | None) -> bool:
    return isinstance(field, serializers.CharField) and not field.read_only


def refuse_non_string_values(data: dict, fields: dict[str, serializers.Field]) -> None:
    """A JSON string field (or list of strings) takes strings only: DRF's CharField also
    reads a number as its text, which the OpenAPI document (type string) does not allow,
    and ``"externalId": 12`` is more likely a client's bug than an id."""
    wrong = []
    for name, value in data.items():
        field = fields.get(name)
        if value is None or field is None:
            continue
        if _is_string_field(field):
            values = [value]
        elif isinstance(field, serializers.ListField) and _is_string_field(field.child):
            values = value if isinstance(value, list) and not field.read_only else []
        else:
            continue
        if any(isinstance(item, (bool, int, float)) for item in values):
            wrong.append(name)
    if wrong:
        raise serializers.ValidationError({name[:100]: ["Not a valid string."] for name in wrong[:20]})


class StrictSerializer(StrictMixin, serializers.Serializer):
    pass


class EnumField(serializers.ChoiceField):
    """The enum field of every request body: an invalid value's error says what to send
    instead (the valid values, or for a long enum the closest one), where DRF's only says
    ``"x" is not a valid choice``. Model serializers build their choice fields with it
    (``CamelModelSerializer.serializer_choice_field``); declared enum fields use it
    directly."""

    def to_internal_value(self, data: Any) -> Any:
        if not (data == "" and self.allow_blank) and str(data) not in self.choice_strings_to_values:
            raise serializers.ValidationError(
                invalid_choice(data, self.choice_strings_to_values), code="invalid_choice"
            )
        return super().to_internal_value(data)


class CamelModelSerializer(StrictMixin, serializers.ModelSerializer):
    """A ModelSerializer whose field names are the camelCase of the model's fields.

    ``Meta.fields`` lists snake_case model field names; they appear in JSON as camelCase.
    Declared fields are used as written.
    """

    serializer_choice_field = EnumField

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        renamed: dict[str, serializers.Field] = {}
        declared = set(self._declared_fields)
        for name, field in fields.items():
            if name in declared:
                renamed[name] = field
                continue
            camel = to_camel(name)
            if camel != name and field.source is None:
                field.source = name
            renamed[camel] = field
        return renamed


class MetaDataField(serializers.JSONField):
    """``metaData``: a JSON object of at most 50 keys, keys up to 100 characters, values
    up to 500 characters (non-string values measured as JSON)."""

    default_error_messages = {"not_object": "Must be a JSON object."}

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> dict:
        value = super().to_internal_value(data)
        if value is None and self.allow_null:
            return value
        if not isinstance(value, dict):
            self.fail("not_object")
        if len(value) > META_DATA_MAX_KEYS:
            raise serializers.ValidationError(f"At most {META_DATA_MAX_KEYS} keys (got {len(value)}).")
        for key, item in value.items():
            if len(key) > META_DATA_MAX_KEY_LENGTH:
                raise serializers.ValidationError(
                    f"Key '{key[:20]}…' is longer than {META_DATA_MAX_KEY_LENGTH} characters."
                )
            size = len(item) if isinstance(item, str) else len(json.dumps(item))
            if size > META_DATA_MAX_VALUE_LENGTH:
                raise serializers.ValidationError(
                    f"Value of '{key}' is longer than {META_DATA_MAX_VALUE_LENGTH} characters."
                )
        return value


class ObjectIdField(serializers.CharField):
    """A reference to an object in a body: ``PREFIX-XXXX-XXXX`` or ``ext-<externalId>``.
    Only the form is checked here; the service resolves it within the company."""

    def __init__(self, prefix: str, **kwargs: Any) -> None:
        self.prefix = prefix
        kwargs.setdefault("max_length", 260)
        kwargs.setdefault("help_text", f"{prefix}-XXXX-XXXX or ext-<externalId>.")
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> str:
        value = super().to_internal_value(data)
        if value.startswith(EXTERNAL_PREFIX) and len(value) > len(EXTERNAL_PREFIX):
            return value
        if not (ID_RE.match(value) and value.startswith(self.prefix + "-")):
            raise serializers.ValidationError(
                f"Must be an id like {self.prefix}-XXXX-XXXX or ext-<externalId>."
            )
        return value

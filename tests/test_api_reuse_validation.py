"""ReusedFieldsMixin's validation (peachcomms/api/reuse.py) skips the fields a body leaves
out and DRF would skip; every outcome is DRF's own: the same validated data, the same
errors (messages and codes, in the same order), for the send body and for serializers
that bring their own validation hooks. The HTTP 400 bodies of ``POST /communicator/send``
are byte for byte those of DRF's generic path."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from rest_framework import serializers

from interactions.api import send_views
from interactions.api.send_inputs import SendSerializer
from peachcomms.api.reuse import ReusedFieldsMixin
from peachcomms.api.serializers import ObjectIdField, StrictMixin, StrictSerializer

VALID = {"personId": "BO-AAAA-BBBB", "subject": "paymentProcessed", "channel": "email"}

# Values of every JSON type, blanks, nulls and sizes over the limits.
ODD_VALUES: list[Any] = [
    None,
    "",
    "   ",
    0,
    -1,
    1.5,
    True,
    False,
    "true",
    [],
    ["LN-AAAA-BBBB"],
    ["bad", None],
    {},
    {"a": 1},
    "x" * 300,
    "BO-AAAA-BBBB",
    "ext-",
    "ext-42",
    "2026-12-01T10:00:00Z",
    "2026-13-01",
    86_401,
    "\ud800",
]


def _bodies() -> list[Any]:
    bodies: list[Any] = [VALID, {}, [], "not an object", None, 5, [VALID]]
    for name in SendSerializer._declared_fields:
        for value in ODD_VALUES:
            bodies.append({**VALID, name: value})
        bodies.append({key: value for key, value in VALID.items() if key != name})
    bodies += [
        {**VALID, "sendat": "x", "Subject": "y"},
        {"personId": 5, "subject": ["no"], "channel": "fax", "loanIds": ["bad"], "context": []},
        {**VALID, "loanIds": ["LN-AAAA-BBBB"] * 101, "attachments": ["DD-AAAA-BBBB"] * 11},
        {**VALID, "context": {"blob": "x" * (64 * 1024)}},
        {**VALID, "useTemplate": False, "strictUndefined": True, "sendJitter": 0, "isTransactional": False},
        {**VALID, **{f"unknown{i}": i for i in range(30)}},
    ]
    return bodies


BODIES = _bodies()


class PlainSendSerializer(StrictSerializer):
    """The send body's fields on DRF's generic path, built per instance."""

    def get_fields(self) -> dict[str, serializers.Field]:
        return copy.deepcopy(SendSerializer._declared_fields)


def _outcome(serializer_class: type, body: Any, **kwargs: Any) -> tuple[bool, Any]:
    serializer = serializer_class(data=body, **kwargs)
    if serializer.is_valid():
        data = serializer.validated_data
        return True, [(key, type(value), value) for key, value in data.items()]
    errors = serializer.errors
    # ErrorDetail compares its code too; the JSON keeps the order.
    return False, (errors, json.dumps(errors))


@pytest.mark.parametrize("body", BODIES, ids=range(len(BODIES)))
def test_send_body_validates_as_drf_does(body: Any) -> None:
    for _ in range(2):  # the second round on the reused fields
        assert _outcome(SendSerializer, body) == _outcome(PlainSendSerializer, body)


def test_partial_validation_is_drf_s() -> None:
    for body in BODIES[:60]:
        assert _outcome(SendSerializer, body, partial=True) == _outcome(
            PlainSendSerializer, body, partial=True
        )


def refuse_seven(attrs: dict[str, Any]) -> None:
    if attrs.get("count") == 7:
        raise serializers.ValidationError("seven is refused")


class Hooked(serializers.Serializer):
    """Validation hooks of every kind: a field method, serializer validators, validate()."""

    name = serializers.CharField(required=False)
    count = serializers.IntegerField(required=False, default=3)
    ref = ObjectIdField("LN", required=False, allow_null=True)
    tag = serializers.CharField(source="label", required=False)
    hidden = serializers.CharField(read_only=True, default="x")

    class Meta:
        validators = [refuse_seven]

    def validate_name(self, value: str) -> str:
        if value == "bad":
            raise serializers.ValidationError("bad name")
        return value.upper()

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs.get("name") == "BOTH" and "ref" in attrs:
            raise serializers.ValidationError({"ref": ["not with BOTH"]})
        return attrs


class ReusedHooked(ReusedFieldsMixin, StrictMixin, Hooked):
    pass


class PlainHooked(StrictMixin, Hooked):
    pass


class OwnInternalValue(StrictSerializer):
    name = serializers.CharField(required=False)

    def to_internal_value(self, data: Any) -> Any:
        return {"seen": sorted(data)} if isinstance(data, dict) else super().to_internal_value(data)


class ReusedOwn(ReusedFieldsMixin, OwnInternalValue):
    """A class after the mixin brings its own to_internal_value: DRF's path is kept."""


HOOKED_BODIES: list[Any] = [
    {},
    {"name": "ada"},
    {"name": "bad"},
    {"name": "both", "ref": "LN-AAAA-BBBB"},
    {"name": "both", "ref": None},
    {"count": 7},
    {"count": "x", "name": "bad", "ref": "nope"},
    {"tag": "t", "hidden": "ignored"},
    {"other": 1},
    [],
]


@pytest.mark.parametrize("body", HOOKED_BODIES, ids=range(len(HOOKED_BODIES)))
def test_validation_hooks_run_as_drf_runs_them(body: Any) -> None:
    for _ in range(2):
        assert _outcome(ReusedHooked, body) == _outcome(PlainHooked, body)


def test_a_class_with_its_own_to_internal_value_keeps_it() -> None:
    serializer = ReusedOwn(data={"name": "x", "zzz": 1})
    assert serializer.is_valid(), serializer.errors
    assert serializer.validated_data == {"seen": ["name", "zzz"]}


# Through HTTP: the 400 answers equal those of DRF's generic path.

HTTP_BODIES: list[bytes] = [
    *(json.dumps(body).encode() for body in BODIES if body != VALID),
    b"",
    b"{",
    b'{"personId": "BO-AAAA-BBBB", "personId": 5}',
    b'{"subject": "a\\u0000b"}',
    b"NaN",
]


@pytest.mark.django_db
def test_send_400_bodies_are_drf_s(api, monkeypatch) -> None:  # noqa: ANN001
    def answers() -> list[tuple[int, bytes]]:
        result = []
        for body in HTTP_BODIES:
            response = api.post("/api/communicator/send", body, content_type="application/json")
            if response.status_code == 400:
                result.append((response.status_code, response.content))
        return result

    reused = answers()
    monkeypatch.setattr(send_views, "SendSerializer", PlainSendSerializer)
    assert reused == answers()
    assert len(reused) > len(HTTP_BODIES) // 2

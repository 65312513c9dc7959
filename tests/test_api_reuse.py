"""ReusedFieldsMixin (peachcomms/api/reuse.py): a request-body serializer that builds its
fields once per thread validates exactly as one that builds them per instance, also when
threads validate at once."""

from __future__ import annotations

import threading

from interactions.api.send_inputs import SendSerializer
from peachcomms.api.serializers import StrictSerializer

BODIES = [
    {"personId": "BO-AAAA-BBBB", "subject": "paymentProcessed", "channel": "email"},
    {"personId": "ext-42", "subject": "x", "channel": "text", "sendJitter": 30, "loanIds": ["LN-AAAA-BBBB"]},
    {"personId": "BO-AAAA-BBBB", "subject": "s", "channel": "fax", "sendAt": "2026-13-01"},
    {"personId": 5, "subject": ["no"], "channel": "email", "loanIds": ["bad"], "context": []},
    {"personId": "BO-AAAA-BBBB", "subject": "s", "channel": "email", "unknownField": 1},
    {"subject": "s", "sendJitter": -1, "strictUndefined": "maybe", "context": {"a": {"b": [1]}}},
    "not an object",
]


class PlainSendSerializer(StrictSerializer):
    """The same fields, built per instance (DRF's own behaviour)."""

    def get_fields(self):  # noqa: ANN201
        return SendSerializer().get_fields()


def _outcome(serializer_class: type, body: object) -> tuple[bool, object]:
    serializer = serializer_class(data=body)
    valid = serializer.is_valid()
    return valid, dict(serializer.validated_data) if valid else serializer.errors


def test_validates_like_a_per_instance_field_set() -> None:
    for _ in range(2):  # the second round runs on the reused fields
        for body in BODIES:
            assert _outcome(SendSerializer, body) == _outcome(PlainSendSerializer, body), body


def test_fields_are_built_once_per_thread_and_point_at_their_instance() -> None:
    first, second = SendSerializer(data={}), SendSerializer(data={})
    assert first.fields is not None and second.fields is first.fields  # built once
    assert all(field.parent is second for field in second.fields.values())
    assert second.fields["loanIds"].child.parent is second.fields["loanIds"]
    other: list = []
    thread = threading.Thread(target=lambda: other.append(SendSerializer(data={}).fields))
    thread.start()
    thread.join()
    assert other[0] is not first.fields  # another thread has its own set


def test_threads_validating_at_once_do_not_disturb_each_other() -> None:
    expected = [_outcome(PlainSendSerializer, body) for body in BODIES]
    failures: list = []

    def worker() -> None:
        for _ in range(200):
            for body, want in zip(BODIES, expected, strict=True):
                if _outcome(SendSerializer, body) != want:
                    failures.append(body)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []

"""The exact 400 answers of ``POST /communicator/send`` for malformed bodies: every error of
a body at once, by field in the body serializer's order, with DRF's messages; recorded
before issue 14 put the send body back on a plain DRF serializer (the removed
``ReusedFieldsMixin`` validated as DRF does, which its tests compared body by body).
A value of the wrong JSON type for a string or boolean field is refused first, on its own
(StrictMixin; tests/test_openapi_constraints.py), so these bodies carry none."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

from interactions.api.send_inputs import SendSerializer
from tests.interactions_send.conftest import count

pytestmark = pytest.mark.django_db

BODIES: dict[str, Any] = {
    "not an object": "not an object",
    "a list": [],
    "null": None,
    "empty": {},
    "many problems": {
        "personId": "5",
        "subject": ["no"],
        "channel": "fax",
        "loanIds": ["bad"],
        "context": [],
        "sendJitter": -1,
    },
    "unknown fields": {
        "personId": "BO-AAAA-BBBB",
        "subject": "s",
        "channel": "email",
        "sendat": "x",
        "Subject": "y",
    },
    "sizes": {
        "personId": "BO-AAAA-BBBB",
        "subject": "s" * 65,
        "channel": "email",
        "loanIds": ["LN-AAAA-BBBB"] * 101,
        "attachments": ["DD-AAAA-BBBB"] * 11,
        "interactionExternalId": "x" * 256,
    },
    "blanks and nulls": {
        "personId": "",
        "subject": None,
        "channel": "",
        "theme": "",
        "contactId": None,
        "sendAt": "",
        "context": None,
    },
    "wrong forms": {
        "personId": "ext-",
        "subject": "s",
        "channel": "pigeon",
        "loanId": "CS-AAAA-BBBB",
        "caseId": "nope",
        "sendAt": "2026-13-01",
        "sendJitter": 1.5,
    },
}

#: The answers (JSON, in this key order).
ANSWERS: dict[str, dict[str, Any]] = {
    "not an object": {
        "status": 400,
        "message": "Invalid data. Expected a dictionary, but got str.",
        "errors": {
            "nonFieldErrors": ["Invalid data. Expected a dictionary, but got str."],
        },
    },
    "a list": {
        "status": 400,
        "message": "Invalid data. Expected a dictionary, but got list.",
        "errors": {
            "nonFieldErrors": ["Invalid data. Expected a dictionary, but got list."],
        },
    },
    "null": {
        "status": 400,
        "message": "No data provided",
        "errors": {
            "nonFieldErrors": ["No data provided"],
        },
    },
    "empty": {
        "status": 400,
        "message": "Invalid field 'personId': This field is required. (2 more field(s) in errors)",
        "errors": {
            "personId": ["This field is required."],
            "subject": ["This field is required."],
            "channel": ["This field is required."],
        },
    },
    "many problems": {
        "status": 400,
        "message": (
            "Invalid field 'personId': Must be an id like BO-XXXX-XXXX or ext-<externalId>. ("
            "5 more field(s) in errors)"
        ),
        "errors": {
            "personId": ["Must be an id like BO-XXXX-XXXX or ext-<externalId>."],
            "subject": ["Not a valid string."],
            "channel": ["'fax' is deprecated; no new fax interactions."],
            "loanIds.0": ["Must be an id like LN-XXXX-XXXX or ext-<externalId>."],
            "context": ["Must be a JSON object."],
            "sendJitter": ["Ensure this value is greater than or equal to 0."],
        },
    },
    "unknown fields": {
        "status": 400,
        "message": "Invalid field 'Subject': Unknown field. (1 more field(s) in errors)",
        "errors": {
            "Subject": ["Unknown field."],
            "sendat": ["Unknown field."],
        },
    },
    "sizes": {
        "status": 400,
        "message": (
            "Invalid field 'subject': Ensure this field has no more than 64 characters. (3 mo"
            "re field(s) in errors)"
        ),
        "errors": {
            "subject": ["Ensure this field has no more than 64 characters."],
            "loanIds": ["Ensure this field has no more than 100 elements."],
            "attachments": ["Ensure this field has no more than 10 elements."],
            "interactionExternalId": ["Ensure this field has no more than 255 characters."],
        },
    },
    "blanks and nulls": {
        "status": 400,
        "message": "Invalid field 'personId': This field may not be blank. (6 more field(s) in errors)",
        "errors": {
            "personId": ["This field may not be blank."],
            "subject": ["This field may not be null."],
            "channel": ["'' is not a valid choice. Must be one of: email, text, voice, mail, chat, gui."],
            "theme": ["This field may not be blank."],
            "contactId": ["This field may not be null."],
            "context": ["This field may not be null."],
            "sendAt": [
                (
                    "Datetime has wrong format. Use one of these formats instead: YYYY-MM-DDThh:mm[:s"
                    "s[.uuuuuu]][+HH:MM|-HH:MM|Z]."
                )
            ],
        },
    },
    "wrong forms": {
        "status": 400,
        "message": (
            "Invalid field 'personId': Must be an id like BO-XXXX-XXXX or ext-<externalId>. ("
            "5 more field(s) in errors)"
        ),
        "errors": {
            "personId": ["Must be an id like BO-XXXX-XXXX or ext-<externalId>."],
            "channel": [
                "'pigeon' is not a valid choice. Must be one of: email, text, voice, mail, chat, gui."
            ],
            "loanId": ["Must be an id like LN-XXXX-XXXX or ext-<externalId>."],
            "caseId": ["Must be an id like CS-XXXX-XXXX or ext-<externalId>."],
            "sendAt": [
                (
                    "Datetime has wrong format. Use one of these formats instead: YYYY-MM-DDThh:mm[:s"
                    "s[.uuuuuu]][+HH:MM|-HH:MM|Z]."
                )
            ],
            "sendJitter": ["A valid integer is required."],
        },
    },
}


@pytest.mark.parametrize("name", list(BODIES))
def test_a_malformed_send_body_is_the_recorded_400(api, published, name: str) -> None:  # noqa: ANN001
    response = api.post("/api/communicator/send", json.dumps(BODIES[name]), content_type="application/json")
    assert response.status_code == 400
    answer = response.json()
    assert answer == ANSWERS[name]
    assert list(answer) == list(ANSWERS[name]) and list(answer["errors"]) == list(ANSWERS[name]["errors"])
    assert (count(), published) == (0, [])


def test_a_valid_body_s_data() -> None:
    serializer = SendSerializer(
        data={
            "personId": "ext-42",
            "subject": "paymentProcessed",
            "channel": "email",
            "sendJitter": 30,
            "loanIds": ["LN-AAAA-BBBB"],
            "sendAt": "2026-12-01T10:00:00+01:00",
            "context": {"a": [1]},
            "isTransactional": False,
        }
    )
    assert serializer.is_valid(), serializer.errors
    assert list(serializer.validated_data.items()) == [
        ("personId", "ext-42"),
        ("subject", "paymentProcessed"),
        ("channel", "email"),
        ("loanIds", ["LN-AAAA-BBBB"]),
        ("context", {"a": [1]}),
        ("isTransactional", False),
        ("useTemplate", True),
        ("strictUndefined", False),
        ("sendAt", dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)),
        ("sendJitter", 30),
    ]

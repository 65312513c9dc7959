"""Bad input to the send routes: a clear 4xx naming the problem, nothing written, nothing
handed to the broker."""

from __future__ import annotations

from typing import Any

import pytest

from interactions.models import Interaction
from tests.conftest import make_client
from tests.interactions_send.conftest import count

pytestmark = pytest.mark.django_db

BIG_CONTEXT = {"blob": "x" * (64 * 1024)}

BAD_SEND_BODIES: list[tuple[str, dict[str, Any], int, str]] = [
    ("missing personId", {"personId": None}, 400, "personId"),
    ("malformed personId", {"personId": "nope"}, 400, "personId"),
    ("missing subject", {"subject": None}, 400, "subject"),
    ("unknown subject", {"subject": "noSuchSubject"}, 400, "subject"),
    ("unknown theme", {"theme": "weather"}, 400, "theme"),
    ("unknown channel", {"channel": "pigeon"}, 400, "channel"),
    ("deprecated channel", {"channel": "fax"}, 400, "channel"),
    ("document channel", {"channel": "document"}, 400, "channel"),
    ("channel of wrong type", {"channel": 5}, 400, "channel"),
    ("jitter of wrong type", {"sendJitter": "soon"}, 400, "sendJitter"),
    ("negative jitter", {"sendJitter": -1}, 400, "sendJitter"),
    ("jitter over a day", {"sendJitter": 86_401}, 400, "sendJitter"),
    ("useTemplate of wrong type", {"useTemplate": "maybe"}, 400, "useTemplate"),
    ("loanIds not a list", {"loanIds": "LN-AAAA-AAAA"}, 400, "loanIds"),
    ("malformed loanId", {"loanId": "CS-AAAA-AAAA"}, 400, "loanId"),
    ("context not an object", {"context": ["a"]}, 400, "context"),
    ("context over 64 KB", {"context": BIG_CONTEXT}, 400, "context"),
    ("sendAt not a time", {"sendAt": "tomorrow"}, 400, "sendAt"),
    ("sendAt beyond a year", {"sendAt": "2099-01-01T00:00:00Z"}, 400, "sendAt"),
    ("unknown field", {"sendat": "2026-12-01T00:00:00Z"}, 400, "sendat"),
    ("attachments on text", {"channel": "text", "attachments": ["DD-AAAA-AAAA"]}, 400, "attachments"),
    ("too many attachments", {"attachments": ["DD-AAAA-AAAA"] * 11}, 400, "attachments"),
    ("overrideRecipient not an email", {"overrideRecipient": "nobody"}, 400, "overrideRecipient"),
    ("unknown contact", {"contactId": "CT-AAAA-AAAA"}, 404, ""),
    ("unknown loan", {"loanId": "LN-AAAA-AAAA"}, 404, ""),
    ("unknown template version", {"overrideTemplateId": "TV-AAAA-AAAA"}, 404, ""),
]


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [case[1:] for case in BAD_SEND_BODIES],
    ids=[case[0] for case in BAD_SEND_BODIES],
)
def test_bad_send_bodies_write_and_queue_nothing(send, contacts, published, body, status, field):
    response = send(**body)
    assert response.status_code == status, response.json()
    answer = response.json()
    assert answer["status"] == status and answer["message"]
    if field:
        assert field in answer["errors"], answer
    assert (count(), published) == (0, [])


def test_malformed_json_is_400(api, contacts, published):
    response = api.post("/api/communicator/send", '{"personId": "BO-', content_type="application/json")
    assert response.status_code == 400
    assert response.json()["message"].startswith("Malformed JSON")
    assert (count(), published) == (0, [])


def test_the_body_must_be_json(api, borrower, contacts):
    response = api.post("/api/communicator/send", {"personId": borrower.pk}, format="multipart")
    assert response.status_code == 415
    assert count() == 0


def test_send_needs_a_key_and_the_send_permission(company, borrower, contacts, published):
    from rest_framework.test import APIClient

    body = {"personId": borrower.pk, "subject": "paymentDueReminder", "channel": "email"}
    assert APIClient().post("/api/communicator/send", body, format="json").status_code == 401
    reader = make_client(company, ["communicator:read", "interactions:read"])
    for path in (
        "/api/communicator/send",
        "/api/communicator/send-free-form-email",
        "/api/communicator/interactions/IT-AAAA-AAAA/resend",
    ):
        response = reader.post(path, body, format="json")
        assert (response.status_code, response.json()["message"]) == (
            403,
            "This API key lacks the 'communicator:send' permission.",
        )
    assert (Interaction.objects.count(), published) == (0, [])


BAD_FREE_FORM_BODIES: list[tuple[str, dict[str, Any], str]] = [
    ("no personalizations", {"personalizations": []}, "personalizations"),
    ("personalization without to", {"personalizations": [{"to": []}]}, "personalizations.0.to"),
    ("bad address", {"personalizations": [{"to": [{"email": "nobody"}]}]}, "personalizations[0].to[0].email"),
    (
        "too many recipients",
        {"personalizations": [{"to": [{"email": f"r{i}@example.com"} for i in range(101)]}]},
        "personalizations",
    ),
    (
        "too many personalizations",
        {"personalizations": [{"to": [{"email": "a@example.com"}]}] * 101},
        "personalizations",
    ),
    ("no content", {"contentHtml": "", "contentPlain": ""}, "contentHtml"),
    ("no subject line", {"subjectLine": None}, "subjectLine"),
    ("bad language", {"language": "eng"}, "language"),
    ("unknown theme", {"theme": "weather"}, "theme"),
    ("unknown field", {"from": {"email": "x@example.com"}}, "from"),
]


@pytest.mark.parametrize(
    ("body", "field"),
    [case[1:] for case in BAD_FREE_FORM_BODIES],
    ids=[case[0] for case in BAD_FREE_FORM_BODIES],
)
def test_bad_free_form_bodies_write_and_queue_nothing(api, contacts, published, body, field):
    base = {
        "personalizations": [{"to": [{"email": "ada@example.com"}]}],
        "subjectLine": "Hello",
        "contentHtml": "<p>Hi</p>",
    }
    response = api.post("/api/communicator/send-free-form-email", {**base, **body}, format="json")
    assert response.status_code == 400, response.json()
    assert field in response.json()["errors"], response.json()
    assert (count(), published) == (0, [])

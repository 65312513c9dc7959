"""A lone UTF-16 surrogate (``"\\ud800"`` as a JSON escape) anywhere in a send body is a
400 naming where it is, and nothing is written or queued. The same body without it is
accepted, so the surrogate is what is refused (peachcomms/api/parsers.py)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.interactions_send.conftest import count

pytestmark = pytest.mark.django_db

SURROGATE = "Surrogate characters are not allowed: U+D800."
FREE_FORM = {
    "useTemplate": False,
    "context": {"subjectLine": "Hello", "contentHtml": "<p>Hi</p>", "contentText": "Hi"},
}


def _post(api, body: dict[str, Any]):  # noqa: ANN001, ANN202
    # json.dumps escapes the surrogate as \ud800 (ensure_ascii), as a client on the wire would.
    return api.post("/api/communicator/send", json.dumps(body), content_type="application/json")


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"context": {"note": "a\ud800b"}}, "context.note"),
        ({"context": {"loan": {"items": [{"x": "ok"}, {"x": "\ud800"}]}}}, "context.loan.items[1].x"),
        ({"context": {"k\ud800": 1}}, "context.k\\ud800"),
        (
            {**FREE_FORM, "context": {**FREE_FORM["context"], "contentHtml": "<p>\ud800</p>"}},
            "context.contentHtml",
        ),
        ({**FREE_FORM, "context": {**FREE_FORM["context"], "subjectLine": "\ud800"}}, "context.subjectLine"),
        ({"interactionExternalId": "\ud800"}, "interactionExternalId"),
    ],
    ids=["context value", "nested context value", "context key", "contentHtml", "subjectLine", "externalId"],
)
def test_lone_surrogate_in_a_send_is_400_naming_the_field(api, borrower, contacts, published, extra, field):
    body = {"personId": borrower.pk, "subject": "paymentDueReminder", "channel": "email", **extra}
    response = _post(api, body)
    assert response.status_code == 400, response.content
    assert response.json() == {
        "status": 400,
        "message": f"Invalid field '{field}': {SURROGATE}",
        "errors": {field: [SURROGATE]},
    }
    assert (count(), published) == (0, [])


def test_the_same_free_form_send_without_the_surrogate_is_queued(
    send, borrower, contacts, published, django_capture_on_commit_callbacks
):
    response = send(**FREE_FORM)
    assert response.status_code == 200, response.json()
    assert count() == 1
    assert published == [response.json()["data"]["id"]]

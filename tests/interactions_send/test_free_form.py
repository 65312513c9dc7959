"""POST /api/communicator/send-free-form-email: the caller's content, sanitised, in the
branded layout; one interaction per recipient, linked to the matching borrower."""

from __future__ import annotations

from typing import Any

import pytest

from interactions.models import Interaction
from templating.services import free_form_email_render
from tests.factories import BorrowerFactory, ContactFactory, InteractionFactory
from tests.interactions_send.conftest import count

pytestmark = pytest.mark.django_db

MESSAGE = "Queued without a Compliance Guard check (free-form branded email): one interaction per recipient."


@pytest.fixture
def free_form(api, django_capture_on_commit_callbacks):  # noqa: ANN001, ANN201
    def post(client=None, **body: Any):  # noqa: ANN001, ANN202
        base = {
            "personalizations": [{"to": [{"email": "ada@example.com", "name": "Ada"}]}],
            "subjectLine": "About your account",
            "contentHtml": "<p>Hello <b>there</b></p>",
        }
        with django_capture_on_commit_callbacks(execute=True):
            return (client or api).post(
                "/api/communicator/send-free-form-email", {**base, **body}, format="json"
            )

    return post


def test_one_interaction_per_recipient_linked_to_the_matching_borrower(
    free_form, company, borrower, email_contact, published
):
    other = BorrowerFactory(company=company)
    other_contact = ContactFactory(borrower=other, value="grace@example.com")
    response = free_form(
        personalizations=[
            {"to": [{"email": "ada@EXAMPLE.com", "name": "Ada"}, {"email": "grace@example.com"}]},
            {"to": [{"email": "stranger@example.com"}], "cc": [{"email": "boss@example.com"}]},
        ]
    )
    assert response.status_code == 202, response.json()
    body = response.json()
    ids = body["data"]["interactionIds"]
    assert body == {
        "status": 202,
        "message": MESSAGE,
        "data": {"interactionId": ids[0], "interactionIds": ids},
    }
    rows = [Interaction.objects.get(pk=pk) for pk in ids]
    assert [(r.borrower_id, r.contact_id, r.content["to"]) for r in rows] == [
        (borrower.pk, email_contact.pk, "ada@example.com"),
        (other.pk, other_contact.pk, "grace@example.com"),
        (None, None, "stranger@example.com"),
    ]
    for row in rows:
        assert (row.subject, row.channel, row.direction, row.status) == (
            "freeFormBranded",
            "email",
            "outbound",
            "scheduled",
        )
        assert (row.theme, row.is_transactional, row.compliance_checked) == (None, False, False)
    assert (rows[0].meta_data, rows[2].meta_data) == ({"recipientName": "Ada"}, {"cc": ["boss@example.com"]})
    assert sorted(published) == sorted(ids)


def test_content_is_sanitised_and_in_the_branded_layout(free_form, company, borrower, email_contact):
    html = '<p onclick="steal()">Hi</p><script>alert(1)</script><a href="javascript:x()">pay</a>'
    response = free_form(contentHtml=html, theme="opsServicing", isTransactional=True)
    row = Interaction.objects.get(pk=response.json()["data"]["interactionId"])
    content = row.content
    assert "<script" not in content["contentHtml"] and "alert(1)" not in content["contentHtml"]
    assert "onclick" not in content["contentHtml"] and "javascript:" not in content["contentHtml"]
    assert "<p>Hi</p>" in content["contentHtml"]
    version, expected = free_form_email_render(
        company=company,
        subject_line="About your account",
        content_html=html,
        person=borrower,
        contact=email_contact,
    )
    assert content == {
        "subjectLine": "About your account",
        "contentHtml": expected.content_html,
        "contentText": expected.content_text,
        "to": "ada@example.com",
        "from": "help@peach.example",
        "attachments": [],
        "providerMessageId": None,
        "cc": [],
        "bcc": [],
    }
    assert (row.template_version_id, row.theme, row.is_transactional) == (version.pk, "opsServicing", True)


def test_person_id_links_every_recipient_to_that_borrower(free_form, company, borrower, email_contact):
    previous = InteractionFactory(borrower=borrower)
    response = free_form(
        personId=borrower.pk,
        previousInteractionId=previous.pk,
        contentHtml="",
        contentPlain="Plain only",
        personalizations=[{"to": [{"email": "ada@example.com"}, {"email": "assistant@example.com"}]}],
    )
    rows = [Interaction.objects.get(pk=pk) for pk in response.json()["data"]["interactionIds"]]
    assert [(r.borrower_id, r.contact_id, r.previous_interaction_id) for r in rows] == [
        (borrower.pk, email_contact.pk, previous.pk),
        (borrower.pk, None, previous.pk),
    ]
    assert "Plain only" in rows[0].content["contentText"]


def test_unknown_person_and_previous_interaction_are_404(free_form, other_company):
    stranger = BorrowerFactory(company=other_company)
    assert free_form(personId=stranger.pk).status_code == 404
    assert free_form(previousInteractionId="IT-AAAA-AAAA").status_code == 404
    assert count() == 0


def test_an_address_shared_by_two_borrowers_links_to_none(free_form, company, borrower, email_contact):
    ContactFactory(borrower=BorrowerFactory(company=company), value="ada@example.com")
    row = Interaction.objects.get(pk=free_form().json()["data"]["interactionId"])
    assert (row.borrower_id, row.contact_id, row.content["to"]) == (None, None, "ada@example.com")


def test_the_query_count_does_not_grow_with_the_recipients(free_form, company):
    """The template is selected once (the company's settings read once), the borrowers
    matched in one read, the interactions inserted in one statement."""
    from itertools import count as numbers

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    addresses = (f"r{n}@example.com" for n in numbers())

    def queries(recipients: int) -> int:
        to = []
        for _ in range(recipients):
            to.append({"email": next(addresses)})
            ContactFactory(borrower=BorrowerFactory(company=company), value=to[-1]["email"])
        with CaptureQueriesContext(connection) as captured:
            assert free_form(personalizations=[{"to": to}]).status_code == 202
        return len(captured.captured_queries)

    queries(1)  # the first request fills the process caches
    assert queries(1) == queries(8)

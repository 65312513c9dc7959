"""A caller's ``isTransactional`` never lifts a Compliance Guard rule (issue 13): what the
message is decides (compliance/transactional.py). Each Regulation F number at its boundary
with the flag set, through the send route; the dispatcher's re-check is in
tests/interactions_dispatch/test_dispatch_transactional.py."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from interactions.models import Interaction
from tests.conftest import make_client
from tests.factories import InteractionFactory, TemplateDescriptorFactory, TemplateVersionFactory
from tests.interactions_send.helpers import iso, ny
from tests.interactions_send.test_send_concurrency import _post_concurrently

FLAG = "isTransactional: true does not lift it"
COLLECTION = {"subject": "loanOverdueFirstNotice", "isTransactional": True}


def count() -> int:
    return Interaction.objects.count()


@pytest.fixture
def collection(send, contacts, loan):  # noqa: ANN001, ANN201
    """``collection(channel, at, **body)``: a flagged collection message about the loan."""

    def post(channel: str, at: Any, **body: Any):  # noqa: ANN202
        return send(**{**COLLECTION, "channel": channel, "loanId": loan.pk, "sendAt": iso(at), **body})

    return post


# Time of day: the window's first and last minute, every channel the rule covers


@pytest.mark.parametrize("channel", ["text", "voice", "email"])
def test_window_opens_at_eight_with_the_flag_set(collection, channel):
    before = collection(channel, ny(1, 7, 59))
    body = before.json()
    assert (before.status_code, body["reason"], body["sendAt"]) == (422, "timeOfDay", iso(ny(1, 8, 0)))
    assert FLAG in body["message"]
    assert "opsCollDebt is a debt-collection theme" in body["message"]
    assert count() == 0

    at_opening = collection(channel, ny(1, 8, 0))
    assert at_opening.status_code == 200, at_opening.json()
    data = at_opening.json()["data"]
    # Recorded as it was treated: a collection message is never transactional.
    assert (data["status"], data["isTransactional"]) == ("scheduled", False)


@pytest.mark.parametrize("channel", ["text", "voice", "email"])
def test_window_closes_at_nine_pm_with_the_flag_set(collection, channel):
    last_minute = collection(channel, ny(1, 20, 59))
    assert last_minute.status_code == 200, last_minute.json()

    closed = collection(channel, ny(2, 21, 0))
    body = closed.json()
    assert (closed.status_code, body["reason"], body["sendAt"]) == (422, "timeOfDay", iso(ny(3, 8, 0)))
    assert FLAG in body["message"]
    assert count() == 1


def test_the_flag_does_not_lift_the_window_of_a_non_transactional_subject(send, contacts):
    response = send(
        subject="autopayEnableReminder", channel="text", isTransactional=True, sendAt=iso(ny(1, 22))
    )
    body = response.json()
    assert (response.status_code, body["reason"]) == (422, "timeOfDay")
    assert "the subject autopayEnableReminder is not transactional" in body["message"]
    assert count() == 0


def test_a_transactional_subject_stays_transactional_and_may_text_at_night(send, contacts):
    response = send(subject="paymentProcessed", channel="text", sendAt=iso(ny(1, 22)))
    assert response.status_code == 200, response.json()
    assert response.json()["data"]["isTransactional"] is True


def test_false_makes_a_transactional_subject_stricter(send, contacts):
    response = send(subject="paymentProcessed", channel="text", isTransactional=False, sendAt=iso(ny(1, 22)))
    body = response.json()
    assert (response.status_code, body["reason"]) == (422, "timeOfDay")
    assert FLAG not in body["message"]


@pytest.mark.parametrize(
    ("body", "why"),
    [
        # Another theme than the subject's own: the subject does not vouch for it.
        ({"theme": "marketing"}, "the theme marketing is not the subject paymentProcessed's own"),
        ({"theme": "opsCollDebt"}, "opsCollDebt is a debt-collection theme"),
        # The caller's own content: the subject's template does not vouch for it.
        (
            {"useTemplate": False, "context": {"contentText": "Pay now."}},
            "its content is the caller's own (useTemplate: false)",
        ),
    ],
)
def test_what_else_is_not_transactional_at_night(send, contacts, body, why):
    response = send(
        subject="paymentProcessed", channel="text", isTransactional=True, sendAt=iso(ny(1, 22)), **body
    )
    answer = response.json()
    assert (response.status_code, answer["reason"]) == (422, "timeOfDay")
    assert f"{FLAG}: {why}" in answer["message"]
    assert count() == 0


# Frequency: the cap's last allowed and first refused message, with the flag set


def test_cap_last_allowed_and_first_refused_with_the_flag_set(collection):
    # A normal-intensity borrower: 3 collection texts per 7 days.
    for hour in (10, 11, 12):
        response = collection("text", ny(1, hour))
        assert response.status_code == 200, response.json()
    fourth = collection("text", ny(1, 13))
    body = fourth.json()
    assert (fourth.status_code, body["reason"]) == (422, "frequency")
    assert "3 collection texts" in body["message"] and FLAG in body["message"]
    # The window has room again 7 days after the first.
    assert body["sendAt"] == iso(ny(1, 10) + timedelta(days=7))
    assert count() == 3
    # Flagged or not, they all counted: an unflagged fourth is refused too.
    unflagged = collection("text", ny(1, 14), isTransactional=False)
    assert (unflagged.status_code, unflagged.json()["reason"]) == (422, "frequency")


def test_interactions_flagged_transactional_in_the_past_still_count(collection, borrower, loan):
    for hour in (9, 10, 11):
        InteractionFactory(
            borrower=borrower,
            channel="text",
            subject="loanOverdueFirstNotice",
            theme="opsCollDebt",
            is_transactional=True,  # stored by an earlier version, or logged so
            status="succeeded",
            status_details="textDelivered",
            send_at=ny(0, hour) - timedelta(days=1),
            loan=loan,
        )
    response = collection("text", ny(1, 12), isTransactional=False)
    assert (response.status_code, response.json()["reason"]) == (422, "frequency")


# Post-conversation: the day after the seventh, with the flag set


def test_post_conversation_day_with_the_flag_set(collection, borrower, loan, contacts):
    InteractionFactory(
        borrower=borrower,
        contact=contacts["phone"],
        channel="voice",
        subject="loanOverdueFirstNotice",
        theme="opsCollDebt",
        status="succeeded",
        status_details="voiceSpokeWithFirstParty",
        send_at=ny(1, 10),
        loan=loan,
    )
    # Day 1 is the conversation's date; day 7 is the last held; day 8 from 08:00 (the window).
    seventh = collection("voice", ny(7, 20, 59))
    body = seventh.json()
    assert (seventh.status_code, body["reason"], body["sendAt"]) == (422, "postConversation", iso(ny(8, 8)))
    assert FLAG in body["message"]
    eighth = collection("voice", ny(8, 8))
    assert eighth.status_code == 200, eighth.json()


# Concurrency: flagged and unflagged sends over a cap


@pytest.mark.slow
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_flagged_and_unflagged_sends_accept_exactly_the_cap(
    api, borrower, phone_contact, published
):
    bodies = [
        {
            "personId": borrower.pk,
            "subject": "loanOverdueFirstNotice",
            "channel": "text",
            "sendAt": iso(ny(2, 10, minute)),
            **({"isTransactional": True} if minute % 2 else {}),
        }
        for minute in range(12)
    ]
    answers = _post_concurrently(api.raw_key, bodies)
    accepted = [a for a in answers if a["statusCode"] == 200]
    refused = [a for a in answers if a["statusCode"] == 422]
    assert (len(accepted), len(refused)) == (3, 9)
    assert {a["reason"] for a in refused} == {"frequency"}
    assert Interaction.objects.filter(borrower=borrower).count() == 3
    assert not Interaction.objects.filter(is_transactional=True).exists()


# The other fields of the body


def test_override_recipient_cannot_carry_a_collection_message(company, send, contacts):
    client = make_client(company)  # every permission, communicator:overrideRecipient included
    response = send(
        client,
        subject="loanOverdueFirstNotice",
        channel="email",
        overrideRecipient="someone.else@example.com",
        sendAt=iso(ny(1, 10)),
    )
    body = response.json()
    assert response.status_code == 422
    assert "overrideRecipient cannot be used for a opsCollDebt message" in body["message"]
    assert count() == 0


def test_override_template_must_be_of_the_sends_subject(company, send, contacts):
    collection_text = TemplateVersionFactory(
        descriptor=TemplateDescriptorFactory(
            company=company, subject="loanOverdueFirstNotice", channel="text"
        ),
        content_text_template="Pay now.",
    )
    response = send(
        subject="paymentProcessed",
        channel="text",
        overrideTemplateId=collection_text.pk,
        sendAt=iso(ny(1, 22)),
    )
    assert response.status_code == 422
    assert response.json()["message"] == (
        f"overrideTemplateId {collection_text.pk} is a template of subject loanOverdueFirstNotice, "
        "not paymentProcessed: a send may only use a version of its own subject."
    )
    assert count() == 0


def test_check_at_company_noon_is_not_a_send_field(send, contacts):
    response = send(subject="loanOverdueFirstNotice", channel="text", checkAtCompanyNoon=True)
    assert response.status_code == 400
    assert "checkAtCompanyNoon" in response.json()["errors"]
    assert count() == 0


def test_a_past_send_at_is_judged_now_not_then(send, contacts, monkeypatch):
    # Now is 21:30 in New York; the requested sendAt was at 10:00 yesterday, inside the window.
    night, morning = ny(1, 21, 30), ny(2, 8)
    monkeypatch.setattr("django.utils.timezone.now", lambda: night)
    response = send(**COLLECTION, channel="text", sendAt=iso(night - timedelta(hours=35, minutes=30)))
    body = response.json()
    assert (response.status_code, body["reason"], body["sendAt"]) == (422, "timeOfDay", iso(morning))
    assert count() == 0


def test_free_form_email_refuses_a_debt_collection_theme(api, borrower, contacts):
    response = api.post(
        "/api/communicator/send-free-form-email",
        {
            "personalizations": [{"to": [{"email": contacts["email"].value}]}],
            "subjectLine": "Your account",
            "contentPlain": "Please pay.",
            "theme": "opsCollDebt",
            "isTransactional": True,
        },
        format="json",
    )
    body = response.json()
    assert response.status_code == 422
    assert body["message"].startswith("A free-form email cannot have the debt-collection theme opsCollDebt")
    assert count() == 0

"""The single resend (``POST /communicator/interactions/{id}/resend``): a copy linked to
the original, queued, not checked against Compliance Guard. The bulk resend is in
``test_resend_command.py`` and ``test_resend_admin.py``."""

from __future__ import annotations

import pytest
from django.utils import timezone

from interactions.models import Interaction
from tests.factories import DoNotInteractFactory, InteractionFactory
from tests.interactions_send.conftest import count
from tests.interactions_send.helpers import iso, ny

pytestmark = pytest.mark.django_db

RESENT = "Resent without a Compliance Guard check: the caller owns that decision."


def resend(api, interaction_id, django_capture_on_commit_callbacks):  # noqa: ANN001, ANN201
    with django_capture_on_commit_callbacks(execute=True):
        return api.post(f"/api/communicator/interactions/{interaction_id}/resend", format="json")


@pytest.fixture
def original(send, contacts, loan):  # noqa: ANN001, ANN201
    response = send(loanId=loan.pk, interactionExternalId="orig-1", supercaseBulkOperationId="bulk-1")
    assert response.status_code == 200
    return Interaction.objects.get(pk=response.json()["data"]["id"])


def test_resend_copies_the_interaction_and_queues_it(
    api, original, published, django_capture_on_commit_callbacks
):
    published.clear()
    response = resend(api, original.pk, django_capture_on_commit_callbacks)
    assert response.status_code == 202
    body = response.json()
    copy = Interaction.objects.get(pk=body["data"]["interactionId"])
    assert body == {"status": 202, "message": RESENT, "data": {"interactionId": copy.pk}}
    fields = ("borrower_id", "contact_id", "channel", "direction", "subject", "theme", "loan_id", "loan_ids")
    fields += ("case_id", "statement_id", "template_version_id", "is_transactional", "sensitive")
    assert {f: getattr(copy, f) for f in fields} == {f: getattr(original, f) for f in fields}
    assert copy.content == {**original.content, "providerMessageId": None}
    assert (copy.previous_interaction_id, copy.status, copy.compliance_checked) == (
        original.pk,
        "scheduled",
        False,
    )
    assert (copy.external_id, copy.supercase_bulk_operation_id) == (None, None)
    assert copy.created_by["userType"] == "integration"
    assert published == [copy.pk]
    shown = api.get(f"/api/interactions/{copy.pk}").json()["data"]
    assert shown["previousInteractionId"] == original.pk


def test_resend_is_not_checked_even_in_quiet_hours_or_under_a_do_not_interact(
    api, send, borrower, contacts, published, django_capture_on_commit_callbacks
):
    # A collection text accepted for 10:00 tomorrow, then a do-not-interact record: a new
    # send is refused, a resend is not (the caller owns that decision).
    sent = send(channel="text", subject="loanOverdueFirstNotice", sendAt=iso(ny(1, 10))).json()["data"]
    DoNotInteractFactory(borrower=borrower)
    assert send(channel="text", subject="loanOverdueFirstNotice").json()["reason"] == "doNotInteract"
    response = resend(api, sent["id"], django_capture_on_commit_callbacks)
    assert response.status_code == 202
    copy = Interaction.objects.get(pk=response.json()["data"]["interactionId"])
    assert (copy.compliance_checked, copy.content["contentText"]) == (False, sent["content"]["contentText"])


def _zone_where_it_is_3am() -> str:
    """A fixed-offset zone in which it is now between 03:00 and 04:00 (quiet hours)."""
    offset = (3 - timezone.now().hour) % 24
    offset = offset - 24 if offset > 14 else offset
    return "Etc/GMT" + (f"-{offset}" if offset > 0 else f"+{-offset}" if offset < 0 else "")


def test_resend_goes_out_in_quiet_hours(
    api, send, borrower, contacts, published, django_capture_on_commit_callbacks
):
    borrower.timezone = _zone_where_it_is_3am()
    borrower.save(update_fields=["timezone"])
    refused = send(channel="text", subject="loanOverdueFirstNotice")
    assert (refused.status_code, refused.json()["reason"]) == (422, "timeOfDay")
    content = {
        "subjectLine": None,
        "contentText": "Your loan is overdue.",
        "contentHtml": None,
        "to": "+12125550100",
    }
    original = InteractionFactory(
        borrower=borrower,
        contact=contacts["phone"],
        channel="text",
        subject="loanOverdueFirstNotice",
        theme="opsCollDebt",
        status="succeeded",
        status_details="textDelivered",
        content=content,
    )
    response = resend(api, original.pk, django_capture_on_commit_callbacks)
    assert response.status_code == 202
    copy = Interaction.objects.get(pk=response.json()["data"]["interactionId"])
    assert (copy.status, copy.compliance_checked, copy.content["contentText"]) == (
        "scheduled",
        False,
        "Your loan is overdue.",
    )
    assert published == [copy.pk]


def test_resend_refuses_inbound_and_unknown(
    api, borrower, other_api, original, django_capture_on_commit_callbacks
):
    inbound = InteractionFactory(
        borrower=borrower, direction="inbound", status="succeeded", content={"to": "x"}
    )
    response = resend(api, inbound.pk, django_capture_on_commit_callbacks)
    assert (response.status_code, response.json()["message"]) == (
        400,
        f"Interaction {inbound.pk} is inbound: only outbound messages can be resent.",
    )
    assert resend(api, "IT-AAAA-AAAA", django_capture_on_commit_callbacks).status_code == 404
    assert resend(other_api, original.pk, django_capture_on_commit_callbacks).status_code == 404
    assert resend(api, "ext-orig-1", django_capture_on_commit_callbacks).status_code == 202
    assert (
        api.post(f"/api/communicator/interactions/{original.pk}/resend", {"x": 1}, format="json").status_code
        == 400
    )
    assert count() == 3

"""Resend: a copy linked to the original, queued, not checked against Compliance Guard;
and ``manage.py resend_interactions`` over it."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from interactions.models import Interaction
from tests.factories import BorrowerFactory, DoNotInteractFactory, InteractionFactory
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


# manage.py resend_interactions


def run(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("resend_interactions", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.fixture
def history(company, borrower, contacts):  # noqa: ANN001, ANN201
    content = {"subjectLine": "S", "contentText": "T", "contentHtml": None, "to": "ada@example.com"}
    rows = {
        "failed": InteractionFactory(
            borrower=borrower, status="failed", content=content, supercase_bulk_operation_id="b1"
        ),
        "sent": InteractionFactory(
            borrower=borrower, status="attempted", content=content, supercase_bulk_operation_id="b1"
        ),
        "inbound": InteractionFactory(
            borrower=borrower,
            direction="inbound",
            status="succeeded",
            content=content,
            supercase_bulk_operation_id="b1",
        ),
        "empty": InteractionFactory(borrower=borrower, status="failed", content=None),
        "foreign": InteractionFactory(borrower=BorrowerFactory(), status="failed", content=content),
    }
    return rows


def test_dry_run_lists_and_writes_nothing(company, history, published):
    before = count()
    out, err = run("--company", company.pk, "--bulk-operation-id", "b1", "--dry-run")
    assert count() == before
    assert published == []
    lines = out.splitlines()
    assert [line.split()[2] for line in lines[:-1]] == [history["failed"].pk, history["sent"].pk]
    assert lines[-1] == (
        "Dry run: would resend 2 of 3 matching interaction(s); skipped 1 inbound; 0 error(s). "
        "Nothing was sent."
    )


def test_resends_with_a_progress_bar_and_a_summary(
    company, history, published, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        out, err = run("--company", company.pk, "--bulk-operation-id", "b1")
    assert out.strip() == (
        "Resent 2 of 3 matching interaction(s); skipped 1 inbound; 0 error(s). "
        "Not checked against Compliance Guard."
    )
    assert "\r[" in err and "3/3 100%" in err and "resent 2, skipped 1, errors 0" in err
    copies = Interaction.objects.filter(
        previous_interaction_id__in=[history["failed"].pk, history["sent"].pk]
    )
    assert sorted(copies.values_list("previous_interaction_id", "compliance_checked", "status")) == sorted(
        [(history["failed"].pk, False, "scheduled"), (history["sent"].pk, False, "scheduled")]
    )
    assert sorted(published) == sorted(copies.values_list("pk", flat=True))
    # The copies are not part of the bulk operation: running it again resends the originals only.
    out, _ = run("--company", company.pk, "--bulk-operation-id", "b1", "--dry-run")
    assert out.splitlines()[-1].startswith("Dry run: would resend 2 of 3")


def test_filters_by_status_ids_and_time(company, history):
    out, _ = run("--company", company.pk, "--status", "failed", "--dry-run")
    assert out.splitlines()[-1].startswith("Dry run: would resend 2 of 2")
    out, _ = run(
        "--company", company.pk, "--ids", f"{history['sent'].pk},{history['foreign'].pk}", "--dry-run"
    )
    assert out.splitlines()[0].split()[2] == history["sent"].pk
    assert out.splitlines()[-1] == (
        "Dry run: would resend 1 of 1 matching interaction(s); skipped 0 inbound; 1 error(s). "
        "Nothing was sent."
    )
    out, _ = run(
        "--company", company.pk, "--created-from", "2000-01-01", "--created-to", "2000-12-31", "--dry-run"
    )
    assert out.splitlines()[-1].startswith("Dry run: would resend 0 of 0")
    created = history["sent"].created_at.isoformat()
    out, _ = run("--company", company.pk, "--created-from", created, "--status", "attempted", "--dry-run")
    assert out.splitlines()[-1].startswith("Dry run: would resend 1 of 1")


def test_errors_are_counted_and_reported(company, history):
    with pytest.raises(CommandError, match="1 interaction"):
        run("--company", company.pk, "--ids", history["empty"].pk, "--no-progress")
    with pytest.raises(CommandError, match="not one of"):
        run("--company", company.pk, "--status", "lost")
    with pytest.raises(CommandError, match="No company"):
        run("--company", "CP-AAAA-AAAA")
    with pytest.raises(CommandError, match="not an ISO"):
        run("--company", company.pk, "--created-from", "yesterday")

"""POST /api/communicator/send: contact selection, hydration and render, the stored
content, scheduling, recipients, attachments, idempotency, and what is refused."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from borrowers import services as borrower_services
from borrowers.models import Contact
from compliance.guard import GuardRequest, decide
from compliance.models import ComplianceRule
from interactions.models import Interaction
from interactions.services import interaction_update
from subjects.models import CompanySubjectSetting
from templating.services import RenderRequest, template_render, template_version_activate
from tests.conftest import make_client
from tests.factories import (
    BorrowerFactory,
    CaseFactory,
    ContactFactory,
    DocumentFactory,
    InteractionFactory,
    LoanFactory,
    TemplateDescriptorFactory,
    TemplateVersionFactory,
)
from tests.interactions_send.conftest import NY_PHONE, count
from tests.interactions_send.helpers import iso, ny, parse, shown

pytestmark = pytest.mark.django_db

TEXT_REMINDER = (
    "Peach: Reminder: your payment of $120.00 for your account ending 0042 is due Dec 15. "
    "If you already paid, thank you! Reply STOP to opt out."
)
EMAIL_REMINDER_TEXT = (
    "Hello Ada,\n\n"
    "This is a friendly reminder that your payment of $120.00 for your account ending in 0042 is due "
    "on December 15, 2026.\n\n"
    "If you have already made this payment, or you are enrolled in autopay, no action is needed.\n\n"
    "If you have any questions, please call us at (800) 555-0100 or email help@peach.example.\n\n"
    "Thank you,\nPeach\n\n--\n"
    "Questions? Call us at (800) 555-0100 or email help@peach.example.\n"
    "Peach Lending LLC\n1 Peach St\nAtlanta, GA 30301\n\n"
    'To stop receiving emails from us, reply with "unsubscribe" or contact us at help@peach.example '
    "or (800) 555-0100."
)


def rendered(company, borrower, subject, channel, contact, loan):  # noqa: ANN001, ANN201
    """The same template rendered through the render service (an independent path)."""
    request = RenderRequest(
        subject=subject, channel=channel, person_id=borrower.pk, contact_id=contact.pk, loan_id=loan.pk
    )
    return template_render(company=company, request=request, person=borrower)


def stored(response) -> Interaction:  # noqa: ANN001
    return Interaction.objects.get(pk=response.json()["data"]["id"])


# Happy paths, one per channel


def test_email_is_rendered_frozen_scheduled_and_queued(
    send, api, company, borrower, contacts, loan, published
):
    before = timezone.now()
    response = send(loanId=loan.pk)
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["status"], body["message"]) == (200, "queued")
    data = body["data"]
    expected = rendered(company, borrower, "paymentDueReminder", "email", contacts["email"], loan)
    assert data["content"] == {
        "subjectLine": "Your payment is due soon",
        "contentText": EMAIL_REMINDER_TEXT,
        "contentHtml": expected.content.content_html,
        "to": "ada@example.com",
        "from": "help@peach.example",
        "attachments": [],
        "providerMessageId": None,
    }
    assert "$120.00" in data["content"]["contentHtml"]
    assert {k: data[k] for k in ("personId", "contactId", "channel", "direction", "subject", "theme")} == {
        "personId": borrower.pk,
        "contactId": contacts["email"].pk,
        "channel": "email",
        "direction": "outbound",
        "subject": "paymentDueReminder",
        "theme": "opsServicing",
    }
    assert (data["status"], data["isTransactional"], data["loanId"], data["loanIds"]) == (
        "scheduled",
        True,
        loan.pk,
        [loan.pk],
    )
    assert data["templateVersionId"] == expected.version.pk
    assert data["createdBy"] == {
        "id": response.wsgi_request.auth.pk,
        "name": "",
        "userType": "integration",
        "descriptor": None,
    }
    assert before <= parse(data["sendAt"]) <= timezone.now()
    row = stored(response)
    assert (row.compliance_checked, row.send_at, row.enqueued_at is not None) == (
        True,
        parse(data["sendAt"]),
        True,
    )
    assert published == [row.pk]
    # Internal dispatch state is not part of the representation.
    for internal in ("complianceChecked", "attemptCount", "providerMessageId", "enqueuedAt", "dispatchToken"):
        assert internal not in data
    # A caller follows the send through GET /api/interactions/{id}.
    followed = api.get(f"/api/interactions/{row.pk}").json()["data"]
    assert {k: v for k, v in followed.items() if k != "updatedAt"} == {
        k: v for k, v in data.items() if k != "updatedAt"
    }


@pytest.mark.parametrize("channel", ["text", "voice"])
def test_text_and_voice_go_to_the_phone(send, borrower, contacts, loan, published, channel):
    response = send(channel=channel, loanId=loan.pk)
    assert response.status_code == 200, response.json()
    data = response.json()["data"]
    assert data["contactId"] == contacts["phone"].pk
    assert data["content"] == {
        "subjectLine": None,
        "contentText": TEXT_REMINDER,
        "contentHtml": None,
        "to": NY_PHONE,
        "from": "+18005550100",
        "attachments": [],
        "providerMessageId": None,
    }
    assert published == [data["id"]]


def test_mail_goes_to_the_postal_address(send, company, borrower, contacts, loan, published):
    response = send(channel="mail", subject="statementGenerated", loanId=loan.pk)
    assert response.status_code == 200, response.json()
    data = response.json()["data"]
    expected = rendered(company, borrower, "statementGenerated", "mail", contacts["address"], loan)
    assert data["contactId"] == contacts["address"].pk
    assert data["content"] == {
        "subjectLine": "Your statement is ready",
        "contentText": None,
        "contentHtml": expected.content.content_html,
        "to": "12 Main St, Brooklyn, NY 11201, US",
        "from": "1 Peach St, Atlanta, GA",
        "attachments": [],
        "providerMessageId": None,
    }
    assert "12 Main St" in data["content"]["contentHtml"]
    assert data["templateVersionId"] == expected.version.pk


def test_a_letter_naming_no_contact_goes_to_the_primary_address(send, borrower, loan, published):
    address = {"contact_type": Contact.ContactType.ADDRESS, "value": "", "city": "Albany", "state": "NY"}
    archived = Contact.Status.ARCHIVED
    ContactFactory(borrower=borrower, address_line1="1 Archived Rd", status=archived, **address)
    ContactFactory(
        borrower=borrower,
        address_line1="2 Spouse Rd",
        affiliation=Contact.Affiliation.SPOUSE,
        **address,
    )
    secondary = ContactFactory(
        borrower=borrower, address_line1="3 Second Ave", status=Contact.Status.SECONDARY, **address
    )
    ContactFactory(borrower=borrower, value="ada@example.com")  # a primary email: not an address
    assert send(channel="mail", subject="statementGenerated").json()["data"]["contactId"] == secondary.pk
    primary = ContactFactory(borrower=borrower, address_line1="4 Primary Pl", postal_code="12207", **address)
    data = send(channel="mail", subject="statementGenerated", loanId=loan.pk).json()["data"]
    assert (data["contactId"], data["content"]["to"]) == (primary.pk, "4 Primary Pl, Albany, NY 12207")
    html = data["content"]["contentHtml"]
    assert '<div class="recipient">Ada Lovelace<br>4 Primary Pl<br>Albany, NY 12207<br></div>' in html
    for other in ("1 Archived Rd", "2 Spouse Rd", "3 Second Ave"):
        assert other not in html


def test_phones_print_in_national_format_and_stay_e164_in_the_data(send, company, contacts, loan):
    at = iso(ny(1, 12))  # inside the collection window, whatever the time of the test run
    data = send(channel="text", subject="loanOverdueFirstNotice", loanId=loan.pk, sendAt=at).json()["data"]
    assert data["content"]["to"] == NY_PHONE  # the recipient stays E.164
    assert data["content"]["from"] == "+18005550100"
    assert data["content"]["contentText"] == (
        "Peach: Ada, please contact us about your account ending 0042 at (800) 555-0100 or log in to "
        "your online account. This is a communication from a debt collector. Reply STOP to opt out."
    )
    letter = send(channel="mail", subject="statementGenerated").json()["data"]["content"]["contentHtml"]
    assert "(800) 555-0100" in letter and "+18005550100" not in letter
    # a support phone abroad prints so that a US borrower can dial it
    company.support_phone = "+442079460958"
    company.save()
    email = send(subject="paymentDueReminder").json()["data"]["content"]["contentText"]
    assert "please call us at +44 20 7946 0958 or email help@peach.example." in email


def test_chat_uses_the_text_template_and_the_portal(send, borrower, contacts, loan, published):
    response = send(channel="chat", loanId=loan.pk)
    assert response.status_code == 200, response.json()
    data = response.json()["data"]
    assert (data["contactId"], data["channel"]) == (None, "chat")
    assert data["content"] == {
        "subjectLine": None,
        "contentText": TEXT_REMINDER,
        "contentHtml": None,
        "to": borrower.pk,
        "from": None,
        "attachments": [],
        "providerMessageId": None,
    }
    assert published == [data["id"]]


def test_gui_uses_the_email_template_and_the_portal(send, company, borrower, contacts, loan):
    response = send(channel="gui", loanId=loan.pk, contactId=contacts["email"].pk)
    assert response.status_code == 200, response.json()
    data = response.json()["data"]
    expected = rendered(company, borrower, "paymentDueReminder", "email", contacts["email"], loan)
    assert data["content"] == {
        "subjectLine": "Your payment is due soon",
        "contentText": EMAIL_REMINDER_TEXT,
        "contentHtml": expected.content.content_html,
        "to": "ada@example.com",
        "from": None,
        "attachments": [],
        "providerMessageId": None,
    }


def test_a_company_template_for_the_channel_wins(send, company, contacts):
    version = TemplateVersionFactory(
        descriptor=TemplateDescriptorFactory(company=company, subject="paymentDueReminder", channel="chat"),
        subject_line_template="",
        content_html_template="",
        content_text_template="Hi {{ person.name.firstName }}, chat here.",
    )
    template_version_activate(version=version)
    data = send(channel="chat").json()["data"]
    assert (data["content"]["contentText"], data["templateVersionId"]) == ("Hi Ada, chat here.", version.pk)


def test_a_subject_without_a_template_for_the_channel_is_422(send, contacts):
    response = send(channel="mail")  # paymentDueReminder has no letter
    assert response.status_code == 422
    assert response.json()["message"].startswith("No template for subject paymentDueReminder on channel mail")
    assert count() == 0


# Contact selection


def test_email_contact_selection_prefers_primary_then_secondary(send, borrower):
    ContactFactory(borrower=borrower, value="archived@example.com", status=Contact.Status.ARCHIVED)
    ContactFactory(borrower=borrower, value="invalid@example.com", valid=False)
    ContactFactory(borrower=borrower, value="spouse@example.com", affiliation=Contact.Affiliation.SPOUSE)
    additional = ContactFactory(
        borrower=borrower, value="additional@example.com", status=Contact.Status.ADDITIONAL
    )
    secondary = ContactFactory(
        borrower=borrower, value="secondary@example.com", status=Contact.Status.SECONDARY
    )
    assert send().json()["data"]["contactId"] == secondary.pk
    primary = ContactFactory(borrower=borrower, value="primary@example.com")
    data = send().json()["data"]
    assert (data["contactId"], data["content"]["to"]) == (primary.pk, "primary@example.com")
    assert additional.pk != primary.pk


def test_text_needs_consent_and_a_personal_or_mobile_phone(send, borrower):
    phone = {"contact_type": Contact.ContactType.PHONE}
    ContactFactory(
        borrower=borrower, value="+12125550101", label="mobile", receive_text_messages=False, **phone
    )
    ContactFactory(borrower=borrower, value="+12125550102", label="work", receive_text_messages=True, **phone)
    response = send(channel="text")
    assert response.status_code == 422
    assert response.json() == {
        "status": 422,
        "message": f"No eligible contact: borrower {borrower.pk} has no valid, unarchived text contact "
        "of their own (a personal or mobile phone with text consent (receiveTextMessages)); add one or "
        "name a contactId.",
    }
    # Voice takes any phone of the borrower's own.
    assert send(channel="voice", subject="paymentProcessed").status_code == 200
    personal = ContactFactory(
        borrower=borrower,
        value="+12125550103",
        label="personal",
        receive_text_messages=True,
        status=Contact.Status.SECONDARY,
        **phone,
    )
    assert send(channel="text").json()["data"]["contactId"] == personal.pk


def test_no_eligible_contact_is_422_and_writes_nothing(send, borrower, published):
    for channel in ("email", "text", "voice", "mail"):
        response = send(channel=channel, subject="statementGenerated")
        assert response.status_code == 422
        assert response.json()["message"].startswith("No eligible contact")
    assert (count(), published) == (0, [])


# References of other borrowers and companies


@pytest.mark.parametrize(
    "field", ["contactId", "loanId", "loanIds", "caseId", "statementId", "previousInteractionId"]
)
def test_references_of_another_borrower_are_404(send, company, contacts, field):
    other = BorrowerFactory(company=company)
    values = {
        "contactId": lambda: ContactFactory(borrower=other).pk,
        "loanId": lambda: LoanFactory(borrower=other).pk,
        "loanIds": lambda: [LoanFactory(borrower=other).pk],
        "caseId": lambda: CaseFactory(borrower=other).pk,
        "statementId": lambda: DocumentFactory(borrower=other).pk,
        # Interactions are the company's: another borrower's is fine, another company's is not.
        "previousInteractionId": lambda: InteractionFactory(borrower=BorrowerFactory()).pk,
    }
    response = send(**{field: values[field]()})
    assert response.status_code == 404, response.json()
    assert response.json()["message"].startswith(field)
    assert count() == (1 if field == "previousInteractionId" else 0)


def test_another_companys_borrower_and_company_id_are_404(send, other_company, contacts, company):
    stranger = BorrowerFactory(company=other_company)
    ContactFactory(borrower=stranger)
    response = send(personId=stranger.pk)
    assert (response.status_code, response.json()["message"]) == (
        404,
        f"personId: no borrower '{stranger.pk}'.",
    )
    response = send(companyId=other_company.pk)
    assert (response.status_code, response.json()["message"]) == (
        404,
        f"companyId: no company '{other_company.pk}'.",
    )
    assert send(companyId=company.pk).status_code == 200


def test_references_are_stored(send, company, borrower, contacts, loan):
    second = LoanFactory(borrower=borrower)
    case = CaseFactory(borrower=borrower)
    statement = DocumentFactory(borrower=borrower)
    previous = InteractionFactory(borrower=borrower)
    data = send(
        loanId=loan.pk,
        loanIds=[second.pk, loan.pk],
        caseId=case.pk,
        statementId=statement.pk,
        previousInteractionId=previous.pk,
        supercaseBulkOperationId="bulk-7",
    ).json()["data"]
    assert {
        k: data[k]
        for k in (
            "loanId",
            "loanIds",
            "caseId",
            "statementId",
            "previousInteractionId",
            "supercaseBulkOperationId",
        )
    } == {
        "loanId": loan.pk,
        "loanIds": [loan.pk, second.pk],
        "caseId": case.pk,
        "statementId": statement.pk,
        "previousInteractionId": previous.pk,
        "supercaseBulkOperationId": "bulk-7",
    }


def test_ext_ids_resolve(send, borrower, contacts):
    borrower.external_id = "B-77"
    borrower.save()
    contacts["email"].external_id = "C-1"
    contacts["email"].save()
    data = send(personId="ext-B-77", contactId="ext-C-1").json()["data"]
    assert (data["personId"], data["contactId"], data["contactExternalId"]) == (
        borrower.pk,
        contacts["email"].pk,
        "C-1",
    )


# Rendering


def test_strict_undefined_names_the_variable(send, company, contacts):
    version = TemplateVersionFactory(
        descriptor=TemplateDescriptorFactory(company=company, subject="paymentDueReminder", channel="email"),
        subject_line_template="Due",
        content_html_template="<p>{{ promoCode }}</p>",
        content_text_template="{{ promoCode }}",
    )
    template_version_activate(version=version)
    response = send(strictUndefined=True)
    assert response.status_code == 422
    assert response.json() == {
        "status": 422,
        "message": "Template render failed: contentHtmlTemplate line 1: 'promoCode' is undefined.",
    }
    assert count() == 0
    lenient = send().json()["data"]["content"]
    assert (lenient["contentHtml"], lenient["contentText"]) == ("<p></p>", "")


def test_context_is_merged_over_the_hydrated_values(send, company, contacts):
    version = TemplateVersionFactory(
        descriptor=TemplateDescriptorFactory(company=company, subject="paymentDueReminder", channel="text"),
        content_text_template="{{ company.brandName }} for {{ person.name.firstName }}: {{ code }}",
    )
    template_version_activate(version=version)
    context = {"company": {"brandName": "Peachy"}, "code": "X1"}
    data = send(channel="text", context=context).json()["data"]
    assert data["content"]["contentText"] == "Peachy for Ada: X1"


def test_use_template_false_takes_the_content_from_the_context(send, contacts):
    context = {"subjectLine": "Hello", "contentHtml": "<p>Hi <b>Ada</b></p>"}
    data = send(useTemplate=False, context=context).json()["data"]
    assert data["content"] == {
        "subjectLine": "Hello",
        "contentText": "Hi Ada",
        "contentHtml": "<p>Hi <b>Ada</b></p>",
        "to": "ada@example.com",
        "from": "help@peach.example",
        "attachments": [],
        "providerMessageId": None,
    }
    assert data["templateVersionId"] is None
    response = send(channel="text", useTemplate=False, context={"subjectLine": "only a subject"})
    assert response.status_code == 400
    assert response.json()["errors"] == {
        "context.contentText": ["Required for a text message with useTemplate false."]
    }


def test_override_template_id(send, company, other_company, contacts):
    own = TemplateVersionFactory(
        descriptor=TemplateDescriptorFactory(company=company, subject="paymentDueReminder", channel="email"),
        subject_line_template="Override for {{ person.name.firstName }}",
    )
    data = send(overrideTemplateId=own.pk).json()["data"]
    assert (data["templateVersionId"], data["content"]["subjectLine"]) == (own.pk, "Override for Ada")
    foreign = TemplateVersionFactory(descriptor=TemplateDescriptorFactory(company=other_company))
    response = send(overrideTemplateId=foreign.pk)
    assert (response.status_code, response.json()["message"]) == (
        404,
        f"overrideTemplateId: no template version '{foreign.pk}'.",
    )
    assert count() == 1


# Subject, theme, channel


def test_preview_only_subject_is_422(send, contacts):
    response = send(subject="autopayAgreement")
    assert response.json() == {
        "status": 422,
        "message": "Subject autopayAgreement is preview-only: it cannot be sent.",
    }
    assert count() == 0


def test_theme_is_required_when_the_subject_has_none(send, contacts):
    response = send(subject="freeForm", useTemplate=False, context={"subjectLine": "Hi", "contentText": "Hi"})
    assert response.status_code == 400
    assert response.json()["errors"] == {"theme": ["Required: subject 'freeForm' has no implicit theme."]}
    data = send(
        subject="freeForm",
        theme="opsServicing",
        useTemplate=False,
        context={"subjectLine": "Hi", "contentText": "Hi"},
    ).json()["data"]
    assert (data["subject"], data["theme"], data["isTransactional"]) == ("freeForm", "opsServicing", False)


def test_subject_alias_theme_override_and_is_transactional(send, contacts):
    data = send(subject="locStatementGenerated", theme="marketing", isTransactional=False).json()["data"]
    assert (data["subject"], data["theme"], data["isTransactional"]) == (
        "statementGenerated",
        "marketing",
        False,
    )


def test_agents_cannot_send_subjects_with_agent_can_send_false(
    company, borrower, contacts, django_user_model
):
    from interactions.services import interaction_send
    from peachcomms.errors import BusinessRuleViolation

    CompanySubjectSetting.objects.create(
        company=company, subject_id="paymentDueReminder", agent_can_send=False
    )
    agent = django_user_model.objects.create_user(username="agent7", password="x", is_staff=True)
    body = {"personId": borrower.pk, "subject": "paymentDueReminder", "channel": "email"}
    with pytest.raises(BusinessRuleViolation, match="cannot be sent by an agent"):
        interaction_send(company, agent, body)
    interaction, created = interaction_send(company, agent, {**body, "subject": "paymentProcessed"})
    assert created
    assert interaction.created_by == {
        "id": str(agent.pk),
        "name": "agent7",
        "userType": "agent",
        "descriptor": "admin",
    }
    # API keys are integrations: agentCanSend does not apply to them.
    key = make_client(company).api_key
    assert interaction_send(company, key, body).created


# Scheduling


def test_send_at_in_the_future_stays_scheduled_and_is_not_queued(send, contacts, published):
    at = ny(3, 10, 30)
    data = send(sendAt=iso(at)).json()["data"]
    assert (data["status"], data["sendAt"]) == ("scheduled", shown(at))
    row = Interaction.objects.get(pk=data["id"])
    assert (row.send_at, row.enqueued_at, published) == (at, None, [])


def test_send_at_in_the_past_means_now(send, contacts, published):
    before = timezone.now()
    data = send(sendAt="2020-01-01T00:00:00Z").json()["data"]
    assert parse(data["sendAt"]) >= before
    assert published == [data["id"]]


def test_send_jitter_spreads_send_times_within_bounds(send, contacts, published):
    start = timezone.now()
    times = [parse(send(sendJitter=600).json()["data"]["sendAt"]) for _ in range(50)]
    end = timezone.now()
    assert all(start <= at <= end + timedelta(seconds=600) for at in times)
    assert len(set(times)) == 50
    assert max(times) - min(times) > timedelta(seconds=60)
    stored_times = sorted(Interaction.objects.values_list("send_at", flat=True))
    assert stored_times == sorted(times)
    # Jittered messages are due later: rows, never broker countdowns.
    assert published == []


def test_jitter_adds_to_send_at(send, contacts):
    at = ny(2, 10)
    sent = parse(send(sendAt=iso(at), sendJitter=120).json()["data"]["sendAt"])
    assert at <= sent <= at + timedelta(seconds=120)


# Recipients


def test_override_recipient_needs_the_permission(send, company, contacts, published):
    limited = make_client(company, ["communicator:send", "interactions:read"])
    response = send(client=limited, overrideRecipient="qa@peach.example")
    assert response.status_code == 403
    assert response.json() == {
        "status": 403,
        "message": "overrideRecipient needs the 'communicator:overrideRecipient' permission.",
    }
    assert (count(), published) == (0, [])
    data = send(overrideRecipient="QA@Peach.EXAMPLE").json()["data"]
    assert (data["content"]["to"], data["contactId"]) == ("QA@peach.example", contacts["email"].pk)
    assert data["metaData"] == {
        "overrideRecipient": {"to": "QA@peach.example", "contactId": contacts["email"].pk}
    }


def test_override_recipient_is_checked_for_the_channel(send, contacts):
    data = send(channel="text", overrideRecipient="(415) 555-0133").json()["data"]
    assert data["content"]["to"] == "+14155550133"
    for channel, value in (("email", "not-an-email"), ("text", "12"), ("mail", "x@example.com")):
        response = send(channel=channel, subject="statementGenerated", overrideRecipient=value)
        assert response.status_code == 400, (channel, response.json())
        assert list(response.json()["errors"]) == ["overrideRecipient"]
    assert count() == 1


# Attachments


def _document_with_content(borrower):  # noqa: ANN001, ANN202
    document = DocumentFactory(borrower=borrower, file_name="statement.pdf")
    return borrower_services.document_content_upload(
        document=document,
        content=ContentFile(b"%PDF-1.4 test", name="statement.pdf"),
        size=13,
        content_type="application/pdf",
    )


def test_attachments_on_email(send, borrower, contacts):
    document = _document_with_content(borrower)
    data = send(attachments=[document.pk]).json()["data"]
    assert data["content"]["attachments"] == [document.pk]
    assert data["metaData"] == {"attachmentFileNames": ["statement.pdf"]}


def test_attachments_off_email_other_borrower_or_empty_are_refused(send, company, borrower, contacts):
    document = _document_with_content(borrower)
    response = send(channel="text", attachments=[document.pk])
    assert (response.status_code, response.json()["errors"]) == (
        400,
        {"attachments": ["Only email messages can carry attachments."]},
    )
    foreign = _document_with_content(BorrowerFactory(company=company))
    response = send(attachments=[foreign.pk])
    assert (response.status_code, response.json()["message"]) == (
        404,
        f"attachments[0]: no document '{foreign.pk}' of this borrower.",
    )
    empty = DocumentFactory(borrower=borrower)
    response = send(attachments=[empty.pk])
    assert response.status_code == 422
    assert count() == 0


def test_attachments_are_read_together_and_the_first_bad_one_is_the_error(send, borrower, contacts):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    good = [_document_with_content(borrower) for _ in range(3)]
    empty = DocumentFactory(borrower=borrower)
    missing = "DD-AAAA-AAAA"
    # In request order: the document without content comes first, so it is the error …
    response = send(attachments=[good[0].pk, empty.pk, missing])
    assert (response.status_code, response.json()["message"]) == (
        422,
        f"attachments[1]: document {empty.pk} has no content yet; upload it first.",
    )
    # … and here the missing one does.
    response = send(attachments=[good[0].pk, missing, empty.pk])
    assert (response.status_code, response.json()["message"]) == (
        404,
        f"attachments[1]: no document '{missing}' of this borrower.",
    )
    assert count() == 0
    send(attachments=[good[0].pk])  # warm the process caches
    with CaptureQueriesContext(connection) as one:
        send(attachments=[good[0].pk])
    with CaptureQueriesContext(connection) as three:
        data = send(attachments=[document.pk for document in good]).json()["data"]
    assert data["content"]["attachments"] == [document.pk for document in good]
    assert len(three.captured_queries) == len(one.captured_queries)


# Idempotency


def test_interaction_external_id_makes_a_retry_return_the_same_interaction(send, contacts, published):
    first = send(interactionExternalId="lender-42")
    second = send(interactionExternalId="lender-42")
    assert (first.status_code, first.json()["message"]) == (200, "queued")
    assert (second.status_code, second.json()["message"]) == (200, "already queued: scheduled")
    assert second.json()["data"] == first.json()["data"]
    assert first.json()["data"]["externalId"] == "lender-42"
    assert count() == 1
    assert published == [first.json()["data"]["id"]]


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"status": "inProgress"}, "already sending: inProgress"),
        ({"statusDetails": "emailSent"}, "already sent: attempted (emailSent)"),
        ({"statusDetails": "emailDelivered"}, "already sent: succeeded (emailDelivered)"),
        ({"statusDetails": "emailBounced"}, "already processed: failed (emailBounced)"),
        ({"status": "canceled"}, "already canceled: canceled"),
    ],
)
def test_a_retry_answers_with_the_interactions_real_status(send, contacts, published, changes, message):
    first = send(interactionExternalId="lender-43").json()["data"]
    row = Interaction.objects.get(pk=first["id"])
    interaction_update(interaction=row, data=changes)  # as the provider's events would
    retry = send(interactionExternalId="lender-43")
    assert (retry.status_code, retry.json()["message"]) == (200, message)
    data = retry.json()["data"]
    assert (data["id"], data["status"]) == (first["id"], Interaction.objects.get(pk=first["id"]).status)
    assert (count(), published) == (1, [first["id"]])


def test_a_retry_is_answered_even_when_the_guard_would_now_refuse(send, borrower, contacts):
    # Three collection emails per 7 days: the retry of the third must not be refused.
    body = {"subject": "loanOverdueFirstNotice", "sendAt": iso(ny(1, 12))}
    ids = [send(interactionExternalId=f"n{i}", **body).json()["data"]["id"] for i in range(3)]
    assert send(interactionExternalId="n3", **body).json()["reason"] == "frequency"
    retry = send(interactionExternalId="n2", **body)
    assert (retry.status_code, retry.json()["data"]["id"]) == (200, ids[2])


def test_an_external_id_of_a_different_interaction_is_409(send, borrower, contacts):
    send(interactionExternalId="k1")
    response = send(interactionExternalId="k1", channel="text", subject="paymentProcessed")
    assert response.status_code == 409
    InteractionFactory(borrower=borrower, external_id="logged-1", is_external=True)
    assert send(interactionExternalId="logged-1").status_code == 409
    assert count() == 2


# Compliance Guard


def test_quiet_hours_refusal_body_is_exact_and_nothing_is_written(
    send, company, borrower, contacts, published
):
    at = ny(2, 23)
    response = send(channel="text", subject="loanOverdueFirstNotice", sendAt=iso(at))
    rule = ComplianceRule.objects.get(company=company, code="timeOfDay.federal")
    decision = decide(
        GuardRequest(
            company=company,
            borrower=borrower,
            channel="text",
            subject="loanOverdueFirstNotice",
            contact=contacts["phone"],
        ),
        at,
    )
    assert response.status_code == 422
    assert response.json() == {
        "status": 422,
        "message": decision.message,
        "sendAt": iso(ny(3, 8)),
        "complianceGuardRuleId": rule.pk,
        "reason": "timeOfDay",
    }
    assert "21:00" in decision.message or "08:00" in decision.message
    assert (count(), published) == (0, [])
    # At the time the guard names, the same send is accepted.
    assert send(channel="text", subject="loanOverdueFirstNotice", sendAt=iso(ny(3, 8))).status_code == 200


def test_a_lasting_refusal_has_no_send_at(send, company, borrower, contacts):
    from tests.factories import DoNotInteractFactory

    DoNotInteractFactory(borrower=borrower)
    body = send(subject="loanOverdueFirstNotice").json()
    rule = ComplianceRule.objects.get(company=company, code="doNotInteract.records")
    assert (body["status"], body["reason"], body["sendAt"], body["complianceGuardRuleId"]) == (
        422,
        "doNotInteract",
        None,
        rule.pk,
    )
    assert count() == 0


def test_the_guard_judges_the_jittered_send_time(send, borrower, contacts):
    # 20:59 + up to 10 minutes of jitter crosses 21:00 in some draws: each draw is judged
    # at its own time, so every accepted message is due inside the window.
    accepted = []
    for _ in range(12):
        response = send(
            channel="text", subject="loanOverdueFirstNotice", sendAt=iso(ny(2, 20, 59)), sendJitter=600
        )
        if response.status_code == 200:
            accepted.append(parse(response.json()["data"]["sendAt"]))
        else:
            assert response.json()["reason"] in ("timeOfDay", "frequency")
    assert all(at < ny(2, 21) for at in accepted)

"""The render routes: downloads, render-to-document, render-json, free-form preview."""

from __future__ import annotations

from decimal import Decimal

import pytest

from borrowers.models import Contact, Document
from tests.factories import (
    BorrowerFactory,
    ContactFactory,
    DocumentFactory,
    LoanFactory,
    TemplateVersionFactory,
)

pytestmark = pytest.mark.django_db

HTML = "<p>Hi {{ person.name.firstName }}, {{ loan.amountDue|currency }} is due. {{ note }}</p>"
TEXT = "Hi {{ person.name.firstName }}, {{ loan.amountDue|currency }} is due. {{ note }}"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):  # noqa: ANN001, ANN202
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def person(company):  # noqa: ANN001, ANN201
    return BorrowerFactory(company=company, first_name="Ada")


@pytest.fixture
def loan(person):  # noqa: ANN001, ANN201
    return LoanFactory(borrower=person, amount_due=Decimal("1234.50"))


@pytest.fixture
def templates(company, make_template):  # noqa: ANN001, ANN201
    return {
        "email": make_template(
            company, subject="custom1", subject_line="Due {{ loan.amountDue|currency }}", html=HTML, text=TEXT
        ),
        "mail": make_template(company, subject="custom1", channel="mail", html="<h1>Letter</h1>" + HTML),
    }


def body(person, loan, **extra) -> dict:  # noqa: ANN001
    return {
        "subject": "custom1",
        "personId": person.pk,
        "loanId": loan.pk,
        "context": {"note": "<b>&"},
        **extra,
    }


def test_render_html_download(api, templates, person, loan):
    response = api.post("/api/communicator/render?fmt=html", body(person, loan), format="json")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/html; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="custom1.html"'
    assert response.content.decode() == "<p>Hi Ada, $1,234.50 is due. &lt;b&gt;&amp;</p>"


def test_render_default_format_is_html(api, templates, person, loan):
    response = api.post("/api/communicator/render", body(person, loan), format="json")
    assert response["Content-Disposition"] == 'attachment; filename="custom1.html"'


def test_render_text_download(api, templates, person, loan):
    response = api.post("/api/communicator/render?fmt=text", body(person, loan), format="json")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="custom1.txt"'
    assert response.content.decode() == "Hi Ada, $1,234.50 is due. <b>&"


def test_render_pdf_download_uses_the_mail_template(api, templates, person, loan):
    response = api.post(
        "/api/communicator/render?fmt=pdf", body(person, loan), format="json", HTTP_ACCEPT="application/pdf"
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="custom1.pdf"'
    assert response.content.startswith(b"%PDF")
    assert int(response["Content-Length"]) == len(response.content)


def test_render_pdf_of_a_shipped_letter(api, person, loan):
    response = api.post(
        "/api/communicator/render?fmt=pdf",
        {"subject": "debtValidationNotice", "personId": person.pk, "loanId": loan.pk},
        format="json",
    )
    assert response.status_code == 200, response.content[:300]
    assert response.content.startswith(b"%PDF")


LETTER_ADDRESS = "{% for key in ['addressLine1', 'city'] %}{{ contact.address[key] }}|{% endfor %}"


def test_a_letter_naming_no_contact_is_addressed_as_its_send_would_be(api, company, make_template, person):
    make_template(company, subject="custom1", channel="mail", html="<p>" + LETTER_ADDRESS + "</p>")
    make_template(company, subject="custom1", channel="email", html="<p>{{ contact.id }}</p>")
    address = {"contact_type": Contact.ContactType.ADDRESS, "value": "", "city": "Albany"}
    ContactFactory(borrower=person, address_line1="1 Archived Rd", status=Contact.Status.ARCHIVED, **address)
    ContactFactory(borrower=person, address_line1="2 Invalid Rd", valid=False, **address)
    secondary = ContactFactory(
        borrower=person, address_line1="3 Second Ave", status=Contact.Status.SECONDARY, **address
    )
    ContactFactory(borrower=person, value="ada@example.com")  # primary, but not an address

    def render(**extra: str) -> str:
        data = {"subject": "custom1", "personId": person.pk, **extra}
        response = api.post("/api/communicator/render?fmt=html", data, format="json")
        assert response.status_code == 200, response.content
        return response.content.decode()

    assert render(channel="mail") == "<p>3 Second Ave|Albany|</p>"
    ContactFactory(borrower=person, address_line1="4 Primary Pl", **address)
    assert render(channel="mail") == "<p>4 Primary Pl|Albany|</p>"
    assert render(channel="mail", contactId=secondary.pk) == "<p>3 Second Ave|Albany|</p>"  # named wins
    assert render() == "<p></p>"  # an email render names its contact or has none
    # fmt=pdf renders the mail template, with the same address
    response = api.post(
        "/api/communicator/render?fmt=pdf", {"subject": "custom1", "personId": person.pk}, format="json"
    )
    assert response.status_code == 200 and response.content.startswith(b"%PDF")


def test_a_letter_of_a_person_without_an_address_has_no_recipient_lines(api, company, make_template, person):
    make_template(company, subject="custom1", channel="mail", html="<p>{{ contact }}</p>")
    ContactFactory(borrower=person, value="ada@example.com")
    response = api.post(
        "/api/communicator/render?fmt=html",
        {"subject": "custom1", "channel": "mail", "personId": person.pk},
        format="json",
    )
    assert (response.status_code, response.content.decode()) == (200, "<p></p>")


def test_render_errors(api, templates, person, loan):
    cases = [
        ("/api/communicator/render?fmt=doc", body(person, loan), 400),
        ("/api/communicator/render", {**body(person, loan), "subject": "noSuchSubject"}, 400),
        ("/api/communicator/render", {**body(person, loan), "channel": "fax"}, 400),
        ("/api/communicator/render", {**body(person, loan), "channel": "pigeon"}, 400),
        ("/api/communicator/render", {**body(person, loan), "subject": "custom2"}, 404),
        ("/api/communicator/render", {**body(person, loan), "personId": "BO-NONE-0000"}, 404),
        ("/api/communicator/render?fmt=text", {**body(person, loan), "channel": "mail"}, 422),
        ("/api/communicator/render", {**body(person, loan), "context": {}, "strictUndefined": True}, 422),
        ("/api/communicator/render", {**body(person, loan), "extra": 1}, 400),
        ("/api/communicator/render", {**body(person, loan), "context": "nope"}, 400),
        ("/api/communicator/render", {**body(person, loan), "loanIds": "LN-1"}, 400),
    ]
    for url, data, status in cases:
        response = api.post(url, data, format="json")
        assert response.status_code == status, (url, data, response.content)
        assert response.json()["status"] == status
    response = api.post(
        "/api/communicator/render", {**body(person, loan), "subject": "custom2"}, format="json"
    )
    assert response.json()["message"] == (
        "No template for subject custom2 on channel email: it has no template on any channel "
        "(create one: POST /api/communicator/templatedescriptors)."
    )
    response = api.post(
        "/api/communicator/render",
        {**body(person, loan), "context": {}, "strictUndefined": True},
        format="json",
    )
    assert (
        response.json()["message"]
        == "Template render failed: contentHtmlTemplate line 1: 'note' is undefined."
    )


def test_render_of_another_companys_records_is_404(api, other_company, templates):
    theirs = BorrowerFactory(company=other_company)
    their_loan = LoanFactory(borrower=theirs)
    response = api.post("/api/communicator/render", body(theirs, their_loan), format="json")
    assert response.status_code == 404
    assert response.json()["message"].startswith("personId: no borrower")
    mine = BorrowerFactory(company=api.company)
    response = api.post("/api/communicator/render", body(mine, their_loan), format="json")
    assert response.status_code == 404
    assert response.json()["message"].startswith("loanId: no loan")


def test_render_json_is_bare(api, templates, person, loan):
    response = api.post("/api/communicator/render-json", body(person, loan), format="json")
    assert response.status_code == 200
    assert response.json() == {
        "subjectLine": "Due $1,234.50",
        "contentHtml": "<p>Hi Ada, $1,234.50 is due. &lt;b&gt;&amp;</p>",
        "contentText": "Hi Ada, $1,234.50 is due. <b>&",
    }
    letter = api.post(
        "/api/communicator/render-json", body(person, loan, channel="mail"), format="json"
    ).json()
    assert letter["subjectLine"] is None and letter["contentText"] is None
    assert letter["contentHtml"].startswith("<h1>Letter</h1>")


def test_render_json_contact_and_override(api, company, templates, person, loan):
    contact = ContactFactory(borrower=person, value="ada@example.com")
    draft = TemplateVersionFactory(
        descriptor=templates["email"].descriptor,
        content_text_template="To {{ contact.value }}",
        content_html_template="",
    )
    response = api.post(
        "/api/communicator/render-json",
        body(person, loan, contactId=contact.pk, overrideTemplateId=draft.pk),
        format="json",
    )
    assert response.json()["contentText"] == "To ada@example.com"
    assert response.json()["contentHtml"] is None


def test_render_json_sandbox_escape_is_a_clean_422(api, company, person, make_template):
    make_template(company, subject="custom3", text="{{ ''.__class__.__mro__[1].__subclasses__() }}")
    response = api.post(
        "/api/communicator/render-json", {"subject": "custom3", "personId": person.pk}, format="json"
    )
    assert response.status_code == 422
    assert response.json() == {
        "status": 422,
        "message": "Template render failed: contentTextTemplate line 1: "
        "the template used something the sandbox does not allow.",
    }


def test_render_to_document_overwrites_content(
    api, templates, person, loan, django_capture_on_commit_callbacks
):
    document = DocumentFactory(borrower=person, file_name="notice.html", content_type="")
    url = "/api/communicator/render-to-document?fmt=html"
    first = api.post(url, {**body(person, loan), "documentId": document.pk}, format="json")
    assert first.status_code == 200, first.json()
    data = first.json()["data"]
    assert first.json()["status"] == 200
    assert data["id"] == document.pk
    assert data["contentType"] == "text/html"
    assert data["templateVersionId"] == templates["email"].pk
    assert data["autogenerated"] is True
    assert data["status"] == "uploaded"
    document.refresh_from_db()
    first_name = document.content.name
    with document.content.open("rb") as stored:
        assert stored.read() == b"<p>Hi Ada, $1,234.50 is due. &lt;b&gt;&amp;</p>"

    with django_capture_on_commit_callbacks(execute=True):
        second = api.post(
            url,
            {**body(person, loan), "context": {"note": "again"}, "documentId": document.pk},
            format="json",
        )
    assert second.status_code == 200
    document.refresh_from_db()
    with document.content.open("rb") as stored:
        assert stored.read() == b"<p>Hi Ada, $1,234.50 is due. again</p>"
    assert document.content_length == len(b"<p>Hi Ada, $1,234.50 is due. again</p>")
    assert document.content.name != first_name
    assert not document.content.storage.exists(first_name)  # the replaced file is gone


def test_render_to_document_pdf_defaults_person_to_the_documents_borrower(api, templates, person, loan):
    document = DocumentFactory(borrower=person, file_name="")
    response = api.post(
        "/api/communicator/render-to-document?fmt=pdf",
        {"subject": "custom1", "loanId": loan.pk, "context": {"note": "x"}, "documentId": document.pk},
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert response.json()["data"]["fileName"] == "custom1.pdf"
    assert response.json()["data"]["contentType"] == "application/pdf"
    document.refresh_from_db()
    with document.content.open("rb") as stored:
        assert stored.read(4) == b"%PDF"


def test_render_to_document_refusals_write_nothing(api, company, client_with, templates, person, loan):
    other_person = BorrowerFactory(company=company)
    document = DocumentFactory(borrower=other_person)
    own = DocumentFactory(borrower=person)
    url = "/api/communicator/render-to-document"
    cases = [
        ({**body(person, loan), "documentId": document.pk}, 404),  # another borrower's document
        ({**body(person, loan), "documentId": "DD-NONE-0000"}, 404),
        (body(person, loan), 400),  # documentId missing
        ({**body(person, loan), "documentId": own.pk, "strictUndefined": True, "context": {}}, 422),
    ]
    for data, status in cases:
        response = api.post(url, data, format="json")
        assert response.status_code == status, (data, response.json())
    reader = client_with(company, ["communicator:read"])
    response = reader.post(url, {**body(other_person, loan), "documentId": document.pk}, format="json")
    assert response.status_code == 403
    assert "people:write" in response.json()["message"]
    for row in (document, own):
        row.refresh_from_db()
        assert not row.content
        assert row.status == "pending"
    assert Document.objects.filter(autogenerated=True).count() == 0


def test_render_routes_need_communicator_read(company, client_with, templates, person, loan):
    writer = client_with(company, ["people:write"])
    for route in ("render", "render-json", "preview-free-form-email"):
        response = writer.post(f"/api/communicator/{route}", body(person, loan), format="json")
        assert response.status_code == 403, route
        assert "communicator:read" in response.json()["message"]


FREE_FORM_HTML = (
    '<p onclick="steal()">Hello <b>there</b><script>alert(1)</script>'
    '<img src="x" onerror="alert(2)"><a href="javascript:alert(3)">click</a>'
    '<a href="https://ok.example/">ok</a><iframe src="https://evil.example"></iframe></p>'
)


def test_preview_free_form_email_sanitises_the_callers_html(api, company, make_template):
    make_template(
        company,
        subject="freeFormBranded",
        subject_line="{{ subjectLine }}",
        html="<div class='brand'>{{ company.brandName }}</div>{{ contentHtml }}",
        text="{{ contentPlain }}",
    )
    response = api.post(
        "/api/communicator/preview-free-form-email",
        {"subjectLine": "A note <b>", "contentHtml": FREE_FORM_HTML},
        format="json",
    )
    assert response.status_code == 200, response.json()
    data = response.json()
    assert data["subjectLine"] == "A note <b>"
    assert data["contentHtml"] == (
        "<div class='brand'>Peach</div><p>Hello <b>there</b><img>"
        '<a rel="noopener noreferrer">click</a>'
        '<a href="https://ok.example/" rel="noopener noreferrer">ok</a></p>'
    )
    assert data["contentText"] == "Hello thereclickok"


def test_preview_free_form_email_with_the_builtin_layout(api):
    response = api.post(
        "/api/communicator/preview-free-form-email",
        {"subjectLine": "Hi", "contentHtml": FREE_FORM_HTML, "contentPlain": "Plain body", "language": "fr"},
        format="json",
    )
    assert response.status_code == 200, response.json()
    data = response.json()
    for forbidden in ("<script", "onerror", "onclick", "javascript:", "<iframe", "alert("):
        assert forbidden not in data["contentHtml"]
    assert "Hello <b>there</b>" in data["contentHtml"]
    assert "Plain body" in data["contentText"]


def test_preview_free_form_bad_input(api):
    for data in ({"contentHtml": 5}, {"language": "english"}, {"bogus": True}):
        assert api.post("/api/communicator/preview-free-form-email", data, format="json").status_code == 400


def test_preview_free_form_email_hydrates_person_like_the_send(api, company, person, make_template):
    make_template(
        company,
        subject="freeFormBranded",
        subject_line="{{ subjectLine }}",
        html="<p>Dear {{ person.name.firstName }} ({{ person.id }})</p>{{ contentHtml }}",
        text="{{ person.name.firstName }}: {{ contentPlain }}",
    )
    url = "/api/communicator/preview-free-form-email"
    response = api.post(url, {"subjectLine": "Hi", "contentPlain": "x", "personId": person.pk}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json() == {
        "subjectLine": "Hi",
        "contentHtml": f"<p>Dear Ada ({person.pk})</p>",
        "contentText": "Ada: x",
    }
    # without personId, person is null (rendered empty)
    response = api.post(url, {"subjectLine": "Hi", "contentPlain": "x"}, format="json")
    assert response.json() == {"subjectLine": "Hi", "contentHtml": "<p>Dear  ()</p>", "contentText": ": x"}


def test_preview_free_form_email_person_of_another_company_is_404(api, other_company, person):
    stranger = BorrowerFactory(company=other_company)
    url = "/api/communicator/preview-free-form-email"
    for value in (stranger.pk, "BO-AAAA-BBBB", "ext-nobody"):
        response = api.post(url, {"subjectLine": "Hi", "personId": value}, format="json")
        assert response.status_code == 404, value
        assert response.json()["message"] == f"personId: no borrower '{value}'."
    response = api.post(url, {"subjectLine": "Hi", "personId": "LN-AAAA-BBBB"}, format="json")
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["personId"]

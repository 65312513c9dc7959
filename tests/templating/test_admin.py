"""The staff console for templates: version history, draft editing with a live preview
(errors with line numbers), activation through the service, read-only active versions."""

from __future__ import annotations

import pytest
from django.urls import reverse

from templating.models import TemplateVersion
from tests.factories import CompanyFactory, TemplateDescriptorFactory, TemplateVersionFactory

pytestmark = pytest.mark.django_db

HTML = (
    '{% extends "layouts/email.html" %}'
    "{% block content %}<p>Due: {{ loan.amountDue|currency }}</p>{% endblock %}"
)


def change_url(version: TemplateVersion) -> str:
    return reverse("admin:templating_templateversion_change", args=[version.pk])


@pytest.fixture
def draft():  # noqa: ANN201
    return TemplateVersionFactory(
        descriptor=TemplateDescriptorFactory(company=CompanyFactory()),
        subject_line_template="Hi {{ person.name.firstName }}",
        content_html_template=HTML,
        content_text_template="Due {{ loan.amountDue|currency }} on {{ loan.dueDate|date }}",
    )


def test_draft_page_shows_the_rendered_preview(admin_client, draft):
    page = admin_client.get(change_url(draft))
    assert page.status_code == 200
    content = page.content.decode()
    assert 'name="_save"' in content and 'name="_activate"' in content
    assert "<strong>Hi Ada</strong>" in content  # the sample person
    assert "Due $245.50 on December 15, 2026" in content  # the sample loan
    assert "srcdoc=" in content and "Sample Lending" in content  # the HTML part in a sandboxed iframe
    assert "Refresh preview" in content


def test_broken_draft_shows_the_error_with_its_line(admin_client, draft):
    draft.content_html_template = "<p>\n{{ person.name.firstName }}\n{{ 1 / 0 }}</p>"
    draft.save()
    content = admin_client.get(change_url(draft)).content.decode()
    assert "Template render failed: contentHtmlTemplate line 3: division by zero." in content

    preview_url = reverse("admin:templating_templateversion_preview", args=[draft.pk])
    response = admin_client.post(
        preview_url,
        {
            "subject_line_template": "ok",
            "content_html_template": "<p>\n\n{{ oops }\n</p>",
            "content_text_template": "",
        },
    )
    assert response.status_code == 200
    assert "contentHtmlTemplate line 3: unexpected &#x27;}&#x27;" in response.json()["html"]

    response = admin_client.post(
        preview_url,
        {
            "subject_line_template": "Hello {{ company.brandName }}",
            "content_html_template": "",
            "content_text_template": "",
        },
    )
    assert "<strong>Hello Sample Lending</strong>" in response.json()["html"]


def test_saving_a_syntax_error_is_refused_with_the_line(admin_client, draft):
    response = admin_client.post(
        change_url(draft),
        {
            "subject_line_template": "x",
            "content_html_template": "a\n{% if %}",
            "content_text_template": "",
        },
    )
    assert response.status_code == 200
    assert "line 2: Expected an expression" in response.content.decode()
    draft.refresh_from_db()
    assert draft.content_html_template == HTML


def test_save_and_activate_goes_through_the_service(admin_client, draft):
    previous = TemplateVersionFactory(descriptor=draft.descriptor)
    from templating.services import template_version_activate

    template_version_activate(version=previous)
    response = admin_client.post(
        change_url(draft),
        {
            "subject_line_template": "New subject",
            "content_html_template": HTML,
            "content_text_template": "text",
            "_activate": "Save and activate",
        },
    )
    assert response.status_code == 302
    draft.refresh_from_db()
    previous.refresh_from_db()
    assert (draft.status, draft.subject_line_template, previous.status) == (
        "active",
        "New subject",
        "archived",
    )
    assert draft.descriptor.__class__.objects.get(pk=draft.descriptor_id).active_version_id == draft.pk

    page = admin_client.get(change_url(draft)).content.decode()
    assert 'name="_save"' not in page  # active: read-only
    assert "<strong>New subject</strong>" in page
    assert admin_client.post(change_url(draft), {"subject_line_template": "x"}).status_code == 403


def test_activate_action(admin_client, draft):
    response = admin_client.post(
        reverse("admin:templating_templateversion_changelist"),
        {"action": "activate", "_selected_action": [draft.pk]},
    )
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.status == "active"


def test_descriptor_page_shows_history_and_new_draft_action(admin_client, draft):
    descriptor = draft.descriptor
    url = reverse("admin:templating_templatedescriptor_change", args=[descriptor.pk])
    page = admin_client.get(url)
    assert page.status_code == 200
    assert draft.pk in page.content.decode()
    assert admin_client.get(reverse("admin:templating_templatedescriptor_changelist")).status_code == 200

    from templating.services import template_version_activate

    template_version_activate(version=draft)
    admin_client.post(
        reverse("admin:templating_templatedescriptor_changelist"),
        {"action": "new_draft_from_active", "_selected_action": [descriptor.pk]},
    )
    copy = TemplateVersion.objects.filter(descriptor=descriptor, status="draft").get()
    assert copy.content_html_template == draft.content_html_template
    assert copy.created_by["userType"] == "agent"


def test_add_version_page_creates_a_draft_through_the_service(admin_client, draft):
    assert admin_client.get(reverse("admin:templating_templateversion_add")).status_code == 200
    response = admin_client.post(
        reverse("admin:templating_templateversion_add"),
        {
            "descriptor": draft.descriptor_id,
            "subject_line_template": "s",
            "content_html_template": "",
            "content_text_template": "t",
        },
    )
    assert response.status_code == 302
    created = TemplateVersion.objects.exclude(pk=draft.pk).get(descriptor=draft.descriptor)
    assert (created.status, created.company_id) == ("draft", draft.descriptor.company_id)


def test_letter_preview_pdf(admin_client):
    version = TemplateVersionFactory(
        descriptor=TemplateDescriptorFactory(channel="mail"),
        content_html_template=(
            '{% extends "layouts/letter.html" %}{% block content %}<p>Hello</p>{% endblock %}'
        ),
    )
    response = admin_client.get(reverse("admin:templating_templateversion_preview_pdf", args=[version.pk]))
    assert response.status_code == 200
    assert response.content.startswith(b"%PDF")

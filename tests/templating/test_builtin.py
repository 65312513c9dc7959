"""The built-in default templates: loaded from files, idempotently, and every shipped one
renders against the sample context."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from templating.builtin import BuiltinTemplateError, load_builtin_templates
from templating.models import TemplateDescriptor, TemplateVersion
from templating.rendering import render_version
from templating.rendering.pdf import html_to_pdf
from templating.sample_context import sample_context

pytestmark = pytest.mark.django_db


def write(folder: Path, **files: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        (folder / name.replace("_", ".")).write_text(content)


def builtin(subject: str, channel: str) -> TemplateDescriptor:
    return TemplateDescriptor.objects.select_related("active_version").get(
        company=None, subject=subject, channel=channel, language="en"
    )


def test_load_creates_updates_and_is_idempotent(tmp_path):
    write(
        tmp_path / "custom1",
        email_subject="Hi {{ person.name.firstName }}\n",
        email_html="<p>Hi</p>",
        email_txt="Hi",
        text_txt="Hi by text",
        mail_html="<p>Letter</p>",
    )
    report = load_builtin_templates(directory=tmp_path)
    assert (report.created, report.updated, report.unchanged) == (4, 0, 0)
    email = builtin("custom1", "email").active_version
    assert (email.subject_line_template, email.content_html_template, email.content_text_template) == (
        "Hi {{ person.name.firstName }}",
        "<p>Hi</p>",
        "Hi",
    )
    assert builtin("custom1", "text").active_version.content_text_template == "Hi by text"
    assert builtin("custom1", "voice").active_version.content_text_template == "Hi by text"
    mail = builtin("custom1", "mail").active_version
    assert (mail.content_html_template, mail.subject_line_template, mail.content_text_template) == (
        "<p>Letter</p>",
        "Hi {{ person.name.firstName }}",
        "",
    )
    assert email.status == "active" and email.created_by["userType"] == "system"

    again = load_builtin_templates(directory=tmp_path)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 4)
    assert TemplateVersion.objects.filter(descriptor__subject="custom1").count() == 4

    (tmp_path / "custom1" / "text.txt").write_text("Changed")
    changed = load_builtin_templates(directory=tmp_path)
    assert (changed.created, changed.updated, changed.unchanged) == (0, 2, 2)  # text and voice
    text = builtin("custom1", "text")
    assert text.active_version.content_text_template == "Changed"
    statuses = sorted(TemplateVersion.objects.filter(descriptor=text).values_list("status", flat=True))
    assert statuses == ["active", "archived"]


def test_load_refuses_syntax_errors_and_unknown_subjects(tmp_path):
    write(tmp_path / "custom2", email_html="<p>\n{{ oops }\n</p>")
    with pytest.raises(BuiltinTemplateError) as raised:
        load_builtin_templates(directory=tmp_path)
    assert str(raised.value) == f"{tmp_path.name}/custom2/email.html: line 2: unexpected '}}'"
    assert not TemplateDescriptor.objects.filter(subject="custom2").exists()

    (tmp_path / "custom2" / "email.html").write_text("fine")
    write(tmp_path / "notASubject", text_txt="x")
    with pytest.raises(BuiltinTemplateError, match="unknown subjects: notASubject"):
        load_builtin_templates(directory=tmp_path)


def test_management_command_reports_what_it_did():
    out = StringIO()
    call_command("load_builtin_templates", stdout=out)
    assert out.getvalue().startswith("Built-in templates: 0 created, 0 updated, ")


def test_every_shipped_builtin_renders_against_the_sample_context():
    descriptors = TemplateDescriptor.objects.filter(company=None).select_related("active_version")
    assert descriptors.count() > 0
    for descriptor in descriptors:
        version = descriptor.active_version
        rendered = render_version(version, sample_context(descriptor.channel, descriptor.subject))
        label = f"{descriptor.subject}/{descriptor.channel}"
        if descriptor.channel == "email":
            assert rendered.subject_line and rendered.content_html and rendered.content_text, label
        if descriptor.channel in ("text", "voice"):
            assert rendered.content_text, label
        if descriptor.channel == "mail":
            assert html_to_pdf(rendered.content_html).startswith(b"%PDF"), label

"""Template selection: the company's own enabled descriptor, else the built-in default; a
language miss falls back to en; overrideTemplateId within the company or built-in only."""

from __future__ import annotations

import pytest

from peachcomms.errors import NotFound
from templating.selectors import template_select
from tests.factories import TemplateVersionFactory

pytestmark = pytest.mark.django_db


def test_company_descriptor_overrides_the_builtin(company, other_company, make_template):
    builtin = make_template(None, subject="custom1", text="built-in")
    own = make_template(company, subject="custom1", text="own")
    assert template_select(company, "custom1", "email").pk == own.pk
    assert template_select(other_company, "custom1", "email").pk == builtin.pk


def test_disabled_or_inactive_company_descriptor_falls_back(company, make_template):
    builtin = make_template(None, subject="custom2", text="built-in")
    make_template(company, subject="custom2", text="off", enabled=False)
    assert template_select(company, "custom2", "email").pk == builtin.pk
    make_template(company, subject="custom2", channel="text", text="draft only", active=False)
    builtin_text = make_template(None, subject="custom2", channel="text", text="built-in text")
    assert template_select(company, "custom2", "text").pk == builtin_text.pk


def test_language_prefers_exact_language_then_en(company, make_template):
    builtin_en = make_template(None, subject="custom3", text="en")
    own_en = make_template(company, subject="custom3", text="own en")
    assert template_select(company, "custom3", "email", "es").pk == own_en.pk
    builtin_es = make_template(None, subject="custom3", language="es", text="es")
    assert template_select(company, "custom3", "email", "es").pk == builtin_es.pk
    own_es = make_template(company, subject="custom3", language="es", text="own es")
    assert template_select(company, "custom3", "email", "es").pk == own_es.pk
    assert template_select(company, "custom3", "email", "en").pk == own_en.pk
    assert builtin_en.pk != own_en.pk


def test_nothing_matches_is_not_found(company, make_template):
    make_template(company, subject="custom4", channel="text", text="x")
    with pytest.raises(NotFound) as raised:
        template_select(company, "custom4", "email")
    assert raised.value.message == (
        "No template for subject custom4 on channel email. custom4 has templates for: text; "
        "name one of them in `channel`."
    )


def test_override_version_must_be_the_companys_or_builtin(company, other_company, make_template):
    own_draft = TemplateVersionFactory(descriptor__company=company)
    builtin = make_template(None, subject="custom5", text="b")
    theirs = TemplateVersionFactory(descriptor__company=other_company)
    assert template_select(company, "custom6", "email", override_version_id=own_draft.pk).pk == own_draft.pk
    assert template_select(company, "custom6", "email", override_version_id=builtin.pk).pk == builtin.pk
    for value in (theirs.pk, "TV-NONE-0000", "ext-x"):
        with pytest.raises(NotFound) as raised:
            template_select(company, "custom6", "email", override_version_id=value)
        assert raised.value.message.startswith("overrideTemplateId: no template version")


def test_shipped_builtin_templates_are_selected(company):
    version = template_select(company, "paymentDueReminder", "email")
    assert version.descriptor.company_id is None
    assert version.status == "active"
    assert "layouts/email.html" in version.content_html_template

from __future__ import annotations

import pytest

from templating import services
from templating.models import TemplateVersion
from templating.rendering import clear_cache
from tests.factories import TemplateDescriptorFactory, TemplateVersionFactory


@pytest.fixture(autouse=True)
def _fresh_template_cache():  # noqa: ANN202
    clear_cache()
    yield
    clear_cache()


@pytest.fixture
def make_template():  # noqa: ANN201
    """``make_template(company, subject=…, channel=…, language=…, html=…, text=…, subject_line=…,
    enabled=True, active=True)``: a descriptor (``company=None``: built-in) with one version."""

    def make(
        company,  # noqa: ANN001
        *,
        subject: str = "paymentDueReminder",
        channel: str = "email",
        language: str = "en",
        subject_line: str = "",
        html: str = "",
        text: str = "",
        enabled: bool = True,
        active: bool = True,
    ) -> TemplateVersion:
        descriptor = TemplateDescriptorFactory(
            company=company, subject=subject, channel=channel, language=language, enabled=enabled
        )
        version = TemplateVersionFactory(
            descriptor=descriptor,
            subject_line_template=subject_line,
            content_html_template=html,
            content_text_template=text,
        )
        if active:
            version = services.template_version_activate(version=version)
        return version

    return make

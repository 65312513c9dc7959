"""The per-process settings cache (borrowers/settings_cache.py): database triggers give a
company a new ``settings_version`` on every change of the rows cached per company, however
the change is made, and the cached selectors never serve rows older than that."""

from __future__ import annotations

import itertools

import pytest
from django.db import transaction

from borrowers import settings_cache
from borrowers.settings_cache import settings_version
from compliance.models import ComplianceRule
from compliance.selectors import company_rules
from compliance.services import rules_create_defaults
from subjects.models import CompanySubjectSetting
from subjects.selectors import subject_descriptor
from templating.models import TemplateDescriptor, TemplateVersion
from templating.selectors import template_select
from tests.factories import CompanyFactory, TemplateDescriptorFactory, TemplateVersionFactory

pytestmark = pytest.mark.django_db


def _rule(company) -> ComplianceRule:  # noqa: ANN001
    rules_create_defaults(company)
    return ComplianceRule.objects.filter(company=company).order_by("code").first()


_SUBJECTS = itertools.count(100)


def _template(company, subject: str | None = None) -> TemplateVersion:  # noqa: ANN001
    subject = subject or f"custom{next(_SUBJECTS)}"
    descriptor = TemplateDescriptorFactory(company=company, subject=subject, channel="email")
    version = TemplateVersionFactory(descriptor=descriptor, company=company, status="active")
    TemplateDescriptor.objects.filter(pk=descriptor.pk).update(active_version=version)
    return version


CHANGES = {
    "rule save": lambda c: (lambda r: (setattr(r, "enabled", not r.enabled), r.save()))(_rule(c)),
    "rule bulk update": lambda c: (_rule(c), ComplianceRule.objects.filter(company=c).update(name="x")),
    "rule delete": lambda c: _rule(c).delete(),
    "subject setting insert": lambda c: CompanySubjectSetting.objects.create(
        company=c, subject_id=["welcome", "statementGenerated"][CompanySubjectSetting.objects.count()]
    ),
    "template insert": lambda c: _template(c),
    "template version status": lambda c: TemplateVersion.objects.filter(pk=_template(c).pk).update(
        status="archived"
    ),
}


@pytest.mark.parametrize("change", list(CHANGES))
def test_every_change_gives_a_new_version(company, change) -> None:  # noqa: ANN001
    other = CompanyFactory()
    before, other_before = settings_version(company.pk), settings_version(other.pk)
    CHANGES[change](company)
    after = settings_version(company.pk)
    assert after != before
    CHANGES[change](company)
    assert settings_version(company.pk) not in (before, after)
    assert settings_version(other.pk) == other_before  # another company's cache stays valid


def test_a_builtin_template_change_concerns_every_company(company) -> None:  # noqa: ANN001
    other = CompanyFactory()
    before = (settings_version(company.pk), settings_version(other.pk))
    _template(None)
    after = (settings_version(company.pk), settings_version(other.pk))
    assert after[0] != before[0] and after[1] != before[1]


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_change_never_hands_its_version_out_again() -> None:
    company = CompanyFactory()
    rule = _rule(company)
    seen = set()
    for _ in range(3):
        with pytest.raises(RuntimeError), transaction.atomic():
            ComplianceRule.objects.filter(pk=rule.pk).update(name="tried")
            seen.add(settings_version(company.pk))
            raise RuntimeError("rolled back")
    ComplianceRule.objects.filter(pk=rule.pk).update(name="kept")
    assert settings_version(company.pk) not in seen
    assert len(seen) == 3


def test_cached_rules_follow_a_change_made_behind_the_services_back(company) -> None:  # noqa: ANN001
    rules_create_defaults(company)
    first = company_rules(company)
    assert company_rules(company) is first  # served from the cache
    ComplianceRule.objects.filter(company=company, code=first[0].code).update(enabled=False)
    assert [r.code for r in company_rules(company)] == [r.code for r in first[1:]]


def test_cached_subject_settings_and_template_selection_follow_changes(company) -> None:  # noqa: ANN001
    assert subject_descriptor(company, "welcome").preview_only is False
    CompanySubjectSetting.objects.create(company=company, subject_id="welcome", preview_only=True)
    assert subject_descriptor(company, "welcome").preview_only is True
    builtin = _template(None, "custom1")
    assert template_select(company, "custom1", "email").pk == builtin.pk
    own = _template(company, "custom1")
    assert template_select(company, "custom1", "email").pk == own.pk
    TemplateDescriptor.objects.filter(pk=own.descriptor_id).update(enabled=False)
    assert template_select(company, "custom1", "email").pk == builtin.pk


def test_a_stale_version_is_rebuilt_not_served(company) -> None:  # noqa: ANN001
    calls = []
    version = settings_version(company.pk)
    assert settings_cache.cached(company.pk, "k", version, lambda: calls.append(1) or "a") == "a"
    assert settings_cache.cached(company.pk, "k", version, lambda: calls.append(1) or "b") == "a"
    assert settings_cache.cached(company.pk, "k", version + 1, lambda: calls.append(1) or "c") == "c"
    assert settings_cache.cached("CP-NONE-NONE", "k", None, lambda: calls.append(1) or "d") == "d"
    assert settings_cache.cached("CP-NONE-NONE", "k", None, lambda: calls.append(1) or "e") == "e"
    assert len(calls) == 4

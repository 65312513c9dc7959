import pytest

from peachcomms.errors import InvalidInput, NotFound
from subjects.models import CompanySubjectSetting
from subjects.services import subject_setting_update

pytestmark = pytest.mark.django_db


def test_update_returns_the_company_view(company):
    descriptor = subject_setting_update(company, "loanChargedOff", {"agent_can_send": False})
    assert (descriptor.subject, descriptor.theme, descriptor.agent_can_send) == (
        "loanChargedOff",
        "opsCollDebt",
        False,
    )


@pytest.mark.parametrize(
    "subject, data, error",
    [
        ("nope", {"preview_only": True}, NotFound),
        ("welcome", {"title": "Hello"}, InvalidInput),
        ("welcome", {"theme": "nope"}, InvalidInput),
        ("welcome", {"case_types": "collection"}, InvalidInput),
        ("welcome", {"case_types": ["nope"]}, InvalidInput),
        ("welcome", {"agent_can_send": "yes"}, InvalidInput),
    ],
)
def test_bad_updates_raise_and_write_nothing(company, subject, data, error):
    with pytest.raises(error):
        subject_setting_update(company, subject, data)
    assert CompanySubjectSetting.objects.count() == 0


def test_duplicate_case_types_are_kept_once(company):
    descriptor = subject_setting_update(
        company, "welcome", {"case_types": ["collection", "generic", "collection"]}
    )
    assert descriptor.case_types == ["collection", "generic"]

"""compliance.transactional: a message is transactional by what it is, never by a
caller's claim alone."""

from __future__ import annotations

import pytest

from compliance.transactional import Treatment, transactional_treatment
from subjects.selectors import subject_descriptor

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("subject", "theme", "claimed", "own_content", "expected"),
    [
        # A transactional subject with its own theme and template: the caller may only tighten.
        ("paymentProcessed", "opsServicing", None, False, Treatment(True)),
        ("paymentProcessed", "opsServicing", True, False, Treatment(True)),
        ("paymentProcessed", "opsServicing", False, False, Treatment(False)),
        # A claim that is not honoured says why; no claim, no explanation.
        (
            "loanOverdueFirstNotice",
            "opsCollDebt",
            True,
            False,
            Treatment(
                False,
                "opsCollDebt is a debt-collection theme, and Regulation F applies to every such message",
            ),
        ),
        ("loanOverdueFirstNotice", "opsCollDebt", None, False, Treatment(False)),
        (
            "autopayEnableReminder",
            "opsServicing",
            True,
            False,
            Treatment(False, "the subject autopayEnableReminder is not transactional"),
        ),
        (
            "paymentProcessed",
            "marketing",
            True,
            False,
            Treatment(False, "the theme marketing is not the subject paymentProcessed's own (opsServicing)"),
        ),
        (
            "paymentProcessed",
            "opsServicing",
            True,
            True,
            Treatment(
                False, "its content is the caller's own (useTemplate: false), not the subject's template"
            ),
        ),
        ("confirmationCode", "opsAccountCredentials", True, False, Treatment(True)),
    ],
)
def test_treatment(company, subject, theme, claimed, own_content, expected) -> None:  # noqa: ANN001
    descriptor = subject_descriptor(company, subject)
    assert transactional_treatment(descriptor, theme, claimed=claimed, own_content=own_content) == expected


def test_no_subject_or_no_theme_is_never_transactional(company) -> None:  # noqa: ANN001
    assert transactional_treatment(None, "opsServicing", claimed=True).transactional is False
    descriptor = subject_descriptor(company, "paymentProcessed")
    assert transactional_treatment(descriptor, None, claimed=True) == Treatment(
        False, "a message without a theme is treated as debt collection"
    )


def test_a_company_that_makes_a_subject_debt_collection_makes_it_non_transactional(company) -> None:  # noqa: ANN001
    from subjects.services import subject_setting_update

    subject_setting_update(company, "paymentProcessed", {"theme": "opsCollDebt"})
    descriptor = subject_descriptor(company, "paymentProcessed")
    assert transactional_treatment(descriptor, descriptor.theme, claimed=None).transactional is False

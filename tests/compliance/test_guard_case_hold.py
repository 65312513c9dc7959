"""caseHold: each case type blocks what compliance.md says, with its exception subjects;
only open cases hold; lasting."""

from __future__ import annotations

import pytest

from tests.compliance.guard_scenarios import MIDDAY, decide_at, phone, reachable, summary
from tests.factories import CaseFactory

pytestmark = pytest.mark.django_db


def held(code: str) -> tuple:
    return (False, "caseHold", f"caseHold.{code}", None)


@pytest.mark.parametrize(
    ("case_type", "channel", "fields", "expected"),
    [
        # Bankruptcy (automatic stay): debt collection blocked on every channel.
        ("bankruptcy", "voice", {}, held("bankruptcy")),
        ("bankruptcy", "mail", {}, held("bankruptcy")),
        ("bankruptcy", "email", {"subject": "debtValidationNotice"}, held("bankruptcy")),
        ("bankruptcy", "email", {"subject": "statementGenerated"}, True),
        ("bankruptcy", "email", {"subject": "autopayEnableReminder"}, True),
        # An informational subject is excepted even when sent under a collection theme.
        ("bankruptcy", "email", {"subject": "paymentProcessed", "theme": "opsCollDebt"}, True),
        ("bankruptcy", "email", {"subject": "loanPaidOff", "theme": "opsCollDebt"}, True),
        # Cease communication: everything but its two notices and account credentials.
        ("ceaseCommunication", "email", {"subject": "ceaseCommunicationAcknowledgement"}, True),
        ("ceaseCommunication", "mail", {"subject": "ceaseCommunicationRefuseToPay"}, True),
        ("ceaseCommunication", "email", {"subject": "statementGenerated"}, held("ceaseCommunication")),
        ("ceaseCommunication", "voice", {}, held("ceaseCommunication")),
        ("ceaseCommunication", "text", {"subject": "confirmationCode"}, True),
        # Dispute and identity theft: collection blocked, their own notices allowed.
        ("disputeOfDebt", "voice", {}, held("disputeOfDebt")),
        ("disputeOfDebt", "email", {"subject": "disputeOfDebtConfirmed"}, True),
        ("disputeOfDebt", "email", {"subject": "statementGenerated"}, True),
        ("identityTheft", "text", {}, held("identityTheft")),
        ("identityTheft", "email", {"subject": "identityTheftValidated"}, True),
        # Military duty: no acceleration or charge-off notices.
        ("militaryDuty", "email", {"subject": "loanAccelerated"}, held("militaryDuty")),
        ("militaryDuty", "email", {"subject": "loanChargedOff"}, held("militaryDuty")),
        ("militaryDuty", "email", {"subject": "loanOverdueFirstNotice"}, True),
        # A case type without a hold.
        ("generic", "voice", {}, True),
    ],
)
def test_case_holds(rules, borrower, case_type, channel, fields, expected) -> None:  # noqa: ANN001
    reachable(borrower)
    borrower.contacts.create(
        company=borrower.company, contact_type="address", address_line1="1 Main St", state="NY", country="US"
    )
    CaseFactory(borrower=borrower, case_type=case_type, status="processing")
    decision = decide_at(borrower, MIDDAY, channel, **fields)
    if expected is True:
        assert (decision.result, decision.reason) == (True, None)
    else:
        assert summary(decision, rules) == expected
        assert decision.lasting is True


def test_bankruptcy_message(rules, borrower) -> None:  # noqa: ANN001
    reachable(borrower)
    case = CaseFactory(borrower=borrower, case_type="bankruptcy")
    assert decide_at(borrower, MIDDAY).message == (
        f"Open bankruptcy case {case.pk} (initiated) blocks debt-collection themes (opsCollDebt), and the "
        "loanOverdueFirstNotice subject is not one of its exceptions; waiting will not help."
    )


@pytest.mark.parametrize("status", ["completed", "canceled"])
def test_closed_cases_do_not_hold(rules, borrower, status) -> None:  # noqa: ANN001
    reachable(borrower)
    CaseFactory(borrower=borrower, case_type="bankruptcy", status=status)
    assert decide_at(borrower, MIDDAY).result is True


def test_deceased_notices_go_only_to_executor_or_attorney(rules, borrower) -> None:  # noqa: ANN001
    reachable(borrower)
    executor = phone(borrower, "+12125550199", affiliation="executor", status="secondary")
    CaseFactory(borrower=borrower, case_type="deceased")
    notice = {"subject": "deceasedNoticeToRepresentative"}
    assert decide_at(borrower, MIDDAY, "text", contact=executor, **notice).result is True
    assert summary(decide_at(borrower, MIDDAY, "text", **notice), rules) == held("deceased")  # to self
    assert summary(decide_at(borrower, MIDDAY, "text", contact=executor), rules) == held("deceased")
    assert summary(decide_at(borrower, MIDDAY, "email", subject="statementGenerated"), rules) == held(
        "deceased"
    )


def test_disabled_row_is_ignored(rules, borrower) -> None:  # noqa: ANN001
    reachable(borrower)
    CaseFactory(borrower=borrower, case_type="bankruptcy")
    rules["caseHold.bankruptcy"].enabled = False
    rules["caseHold.bankruptcy"].save()
    assert decide_at(borrower, MIDDAY).result is True

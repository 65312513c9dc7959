"""decide_and_record: evaluate and insert atomically under a per-borrower lock, so that
concurrent sends can never exceed a cap (compliance.md, "Correctness under concurrency")."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from django.db import connection

from compliance.guard import Decision
from compliance.recording import decide_and_record
from interactions.models import Interaction
from tests.compliance.guard_scenarios import MIDDAY, reachable, request, utc

THREADS = 20


def _recorder(borrower, at):  # noqa: ANN001, ANN202
    def record(decision: Decision) -> Interaction:
        return Interaction.objects.create(
            company_id=borrower.company_id,
            borrower_id=borrower.pk,
            channel="voice",
            direction=Interaction.Direction.OUTBOUND,
            subject="loanOverdueFirstNotice",
            theme="opsCollDebt",
            status=Interaction.Status.SCHEDULED,
            send_at=at,
        )

    return record


@pytest.mark.slow
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_twenty_concurrent_sends_record_exactly_the_cap(rules, borrower) -> None:  # noqa: ANN001
    reachable(borrower)  # New York; normal intensity: 7 calls per 7 days
    at = utc(MIDDAY)  # a Wednesday, 10:00 in New York
    barrier = threading.Barrier(THREADS)
    outcomes: list[tuple[bool, str | None, str | None]] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def send() -> None:
        try:
            barrier.wait(timeout=30)
            decision, recorded = decide_and_record(
                request(borrower, "voice", theme="opsCollDebt"), _recorder(borrower, at), at=at
            )
            assert (recorded is not None) is decision.result
            with lock:
                outcomes.append((decision.result, decision.reason, decision.as_dict()["sendAt"]))
        except BaseException as error:  # noqa: BLE001 - reported below
            with lock:
                errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert Counter(outcomes) == Counter(
        {(True, None, "2026-12-02T15:00:00Z"): 7, (False, "frequency", "2026-12-09T15:00:00Z"): 13}
    )
    assert Interaction.objects.filter(borrower=borrower).count() == 7


@pytest.mark.django_db
def test_refused_records_nothing(rules, borrower) -> None:  # noqa: ANN001
    reachable(borrower)
    calls: list[Decision] = []

    def record(decision: Decision) -> str:
        calls.append(decision)
        return "recorded"

    night = utc("2026-12-03T03:30:00Z")
    decision, recorded = decide_and_record(request(borrower), record, at=night)
    assert (decision.result, decision.reason, recorded, calls) == (False, "timeOfDay", None, [])
    decision, recorded = decide_and_record(request(borrower), record, at=utc(MIDDAY))
    assert (decision.result, recorded, calls) == (True, "recorded", [decision])


@pytest.mark.django_db
def test_the_decision_reads_the_borrower_row_it_locked(rules, borrower) -> None:  # noqa: ANN001
    reachable(borrower)
    stale = request(borrower)  # built while the borrower was active
    type(borrower).objects.filter(pk=borrower.pk).update(status="inactive")
    decision, recorded = decide_and_record(stale, lambda decision: "recorded", at=utc(MIDDAY))
    assert (decision.reason, recorded) == ("borrowerStatus", None)


@pytest.mark.django_db
def test_a_failing_record_rolls_back(rules, borrower) -> None:  # noqa: ANN001
    reachable(borrower)

    def record(decision: Decision) -> None:
        _recorder(borrower, utc(MIDDAY))(decision)
        raise RuntimeError("render failed")

    with pytest.raises(RuntimeError):
        decide_and_record(request(borrower), record, at=utc(MIDDAY))
    assert not Interaction.objects.filter(borrower=borrower).exists()


@pytest.mark.django_db
def test_the_decision_reads_cases_and_holds_as_of_the_lock(rules, borrower) -> None:  # noqa: ANN001
    from tests.factories import CaseFactory

    reachable(borrower)
    built = request(borrower)  # before the case was opened
    CaseFactory(borrower=borrower, case_type="bankruptcy", status="processing")
    decision, recorded = decide_and_record(built, lambda decision: "recorded", at=utc(MIDDAY))
    assert (decision.result, recorded) == (False, None)


@pytest.mark.django_db
def test_do_not_interacts_are_read_again_when_the_companys_date_changed_at_the_lock(
    rules, borrower, monkeypatch
) -> None:  # noqa: ANN001
    """The records are read with the lock for the date before it; if the company's date
    is another once the lock is held (midnight passed while waiting), they are read again
    for the decision's own date."""
    from datetime import timedelta

    from compliance import recording
    from compliance.selectors import company_today
    from tests.factories import DoNotInteractFactory

    reachable(borrower)
    today = company_today(borrower.company, utc(MIDDAY))
    DoNotInteractFactory(borrower=borrower, end_date=today)  # active today, not tomorrow
    dates = iter([today, today + timedelta(days=1)])
    monkeypatch.setattr(recording, "company_today", lambda company, at: next(dates))
    decision, recorded = decide_and_record(request(borrower), lambda decision: "recorded", at=utc(MIDDAY))
    assert (decision.result, recorded) == (True, "recorded")

    monkeypatch.setattr(recording, "company_today", lambda company, at: today)
    decision, recorded = decide_and_record(request(borrower), lambda decision: "recorded", at=utc(MIDDAY))
    assert (decision.result, decision.reason) == (False, "doNotInteract")

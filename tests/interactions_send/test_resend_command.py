"""``manage.py resend_interactions``: a filter or ``--all``, a count and a confirmation
(``--yes``; no terminal refuses), resends skipped unless ``--include-resends``, each copy
checked against Compliance Guard unless ``--skip-compliance-check`` (warned)."""

from __future__ import annotations

import io
import threading
from collections import Counter
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command, execute_from_command_line
from django.db import connection, connections

from interactions.management.commands.resend_interactions import SKIP_WARNING
from interactions.models import Interaction
from interactions.selectors import resend_selection
from interactions.services import interaction_resend, interaction_resend_checked
from tests.factories import BorrowerFactory, InteractionFactory
from tests.interactions_send import resend_scenarios
from tests.interactions_send.conftest import count
from tests.interactions_send.resend_scenarios import (
    NEXT_MORNING,
    NIGHT,
    NIGHT_REFUSAL,
    copies_of,
    email_original,
    text_original,
)

pytestmark = pytest.mark.django_db

clock = resend_scenarios.clock  # the fixture

CHECKED = (
    "Each copy is checked against Compliance Guard when it is made; refused ones are listed "
    "with the reason and the next allowed time, and not sent."
)
NO_TERMINAL = (
    "Not resending {n} interaction(s) without a confirmation: stdin is not a terminal. "
    "Pass --yes to confirm from a script. Nothing was sent."
)
SYSTEM = {"id": None, "name": "manage.py resend_interactions", "userType": "system"}


class Terminal(io.StringIO):
    """A stdin that is a terminal, where the operator has typed ``answer``."""

    def isatty(self) -> bool:
        return True


def run(*args: str, stdin: io.StringIO | None = None) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("resend_interactions", *args, stdout=out, stderr=err, stdin=stdin or StringIO())
    return out.getvalue(), err.getvalue()


@pytest.fixture
def history(clock, company, borrower, contacts):  # noqa: ANN001, ANN201
    """Rows made an hour before the run (the command resends only rows older than itself)."""
    clock.now -= timedelta(hours=1)
    email = contacts["email"]
    made = {
        "failed": lambda: email_original(borrower, email, status="failed", supercase_bulk_operation_id="b1"),
        "sent": lambda: email_original(borrower, email, status="attempted", supercase_bulk_operation_id="b1"),
        "inbound": lambda: email_original(
            borrower, email, direction="inbound", supercase_bulk_operation_id="b1"
        ),
        "empty": lambda: InteractionFactory(borrower=borrower, contact=email, status="failed", content=None),
        "foreign": lambda: email_original(BorrowerFactory(), email, status="failed"),
    }
    rows = {}
    for name, make in made.items():  # a second apart: the command resends oldest first
        clock.now += timedelta(seconds=1)
        rows[name] = make()
    clock.now += timedelta(hours=1)
    return rows


def plan(
    matching: int, to_resend: int, inbound: int, resends: int, company, *, included: bool = False
) -> str:  # noqa: ANN001
    tail = (
        f"{resends} resend(s) included (--include-resends)"
        if included
        else f"{resends} resend(s) skipped (--include-resends to resend them too)"
    )
    return (
        f"{matching} interaction(s) of {company.pk} match: {to_resend} to resend; "
        f"{inbound} inbound and 0 logged skipped; {tail}."
    )


def test_without_a_filter_it_refuses_and_sends_nothing(company, history, published):
    before = count()
    with pytest.raises(CommandError) as refused:
        run("--company", company.pk, "--yes")
    assert str(refused.value) == (
        "No filter given: name the interactions with --ids, --bulk-operation-id, --status, "
        f"--created-from or --created-to, or pass --all to resend every outbound interaction of "
        f"{company.pk}. Nothing was sent."
    )
    assert (count(), published) == (before, [])


def test_without_a_terminal_and_without_yes_it_refuses_and_sends_nothing(company, history, published):
    before = count()
    out, err = StringIO(), StringIO()
    with pytest.raises(CommandError) as refused:
        call_command(
            "resend_interactions", "--company", company.pk, "--all", stdout=out, stderr=err, stdin=StringIO()
        )
    assert str(refused.value) == NO_TERMINAL.format(n=3)
    assert out.getvalue().splitlines() == [plan(4, 3, 1, 0, company), CHECKED]
    assert (count(), published) == (before, [])


def test_from_a_shell_without_a_terminal_the_exit_status_is_1(
    company, history, published, monkeypatch, capsys
):
    # As an operator's shell runs it: manage.py's own entry point, stdin not a terminal.
    monkeypatch.setattr("sys.stdin", StringIO())
    monkeypatch.setattr(connections, "close_all", lambda: None)  # the test's transaction
    before = count()
    with pytest.raises(SystemExit) as exited:
        execute_from_command_line(["manage.py", "resend_interactions", "--company", company.pk, "--all"])
    assert exited.value.code == 1
    assert capsys.readouterr().err.splitlines()[-1] == "CommandError: " + NO_TERMINAL.format(n=3)
    assert (count(), published) == (before, [])


def test_all_with_yes_resends_every_outbound_row_checked(
    company, borrower, history, published, django_capture_on_commit_callbacks
):
    out, err = StringIO(), StringIO()
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(CommandError) as failed_one:
        call_command(
            "resend_interactions",
            "--company",
            company.pk,
            "--all",
            "--yes",
            "--no-progress",
            stdout=out,
            stderr=err,
        )
    assert str(failed_one.value) == "1 interaction(s) could not be resent (listed above)."
    out, err = out.getvalue(), err.getvalue()
    failed, sent, empty = history["failed"], history["sent"], history["empty"]
    copies = {
        c.previous_interaction_id: c for c in Interaction.objects.filter(previous_interaction__isnull=False)
    }
    assert out.splitlines() == [
        plan(4, 3, 1, 0, company),
        CHECKED,
        f"resent {failed.pk} (email paymentDueReminder, person {borrower.pk}) as {copies[failed.pk].pk}",
        f"resent {sent.pk} (email paymentDueReminder, person {borrower.pk}) as {copies[sent.pk].pk}",
        "Resent 2 of 4 matching interaction(s); refused 0 by Compliance Guard; skipped 1 inbound, 0 logged, "
        "0 resend(s); 1 error(s). Checked against Compliance Guard.",
    ]
    assert err.splitlines() == [
        f"error {empty.pk} (email paymentDueReminder, person {empty.borrower_id}): "
        f"Interaction {empty.pk} has no recorded content to resend."
    ]
    assert copies_of(failed, sent, history["foreign"]) == sorted(
        [(failed.pk, True, "scheduled"), (sent.pk, True, "scheduled")]
    )
    assert sorted(published) == sorted(c.pk for c in copies.values())
    copy = copies[failed.pk]
    assert copy.content == {**failed.content, "attachments": [], "from": None, "providerMessageId": None}
    assert {key: copy.created_by[key] for key in SYSTEM} == SYSTEM


def test_a_terminal_asks_and_only_yes_sends(company, history, published, django_capture_on_commit_callbacks):
    before = count()
    with pytest.raises(CommandError, match=r"^Not confirmed\. Nothing was sent\.$"):
        run("--company", company.pk, "--bulk-operation-id", "b1", stdin=Terminal("no\n"))
    assert (count(), published) == (before, [])
    with django_capture_on_commit_callbacks(execute=True):
        out, err = run("--company", company.pk, "--bulk-operation-id", "b1", stdin=Terminal("yes\n"))
    assert out.splitlines()[:2] == [plan(3, 2, 1, 0, company), CHECKED]
    assert out.splitlines()[2] == (
        "Resend 2 interaction(s)? Type 'yes' to continue: "
        "Resent 2 of 3 matching interaction(s); refused 0 by Compliance Guard; skipped 1 inbound, 0 logged, "
        "0 resend(s); 0 error(s). Checked against Compliance Guard."
    )
    assert "\r[" in err and "2/2 100%" in err and "resent 2, refused 0, errors 0" in err
    assert copies_of(history["failed"], history["sent"]) == sorted(
        [(history["failed"].pk, True, "scheduled"), (history["sent"].pk, True, "scheduled")]
    )
    assert len(published) == 2


def test_resends_are_skipped_unless_included(
    clock,
    company,
    borrower,
    contacts,
    published,
    django_capture_on_commit_callbacks,
):
    clock.now -= timedelta(hours=1)
    email = contacts["email"]
    # Without a contentHtml key: its copy has one (null), and is still a copy.
    content = {"subjectLine": "Due soon", "contentText": "Pay by Friday.", "to": email.value}
    original = email_original(borrower, email, supercase_bulk_operation_id="b2", content=content)
    resent = interaction_resend(company, SYSTEM, original.pk)
    Interaction.objects.filter(pk=resent.pk).update(supercase_bulk_operation_id="b2")
    # Threaded on the original but a different message: not a resend.
    follow_up = email_original(
        borrower,
        email,
        previous_interaction=original,
        supercase_bulk_operation_id="b2",
        content={**original.content, "contentText": "Thanks for paying."},
    )
    clock.now += timedelta(hours=1)
    with django_capture_on_commit_callbacks(execute=True):
        out, _ = run("--company", company.pk, "--bulk-operation-id", "b2", "--yes", "--no-progress")
    assert out.splitlines()[0] == plan(3, 2, 0, 1, company)
    assert out.splitlines()[-1].startswith(
        "Resent 2 of 3 matching interaction(s); refused 0 by Compliance Guard; "
        "skipped 0 inbound, 0 logged, 1 resend(s);"
    )
    assert Interaction.objects.filter(previous_interaction_id=resent.pk).count() == 0
    assert Interaction.objects.filter(previous_interaction_id=follow_up.pk).count() == 1

    # Included, the resend is resent too.
    with django_capture_on_commit_callbacks(execute=True):
        out, _ = run(
            "--company",
            company.pk,
            "--ids",
            f"{original.pk},{resent.pk}",
            "--include-resends",
            "--yes",
            "--no-progress",
        )
    assert out.splitlines()[0] == plan(2, 2, 0, 1, company, included=True)
    assert Interaction.objects.filter(previous_interaction_id=resent.pk).count() == 1


def test_a_night_time_collection_text_is_refused_listed_and_not_sent(
    clock,
    company,
    borrower,
    contacts,
    published,
    django_capture_on_commit_callbacks,
):
    clock.now = NIGHT - timedelta(hours=3)
    text = text_original(borrower, contacts["phone"], send_at=clock.now)
    email = email_original(borrower, contacts["email"])
    clock.now = NIGHT
    with django_capture_on_commit_callbacks(execute=True):
        out, err = run("--company", company.pk, "--ids", f"{text.pk},{email.pk}", "--yes", "--no-progress")
    copy = Interaction.objects.get(previous_interaction_id=email.pk)
    assert out.splitlines()[2:] == [
        f"resent {email.pk} (email paymentDueReminder, person {borrower.pk}) as {copy.pk}",
        f"refused {text.pk} (text loanOverdueFirstNotice, person {borrower.pk}): timeOfDay: "
        f"{NIGHT_REFUSAL} sendAt: {NEXT_MORNING}",
        "Resent 1 of 2 matching interaction(s); refused 1 by Compliance Guard; skipped 0 inbound, 0 logged, "
        "0 resend(s); 0 error(s). Checked against Compliance Guard.",
    ]
    assert err == ""
    assert Interaction.objects.filter(previous_interaction_id=text.pk).count() == 0
    assert published == [copy.pk]


def test_skip_compliance_check_sends_it_and_warns(
    clock,
    company,
    borrower,
    contacts,
    published,
    django_capture_on_commit_callbacks,
):
    clock.now = NIGHT - timedelta(hours=3)
    text = text_original(borrower, contacts["phone"], send_at=clock.now)
    clock.now = NIGHT
    with django_capture_on_commit_callbacks(execute=True):
        out, err = run(
            "--company", company.pk, "--ids", text.pk, "--skip-compliance-check", "--yes", "--no-progress"
        )
    copy = Interaction.objects.get(previous_interaction_id=text.pk)
    assert err.splitlines() == [SKIP_WARNING]
    assert out.splitlines() == [
        plan(1, 1, 0, 0, company),
        f"resent {text.pk} (text loanOverdueFirstNotice, person {borrower.pk}) as {copy.pk}",
        "Resent 1 of 1 matching interaction(s); refused 0 by Compliance Guard; skipped 0 inbound, 0 logged, "
        "0 resend(s); 0 error(s). NOT checked against Compliance Guard.",
    ]
    assert (copy.compliance_checked, copy.send_at, copy.content["contentText"]) == (
        False,
        NIGHT,
        "Your loan is overdue.",
    )
    assert published == [copy.pk]


def test_copies_count_against_the_cap_within_one_run(
    clock,
    company,
    borrower,
    contacts,
    published,
    django_capture_on_commit_callbacks,
):
    # Two collection texts this week; the cap (normal intensity) is three in seven days:
    # the first copy is the third text, the second copy would be the fourth.
    clock.now -= timedelta(hours=2)
    first = text_original(borrower, contacts["phone"], send_at=clock.now, supercase_bulk_operation_id="b3")
    clock.now += timedelta(seconds=1)
    second = text_original(borrower, contacts["phone"], send_at=clock.now, supercase_bulk_operation_id="b3")
    clock.now += timedelta(hours=2)
    with django_capture_on_commit_callbacks(execute=True):
        out, _ = run("--company", company.pk, "--bulk-operation-id", "b3", "--yes", "--no-progress")
    assert copies_of(first, second) == [(first.pk, True, "scheduled")]
    refused = out.splitlines()[3]
    assert refused.startswith(
        f"refused {second.pk} (text loanOverdueFirstNotice, person {borrower.pk}): frequency: "
    )
    assert out.splitlines()[-1].startswith(
        "Resent 1 of 2 matching interaction(s); refused 1 by Compliance Guard;"
    )


def test_dry_run_lists_what_would_happen_and_writes_nothing(company, history, published, clock, contacts):
    night_text = text_original(history["sent"].borrower, contacts["phone"], supercase_bulk_operation_id="b1")
    clock.now = NIGHT
    before = count()
    out, err = run("--company", company.pk, "--bulk-operation-id", "b1", "--dry-run")  # no terminal, no --yes
    failed, sent = history["failed"], history["sent"]
    assert (count(), published, err) == (before, [], "")
    assert out.splitlines() == [
        plan(4, 3, 1, 0, company),
        CHECKED,
        f"would resend {failed.pk} (email paymentDueReminder, person {failed.borrower_id})",
        f"would resend {sent.pk} (email paymentDueReminder, person {sent.borrower_id})",
        f"would be refused {night_text.pk} (text loanOverdueFirstNotice, person {night_text.borrower_id}): "
        f"timeOfDay: {NIGHT_REFUSAL} sendAt: {NEXT_MORNING}",
        "Dry run: would resend 2 of 4 matching interaction(s); would refuse 1 (Compliance Guard as of now); "
        "skipped 1 inbound, 0 logged, 0 resend(s); 0 error(s). Nothing was sent.",
    ]


def test_filters_by_status_ids_and_time(company, history):
    out, _ = run("--company", company.pk, "--status", "failed", "--dry-run")
    assert out.splitlines()[-1].startswith(
        "Dry run: would resend 1 of 2 matching interaction(s); would refuse 0"
    )
    out, err = run(
        "--company", company.pk, "--ids", f"{history['sent'].pk},{history['foreign'].pk}", "--dry-run"
    )
    assert out.splitlines()[2].split()[2] == history["sent"].pk
    assert out.splitlines()[-1].startswith("Dry run: would resend 1 of 1 matching interaction(s)")
    assert err.splitlines() == [f"error: {history['foreign'].pk}: no interaction of this company"]
    out, _ = run(
        "--company", company.pk, "--created-from", "2000-01-01", "--created-to", "2000-12-31", "--dry-run"
    )
    assert out.splitlines()[-1].startswith("Dry run: would resend 0 of 0")
    created = history["sent"].created_at.isoformat()
    out, _ = run("--company", company.pk, "--created-from", created, "--status", "attempted", "--dry-run")
    assert out.splitlines()[-1].startswith("Dry run: would resend 1 of 1")


def test_bad_input_is_refused_and_errors_are_counted(company, history, published):
    before = count()
    with pytest.raises(CommandError, match="^1 interaction"):
        run("--company", company.pk, "--ids", history["empty"].pk, "--yes", "--no-progress")
    with pytest.raises(CommandError, match="not one of"):
        run("--company", company.pk, "--status", "lost")
    with pytest.raises(CommandError, match="No company"):
        run("--company", "CP-AAAA-AAAA", "--all")
    with pytest.raises(CommandError, match="not an ISO"):
        run("--company", company.pk, "--created-from", "yesterday")
    with pytest.raises(CommandError, match="not interaction ids: BO-1"):
        run("--company", company.pk, "--ids", "BO-1")
    assert (count(), published) == (before, [])


@pytest.mark.slow
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_checked_resends_to_one_borrower_stop_at_the_cap(clock, borrower, contacts, published):
    # Six collection texts sent eight days ago (outside the seven-day window): resent at
    # once from six threads, each with its own connection, the borrower lock lets the
    # guard see each committed copy, so exactly the cap (three, normal intensity) go out.
    clock.now -= timedelta(days=8)
    originals = [text_original(borrower, contacts["phone"], send_at=clock.now) for _ in range(6)]
    clock.now += timedelta(days=8)
    barrier = threading.Barrier(len(originals))
    outcomes: list[tuple[str, str | None]] = []
    errors: list[BaseException] = []

    def resend(original_id: str) -> None:
        try:
            (row,) = resend_selection(Interaction.objects.filter(pk=original_id), include_resends=False).rows
            barrier.wait(timeout=30)
            outcome = interaction_resend_checked(row, SYSTEM)
            outcomes.append((outcome.kind, outcome.refusal.reason if outcome.refusal else None))
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=resend, args=(original.pk,)) for original in originals]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    assert Counter(outcomes) == Counter({("resent", None): 3, ("refused", "frequency"): 3})
    copies = Interaction.objects.filter(previous_interaction_id__in=[o.pk for o in originals])
    assert sorted(copies.values_list("pk", flat=True)) == sorted(published)
    assert copies.count() == 3


def test_logged_interactions_are_skipped_not_errors(clock, company, borrower, contacts):  # noqa: ANN001
    """A call logged through the API happened elsewhere: nothing of it was sent here."""
    clock.now -= timedelta(hours=1)
    logged = InteractionFactory(
        borrower=borrower, channel="voice", is_external=True, status="succeeded", content=None
    )
    clock.now += timedelta(hours=1)
    out, err = run("--company", company.pk, "--all", "--yes", "--no-progress")
    assert out.splitlines()[0] == (
        f"1 interaction(s) of {company.pk} match: 0 to resend; 0 inbound and 1 logged skipped; "
        "0 resend(s) skipped (--include-resends to resend them too)."
    )
    assert err == ""
    assert not Interaction.objects.filter(previous_interaction=logged).exists()


def test_a_copy_of_the_callers_own_content_is_not_transactional(clock, company, borrower, contacts):  # noqa: ANN001
    """A text of a transactional subject whose content was the caller's (``useTemplate:
    false``: no template version), stored as transactional by an earlier version, is
    checked as the send would check it now (compliance/transactional.py): the window holds."""
    clock.now = NIGHT - timedelta(hours=3)
    own = text_original(
        borrower,
        contacts["phone"],
        subject="paymentProcessed",
        theme="opsServicing",
        is_transactional=True,
        template_version_id=None,
        send_at=clock.now,
    )
    clock.now = NIGHT
    out, _ = run("--company", company.pk, "--ids", own.pk, "--yes", "--no-progress")
    assert out.splitlines()[2].startswith(
        f"refused {own.pk} (text paymentProcessed, person {borrower.pk}): timeOfDay: "
    )
    assert not Interaction.objects.filter(previous_interaction=own).exists()

"""The dispatcher's logic against PostgreSQL, in process: claims, outcomes per provider
answer, backoff, Compliance Guard re-check, forward-only outcomes and recovery."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import transaction
from django.utils import timezone

from compliance.guard import Decision
from compliance.services import rules_create_defaults
from interactions import dispatch
from interactions.dispatch import (
    AMBIGUOUS_SHORT,
    MAX_ATTEMPTS,
    WORKER_LOST_SHORT,
    Outcome,
    enqueue,
    interaction_dispatch,
    interaction_enqueue_after_commit,
    interactions_claim_due,
    interactions_recover_stuck,
    retry_delay,
)
from interactions.models import Interaction
from interactions.services import interaction_update
from providers.base import (
    AmbiguousProviderError,
    ProviderConfigurationError,
    RejectedProviderError,
    SendResult,
    TransientProviderError,
)
from providers.models import OutboxMessage
from tests.factories import (
    BorrowerFactory,
    ContactFactory,
    DoNotInteractFactory,
    DueInteractionFactory,
    InteractionFactory,
)
from tests.interactions_dispatch.infra import broker_redirect, free_port

pytestmark = pytest.mark.django_db


def reload(row: Interaction) -> Interaction:
    return Interaction.objects.get(pk=row.pk)


# Success: the outbox (default provider) and the status each channel ends in


def test_outbox_send_records_the_message_once_and_ends_delivered():
    row = DueInteractionFactory(compliance_checked=False)

    assert interaction_dispatch(row.pk) == Outcome.SENT
    assert interaction_dispatch(row.pk) == Outcome.SKIPPED

    outbox = OutboxMessage.objects.get(reference=row.pk)
    row = reload(row)
    assert (row.status, row.status_details) == ("succeeded", "emailDelivered")
    assert row.provider == "outbox"
    assert row.provider_message_id == outbox.provider_message_id
    assert row.content["providerMessageId"] == outbox.provider_message_id
    assert row.content["subjectLine"] == outbox.subject_line == "Your payment is due"
    assert (outbox.to, outbox.from_address) == (row.content["to"], "billing@peach.example")
    assert row.attempt_count == 1
    assert row.dispatch_token is None
    assert row.dispatch_started_at is not None
    assert row.failure_description_short is None


@pytest.mark.parametrize(
    ("channel", "state", "status", "details"),
    [
        ("email", "accepted", "attempted", "emailSent"),
        ("email", "delivered", "succeeded", "emailDelivered"),
        ("text", "accepted", "attempted", "textSent"),
        ("text", "delivered", "succeeded", "textDelivered"),
        ("mail", "accepted", "attempted", "mailSent"),
        ("mail", "delivered", "attempted", "mailSent"),  # no "mailDelivered" in the catalogue
        ("voice", "accepted", "attempted", None),  # the call status webhook tells the rest
        ("voice", "delivered", "attempted", None),
    ],
)
def test_sent_status_per_channel(scripted, channel, state, status, details):
    scripted.reset(state)
    row = DueInteractionFactory(channel=channel, compliance_checked=False)

    assert interaction_dispatch(row.pk) == Outcome.SENT

    row = reload(row)
    assert (row.status, row.status_details) == (status, details)
    assert row.provider == "scripted"
    assert row.provider_message_id.startswith("scripted-")
    assert [call.channel for call in scripted.calls] == [channel]


@pytest.mark.parametrize(
    ("channel", "status", "details"), [("gui", "succeeded", "guiDisplayed"), ("chat", "attempted", None)]
)
def test_portal_channels_are_stored_in_the_outbox(channel, status, details):
    row = DueInteractionFactory(channel=channel, compliance_checked=False)

    assert interaction_dispatch(row.pk) == Outcome.SENT

    row = reload(row)
    assert (row.status, row.status_details, row.provider) == (status, details, "outbox")
    assert OutboxMessage.objects.filter(reference=row.pk, channel=channel).count() == 1


@pytest.mark.parametrize(
    "change",
    [
        {"send_at": timezone.now() + timedelta(minutes=5)},  # not due yet
        {"status": "canceled"},
        {"status": "succeeded"},
        {"direction": "inbound"},
        {"deleted_at": timezone.now()},
    ],
)
def test_only_due_scheduled_outbound_rows_are_sent(scripted, change):
    row = DueInteractionFactory(compliance_checked=False, **change)

    assert interaction_dispatch(row.pk) == Outcome.SKIPPED
    assert interaction_dispatch("IT-XXXX-XXXX") == Outcome.SKIPPED

    assert scripted.calls == []
    assert reload(row).attempt_count == 0


def test_a_message_that_cannot_be_built_fails_without_a_provider_call(scripted):
    row = DueInteractionFactory(
        compliance_checked=False, contact=None, content={"subjectLine": "x", "to": ""}
    )

    assert interaction_dispatch(row.pk) == Outcome.FAILED

    row = reload(row)
    assert (row.status, row.status_details) == ("failed", None)
    assert row.failure_description_short == "The message cannot be sent"
    assert row.failure_description_long == "The interaction has no recipient (content.to)."
    assert scripted.calls == []


def test_attachments_are_read_from_the_documents(scripted):
    from django.core.files.base import ContentFile

    from tests.factories import DocumentFactory

    row = DueInteractionFactory(compliance_checked=False)
    document = DocumentFactory(borrower=row.borrower, file_name="statement.pdf")
    document.content.save("statement.pdf", ContentFile(b"%PDF-1.4 test"), save=True)
    row.content = {**row.content, "attachments": [document.pk]}
    row.save()

    assert interaction_dispatch(row.pk) == Outcome.SENT

    (attachment,) = scripted.calls[0].attachments
    assert (attachment.file_name, attachment.content_type, attachment.content) == (
        "statement.pdf",
        "application/pdf",
        b"%PDF-1.4 test",
    )


# Provider errors


def test_retry_delay_is_capped_exponential():
    assert [retry_delay(n).total_seconds() for n in range(1, 11)] == [
        30,
        60,
        120,
        240,
        480,
        960,
        1920,
        3600,
        3600,
        3600,
    ]


def test_transient_error_reschedules_with_backoff_until_the_last_attempt(scripted):
    scripted.reset(*[TransientProviderError] * MAX_ATTEMPTS)
    row = DueInteractionFactory(compliance_checked=False)

    for attempt in range(1, MAX_ATTEMPTS):
        before = timezone.now()
        assert interaction_dispatch(row.pk) == Outcome.RETRY
        after = timezone.now()
        row = reload(row)
        assert (row.status, row.attempt_count, row.dispatch_token, row.enqueued_at) == (
            "scheduled",
            attempt,
            None,
            None,
        )
        assert before + retry_delay(attempt) <= row.send_at <= after + retry_delay(attempt)
        assert row.last_error == "TransientProviderError: scripted TransientProviderError"
        assert interaction_dispatch(row.pk) == Outcome.SKIPPED  # not due before the backoff
        Interaction.objects.filter(pk=row.pk).update(send_at=timezone.now())

    assert interaction_dispatch(row.pk) == Outcome.FAILED
    row = reload(row)
    assert (row.status, row.status_details, row.attempt_count) == ("failed", "providerError", MAX_ATTEMPTS)
    assert row.failure_description_short == f"The provider was unavailable on {MAX_ATTEMPTS} attempts"
    assert row.failure_description_long == "scripted: scripted TransientProviderError (code X1)."
    assert len(scripted.calls) == MAX_ATTEMPTS


def test_ambiguous_error_is_recorded_and_never_retried(scripted):
    scripted.reset(AmbiguousProviderError)
    row = DueInteractionFactory(compliance_checked=False)

    assert interaction_dispatch(row.pk) == Outcome.UNKNOWN

    row = reload(row)
    assert (row.status, row.status_details) == ("attempted", None)
    assert row.failure_description_short == AMBIGUOUS_SHORT
    assert row.failure_description_short == "Delivery unknown: provider timed out after the request was sent"
    assert row.failure_description_long.startswith("scripted: scripted AmbiguousProviderError (code X1).")
    assert row.dispatch_token is None
    Interaction.objects.filter(pk=row.pk).update(enqueued_at=None)
    assert interactions_claim_due(reenqueue_after=timedelta(0)) == []
    assert interactions_recover_stuck(older_than=timedelta(0))["unknown"] == 0
    assert interaction_dispatch(row.pk) == Outcome.SKIPPED
    assert len(scripted.calls) == 1


def test_unexpected_exception_in_the_provider_counts_as_unknown(scripted):
    scripted.reset(ValueError)
    row = DueInteractionFactory(compliance_checked=False)

    assert interaction_dispatch(row.pk) == Outcome.UNKNOWN

    row = reload(row)
    assert (row.status, row.failure_description_short) == (
        "attempted",
        "Delivery unknown: the provider call failed unexpectedly",
    )


@pytest.mark.parametrize(
    ("error", "short"),
    [
        (RejectedProviderError, "The provider rejected the message"),
        (ProviderConfigurationError, "Provider not configured"),
    ],
)
def test_rejected_or_misconfigured_fails_with_provider_error(scripted, error, short):
    scripted.reset(error)
    row = DueInteractionFactory(compliance_checked=False)

    assert interaction_dispatch(row.pk) == Outcome.FAILED
    assert interaction_dispatch(row.pk) == Outcome.SKIPPED

    row = reload(row)
    assert (row.status, row.status_details, row.failure_description_short) == (
        "failed",
        "providerError",
        short,
    )
    assert row.failure_description_long == f"scripted: scripted {error.__name__} (code X1)."
    assert len(scripted.calls) == 1


def test_unknown_provider_fails_before_any_claim(settings):
    settings.EMAIL_PROVIDER = "nope"
    row = DueInteractionFactory(compliance_checked=False)

    assert interaction_dispatch(row.pk) == Outcome.FAILED

    row = reload(row)
    assert (row.status, row.status_details, row.attempt_count) == ("failed", "providerError", 0)
    assert row.failure_description_short == "Provider not configured"
    assert "Unknown provider 'nope'" in row.failure_description_long


# Forward only


def test_an_outcome_never_overwrites_a_status_set_meanwhile(scripted):
    """An operator marks the message failed while the provider call runs: the outcome is
    not written over it, but the provider message id is kept for delivery events."""
    row = DueInteractionFactory(compliance_checked=False)
    scripted.during_send = lambda message: interaction_update(
        interaction=reload(row), data={"status": "failed"}
    )

    assert interaction_dispatch(row.pk) == Outcome.FENCED

    row = reload(row)
    assert row.status == "failed"
    assert row.provider_message_id.startswith("scripted-")


def test_recovery_never_touches_a_settled_row(scripted):
    row = DueInteractionFactory(compliance_checked=False)
    assert interaction_dispatch(row.pk) == Outcome.SENT

    assert interactions_recover_stuck(older_than=timedelta(0)) == {
        "reconciled": 0,
        "released": 0,
        "failed": 0,
        "unknown": 0,
        "fenced": 0,
    }
    assert reload(row).status == "attempted"


# Compliance Guard, re-checked in the worker


def refusing(send_at: datetime | None) -> Decision:
    return Decision(
        False, "timeOfDay", "Outside 08:00-21:00; the next allowed time is later.", "CG-TEST-0001", send_at
    )


def test_temporary_refusal_reschedules_at_the_guards_send_at(scripted, monkeypatch):
    later = (timezone.now() + timedelta(hours=3)).replace(microsecond=0)
    monkeypatch.setattr("compliance.guard.decide", lambda request, at=None: refusing(later))
    row = DueInteractionFactory(enqueued_at=timezone.now())

    assert interaction_dispatch(row.pk) == Outcome.RESCHEDULED

    row = reload(row)
    assert (row.status, row.send_at, row.enqueued_at, row.status_details) == ("scheduled", later, None, None)
    assert row.attempt_count == 0
    assert "timeOfDay" in row.last_error
    assert scripted.calls == []


def test_lasting_refusal_fails_blocked_by_compliance_guard(scripted, monkeypatch):
    monkeypatch.setattr("compliance.guard.decide", lambda request, at=None: refusing(None))
    row = DueInteractionFactory()

    assert interaction_dispatch(row.pk) == Outcome.BLOCKED

    row = reload(row)
    assert (row.status, row.status_details, row.compliance_guard_rule_id) == (
        "failed",
        "blockedByComplianceGuard",
        "CG-TEST-0001",
    )
    assert row.failure_description_short == "Blocked by Compliance Guard (timeOfDay)"
    assert row.failure_description_long == "Outside 08:00-21:00; the next allowed time is later."
    assert scripted.calls == []


def test_unchecked_messages_skip_the_guard(scripted, monkeypatch):
    monkeypatch.setattr("compliance.guard.decide", lambda request, at=None: refusing(None))
    row = DueInteractionFactory(compliance_checked=False)

    assert interaction_dispatch(row.pk) == Outcome.SENT
    assert len(scripted.calls) == 1


def test_the_guard_sees_the_row_as_it_goes_out(scripted, monkeypatch):
    seen = []
    monkeypatch.setattr(
        "compliance.guard.decide",
        lambda request, at=None: seen.append(request) or Decision(True, None, "", None, at),
    )
    row = DueInteractionFactory(
        channel="voice",
        subject="loanOverdueFirstNotice",
        theme="opsCollDebt",
        is_autodialed=True,
        loan_ids=[],
    )

    assert interaction_dispatch(row.pk) == Outcome.SENT

    (request,) = seen
    assert (request.company.pk, request.borrower.pk, request.contact.pk) == (
        row.company_id,
        row.borrower_id,
        row.contact_id,
    )
    assert (request.channel, request.subject, request.theme) == (
        "voice",
        "loanOverdueFirstNotice",
        "opsCollDebt",
    )
    assert (request.is_autodialed, request.is_transactional, request.exclude_interaction_id) == (
        True,
        False,
        row.pk,
    )


def zone_where_local_hour_is(hours: range) -> tuple[str, datetime]:
    now = timezone.now()
    for offset in range(-12, 15):
        name = f"Etc/GMT{'+' if offset <= 0 else '-'}{abs(offset)}" if offset else "Etc/GMT"
        local = now.astimezone(ZoneInfo(name))
        if local.hour in hours:
            return name, local
    raise AssertionError("no zone")


def test_real_guard_do_not_interact_blocks_for_good(company, scripted):
    rules_create_defaults(company)
    borrower = BorrowerFactory(company=company)
    DoNotInteractFactory(borrower=borrower)
    row = DueInteractionFactory(borrower=borrower)

    assert interaction_dispatch(row.pk) == Outcome.BLOCKED

    row = reload(row)
    assert (row.status, row.status_details) == ("failed", "blockedByComplianceGuard")
    assert row.compliance_guard_rule_id.startswith("CG-")
    assert row.failure_description_short == "Blocked by Compliance Guard (doNotInteract)"
    assert row.failure_description_long
    assert scripted.calls == []


def test_real_guard_quiet_hours_reschedule_to_the_next_morning(company, scripted):
    rules_create_defaults(company)
    zone, local = zone_where_local_hour_is(range(22, 24))
    borrower = BorrowerFactory(company=company, timezone=zone)
    row = DueInteractionFactory(borrower=borrower, subject="loanOverdueFirstNotice", theme="opsCollDebt")

    assert interaction_dispatch(row.pk) == Outcome.RESCHEDULED

    row = reload(row)
    morning = (local + timedelta(days=1)).replace(hour=8, minute=0, second=0, microsecond=0)
    assert (row.status, row.send_at) == ("scheduled", morning.astimezone(UTC))
    assert scripted.calls == []


def test_real_guard_does_not_count_the_row_against_itself(company, scripted):
    """A frequency cap of 3 emails a week, 2 already sent: the third, re-checked in the
    worker, is allowed (it is one of the counted rows, not a fourth)."""
    rules_create_defaults(company)
    zone, _ = zone_where_local_hour_is(range(10, 19))
    borrower = BorrowerFactory(company=company, timezone=zone)
    contact = ContactFactory(borrower=borrower)
    for days in (1, 2):
        InteractionFactory(
            borrower=borrower,
            contact=contact,
            subject="loanOverdueFirstNotice",
            theme="opsCollDebt",
            status="attempted",
            status_details="emailSent",
            send_at=timezone.now() - timedelta(days=days),
        )
    row = DueInteractionFactory(
        borrower=borrower, contact=contact, subject="loanOverdueFirstNotice", theme="opsCollDebt"
    )

    assert interaction_dispatch(row.pk) == Outcome.SENT
    assert len(scripted.calls) == 1


# The beat's claim


def test_claim_due_takes_due_unenqueued_rows_oldest_first(published, django_capture_on_commit_callbacks):
    now = timezone.now()
    older = DueInteractionFactory(send_at=now - timedelta(minutes=2))
    newer = DueInteractionFactory(send_at=now - timedelta(minutes=1))
    DueInteractionFactory(send_at=now + timedelta(minutes=1))  # not due
    DueInteractionFactory(status="canceled")
    DueInteractionFactory(direction="inbound")
    DueInteractionFactory(enqueued_at=now)  # enqueued just now: its task is on its way

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        assert interactions_claim_due(10) == [older.pk, newer.pk]
        assert published == []  # only after commit
    assert len(callbacks) == 1
    assert published == [older.pk, newer.pk]
    assert reload(older).enqueued_at is not None

    assert interactions_claim_due(10) == []  # claimed once


def test_claim_due_respects_the_limit_and_reclaims_lost_tasks(published, django_capture_on_commit_callbacks):
    rows = [DueInteractionFactory(send_at=timezone.now() - timedelta(seconds=10 - n)) for n in range(3)]

    assert interactions_claim_due(2) == [rows[0].pk, rows[1].pk]
    assert interactions_claim_due(2) == [rows[2].pk]
    assert interactions_claim_due(2) == []
    # Their tasks were lost (e.g. Redis restarted): past the threshold they go again.
    Interaction.objects.update(enqueued_at=timezone.now() - timedelta(minutes=6))
    with django_capture_on_commit_callbacks(execute=True):
        assert interactions_claim_due(5, reenqueue_after=timedelta(minutes=5)) == [row.pk for row in rows]
    assert published == [row.pk for row in rows]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_claim_due_skips_rows_locked_by_another_claim(published):
    import threading

    from django.db import connection

    rows = [DueInteractionFactory(send_at=timezone.now() - timedelta(seconds=10 - n)) for n in range(2)]
    locked, release = threading.Event(), threading.Event()

    def hold_first_row() -> None:
        try:
            with transaction.atomic():
                Interaction.objects.select_for_update().get(pk=rows[0].pk)
                locked.set()
                release.wait(10)
        finally:
            connection.close()

    holder = threading.Thread(target=hold_first_row)
    holder.start()
    try:
        assert locked.wait(10)
        assert interactions_claim_due(10) == [rows[1].pk]
    finally:
        release.set()
        holder.join(10)
    assert interactions_claim_due(10) == [rows[0].pk]


def test_enqueue_after_commit_only_for_due_rows(published, django_capture_on_commit_callbacks):
    due = DueInteractionFactory()
    later = DueInteractionFactory(send_at=timezone.now() + timedelta(hours=1))

    with django_capture_on_commit_callbacks(execute=True):
        assert interaction_enqueue_after_commit(due.pk) is True
        assert interaction_enqueue_after_commit(later.pk) is False
        assert published == []
    assert published == [due.pk]
    assert reload(due).enqueued_at is not None
    assert reload(later).enqueued_at is None
    assert interactions_claim_due(10) == []  # already on its way


def test_enqueue_with_the_broker_down_leaves_the_row_for_the_beat(django_capture_on_commit_callbacks, caplog):
    row = DueInteractionFactory()

    with (
        broker_redirect(f"redis://127.0.0.1:{free_port()}/0"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert interaction_enqueue_after_commit(row.pk) is True

    row = reload(row)
    assert (row.status, row.enqueued_at) == ("scheduled", None)
    assert "Broker unavailable: 1 of 1 dispatch tasks not published" in caplog.text


# Recovery of sends whose worker died


def stuck(row: Interaction, provider: str, age: timedelta = timedelta(minutes=10)) -> Interaction:
    """The row as a worker that died right after its claim leaves it."""
    import uuid

    Interaction.objects.filter(pk=row.pk).update(
        status="inProgress",
        dispatch_token=uuid.uuid4(),
        dispatch_started_at=timezone.now() - age,
        provider=provider,
        attempt_count=1,
    )
    return reload(row)


def test_recovery_without_lookup_marks_delivery_unknown_and_never_resends(monkeypatch):
    from providers.base import Provider
    from providers.outbox import OutboxProvider

    # A provider that cannot tell whether it received a message (the base lookup).
    monkeypatch.setattr(OutboxProvider, "lookup", Provider.lookup)
    row = stuck(DueInteractionFactory(compliance_checked=False), "outbox")
    young = stuck(DueInteractionFactory(compliance_checked=False), "outbox", age=timedelta(seconds=5))

    counts = interactions_recover_stuck(older_than=timedelta(minutes=6))

    assert counts == {"reconciled": 0, "released": 0, "failed": 0, "unknown": 1, "fenced": 0}
    row = reload(row)
    assert (row.status, row.status_details, row.dispatch_token) == ("attempted", None, None)
    assert row.failure_description_short == WORKER_LOST_SHORT
    assert "cannot tell whether it received the message" in row.failure_description_long
    assert reload(young).status == "inProgress"  # its worker may still be running
    assert interaction_dispatch(row.pk) == Outcome.SKIPPED
    assert not OutboxMessage.objects.exists()


def test_recovery_reconciles_from_the_providers_lookup(scripted):
    received = stuck(DueInteractionFactory(compliance_checked=False), "scripted")
    lost = stuck(DueInteractionFactory(compliance_checked=False), "scripted")
    unsure = stuck(DueInteractionFactory(compliance_checked=False), "scripted")
    scripted.lookups = {
        received.pk: SendResult(provider="scripted", provider_message_id="scripted-42", state="delivered"),
        lost.pk: None,
        unsure.pk: TimeoutError("lookup timed out"),
    }

    counts = interactions_recover_stuck(older_than=timedelta(minutes=6))

    assert counts == {"reconciled": 1, "released": 1, "failed": 0, "unknown": 1, "fenced": 0}
    received = reload(received)
    assert (received.status, received.status_details, received.provider_message_id) == (
        "succeeded",
        "emailDelivered",
        "scripted-42",
    )
    assert received.content["providerMessageId"] == "scripted-42"
    lost = reload(lost)
    assert (lost.status, lost.dispatch_token, lost.enqueued_at) == ("scheduled", None, None)
    assert reload(unsure).failure_description_short == WORKER_LOST_SHORT
    # The released one goes out again, once.
    assert interaction_dispatch(lost.pk) == Outcome.SENT
    assert [call.reference for call in scripted.calls] == [lost.pk]
    assert reload(lost).attempt_count == 2


def test_recovery_gives_up_after_the_last_attempt(scripted):
    row = stuck(DueInteractionFactory(compliance_checked=False), "scripted")
    Interaction.objects.filter(pk=row.pk).update(attempt_count=MAX_ATTEMPTS)
    scripted.lookups = {row.pk: None}

    assert interactions_recover_stuck(older_than=timedelta(minutes=6))["failed"] == 1

    row = reload(row)
    assert (row.status, row.status_details) == ("failed", "providerError")


def test_default_thresholds(settings):
    settings.CELERY_TASK_TIME_LIMIT = 300
    assert dispatch.stuck_threshold() == timedelta(seconds=360)
    assert dispatch.reenqueue_threshold() == timedelta(seconds=300)
    settings.DISPATCH_STUCK_AFTER = 20
    settings.DISPATCH_REENQUEUE_AFTER = 7
    assert dispatch.stuck_threshold() == timedelta(seconds=20)
    assert dispatch.reenqueue_threshold() == timedelta(seconds=7)


def test_internal_fields_stay_out_of_the_representation(api):
    from interactions.api.serializers import InteractionSerializer

    row = DueInteractionFactory(company=api.company, borrower=BorrowerFactory(company=api.company))
    interaction_dispatch(row.pk)

    body = api.get(f"/api/interactions/{row.pk}").json()["data"]

    assert body["status"] == "succeeded"
    assert body["content"]["providerMessageId"] == reload(row).provider_message_id
    internal = {
        "complianceChecked",
        "isAutodialed",
        "attemptCount",
        "provider",
        "providerMessageId",
        "enqueuedAt",
        "dispatchToken",
        "dispatchStartedAt",
        "lastError",
    }
    assert internal.isdisjoint(body)
    assert internal.isdisjoint(InteractionSerializer().fields)


def test_lost_tasks_wait_for_a_short_queue(published, monkeypatch):
    """A row enqueued long ago may still be waiting in a long queue: while the sends queue
    is long, only never-enqueued rows are claimed."""
    stale = DueInteractionFactory(enqueued_at=timezone.now() - timedelta(minutes=10))
    fresh = DueInteractionFactory()
    monkeypatch.setattr(enqueue, "sends_backlog", lambda: 5000)

    assert interactions_claim_due(10, max_backlog=1000) == [fresh.pk]

    monkeypatch.setattr(enqueue, "sends_backlog", lambda: 3)
    assert interactions_claim_due(10, max_backlog=1000) == [stale.pk]


def test_the_queue_length_is_unknown_when_the_broker_is_down():
    with broker_redirect(f"redis://127.0.0.1:{free_port()}/0"):
        assert dispatch.sends_backlog() is None


# The tasks and their schedule


def test_tasks_have_stable_names_routes_and_a_beat_entry(settings):
    from peachcomms.celery import app

    assert {"interactions.dispatch", "interactions.claim_due"} <= set(app.tasks)
    assert app.amqp.router.route({}, "interactions.dispatch")["queue"].name == "sends"
    assert app.amqp.router.route({}, "interactions.claim_due")["queue"].name == "celery"
    assert {queue.name for queue in app.amqp.queues.values()} == {"celery", "sends", "pdfs", "webhooks"}
    (entry,) = [e for e in settings.CELERY_BEAT_SCHEDULE.values() if e["task"] == "interactions.claim_due"]
    assert entry["schedule"] == 5.0
    assert app.tasks["interactions.dispatch"].acks_late is True


def test_the_tasks_call_the_services(published, monkeypatch):
    from interactions.tasks import claim_due
    from interactions.tasks import dispatch as dispatch_task

    monkeypatch.setattr(enqueue, "sends_backlog", lambda: 0)
    row = DueInteractionFactory(compliance_checked=False)

    assert claim_due.run() == {
        "enqueued": 1,
        "reconciled": 0,
        "released": 0,
        "failed": 0,
        "unknown": 0,
        "fenced": 0,
    }
    assert dispatch_task.run(row.pk) == Outcome.SENT
    assert reload(row).status == "succeeded"


def test_outbox_lookup_tells_received_from_not_received():
    from providers.outbox import OutboxProvider

    row = DueInteractionFactory(compliance_checked=False)
    provider = OutboxProvider()
    assert provider.lookup(row.pk) is None
    interaction_dispatch(row.pk)
    found = provider.lookup(row.pk)
    assert found is not None
    assert found.state == "delivered"
    assert found.provider_message_id == OutboxMessage.objects.get(reference=row.pk).provider_message_id


def test_recovery_through_the_outbox_lookup_sends_a_message_it_never_received():
    row = stuck(DueInteractionFactory(compliance_checked=False), "outbox")

    counts = interactions_recover_stuck(older_than=timedelta(minutes=6))

    assert counts["released"] == 1
    assert reload(row).status == "scheduled"
    assert interaction_dispatch(row.pk) == Outcome.SENT
    assert OutboxMessage.objects.filter(reference=row.pk).count() == 1

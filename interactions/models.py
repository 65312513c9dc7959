"""The interaction log: every message sent, received or logged, with its lifecycle."""

from __future__ import annotations

from django.contrib.postgres.indexes import GinIndex
from django.db import models
from django.db.models import Q

from borrowers.models import CompanyOwned, ExternalIdMixin
from peachcomms.api.ids import PublicIdField


class Interaction(CompanyOwned, ExternalIdMixin):
    """One message or conversation with a borrower.

    Queries this table serves (each has an index below): the company list newest first
    and its filters; a borrower's list; Compliance Guard's count of a borrower's recent
    outbound interactions on a channel, which reads at most ``cap + 1`` rows of
    ``interaction_frequency`` ordered by ``send_at``; the dispatcher's claim of due
    scheduled rows (``interaction_dispatch_due``) and of stuck claimed ones
    (``interaction_dispatch_claimed``); provider webhooks by ``provider_message_id``.
    """

    class Direction(models.TextChoices):
        INBOUND = "inbound"
        OUTBOUND = "outbound"

    class Status(models.TextChoices):
        SCHEDULED = "scheduled"
        IN_PROGRESS = "inProgress"
        ATTEMPTED = "attempted"
        SUCCEEDED = "succeeded"
        FAILED = "failed"
        CANCELED = "canceled"

    id = PublicIdField("IT")
    # Foreign keys without their own index (db_index=False): every insert, i.e. every
    # message, updates each index of this table, so each key is served by one composite
    # index of Meta.indexes that leads with it (and has no varchar_pattern_ops twin).
    company = models.ForeignKey(
        "borrowers.Company", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    borrower = models.ForeignKey(
        "borrowers.Borrower",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="interactions",
        db_index=False,
    )
    contact = models.ForeignKey(
        "borrowers.Contact",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    channel = models.CharField(max_length=16)
    direction = models.CharField(max_length=8, choices=Direction)
    # Null on a logged interaction recorded with a theme and no subject (data.md requires
    # only channel, theme and status of an interaction).
    subject = models.CharField(max_length=64, null=True, blank=True)
    theme = models.CharField(max_length=64, null=True, blank=True)
    borrower_selected_theme = models.CharField(max_length=64, null=True, blank=True)
    status = models.CharField(max_length=16, choices=Status, default=Status.SCHEDULED)
    status_details = models.CharField(max_length=64, null=True, blank=True)
    status_updated_at = models.DateTimeField(null=True, blank=True)
    status_details_updated_at = models.DateTimeField(null=True, blank=True)
    agent_outcome = models.CharField(max_length=64, null=True, blank=True)
    agent_outcome_updated_at = models.DateTimeField(null=True, blank=True)
    is_transactional = models.BooleanField(default=False)
    sensitive = models.BooleanField(default=False)
    is_external = models.BooleanField(default=False)
    previous_interaction = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
    loan = models.ForeignKey(
        "borrowers.Loan", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", db_index=False
    )
    loan_ids = models.JSONField(default=list, blank=True)
    case = models.ForeignKey(
        "borrowers.Case", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", db_index=False
    )
    statement_id = models.CharField(max_length=64, null=True, blank=True)
    supercase_bulk_operation_id = models.CharField(max_length=64, null=True, blank=True)
    template_version_id = models.CharField(max_length=14, null=True, blank=True)
    send_at = models.DateTimeField(
        null=True, blank=True, help_text="When it is due to go out (outbound) or happened (logged)."
    )
    started_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    scheduled_at_from = models.DateTimeField(null=True, blank=True)
    scheduled_at_to = models.DateTimeField(null=True, blank=True)
    content = models.JSONField(null=True, blank=True)
    meta_data = models.JSONField(default=dict, blank=True)
    twilio_error_code = models.CharField(max_length=16, null=True, blank=True)
    failure_description_short = models.CharField(max_length=200, null=True, blank=True)
    failure_description_long = models.TextField(null=True, blank=True)
    compliance_guard_rule_id = models.CharField(max_length=14, null=True, blank=True)
    created_by = models.JSONField(null=True, blank=True)
    last_task_meta = models.JSONField(null=True, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)

    # Dispatch state (interactions.dispatch; docs/adr/0005-dispatch-exactly-once.md).
    # Internal: never part of the public representation.
    compliance_checked = models.BooleanField(
        default=True,
        help_text="Re-run Compliance Guard just before the provider call. False for messages "
        "documented as unchecked: resends, free-form branded email, confirmation codes.",
    )
    is_autodialed = models.BooleanField(
        default=False, help_text="A voice call placed by an autodialer (the TCPA consent check)."
    )
    attempt_count = models.PositiveSmallIntegerField(
        default=0, help_text="Provider calls started for this message (claims)."
    )
    provider = models.CharField(max_length=32, blank=True, default="", help_text="The provider called.")
    provider_message_id = models.CharField(max_length=128, null=True, blank=True)
    enqueued_at = models.DateTimeField(
        null=True, blank=True, help_text="When the row was last handed to the broker."
    )
    dispatch_token = models.UUIDField(
        null=True, blank=True, help_text="Set by the claim, cleared by the outcome: the owner of a send."
    )
    dispatch_started_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When the send was claimed, just before the provider call (the durable marker).",
    )
    last_error = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["company", "external_id"],
                condition=Q(external_id__isnull=False),
                name="interaction_external_id_unique",
            )
        ]
        indexes = [
            models.Index(fields=["company", "-created_at", "-id"], name="interaction_company_list"),
            models.Index(fields=["borrower", "-created_at", "-id"], name="interaction_borrower_list"),
            models.Index(fields=["company", "channel", "-created_at"], name="interaction_company_channel"),
            models.Index(fields=["company", "status", "-created_at"], name="interaction_company_status"),
            models.Index(fields=["company", "subject", "-created_at"], name="interaction_company_subject"),
            models.Index(fields=["company", "theme", "-created_at"], name="interaction_company_theme"),
            models.Index(fields=["loan", "-created_at"], name="interaction_loan"),
            # The loanId filter also finds interactions about several loans (loanIds).
            GinIndex(fields=["loan_ids"], opclasses=["jsonb_path_ops"], name="interaction_loan_ids"),
            models.Index(fields=["case", "-created_at"], name="interaction_case"),
            # SET_NULL when a contact or an earlier interaction is deleted looks rows up by these.
            models.Index(fields=["contact"], name="interaction_contact"),
            models.Index(fields=["previous_interaction"], name="interaction_previous"),
            models.Index(
                fields=["company", "supercase_bulk_operation_id", "-created_at"],
                condition=Q(supercase_bulk_operation_id__isnull=False),
                name="interaction_bulk_operation",
            ),
            # Compliance Guard frequency: recent outbound interactions of a borrower on a
            # channel, newest first, read with LIMIT cap + 1.
            models.Index(
                fields=["borrower", "channel", "-send_at"],
                condition=Q(direction="outbound"),
                name="interaction_frequency",
            ),
            # Compliance Guard postConversation: a borrower's recent inbound calls (inbound
            # rows have no send_at; they are found by started_at).
            models.Index(
                fields=["borrower", "channel", "-started_at"],
                condition=Q(direction="inbound"),
                name="interaction_inbound_recent",
            ),
            # The staff admin's list of every company's interactions, newest first.
            models.Index(fields=["-created_at", "-id"], name="interaction_all_list"),
            # Dispatch: the beat's claim of due rows, oldest first.
            models.Index(
                fields=["send_at"],
                condition=Q(status="scheduled", direction="outbound"),
                name="interaction_dispatch_due",
            ),
            # Dispatch: claimed sends whose worker may have died.
            models.Index(
                fields=["dispatch_started_at"],
                condition=Q(status="inProgress"),
                name="interaction_dispatch_claimed",
            ),
            # Provider webhooks match events by the provider's message id.
            models.Index(
                fields=["provider_message_id"],
                condition=Q(provider_message_id__isnull=False),
                name="interaction_provider_message",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.id} {self.direction} {self.channel} {self.subject or self.theme}"

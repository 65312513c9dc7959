"""Compliance Guard's data: rule rows per company (with their edit history) and
do-not-interact records. The numbers of compliance.md live in these rows, created for each
company from ``compliance/defaults.json``; no rule number is hard-coded in Python."""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from borrowers.models import CompanyOwned
from peachcomms.api.ids import PublicIdField


class RuleFamily(models.TextChoices):
    """In evaluation order (compliance.md, "Rule families")."""

    BORROWER_STATUS = "borrowerStatus"
    DO_NOT_INTERACT = "doNotInteract"
    CASE_HOLD = "caseHold"
    CONTACT_ELIGIBILITY = "contactEligibility"
    TIME_OF_DAY = "timeOfDay"
    FREQUENCY = "frequency"
    POST_CONVERSATION = "postConversation"


FAMILY_ORDER = [family.value for family in RuleFamily]


class ComplianceRule(CompanyOwned):
    """One rule row. ``channels``/``states`` empty means every channel / every state (a
    federal rule); a row with ``states`` applies to borrowers located in those states and
    tightens the federal rows of its family. ``code`` is stable across companies (the
    shipped default it came from) so defaults can be updated and rows compared."""

    id = PublicIdField("CG")
    family = models.CharField(max_length=32, choices=RuleFamily)
    code = models.CharField(max_length=64, help_text="Stable name of the row, e.g. timeOfDay.federal.")
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True, default="")
    parameters = models.JSONField(default=dict, blank=True)
    channels = models.JSONField(default=list, blank=True)
    states = models.JSONField(default=list, blank=True)
    enabled = models.BooleanField(default=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["company", "code"], name="compliance_rule_code_unique")
        ]
        indexes = [
            models.Index(fields=["company", "-created_at", "-id"], name="compliance_rule_list"),
            models.Index(fields=["company", "family"], name="compliance_rule_family"),
        ]

    def __str__(self) -> str:
        return f"{self.code} ({self.id})"


class ComplianceRuleChange(models.Model):
    """Who changed a rule row, when, and what it was before and after."""

    rule = models.ForeignKey(ComplianceRule, on_delete=models.CASCADE, related_name="changes")
    company = models.ForeignKey("borrowers.Company", on_delete=models.CASCADE, related_name="+")
    changed_at = models.DateTimeField(auto_now_add=True)
    changed_by = models.JSONField(help_text="{id, name, userType}")
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField()

    class Meta:
        ordering = ["-changed_at", "-id"]
        indexes = [models.Index(fields=["rule", "-changed_at"], name="compliance_rule_change_rule")]

    def __str__(self) -> str:
        return f"{self.rule_id} at {self.changed_at:%Y-%m-%d %H:%M}"


class DoNotInteract(CompanyOwned):
    """A hold on contacting a borrower on some channels for some themes, usually recorded
    on a case. Active through the end of ``end_date`` in the company's time zone; no end
    date means until deleted."""

    id = PublicIdField("DN")
    borrower = models.ForeignKey(
        "borrowers.Borrower", on_delete=models.CASCADE, related_name="do_not_interacts"
    )
    case = models.ForeignKey(
        "borrowers.Case", on_delete=models.CASCADE, null=True, blank=True, related_name="do_not_interacts"
    )
    channels = models.JSONField(default=list, help_text='Channels, or ["all"].')
    themes = models.JSONField(default=list, help_text='Themes, or ["all"].')
    end_date = models.DateField(null=True, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["borrower", "end_date"],
                condition=Q(deleted_at__isnull=True),
                name="dni_borrower_active",
            ),
            models.Index(fields=["borrower", "-created_at", "-id"], name="dni_borrower_list"),
        ]

    def __str__(self) -> str:
        return f"{self.id} {self.channels}/{self.themes} until {self.end_date or '—'}"

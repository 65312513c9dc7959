"""Template descriptors (what a template is for) and their immutable versions."""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from borrowers.models import TimeStamped
from peachcomms.api.ids import PublicIdField


class TemplateDescriptor(TimeStamped):
    """A template slot: (company, subject, channel, language). ``company`` null marks a
    built-in default, which a company's own enabled descriptor for the same slot
    overrides."""

    id = PublicIdField("TD")
    company = models.ForeignKey(
        "borrowers.Company", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    subject = models.CharField(max_length=64)
    channel = models.CharField(max_length=16)
    language = models.CharField(max_length=2, default="en")
    name = models.CharField(max_length=200, blank=True, default="")
    enabled = models.BooleanField(default=True)
    active_version = models.ForeignKey(
        "TemplateVersion", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    external_id = models.CharField(max_length=255, null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["company", "subject", "channel", "language"],
                condition=Q(company__isnull=False),
                name="template_descriptor_company_slot_unique",
            ),
            models.UniqueConstraint(
                fields=["subject", "channel", "language"],
                condition=Q(company__isnull=True),
                name="template_descriptor_builtin_slot_unique",
            ),
            models.UniqueConstraint(
                fields=["company", "external_id"],
                condition=Q(external_id__isnull=False),
                name="template_descriptor_external_id_unique",
            ),
        ]
        indexes = [
            models.Index(fields=["company", "-created_at", "-id"], name="template_descriptor_list"),
            # Selection: the company's descriptor for a slot, else the built-in one.
            models.Index(fields=["subject", "channel", "language", "company"], name="template_slot"),
        ]

    def __str__(self) -> str:
        owner = self.company_id or "built-in"
        return f"{self.subject}/{self.channel}/{self.language} ({owner})"


class TemplateVersion(TimeStamped):
    """One version of a descriptor's content. Drafts are editable; active and archived
    versions are immutable, so sent content stays auditable."""

    class Status(models.TextChoices):
        DRAFT = "draft"
        ACTIVE = "active"
        ARCHIVED = "archived"

    id = PublicIdField("TV")
    descriptor = models.ForeignKey(TemplateDescriptor, on_delete=models.CASCADE, related_name="versions")
    company = models.ForeignKey(
        "borrowers.Company", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    status = models.CharField(max_length=16, choices=Status, default=Status.DRAFT)
    subject_line_template = models.TextField(blank=True, default="")
    content_html_template = models.TextField(blank=True, default="")
    content_text_template = models.TextField(blank=True, default="")
    created_by = models.JSONField(null=True, blank=True)
    activated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["descriptor"], condition=Q(status="active"), name="template_version_one_active"
            )
        ]
        indexes = [models.Index(fields=["descriptor", "-created_at", "-id"], name="template_version_list")]

    def __str__(self) -> str:
        return f"{self.id} ({self.status})"

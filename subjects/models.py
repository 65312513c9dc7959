"""The theme and subject catalogue (data.md), loaded by a data migration from
``subjects/catalogue.json``, with per-company overrides of the editable attributes."""

from __future__ import annotations

from django.db import models


class Theme(models.Model):
    """The reason for an interaction; ``is_debt_collection`` brings in collection rules."""

    theme = models.CharField(max_length=64, primary_key=True)
    title = models.CharField(max_length=200, blank=True, default="")
    is_debt_collection = models.BooleanField(default=False)
    covered_by_do_not_interact_all = models.BooleanField(
        default=True, help_text="False for themes a do-not-interact 'all' never covers."
    )

    class Meta:
        ordering = ["theme"]

    def __str__(self) -> str:
        return self.theme


class Subject(models.Model):
    """A built-in subject descriptor (the category of a message's content)."""

    subject = models.CharField(max_length=64, primary_key=True)
    title = models.CharField(max_length=200)
    category = models.CharField(max_length=64, blank=True, default="")
    theme = models.ForeignKey(Theme, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    case_types = models.JSONField(default=list, blank=True)
    agent_can_send = models.BooleanField(default=True)
    preview_only = models.BooleanField(default=False)
    is_transactional = models.BooleanField(default=False)
    is_free_form = models.BooleanField(default=False, help_text="freeForm, freeFormBranded, custom1..20")

    class Meta:
        ordering = ["subject"]

    def __str__(self) -> str:
        return self.subject


class SubjectAlias(models.Model):
    """A deprecated subject name, rewritten to its replacement on input."""

    alias = models.CharField(max_length=64, primary_key=True)
    subject = models.ForeignKey(Subject, on_delete=models.CASCADE, related_name="aliases")

    class Meta:
        verbose_name_plural = "subject aliases"

    def __str__(self) -> str:
        return f"{self.alias} → {self.subject_id}"


class CompanySubjectSetting(models.Model):
    """A company's override of a subject; a null field keeps the built-in value."""

    company = models.ForeignKey("borrowers.Company", on_delete=models.CASCADE, related_name="+")
    subject = models.ForeignKey(Subject, on_delete=models.CASCADE, related_name="company_settings")
    theme = models.ForeignKey(Theme, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    case_types = models.JSONField(null=True, blank=True)
    agent_can_send = models.BooleanField(null=True, blank=True)
    preview_only = models.BooleanField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["company", "subject"], name="company_subject_setting_unique")
        ]

    def __str__(self) -> str:
        return f"{self.company_id} {self.subject_id}"

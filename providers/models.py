from __future__ import annotations

from django.db import models


class OutboxMessage(models.Model):
    """A message the ``outbox`` provider "sent": kept here instead of leaving the machine,
    with the exact content that would have been delivered (shown in the admin)."""

    provider_message_id = models.CharField(max_length=64, unique=True)
    reference = models.CharField(max_length=64, db_index=True, help_text="The caller's id (an interaction).")
    channel = models.CharField(max_length=16)
    to = models.CharField(max_length=320)
    cc = models.JSONField(default=list, blank=True, help_text="Further recipients of an email (addresses).")
    bcc = models.JSONField(default=list, blank=True, help_text="Hidden recipients of an email (addresses).")
    from_address = models.CharField(max_length=320, blank=True, default="")
    subject_line = models.TextField(blank=True, default="")
    content_text = models.TextField(blank=True, default="")
    content_html = models.TextField(blank=True, default="")
    attachments = models.JSONField(default=list, blank=True, help_text="File names, types and sizes.")
    metadata = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["-created_at", "-id"], name="outbox_message_list")]

    def __str__(self) -> str:
        return f"{self.channel} to {self.to} ({self.provider_message_id})"

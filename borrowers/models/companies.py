from __future__ import annotations

import hashlib
import secrets

from django.db import models

from borrowers.models.base import TimeStamped
from peachcomms.api.ids import PublicIdField


class Company(TimeStamped):
    """A lender or servicer: the tenant every other row belongs to."""

    id = PublicIdField("CP")
    name = models.CharField(max_length=200)
    brand_name = models.CharField(max_length=200, blank=True, default="")
    legal_name = models.CharField(max_length=200, blank=True, default="")
    domain_name = models.CharField(max_length=253, blank=True, default="")
    timezone = models.CharField(max_length=64, default="America/New_York")
    support_phone = models.CharField(max_length=20, blank=True, default="")
    support_email = models.CharField(max_length=254, blank=True, default="")
    help_text = models.CharField(max_length=320, blank=True, default="")
    mailing_address = models.JSONField(default=dict, blank=True)
    #: Changed by database triggers whenever the company's compliance rules, subject
    #: settings or templates change (borrowers/settings_cache.py); never set by hand.
    settings_version = models.BigIntegerField(default=0, editable=False)

    class Meta:
        verbose_name_plural = "companies"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.id})"


class ApiKey(TimeStamped):
    """An integration's credential. Only the SHA-256 of the key is stored; the key itself
    is shown once, when it is created (``borrowers.services.api_key_create``)."""

    KEY_PREFIX = "pck_"

    id = PublicIdField("AK")
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(max_length=200, blank=True, default="")
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    key_hint = models.CharField(max_length=16, editable=False, help_text="First characters of the key.")
    permissions = models.JSONField(default=list, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "API key"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.key_hint}… ({self.company_id})"

    @classmethod
    def generate_key(cls) -> str:
        return cls.KEY_PREFIX + secrets.token_urlsafe(32)

    @staticmethod
    def hash_key(raw_key: str) -> str:
        return hashlib.sha256(raw_key.encode()).hexdigest()

    def has_permission(self, permission: str) -> bool:
        return "*" in self.permissions or permission in self.permissions

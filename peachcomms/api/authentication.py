"""API-key authentication: ``X-API-KEY: <key>`` or ``Authorization: Bearer <key>``.

Keys are looked up by their SHA-256 (one indexed query with the key's company, no
password hasher). On success
``request.auth`` is the :class:`borrowers.models.ApiKey` and ``request.user`` is None.
"""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from rest_framework import authentication, exceptions

from borrowers.models import ApiKey
from peachcomms.db import fetch_with_related

LAST_USED_RESOLUTION = timedelta(minutes=5)


class ApiKeyAuthentication(authentication.BaseAuthentication):
    def authenticate(self, request):  # noqa: ANN001, ANN201 - DRF signature
        raw = request.META.get("HTTP_X_API_KEY", "").strip()
        if not raw:
            header = request.META.get("HTTP_AUTHORIZATION", "")
            scheme, _, credentials = header.partition(" ")
            if scheme.lower() != "bearer":
                return None
            raw = credentials.strip()
        if not raw or len(raw) > 200:
            raise exceptions.AuthenticationFailed("The API key is not valid.")
        # One read without the query compiler (every API request makes it).
        keys = fetch_with_related(
            ApiKey,
            "company",
            "borrowers_apikey.key_hash = %s AND borrowers_apikey.revoked_at IS NULL",
            [ApiKey.hash_key(raw)],
        )
        if not keys:
            raise exceptions.AuthenticationFailed("The API key is not valid.")
        key = keys[0]
        now = timezone.now()
        if key.last_used_at is None or now - key.last_used_at > LAST_USED_RESOLUTION:
            ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        return (None, key)

    def authenticate_header(self, request) -> str:  # noqa: ANN001
        return 'Bearer realm="api"'

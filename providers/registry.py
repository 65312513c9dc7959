"""Which provider serves a channel: settings ``EMAIL_PROVIDER``, ``SMS_PROVIDER``,
``VOICE_PROVIDER``, ``MAIL_PROVIDER`` (``outbox`` by default). ``chat`` and ``gui`` are
stored for the borrower portal and always use the outbox."""

from __future__ import annotations

from django.conf import settings
from django.utils.module_loading import import_string

from providers.base import Provider, ProviderConfigurationError

PROVIDER_CLASSES: dict[str, str] = {
    "outbox": "providers.outbox.OutboxProvider",
}

CHANNEL_SETTINGS = {
    "email": "EMAIL_PROVIDER",
    "text": "SMS_PROVIDER",
    "voice": "VOICE_PROVIDER",
    "mail": "MAIL_PROVIDER",
}


def provider_for(channel: str) -> Provider:
    setting = CHANNEL_SETTINGS.get(channel)
    name = getattr(settings, setting) if setting else "outbox"
    try:
        cls = import_string(PROVIDER_CLASSES[name])
    except KeyError:
        raise ProviderConfigurationError(
            f"Unknown provider '{name}' for channel {channel} (set {setting})."
        ) from None
    if channel not in cls.channels:
        raise ProviderConfigurationError(f"Provider '{name}' does not deliver {channel} messages.")
    return cls()

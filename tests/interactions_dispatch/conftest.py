from __future__ import annotations

import pytest

from providers import registry
from tests.interactions_dispatch.fakes import ScriptedProvider


@pytest.fixture
def scripted(monkeypatch, settings):  # noqa: ANN001, ANN201
    """Every provider-backed channel served by :class:`ScriptedProvider`; returns the
    class (its ``script``, ``calls`` and ``lookups``). chat and gui stay on the outbox."""
    monkeypatch.setitem(
        registry.PROVIDER_CLASSES, "scripted", "tests.interactions_dispatch.fakes.ScriptedProvider"
    )
    for setting in registry.CHANNEL_SETTINGS.values():
        setattr(settings, setting, "scripted")
    ScriptedProvider.reset()
    yield ScriptedProvider
    ScriptedProvider.reset()


@pytest.fixture
def published(monkeypatch):  # noqa: ANN001, ANN201
    """The ids the dispatcher hands to the broker (recorded instead of published)."""
    ids: list[str] = []
    monkeypatch.setattr("interactions.dispatch.enqueue._publish", lambda batch, stamp: ids.extend(batch))
    return ids

"""Times and expected values shared by the send tests."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.utils import timezone

NY = ZoneInfo("America/New_York")


def ny(days: int, hour: int, minute: int = 0) -> datetime:
    """``hour:minute`` in New York, ``days`` after today (New York's date)."""
    day = (timezone.now().astimezone(NY) + timedelta(days=days)).date()
    return datetime.combine(day, time(hour, minute), NY)


def iso(at: datetime) -> str:
    """The API's form of an instant: UTC with Z (microseconds only when there are some)."""
    value = at.astimezone(UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S.%fZ" if value.microsecond else "%Y-%m-%dT%H:%M:%SZ")


def parse(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def shown(at: datetime) -> str:
    """An instant as the representation shows it (REST_FRAMEWORK["DATETIME_FORMAT"])."""
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")

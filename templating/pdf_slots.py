"""How many PDFs one company may render at once: ``PDF_RENDERS_PER_COMPANY``.

A PDF holds a web worker for as long as it renders (up to ``PDF_RENDER_SECONDS``), so
without a limit one company rendering a handful of long letters takes every worker and
every other company waits. A company gets that many slots; a render takes a free one for
its duration, and when none is free the request is refused at once with a 429 and
``Retry-After`` rather than queued behind the others.

A slot is a key of the cache (Redis when ``REDIS_URL`` is set, so the limit holds across
gunicorn workers and machines; the embedded default's in-process cache limits one
process), taken with ``cache.add`` (Redis ``SET NX``: atomic, so two requests never take
the same slot) and expiring by itself, so a worker killed mid-render frees its slot after
``PDF_RENDER_SECONDS`` plus a margin at most. When the cache cannot be reached, the render
goes ahead unlimited (and it is logged): a Redis outage must not stop letters, and each
render is still bounded in time.
"""

from __future__ import annotations

import logging
import math
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.core.cache import cache

from peachcomms.errors import RateLimited
from templating.rendering import limits

logger = logging.getLogger(__name__)

#: Added to a slot's lifetime beyond the render's deadline: the request's reads and its
#: template render also run while it holds the slot.
SLOT_MARGIN_SECONDS = 60


def _slot_keys(company_id: str, limit: int) -> list[str]:
    return [f"pdf-render:{company_id}:{slot}" for slot in range(limit)]


def _longest_render() -> float:
    return float(settings.PDF_RENDER_SECONDS) + limits.RENDER_SECONDS


@contextmanager
def pdf_render_slot(company_id: str) -> Iterator[None]:
    """Hold one of the company's PDF render slots while the block runs; raise
    :class:`RateLimited` (429) when all are taken, with ``Retry-After``: the seconds until
    the oldest render under way has certainly ended."""
    limit = settings.PDF_RENDERS_PER_COMPANY
    if limit <= 0:
        yield
        return
    keys = _slot_keys(company_id, limit)
    token = f"{uuid.uuid4().hex} {time.time()}"
    lifetime = math.ceil(_longest_render()) + SLOT_MARGIN_SECONDS
    try:
        held = next((key for key in keys if cache.add(key, token, lifetime)), None)
    except Exception:  # noqa: BLE001 - any cache failure; see the module docstring
        logger.warning("PDF render slots unavailable; rendering without the per-company limit", exc_info=True)
        held = ""
    if held is None:
        raise RateLimited(
            f"This company is already rendering {limit} PDF(s) at once, the most it may; "
            "retry when one has finished.",
            retry_after=_retry_after(keys),
        )
    try:
        yield
    finally:
        if held:
            _release(held, token)


def _retry_after(keys: list[str]) -> int:
    longest = _longest_render()
    try:
        tokens = cache.get_many(keys).values()
        oldest = min((float(str(value).split(" ")[1]) for value in tokens), default=time.time())
    except Exception:  # noqa: BLE001 - a hint only
        oldest = time.time()
    return max(1, math.ceil(oldest + longest - time.time()))


def _release(key: str, token: str) -> None:
    # Only our own token: a slot that outlived its lifetime may be another render's now.
    try:
        if cache.get(key) == token:
            cache.delete(key)
    except Exception:  # noqa: BLE001 - the slot expires by itself
        logger.warning("could not release PDF render slot %s", key, exc_info=True)

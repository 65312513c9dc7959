"""Per-company settings cached in the process, exact to the last committed change.

The send path reads the same few settings rows on every message: the company's enabled
Compliance Guard rules, its subject settings and its template selection. They change
rarely, so each process keeps what it built from them, keyed by the company's
``settings_version``. Database triggers (migration ``borrowers.0003``) give that column a
new value, never used before, whenever a row of ``compliance_compliancerule``,
``subjects_companysubjectsetting``, ``templating_templatedescriptor`` or
``templating_templateversion`` of the company is inserted, updated or deleted (a built-in
template's change gives every company a new value). So the admin, the API, a bulk update
or a hand-written SQL statement all invalidate the cache alike, and a value is never
reused after a rollback (PostgreSQL: a sequence; SQLite: a random 63-bit value).

A reader asks :func:`settings_version` (one primary-key read) once per unit of work and
passes the number to the cached selectors (``compliance.selectors.company_rules``,
``subjects.selectors.subject_descriptor``, ``templating.selectors.template_select``), which
load only when the number differs from the one their entry was built for. What a reader
sees is at most as old as that read: the same as having read the rows themselves then.
Cached values are shared between threads and requests and must not be mutated.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from django.db import connection

T = TypeVar("T")

#: Entries kept per process before the cache starts over (a bound on memory, not a tuning
#: knob): an entry is a company's rule rows, its subject settings, or one template slot's
#: selected version (its sources are a few KB), so the cache stays within tens of MB.
MAX_ENTRIES = 10_000

_entries: dict[tuple[str, Hashable], tuple[int, Any]] = {}
_lock = threading.Lock()


def settings_version(company_id: str) -> int:
    """The company's current ``settings_version`` (-1 for an unknown company, which is
    never cached under a real version)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT settings_version FROM borrowers_company WHERE id = %s", [company_id])
        row = cursor.fetchone()
    return row[0] if row else -1


def cached(company_id: str, key: Hashable, version: int | None, load: Callable[[], T]) -> T:
    """``load()``'s value for (company, key), built at most once per settings version.
    ``version`` None reads the current one first."""
    if version is None:
        version = settings_version(company_id)
    entry = _entries.get((company_id, key))
    if entry is not None and entry[0] == version and version >= 0:
        return entry[1]
    value = load()
    if version >= 0:
        with _lock:
            if len(_entries) >= MAX_ENTRIES:
                _entries.clear()
            _entries[(company_id, key)] = (version, value)
    return value


def clear() -> None:
    """Forget everything (tests; never needed for correctness)."""
    with _lock:
        _entries.clear()


__all__ = ["cached", "clear", "settings_version"]

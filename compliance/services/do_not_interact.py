"""Do-not-interact records of a borrower (usually on one of its cases): create, change,
soft delete."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from django.db import transaction
from django.utils import timezone

from borrowers.models import Borrower, Case
from borrowers.validators import FieldErrors
from compliance.models import DoNotInteract
from compliance.services.checks import _channels, _unique_values
from peachcomms.errors import Conflict, NotFound
from subjects.selectors import theme_names

#: ``channels``/``themes`` of a do-not-interact may be exactly this instead of a list of values.
ALL = "all"


def do_not_interact_create(
    *, borrower: Borrower, data: Mapping[str, Any], case: Case | None = None
) -> DoNotInteract:
    """A do-not-interact record of ``borrower``, usually on one of its cases.

    ``data``: ``channels`` and ``themes`` (required; known values, or exactly ``["all"]``)
    and ``end_date`` (optional; the record is active through the end of that day in the
    company's time zone; any date is accepted, since decisions may be asked for past or
    future instants, and a past one makes a record that is no longer active now). A case of
    another borrower is :class:`NotFound`; bad values are :class:`InvalidInput` naming each
    field; nothing is written either way.
    """
    if case is not None and (case.borrower_id != borrower.pk or case.company_id != borrower.company_id):
        raise NotFound(f"caseId: no case '{case.pk}' of this borrower.")
    cleaned = do_not_interact_clean(data, current=None)
    return DoNotInteract.objects.create(
        company_id=borrower.company_id, borrower=borrower, case=case, **cleaned
    )


def do_not_interact_update(*, do_not_interact: DoNotInteract, data: Mapping[str, Any]) -> DoNotInteract:
    """Change the fields of ``data`` (``channels``, ``themes``, ``end_date``; same checks
    as :func:`do_not_interact_create`; ``end_date`` None removes the end). A deleted record
    cannot change (:class:`Conflict`): create a new one."""
    with transaction.atomic():
        locked = (
            DoNotInteract.objects.select_for_update().select_related("company").get(pk=do_not_interact.pk)
        )
        if locked.deleted_at is not None:
            raise Conflict(f"Do-not-interact '{locked.pk}' was deleted; create a new one instead.")
        cleaned = do_not_interact_clean(data, current=locked)
        changed = {field: value for field, value in cleaned.items() if getattr(locked, field) != value}
        if changed:
            for field, value in changed.items():
                setattr(locked, field, value)
            locked.save(update_fields=[*changed, "updated_at"])
    return locked


def do_not_interact_delete(*, do_not_interact: DoNotInteract) -> DoNotInteract:
    """Soft delete: the record stops applying now and stays in the borrower's history.
    Deleting a deleted record changes nothing (its ``deleted_at`` is kept)."""
    with transaction.atomic():
        locked = DoNotInteract.objects.select_for_update().get(pk=do_not_interact.pk)
        if locked.deleted_at is None:
            locked.deleted_at = timezone.now()
            locked.save(update_fields=["deleted_at", "updated_at"])
    return locked


_DO_NOT_INTERACT_FIELDS = {"channels": "channels", "themes": "themes", "end_date": "endDate"}


def do_not_interact_clean(data: Mapping[str, Any], *, current: DoNotInteract | None) -> dict[str, Any]:
    """The normalised values of ``data`` for a new record (``current`` None) or a change
    of ``current``, or :class:`InvalidInput` naming every problem (API names: ``endDate``).
    Used by the services and the admin form; writes nothing."""
    errors = FieldErrors()
    cleaned: dict[str, Any] = {}
    for field in sorted(set(data) - set(_DO_NOT_INTERACT_FIELDS)):
        errors.add(field, "Not a field of a do-not-interact.")
    for field, known, what in (("channels", _channels, "channel"), ("themes", theme_names, "theme")):
        if field not in data:
            if current is None:
                errors.add(field, f'Required: a list of {what}s, or ["all"].')
            continue
        cleaned[field] = _all_or_values(data[field], known(), errors, field, what)
    if "end_date" in data:
        end_date = data["end_date"]
        if end_date is not None and not isinstance(end_date, date):
            errors.add("endDate", "Must be a date YYYY-MM-DD or null.")
        cleaned["end_date"] = end_date
    errors.raise_if_any()
    return cleaned


def _all_or_values(value: Any, known: list[str], errors: FieldErrors, field: str, what: str) -> list[str]:
    values = _unique_values(value, [*known, ALL], errors, field, what, allow_empty=False)
    if isinstance(values, list) and ALL in values and len(values) > 1:
        errors.add(field, f'"all" stands alone: send ["all"] or a list of {what}s.')
    return values

"""``interaction_new(**values)``: an unsaved :class:`Interaction`, the one
``Interaction(**values)`` builds, for a fraction of the CPU (the send path builds one per
message).

``Model.__init__`` with keyword arguments walks the model's 51 fields, looks each up in
the keywords (raising and catching a ``KeyError`` for every field not given), and sets a
related object through its descriptor. Given the values positionally, in field order, it
only sets them (that is how ``Model.from_db`` builds a row); this module lays them out,
with each missing field's default as ``Field.get_default`` gives it, and caches the related
objects as the descriptors would.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from django.db.models import Field

from interactions.models import Interaction


@dataclass(frozen=True)
class _Plan:
    #: Every concrete field's default where it is the same value on every call.
    constants: tuple[Any, ...]
    #: (position, ``get_default``) of the fields whose default is computed per call.
    computed: tuple[tuple[int, Any], ...]
    #: Position of each field by attname, and of each relation by name.
    positions: dict[str, int]
    relations: dict[str, Field]


@cache
def _plan() -> _Plan:
    fields = Interaction._meta.concrete_fields
    computed = tuple(
        (index, field.get_default)
        for index, field in enumerate(fields)
        if field.has_default() and callable(field.default)
    )
    dynamic = {index for index, _ in computed}
    return _Plan(
        constants=tuple(
            None if index in dynamic else field.get_default() for index, field in enumerate(fields)
        ),
        computed=computed,
        positions={field.attname: index for index, field in enumerate(fields)},
        relations={field.name: field for field in fields if field.is_relation},
    )


def interaction_new(**values: Any) -> Interaction:
    """``Interaction(**values)``: ``values`` by attname (``loan_id``), or a relation by
    name (``company``) with its object or None. A field not given takes its default."""
    plan = _plan()
    args = list(plan.constants)
    for index, get_default in plan.computed:
        args[index] = get_default()
    related = []
    for name, value in values.items():
        field = plan.relations.get(name)
        if field is not None:
            related.append((field, value))
            name, value = field.attname, None if value is None else getattr(value, field.target_field.attname)
        try:
            args[plan.positions[name]] = value
        except KeyError:
            raise TypeError(f"Interaction() got an unexpected keyword argument '{name}'") from None
    interaction = Interaction(*args)
    for field, value in related:
        field.set_cached_value(interaction, value)
    return interaction


__all__ = ["interaction_new"]

"""What the server enforces, declared in the OpenAPI document, in one place.

The serializers and views check form (ids, enums, sizes, unknown fields); drf-spectacular
does not see most of it, so a client (or schemathesis, ``bin/schemathesis_run.py``) reading
the document would send requests the server refuses. Two mechanisms, both here:

- :func:`constrain_field`, called by ``ApiAutoSchema`` for every serializer field: id
  patterns of :class:`ObjectIdField`, ``metaData`` and ``context`` as JSON objects that are
  never null unless the field allows it, IANA time zones;
- :func:`postprocess_enforced_constraints`, a spectacular postprocessing hook for what is
  known by name only: path and cursor ids, ``limit`` 1–100, and the subject and theme
  catalogues (data loaded by migration from ``subjects/catalogue/catalogue.json``, so the
  shipped file is the exact list; read from the file, not the tables, so that the document
  can be built without a database).

Unknown body fields (``additionalProperties: false``) are declared by ``ApiAutoSchema``.
"""

from __future__ import annotations

from functools import cache
from typing import Any
from zoneinfo import available_timezones

from rest_framework import serializers

from peachcomms.api.pagination import MAX_LIMIT
from peachcomms.api.serializers import MetaDataField, ObjectIdField
from subjects.catalogue import read_catalogue

ID_BODY = "[A-Z0-9]{4}-[A-Z0-9]{4}"

#: path parameter → prefix of the id it names; every one also takes ``ext-<externalId>``
#: except template versions (which have no external id).
PATH_ID_PREFIXES = {
    "personId": "BO",
    "contactId": "CT",
    "loanId": "LN",
    "caseId": "CS",
    "documentId": "DD",
    "interactionId": "IT",
    "companyId": "CP",
    "ruleId": "CG",
    "doNotInteractId": "DN",
    "templateDescriptorId": "TD",
    "templateVersionId": "TV",
}
NO_EXTERNAL_ID = {"templateVersionId", "ruleId"}

#: the last fixed segment of a list route → how its cursors (startingAfter, endingBefore)
#: look: the id of a row of that list ("digits": a rule change's numeric id).
LIST_CURSOR_PREFIXES = {
    "people": "BO",
    "contacts": "CT",
    "loans": "LN",
    "cases": "CS",
    "documents": "DD",
    "interactions": "IT",
    "rules": "CG",
    "changes": "digits",
    "do-not-interacts": "DN",
    "do-not-interact": "DN",
    "templatedescriptors": "TD",
    "versions": "TV",
}
CURSOR_PARAMETERS = ("startingAfter", "endingBefore")


def id_pattern(prefix: str, *, external: bool = True) -> str:
    own = f"{prefix}-{ID_BODY}"
    return f"^({own}|ext-.+)$" if external else f"^{own}$"


def cursor_pattern(prefix: str) -> str:
    # Empty is the same as absent (the first page).
    return "^[0-9]{0,18}$" if prefix == "digits" else f"^({prefix}-{ID_BODY})?$"


@cache
def time_zones() -> list[str]:
    return sorted(available_timezones())


@cache
def catalogue_enums() -> dict[str, list[str]]:
    catalogue = read_catalogue()
    subjects = [row["subject"] for row in catalogue["subjects"]]
    return {
        # Deprecated aliases are accepted and rewritten, so they are valid input.
        "subject": sorted({*subjects, *catalogue["aliases"]}),
        "theme": sorted(row["theme"] for row in catalogue["themes"]),
    }


def _json_object(schema: dict[str, Any], field: serializers.Field) -> dict[str, Any]:
    """A JSON object (spectacular declares a JSONField as any value, null included)."""
    constrained = {key: value for key, value in schema.items() if key in ("description", "readOnly")}
    constrained.update({"type": "object", "additionalProperties": {}})
    if field.allow_null:
        constrained["nullable"] = True
    return constrained


def constrain_field(field: serializers.Field, schema: dict[str, Any], direction: str) -> dict[str, Any]:
    """The schema of one serializer field, with what its validation enforces added."""
    from borrowers.api.serializers import TimezoneField  # noqa: PLC0415
    from interactions.api.send_inputs import ContextField  # noqa: PLC0415 - app imports this module

    if isinstance(field, ObjectIdField):
        schema["pattern"] = id_pattern(field.prefix)
    elif isinstance(field, MetaDataField):
        schema = _json_object(schema, field)
        schema["maxProperties"] = 50
    elif isinstance(field, ContextField):
        schema = _json_object(schema, field)
    elif isinstance(field, TimezoneField) and direction == "request":
        schema["enum"] = [*([""] if field.allow_blank else []), *time_zones()]
        schema.pop("minLength", None)
    return schema


def _constrain_parameter(path: str, parameter: dict[str, Any]) -> None:
    name, where, schema = parameter["name"], parameter["in"], parameter.setdefault("schema", {})
    if where == "path" and name in PATH_ID_PREFIXES:
        schema["pattern"] = id_pattern(PATH_ID_PREFIXES[name], external=name not in NO_EXTERNAL_ID)
    elif where == "path" and name == "subject":
        schema["enum"] = catalogue_enums()["subject"]
    elif where == "query" and name == "limit":
        schema.update({"type": "integer", "minimum": 1, "maximum": MAX_LIMIT})
    elif where == "query" and name in CURSOR_PARAMETERS:
        segment = [part for part in path.split("/") if part and not part.startswith("{")][-1]
        schema["pattern"] = cursor_pattern(LIST_CURSOR_PREFIXES[segment])


def postprocess_enforced_constraints(result: dict[str, Any], generator: Any, **kwargs: Any) -> dict[str, Any]:
    """Spectacular postprocessing hook (settings ``POSTPROCESSING_HOOKS``)."""
    enums = catalogue_enums()
    for path, item in result.get("paths", {}).items():
        for operation in item.values():
            if not isinstance(operation, dict):
                continue
            for parameter in operation.get("parameters", []):
                _constrain_parameter(path, parameter)
    for name, component in result.get("components", {}).get("schemas", {}).items():
        if not name.endswith("Request"):
            continue
        for prop, schema in component.get("properties", {}).items():
            if prop in enums and schema.get("type") == "string":
                schema["enum"] = [*enums[prop], *([None] if schema.get("nullable") else [])]
                schema.pop("minLength", None)
    return result

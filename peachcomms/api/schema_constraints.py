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

import phonenumbers
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
def named_constraints() -> dict[str, dict[str, Any]]:
    """Constraints of string values known by their name (body property or query parameter)
    and checked by the services, not the serializers."""
    from templating.selectors import template_channels  # noqa: PLC0415 - app imports this module

    catalogue = read_catalogue()
    subjects = [row["subject"] for row in catalogue["subjects"]]
    return {
        # Deprecated aliases are accepted and rewritten, so they are valid input.
        "subject": {"enum": sorted({*subjects, *catalogue["aliases"]})},
        "theme": {"enum": sorted(row["theme"] for row in catalogue["themes"])},
        # A string channel (a ChoiceField has its enum already): a template's channel.
        "channel": {"enum": template_channels()},
        "language": {"pattern": "^[a-z]{2}$"},
    }


#: what a template descriptor is for; fixed once it exists.
DESCRIPTOR_SLOT = ("subject", "channel", "language")

#: key of :func:`component_constraints` for the component itself, not one of its properties.
COMPONENT = ""


def _postal_address(*, whole: bool) -> dict[str, Any]:
    """``borrowers.validators.clean_address``: addressLine1 not blank; a US address
    (country blank, absent or US) has a USPS state code and a ZIP code when it has them.
    ``whole``: the body is the whole address (a contact's), not merged into a stored one
    (a company's, where {} clears it)."""
    from borrowers.validators import US_STATES  # noqa: PLC0415

    us = ["", "US"]
    return {
        **({"required": ["addressLine1"]} if whole else {}),
        "properties": {"addressLine1": {"pattern": r"\S"}},
        "anyOf": [
            {
                "properties": {
                    "country": {"enum": us},
                    "state": {"enum": ["", *sorted(US_STATES)]},
                    "postalCode": {"pattern": r"^([0-9]{5}([- ]?[0-9]{4})?)?$"},
                }
            },
            {
                "required": ["country"],
                "properties": {"country": {"enum": sorted(set(phonenumbers.SUPPORTED_REGIONS) - {"US"})}},
            },
        ],
    }


def _contact() -> dict[str, Any]:
    """``borrowers.services.contacts.contact_clean``: ``value`` fits ``contactType`` (an
    email address or a phone number), an address contact has an address and no value, and
    only a phone contact has the phone consents."""
    no_consents = {"receiveTextMessages": {"enum": [False]}, "consentAutodialedCall": {"enum": [False]}}
    no_address = {"address": {"enum": [None]}}
    return {
        "oneOf": [
            {
                "required": ["value"],
                "properties": {
                    "contactType": {"enum": ["email"]},
                    "value": {"type": "string", "format": "email"},
                    **no_address,
                    **no_consents,
                },
            },
            {
                "required": ["value"],
                "properties": {
                    "contactType": {"enum": ["phone"]},
                    "value": {"type": "string", "format": "phone"},
                    **no_address,
                },
            },
            {
                "required": ["address"],
                "properties": {
                    "contactType": {"enum": ["address"]},
                    "value": {"enum": [None, ""]},
                    "address": {"type": "object"},
                    **no_consents,
                },
            },
        ]
    }


@cache
def component_constraints() -> dict[str, dict[str, dict[str, Any]]]:
    """Body properties checked by a service, by request component."""
    from borrowers.validators import US_STATES  # noqa: PLC0415
    from compliance.services.checks import _channels  # noqa: PLC0415 - the exact list the service checks

    catalogue = read_catalogue()
    implicit_theme = sorted(
        {row["subject"] for row in catalogue["subjects"] if row["theme"]}
        | {
            alias
            for alias, subject in catalogue["aliases"].items()
            if subject in {row["subject"] for row in catalogue["subjects"] if row["theme"]}
        }
    )
    return {
        # A subject without a built-in theme (freeForm, custom*) needs one in the send (a
        # company may give it one; the document says what holds for every company).
        "SendRequest": {
            COMPONENT: {
                "anyOf": [{"required": ["theme"]}, {"properties": {"subject": {"enum": implicit_theme}}}]
            }
        },
        "ContactRequest": {COMPONENT: _contact()},
        "ContactAddressRequest": {COMPONENT: _postal_address(whole=True)},
        "AddressRequest": {COMPONENT: _postal_address(whole=False)},
        "ComplianceRuleRequest": {
            "parameters": {"type": "object", "additionalProperties": {}},
            # A repeated value is accepted and stored once (order kept): no uniqueItems.
            "channels": {"items": {"type": "string", "enum": sorted(_channels())}},
            "states": {"items": {"type": "string", "enum": sorted(US_STATES)}},
        },
        # "phone": a number libphonenumber reads as valid (E.164, or national with the
        # default region US); bin/schemathesis_hooks.py generates such numbers.
        "CompanyRequest": {"supportEmail": {"format": "email"}, "supportPhone": {"format": "phone"}},
        # A free-form recipient must be a real address (the service normalises it).
        "EmailAddressRequest": {"email": {"format": "email"}},
        # A PUT may send these back unchanged (ignored); a different value is a 400 naming
        # them, which depends on the stored descriptor: declared read-only, not to be sent.
        "TemplateDescriptorUpdateRequest": {name: {"readOnly": True} for name in DESCRIPTOR_SLOT},
        # A free-form email needs a body: contentHtml or contentPlain, not blank.
        "FreeFormEmailRequest": {
            COMPONENT: {
                "anyOf": [
                    {"required": ["contentHtml"], "properties": {"contentHtml": {"minLength": 1}}},
                    {"required": ["contentPlain"], "properties": {"contentPlain": {"minLength": 1}}},
                ]
            }
        },
    }


#: query parameters naming an object by id: the prefix of that id.
QUERY_ID_PREFIXES = {"personId": "BO", "loanId": "LN", "caseId": "CS"}


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
    elif isinstance(field, (serializers.ListField, serializers.ListSerializer)) and not field.allow_empty:
        schema.setdefault("minItems", 1)
    elif isinstance(field, TimezoneField) and direction == "request":
        schema["enum"] = [*([""] if field.allow_blank else []), *time_zones()]
        schema.pop("minLength", None)
    return schema


def references_objects(serializer: Any) -> bool:
    """Whether a request body names objects by id, so that it can be a 404 (api.md: "404
    unknown referenced object")."""
    if not isinstance(serializer, serializers.BaseSerializer):
        return False
    if isinstance(serializer, serializers.ListSerializer):
        return references_objects(serializer.child)
    for field in serializer.fields.values():
        if isinstance(field, serializers.ListField):
            field = field.child
        if isinstance(field, ObjectIdField) or references_objects(field):
            return True
    return False


def _constrain_parameter(path: str, parameter: dict[str, Any]) -> None:
    name, where, schema = parameter["name"], parameter["in"], parameter.setdefault("schema", {})
    if where == "path" and name in PATH_ID_PREFIXES:
        schema["pattern"] = id_pattern(PATH_ID_PREFIXES[name], external=name not in NO_EXTERNAL_ID)
    elif where == "path" and name == "subject":
        schema["enum"] = named_constraints()["subject"]["enum"]
    elif where == "query" and name in QUERY_ID_PREFIXES:
        schema["pattern"] = id_pattern(QUERY_ID_PREFIXES[name])
    elif where == "query" and name == "channel" and "enum" not in schema:
        schema.update(named_constraints()[name])
    elif where == "query" and name in ("subject", "theme") and "/interactions" in path:
        # The interaction filters check the catalogue (an unknown subject is a 400).
        schema["enum"] = named_constraints()[name]["enum"]
    elif where == "query" and name == "supercaseBulkOperationId":
        schema["minLength"] = 1
    elif where == "query" and name == "limit":
        schema.update({"type": "integer", "minimum": 1, "maximum": MAX_LIMIT})
    elif where == "query" and name in CURSOR_PARAMETERS:
        segment = [part for part in path.split("/") if part and not part.startswith("{")][-1]
        schema["pattern"] = cursor_pattern(LIST_CURSOR_PREFIXES[segment])


def _merge_into_component(component: dict[str, Any], constraint: dict[str, Any]) -> None:
    """Add a component-level constraint: its property constraints and required names join
    the component's own; anything else (anyOf, oneOf) is set."""
    for key, value in constraint.items():
        if key == "properties":
            for name, extra in value.items():
                component["properties"][name].update(extra)
        elif key == "required":
            component["required"] = [*component.get("required", []), *value]
        else:
            component[key] = value


def postprocess_enforced_constraints(result: dict[str, Any], generator: Any, **kwargs: Any) -> dict[str, Any]:
    """Spectacular postprocessing hook (settings ``POSTPROCESSING_HOOKS``)."""
    named = named_constraints()
    for path, item in result.get("paths", {}).items():
        for operation in item.values():
            if not isinstance(operation, dict):
                continue
            for parameter in operation.get("parameters", []):
                _constrain_parameter(path, parameter)
    for name, component in result.get("components", {}).get("schemas", {}).items():
        if not name.endswith("Request"):
            continue
        properties = component.get("properties", {})
        for prop, schema in properties.items():
            if prop in named and schema.get("type") == "string" and "enum" not in schema:
                schema.update(named[prop])
                if "enum" in schema:
                    schema["enum"] = [*schema["enum"], *([None] if schema.get("nullable") else [])]
                    schema.pop("minLength", None)
        for prop, constraint in component_constraints().get(name, {}).items():
            if prop == COMPONENT:
                _merge_into_component(component, constraint)
            else:
                properties[prop].update(constraint)
    return result

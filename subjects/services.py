"""Writes of the subject catalogue: a company's override of a built-in subject."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from borrowers.models import Case, Company
from peachcomms.choices import choice_hint, shown
from peachcomms.errors import InvalidInput, NotFound
from subjects.models import CompanySubjectSetting
from subjects.selectors import SubjectDescriptor, subject_check, subject_descriptor, theme_get

#: The attributes a company may override (as ``CompanySubjectSetting`` names them) and
#: their API names.
OVERRIDABLE = {
    "theme": "theme",
    "case_types": "caseTypes",
    "agent_can_send": "agentCanSend",
    "preview_only": "previewOnly",
}


def _case_types(values: Any) -> list[str]:
    if not isinstance(values, (list, tuple)):
        raise InvalidInput("caseTypes must be a list.", errors={"caseTypes": ["Expected a list."]})
    known = set(Case.CaseType.values)
    unknown = [value for value in values if value not in known]
    if unknown:
        hint = choice_hint(unknown[0], Case.CaseType.values)
        raise InvalidInput(
            f"Unknown case type '{shown(unknown[0])}'. {hint}",
            errors={"caseTypes": [f"Unknown case type. {hint}"]},
        )
    return list(dict.fromkeys(values))  # duplicates dropped, order kept


def subject_setting_update(company: Company, subject: str, data: dict[str, Any]) -> SubjectDescriptor:
    """Change the company's override of ``subject`` and return the subject as the company
    now sees it.

    ``data`` holds any of ``theme``, ``case_types``, ``agent_can_send``, ``preview_only``.
    A key that is absent keeps the company's current value; a key set to None removes the
    company's override of that attribute, so the built-in value applies again (for
    ``theme`` of a free-form or custom subject: no implicit theme). An override with no
    attribute left is deleted. A deprecated alias names its current subject.

    Raises NotFound for an unknown subject, InvalidInput for an unknown theme or case type
    or an attribute that cannot be overridden. Nothing is written when it raises.
    """
    canonical = subject_check(subject, missing=NotFound)
    extra = sorted(set(data) - set(OVERRIDABLE))
    if extra:
        raise InvalidInput(f"Cannot override '{extra[0]}' of a subject.")
    values = dict(data)
    if values.get("theme") is not None:
        values["theme"] = theme_get(values["theme"]).theme
    if values.get("case_types") is not None:
        values["case_types"] = _case_types(values["case_types"])
    for name in ("agent_can_send", "preview_only"):
        if values.get(name) is not None and not isinstance(values[name], bool):
            field = OVERRIDABLE[name]
            raise InvalidInput(
                f"{field} must be true, false or null.", errors={field: ["Must be a boolean."]}
            )

    with transaction.atomic():
        # The row lock serialises concurrent updates of one company's subject, so two
        # requests changing different attributes both keep their change.
        setting, _ = CompanySubjectSetting.objects.select_for_update().get_or_create(
            company=company, subject_id=canonical
        )
        for name, value in values.items():
            setattr(setting, "theme_id" if name == "theme" else name, value)
        if all(getattr(setting, "theme_id" if n == "theme" else n) is None for n in OVERRIDABLE):
            setting.delete()
        else:
            setting.save()
    return subject_descriptor(company, canonical, missing=NotFound)

"""Reads of the theme and subject catalogue, as other apps use them.

The catalogue is small and changes only by migration, so the built-in rows are read once
per process; company overrides are read per call (one indexed query).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache

from borrowers import settings_cache
from borrowers.models import Company
from peachcomms.choices import choice_hint, shown
from peachcomms.errors import InvalidInput, NotFound
from subjects.models import CompanySubjectSetting, Subject, SubjectAlias, Theme


@dataclass(frozen=True)
class ThemeInfo:
    theme: str
    title: str
    is_debt_collection: bool
    covered_by_do_not_interact_all: bool


@dataclass(frozen=True)
class SubjectDescriptor:
    """A subject as one company sees it (built-in values with its overrides applied)."""

    subject: str
    title: str
    theme: str | None
    case_types: list[str] = field(default_factory=list)
    agent_can_send: bool = True
    preview_only: bool = False
    is_transactional: bool = False
    is_free_form: bool = False
    category: str = ""


@cache
def _themes() -> dict[str, ThemeInfo]:
    return {
        t.theme: ThemeInfo(t.theme, t.title, t.is_debt_collection, t.covered_by_do_not_interact_all)
        for t in Theme.objects.all()
    }


@cache
def _subjects() -> dict[str, SubjectDescriptor]:
    return {
        s.subject: SubjectDescriptor(
            subject=s.subject,
            title=s.title,
            theme=s.theme_id,
            case_types=list(s.case_types),
            agent_can_send=s.agent_can_send,
            preview_only=s.preview_only,
            is_transactional=s.is_transactional,
            is_free_form=s.is_free_form,
            category=s.category,
        )
        for s in Subject.objects.all()
    }


@cache
def _aliases() -> dict[str, str]:
    return dict(SubjectAlias.objects.values_list("alias", "subject_id"))


def clear_cache() -> None:
    """Forget the cached catalogue (tests that change the built-in rows call this)."""
    for cached in (_themes, _subjects, _aliases):
        cached.cache_clear()


def theme_names() -> list[str]:
    return sorted(_themes())


def theme_get(name: str) -> ThemeInfo:
    """The theme, or InvalidInput naming the unknown value and the valid ones."""
    try:
        return _themes()[name]
    except KeyError:
        hint = choice_hint(name, theme_names())
        raise InvalidInput(
            f"Unknown theme '{shown(name)}'. {hint}", errors={"theme": [f"Unknown theme. {hint}"]}
        ) from None


def subject_names() -> list[str]:
    return sorted(_subjects())


def subject_canonical(name: str) -> str | None:
    """The current name of a subject (deprecated aliases rewritten), or None if unknown."""
    name = _aliases().get(name, name)
    return name if name in _subjects() else None


SUBJECTS_LISTED_AT = "GET /api/communicator/subjects"


def subject_check(name: str, *, missing: type[Exception] = InvalidInput, field: str = "subject") -> str:
    """The canonical name of the subject ``name`` (deprecated aliases rewritten). Every
    route that takes a subject checks it here, so an unknown one reads the same
    everywhere: ``missing`` (InvalidInput, a 400 naming ``field``, for a request body or
    query; NotFound for a path) suggesting the closest subject."""
    canonical = subject_canonical(name)
    if canonical is not None:
        return canonical
    hint = choice_hint(name, subject_names(), listed_at=SUBJECTS_LISTED_AT)
    raise missing(
        f"Unknown subject '{shown(name)}'. {hint}",
        errors={field: [f"Unknown subject. {hint}"]} if missing is InvalidInput else None,
    )


def _with_overrides(base: SubjectDescriptor, setting: CompanySubjectSetting | None) -> SubjectDescriptor:
    if setting is None:
        return base
    return SubjectDescriptor(
        subject=base.subject,
        title=base.title,
        theme=setting.theme_id if setting.theme_id is not None else base.theme,
        case_types=list(setting.case_types) if setting.case_types is not None else base.case_types,
        agent_can_send=base.agent_can_send if setting.agent_can_send is None else setting.agent_can_send,
        preview_only=base.preview_only if setting.preview_only is None else setting.preview_only,
        is_transactional=base.is_transactional,
        is_free_form=base.is_free_form,
        category=base.category,
    )


def subject_descriptor(
    company: Company, name: str, *, missing: type[Exception] = InvalidInput, version: int | None = None
) -> SubjectDescriptor:
    """The company's view of a subject; an unknown subject raises ``missing`` (InvalidInput
    for a request body, NotFound for a path)."""
    canonical = subject_check(name, missing=missing)
    setting = company_subject_settings(company, version=version).get(canonical)
    return _with_overrides(_subjects()[canonical], setting)


def company_subject_settings(
    company: Company, *, version: int | None = None
) -> dict[str, CompanySubjectSetting]:
    """The company's subject overrides by subject, from the process cache
    (``borrowers.settings_cache``; ``version`` as read in the caller's unit of work, or
    read here). Shared: do not modify."""

    def load() -> dict[str, CompanySubjectSetting]:
        return {s.subject_id: s for s in CompanySubjectSetting.objects.filter(company_id=company.pk)}

    return settings_cache.cached(company.pk, "subjects.settings", version, load)


#: Extension point: what tells, for a company, the channels each subject has a template
#: for. The templating app registers its selector when it is ready (subjects sit below
#: templating and never import it); until then no subject has any.
ChannelsSource = Callable[[Company, int | None], dict[str, list[str]]]
_channels_source: list[ChannelsSource] = []


def register_channels_source(source: ChannelsSource) -> None:
    """Install ``source`` as what :func:`subject_channels` asks (the last one wins)."""
    _channels_source[:] = [source]


def subject_channels(company: Company, *, version: int | None = None) -> dict[str, list[str]]:
    """``{subject: [channel, ...]}``: the channels the company can render each subject on
    (its own enabled templates and the built-in ones); a subject with none is absent.
    ``version``: the company's settings version, as for :func:`subject_descriptor`."""
    return _channels_source[0](company, version) if _channels_source else {}


def subject_descriptors(company: Company, *, version: int | None = None) -> list[SubjectDescriptor]:
    """Every subject as the company sees it, in catalogue order (its overrides from the
    process cache, as :func:`company_subject_settings`)."""
    settings = company_subject_settings(company, version=version)
    return [_with_overrides(base, settings.get(name)) for name, base in sorted(_subjects().items())]


__all__ = [
    "NotFound",
    "SubjectDescriptor",
    "ThemeInfo",
    "clear_cache",
    "company_subject_settings",
    "register_channels_source",
    "subject_canonical",
    "subject_channels",
    "subject_check",
    "subject_descriptor",
    "subject_descriptors",
    "subject_names",
    "theme_get",
    "theme_names",
]

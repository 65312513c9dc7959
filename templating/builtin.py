"""The built-in default templates: files under ``templating/defaults/subjects/<subject>/``
loaded as built-in descriptors (``company`` null, language ``en``) with an active version.

Files of a subject folder and the descriptors they make:

==========  =============================================================================
channel     parts
==========  =============================================================================
email       ``email.subject`` (subject line), ``email.html`` (HTML), ``email.txt`` (text)
text        ``text.txt`` (text)
voice       ``voice.txt`` if present, else ``text.txt`` (text, spoken)
mail        ``mail.html`` (HTML, printed as a PDF letter), ``email.subject`` (subject line)
==========  =============================================================================

Loading is idempotent: a file that changed makes a new active version and archives the
old one; unchanged files change nothing. A folder that is not a known subject, or a file
with a template syntax error, stops the load with an error naming the file and line.

Run by the data migration ``0002_load_builtin_templates`` (a fresh install has them) and
by ``python manage.py load_builtin_templates`` after the files change.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.apps import apps as global_apps
from django.db import transaction
from django.utils import timezone

from templating.rendering import CONTENT_HTML, CONTENT_TEXT, SUBJECT_LINE, source_errors

logger = logging.getLogger(__name__)

SUBJECTS_DIR = Path(__file__).resolve().parent / "defaults" / "subjects"
LANGUAGE = "en"
SYSTEM_AUTHOR = {"id": None, "name": "built-in templates", "userType": "system", "descriptor": "files"}

# channel → {part: file names, first existing wins}
CHANNEL_FILES: dict[str, dict[str, tuple[str, ...]]] = {
    "email": {
        SUBJECT_LINE.name: ("email.subject",),
        CONTENT_HTML.name: ("email.html",),
        CONTENT_TEXT.name: ("email.txt",),
    },
    "text": {CONTENT_TEXT.name: ("text.txt",)},
    "voice": {CONTENT_TEXT.name: ("voice.txt", "text.txt")},
    "mail": {CONTENT_HTML.name: ("mail.html",), SUBJECT_LINE.name: ("email.subject",)},
}
# A channel exists for a subject when one of these files does.
CHANNEL_REQUIRES = {
    "email": ("email.html", "email.txt"),
    "text": ("text.txt",),
    "voice": ("voice.txt", "text.txt"),
    "mail": ("mail.html",),
}
PART_ATTRIBUTES = {part.name: part for part in (SUBJECT_LINE, CONTENT_HTML, CONTENT_TEXT)}


class BuiltinTemplateError(ValueError):
    """A shipped template file cannot be loaded (unknown subject, syntax error)."""


@dataclass
class LoadReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    def __str__(self) -> str:
        return f"{self.created} created, {self.updated} updated, {self.unchanged} unchanged"


def _read(folder: Path, names: tuple[str, ...]) -> tuple[str, Path] | None:
    for name in names:
        path = folder / name
        if path.is_file():
            return path.read_text(encoding="utf-8").strip("\n"), path
    return None


def builtin_template_files(directory: Path = SUBJECTS_DIR) -> dict[tuple[str, str], dict[str, str]]:
    """``{(subject, channel): {attribute: source}}`` for every shipped file, checked."""
    found: dict[tuple[str, str], dict[str, str]] = {}
    if not directory.is_dir():
        return found
    for folder in sorted(p for p in directory.iterdir() if p.is_dir()):
        for channel, parts in CHANNEL_FILES.items():
            if not any((folder / name).is_file() for name in CHANNEL_REQUIRES[channel]):
                continue
            sources = {}
            for part_name, names in parts.items():
                part = PART_ATTRIBUTES[part_name]
                read = _read(folder, names)
                source, path = read if read is not None else ("", None)
                problems = source_errors(part, source) if path is not None else []
                if problems:
                    relative = path.relative_to(directory.parent)
                    raise BuiltinTemplateError(f"{relative}: {problems[0]}")
                sources[part.attribute] = source
            found[(folder.name, channel)] = sources
    return found


def _same(version: Any, sources: dict[str, str]) -> bool:
    return all(getattr(version, attribute) == source for attribute, source in sources.items())


def load_builtin_templates(
    apps: Any = None, schema_editor: Any = None, *, directory: Path = SUBJECTS_DIR
) -> LoadReport:
    """Create or update the built-in descriptors and versions from the files (idempotent).
    ``apps`` is a migration's app registry (or None for the current models)."""
    apps = apps or global_apps
    Descriptor = apps.get_model("templating", "TemplateDescriptor")  # noqa: N806
    Version = apps.get_model("templating", "TemplateVersion")  # noqa: N806
    Subject = apps.get_model("subjects", "Subject")  # noqa: N806
    files = builtin_template_files(directory)
    known = set(Subject.objects.values_list("subject", flat=True))
    unknown = sorted({subject for subject, _ in files} - known)
    if unknown:
        raise BuiltinTemplateError(f"Template folders of unknown subjects: {', '.join(unknown)}.")
    report = LoadReport()
    descriptors = {
        (d.subject, d.channel): d for d in Descriptor.objects.filter(company=None, language=LANGUAGE)
    }
    actives = {
        v.descriptor_id: v
        for v in Version.objects.filter(
            descriptor__company=None, descriptor__language=LANGUAGE, status="active"
        )
    }
    for (subject, channel), sources in files.items():
        known_descriptor = descriptors.get((subject, channel))
        active = actives.get(known_descriptor.pk) if known_descriptor is not None else None
        if active is not None and _same(active, sources):
            report.unchanged += 1
            continue
        with transaction.atomic():
            descriptor, created = Descriptor.objects.select_for_update().get_or_create(
                company=None,
                subject=subject,
                channel=channel,
                language=LANGUAGE,
                defaults={"name": f"{subject} ({channel}, built-in)"},
            )
            active = Version.objects.filter(descriptor=descriptor, status="active").first()
            if active is not None and _same(active, sources):
                report.unchanged += 1
                continue
            now = timezone.now()
            if active is not None:
                Version.objects.filter(pk=active.pk).update(status="archived", updated_at=now)
            version = Version.objects.create(
                descriptor=descriptor,
                company=None,
                status="active",
                activated_at=now,
                created_by=SYSTEM_AUTHOR,
                **sources,
            )
            descriptor.active_version = version
            descriptor.save(update_fields=["active_version", "updated_at"])
            if created or active is None:
                report.created += 1
            else:
                report.updated += 1
    # The caller reports the result (the command prints it): at INFO the root console
    # handler printed it a second time, and cut into migrate's "Applying …" line.
    logger.debug("Built-in templates: %s", report)
    return report

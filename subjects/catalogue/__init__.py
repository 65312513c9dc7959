"""The shipped catalogue (``catalogue.json``) and its loader, used by data migrations."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

CATALOGUE_PATH = Path(__file__).with_name("catalogue.json")


def read_catalogue() -> dict[str, Any]:
    return json.loads(CATALOGUE_PATH.read_text())


def load_catalogue(apps: Any, schema_editor: Any = None) -> None:
    """Insert or update every theme, subject and alias of the file (idempotent)."""
    Theme = apps.get_model("subjects", "Theme")  # noqa: N806
    Subject = apps.get_model("subjects", "Subject")  # noqa: N806
    SubjectAlias = apps.get_model("subjects", "SubjectAlias")  # noqa: N806
    catalogue = read_catalogue()
    for row in catalogue["themes"]:
        Theme.objects.update_or_create(
            theme=row["theme"],
            defaults={
                "title": row["title"],
                "is_debt_collection": row["isDebtCollection"],
                "covered_by_do_not_interact_all": row["coveredByDoNotInteractAll"],
            },
        )
    for row in catalogue["subjects"]:
        Subject.objects.update_or_create(
            subject=row["subject"],
            defaults={
                "title": row["title"],
                "category": row["category"],
                "theme_id": row["theme"],
                "case_types": row["caseTypes"],
                "agent_can_send": row["agentCanSend"],
                "preview_only": row["previewOnly"],
                "is_transactional": row["isTransactional"],
                "is_free_form": row["isFreeForm"],
            },
        )
    for alias, subject in catalogue["aliases"].items():
        SubjectAlias.objects.update_or_create(alias=alias, defaults={"subject_id": subject})

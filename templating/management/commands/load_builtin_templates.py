from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from templating.builtin import BuiltinTemplateError, load_builtin_templates


class Command(BaseCommand):
    help = (
        "Load the built-in default templates from templating/defaults/subjects/ (idempotent: "
        "a changed file makes a new active version and archives the old one)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            report = load_builtin_templates()
        except BuiltinTemplateError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"Built-in templates: {report}.")

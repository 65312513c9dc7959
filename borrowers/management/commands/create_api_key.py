"""``manage.py create_api_key <companyId> [--json] [--name N] [--permissions a,b]``:
another API key for a company."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from borrowers.management.commands._output import KEY_SHOWN_ONCE, write_json
from borrowers.models import Company
from borrowers.services import api_key_create
from peachcomms.api.permissions import ALL_PERMISSIONS
from peachcomms.errors import ServiceError


class Command(BaseCommand):
    help = "Create another API key for a company (shown once)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("company_id", metavar="companyId", help="The company (CP-XXXX-XXXX).")
        parser.add_argument("--name", default="", help="A label for the key (who or what uses it).")
        parser.add_argument(
            "--permissions",
            help=(
                "Comma-separated permissions (default: all). Known: "
                + ", ".join(ALL_PERMISSIONS)
                + "; '*' also grants those added later."
            ),
        )
        parser.add_argument(
            "--json", action="store_true", help='Print only {"companyId": "CP-…", "apiKey": "…"}.'
        )

    def handle(
        self, *args: Any, company_id: str, name: str, permissions: str | None, json: bool, **options: Any
    ) -> None:
        company = Company.objects.filter(pk=company_id.strip()).first()
        if company is None:
            raise CommandError(f"No company with id '{company_id[:80]}' (expected CP-XXXX-XXXX).")
        wanted = None if permissions is None else [p.strip() for p in permissions.split(",") if p.strip()]
        try:
            issued = api_key_create(company=company, name=name, permissions=wanted)
        except ServiceError as error:
            raise CommandError(error.message) from error
        if json:
            write_json(self.stdout, {"companyId": company.pk, "apiKey": issued.raw_key})
            return
        self.stdout.write(f"New API key for {company.name!r} ({company.pk}): {issued.raw_key}")
        self.stdout.write(f"Permissions: {', '.join(issued.api_key.permissions) or 'none'}")
        self.stdout.write(KEY_SHOWN_ONCE)

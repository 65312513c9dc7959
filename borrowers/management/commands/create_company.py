"""``manage.py create_company "<name>" [--json] [--allow-duplicate]``: a company (with its
default settings) and its first API key. A name that exists already (ignoring case) is
refused unless ``--allow-duplicate``: a second "Acme Loans" is almost always the same
lender created twice, whose borrowers would then be split between two ids."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from borrowers.management.commands._output import KEY_SHOWN_ONCE, write_json
from borrowers.models import Company
from borrowers.selectors import companies_named
from borrowers.services import api_key_create, company_create

NAME_MAX = Company._meta.get_field("name").max_length


class Command(BaseCommand):
    help = "Create a company with its default settings and a new API key (shown once)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("name", help="The company's name.")
        parser.add_argument(
            "--json", action="store_true", help='Print only {"companyId": "CP-…", "apiKey": "…"}.'
        )
        parser.add_argument(
            "--allow-duplicate",
            action="store_true",
            help="Create it even when a company of that name (ignoring case) exists.",
        )

    def handle(self, *args: Any, name: str, json: bool, allow_duplicate: bool, **options: Any) -> None:
        name = name.strip()
        if not name or len(name) > NAME_MAX:
            raise CommandError(f"The company name must be 1 to {NAME_MAX} characters.")
        existing = companies_named(name).first()
        if existing is not None and not allow_duplicate:
            raise CommandError(
                f"A company named {existing.name!r} exists already ({existing.pk}); nothing was created. "
                f"Use `create_api_key {existing.pk}` for another key, or --allow-duplicate "
                "to create a second company of that name."
            )
        with transaction.atomic():
            company = company_create(name=name)
            issued = api_key_create(company=company, name="created with the company")
        if json:
            write_json(self.stdout, {"companyId": company.pk, "apiKey": issued.raw_key})
            return
        self.stdout.write(f"Created company {company.name!r}: {company.pk}")
        self.stdout.write(f"API key: {issued.raw_key}")
        self.stdout.write(KEY_SHOWN_ONCE)

"""``manage.py seed_demo [--json]``: the demo company, borrower, contacts, loan and key
(idempotent; see ``borrowers.demo``)."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from borrowers.demo import demo_seed
from borrowers.management.commands._output import write_json


class Command(BaseCommand):
    help = "Create what is missing of the demo company (borrower, contacts, loan) and print its API key."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--json",
            action="store_true",
            help='Print only {"companyId": "CP-…", "apiKey": "…", "personId": "BO-…", "loanId": "LN-…"}.',
        )

    def handle(self, *args: Any, json: bool, **options: Any) -> None:
        demo = demo_seed()
        if json:
            write_json(
                self.stdout,
                {
                    "companyId": demo.company.pk,
                    "apiKey": demo.raw_key,
                    "personId": demo.borrower.pk,
                    "loanId": demo.loan.pk,
                },
            )
            return
        base_url = settings.PUBLIC_BASE_URL
        self.stdout.write(f"Demo company:  {demo.company.name} ({demo.company.pk})")
        self.stdout.write(f"Demo borrower: {demo.borrower.full_name} ({demo.borrower.pk})")
        self.stdout.write(f"Demo API key:  {demo.raw_key}")
        if demo.api_key.revoked_at is not None:
            self.stderr.write(
                self.style.WARNING("The demo key was revoked in the admin: requests with it get 401.")
            )
        self.stdout.write(f"Try it:        curl -H 'X-API-KEY: {demo.raw_key}' {base_url}/api/people")

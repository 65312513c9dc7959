"""``manage.py seed_demo [--json] [--base-url URL] [--staff-login]``: the demo company,
borrower, contacts, loan and key (idempotent; see ``borrowers.demo``), and with
``--staff-login`` the demo admin login of the embedded default."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from borrowers.demo import DemoLogin, demo_seed, demo_staff_login_ensure
from borrowers.management.commands._output import write_json


def _base_url(value: str) -> str:
    if not value.startswith(("http://", "https://")):
        raise CommandError(f"--base-url must start with http:// or https:// (got {value!r}).")
    return value.rstrip("/")


class Command(BaseCommand):
    help = "Create what is missing of the demo company (borrower, contacts, loan) and print its API key."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--json",
            action="store_true",
            help='Print only {"companyId": "CP-…", "apiKey": "…", "personId": "BO-…", "loanId": "LN-…"} '
            '(with --staff-login, also "staffLogin": {"username": …, "password": …} or null).',
        )
        parser.add_argument(
            "--base-url",
            default=None,
            help="Where the service is served, for the example curl (make run passes http://ADDR). "
            "Default: PUBLIC_BASE_URL.",
        )
        parser.add_argument(
            "--staff-login",
            action="store_true",
            help="Also create the admin login 'demo' (a superuser, password derived from SECRET_KEY) "
            "and print it; only in the embedded default (SQLite, DEBUG on), skipped anywhere else.",
        )

    def handle(self, *args: Any, json: bool, base_url: str | None, staff_login: bool, **options: Any) -> None:
        base_url = _base_url(base_url) if base_url is not None else settings.PUBLIC_BASE_URL
        demo = demo_seed()
        login = demo_staff_login_ensure() if staff_login else None
        if json:
            payload: dict[str, object] = {
                "companyId": demo.company.pk,
                "apiKey": demo.raw_key,
                "personId": demo.borrower.pk,
                "loanId": demo.loan.pk,
            }
            if login is not None:
                known = login.skipped is None and login.password is not None
                payload["staffLogin"] = (
                    {"username": login.username, "password": login.password} if known else None
                )
            write_json(self.stdout, payload)
            return
        self.stdout.write(f"Demo company:  {demo.company.name} ({demo.company.pk})")
        self.stdout.write(f"Demo borrower: {demo.borrower.full_name} ({demo.borrower.pk})")
        self.stdout.write(f"Demo API key:  {demo.raw_key}")
        if demo.api_key.revoked_at is not None:
            self.stderr.write(
                self.style.WARNING("The demo key was revoked in the admin: requests with it get 401.")
            )
        if login is not None:
            self._write_login(login, base_url)
        self.stdout.write(f"Try it:        curl -H 'X-API-KEY: {demo.raw_key}' {base_url}/api/people")

    def _write_login(self, login: DemoLogin, base_url: str) -> None:
        if login.skipped is not None:
            self.stderr.write(
                f"Demo login:    not created ({login.skipped}); create one with `manage.py createsuperuser`."
            )
        elif login.password is not None:
            self.stdout.write(f"Demo login:    {login.username} / {login.password}  ({base_url}/admin/)")
        else:
            self.stdout.write(
                f"Demo login:    {login.username} (its password was changed; "
                f"`manage.py changepassword {login.username}` sets a new one)"
            )

"""``manage.py resend_interactions``: resend a company's outbound interactions in bulk,
without surprises (docs/adr/0010-bulk-resend.md).

- At least one filter, or ``--all`` to mean every outbound interaction of the company.
- It prints what matches and asks before sending: ``--yes`` confirms in a script; with no
  terminal on stdin and no ``--yes`` it refuses (exit status 1) and sends nothing.
- Interactions that are themselves resends are skipped unless ``--include-resends``.
- Each copy is checked against Compliance Guard now, atomically with its insert
  (:mod:`interactions.services.bulk_resend`, which the admin action also calls); refused
  ones are listed with the reason and the next allowed time, and not sent.
  ``--skip-compliance-check`` sends them unchecked, with a warning.

Rows are read in keyset pages (``created_at``, ``id``), never all at once, and only rows
created before the command started are considered, so the resends it creates are never
resent by the same run.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any, TextIO

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from borrowers.models import Company
from interactions import catalogue
from interactions.models import Interaction
from interactions.selectors import ResendSelection, resend_selection
from interactions.services.bulk_resend import (
    BulkResendReport,
    interaction_resend_checked,
    interaction_resend_preview,
)
from peachcomms.api.ids import is_valid_id

PAGE = 200
ACTOR = {
    "id": None,
    "name": "manage.py resend_interactions",
    "userType": "system",
    "descriptor": "resend_interactions",
}


class ProgressBar:
    """``[#####.....]  50/100  50%`` on one line of a stream, redrawn with ``\\r`` at most
    every ``interval`` seconds (and at the end)."""

    def __init__(self, stream: TextIO, total: int, *, width: int = 30, interval: float = 0.1) -> None:
        self.stream, self.total, self.width, self.interval = stream, total, width, interval
        self.done = 0
        self._drawn_at = 0.0

    def advance(self, note: str = "") -> None:
        self.done += 1
        now = time.monotonic()
        if now - self._drawn_at >= self.interval or self.done >= self.total:
            self._drawn_at = now
            self.draw(note)

    def draw(self, note: str = "") -> None:
        share = self.done / self.total if self.total else 1.0
        filled = int(self.width * share)
        bar = "#" * filled + "." * (self.width - filled)
        self.stream.write(f"\r[{bar}] {self.done}/{self.total} {share:4.0%} {note}".rstrip() + " ")
        self.stream.flush()

    def close(self) -> None:
        self.stream.write("\n")
        self.stream.flush()


def _instant(value: str, option: str, *, end: bool = False) -> datetime:
    """An ISO time, or a date (its start; with ``end``, the start of the next day)."""
    parsed = parse_datetime(value)
    if parsed is None:
        day = parse_date(value)
        if day is None:
            raise CommandError(f"{option}: '{value}' is not an ISO date or time.")
        parsed = datetime.combine(day + timedelta(days=1) if end else day, datetime.min.time())
    if timezone.is_naive(parsed):
        parsed = parsed.replace(tzinfo=UTC)
    return parsed


#: The options that narrow the rows; without one of them, ``--all`` must be said.
FILTERS = ("ids", "bulk_operation_id", "status", "created_from", "created_to")
SKIP_WARNING = (
    "WARNING: --skip-compliance-check: the copies are NOT checked against Compliance Guard "
    "(quiet hours, frequency caps, do-not-interact records, case holds, consent); whoever runs "
    "this owns that decision."
)


class Command(BaseCommand):
    help = (
        "Resend a company's outbound interactions (new interactions linked to the originals, "
        "queued). Needs a filter or --all; filters combine with AND. Asks for confirmation "
        "(--yes in scripts). Skips interactions that are themselves resends "
        "(--include-resends) and checks each copy against Compliance Guard "
        "(--skip-compliance-check)."
    )
    # call_command(..., stdin=...) in tests, as Django's createsuperuser takes it.
    stealth_options = ("stdin",)

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--company", required=True, help="The company (CP-…).")
        parser.add_argument("--ids", help="Comma-separated interaction ids (IT-…,IT-…).")
        parser.add_argument("--bulk-operation-id", help="supercaseBulkOperationId of the originals.")
        parser.add_argument(
            "--status", help=f"Status of the originals ({', '.join(catalogue.status_values())})."
        )
        parser.add_argument("--created-from", help="Created at or after (ISO time or date).")
        parser.add_argument(
            "--created-to", help="Created before (ISO time; a date means the end of that day)."
        )
        parser.add_argument(
            "--all",
            action="store_true",
            help="No filter: every outbound interaction of the company (required when no filter is given).",
        )
        parser.add_argument(
            "--include-resends",
            action="store_true",
            help="Also resend interactions that are themselves resends (skipped by default).",
        )
        parser.add_argument(
            "--skip-compliance-check",
            action="store_true",
            help="Do not check the copies against Compliance Guard (prints a warning).",
        )
        parser.add_argument("--yes", action="store_true", help="Do not ask for confirmation (scripts).")
        parser.add_argument("--dry-run", action="store_true", help="List what would be resent; send nothing.")
        parser.add_argument("--no-progress", action="store_true", help="No progress bar on stderr.")

    def handle(self, *args: Any, **options: Any) -> None:
        company = Company.objects.filter(pk=options["company"]).first()
        if company is None:
            raise CommandError(f"No company '{options['company']}'.")
        if not options["all"] and not any(options.get(name) for name in FILTERS):
            raise CommandError(
                "No filter given: name the interactions with --ids, --bulk-operation-id, --status, "
                "--created-from or --created-to, or pass --all to resend every outbound interaction "
                f"of {company.pk}. Nothing was sent."
            )
        check = not options["skip_compliance_check"]
        dry_run = options["dry_run"]
        selection = resend_selection(
            self._matching(company, options, timezone.now()), include_resends=options["include_resends"]
        )
        missing = self._missing_ids(company, options)
        self._plan(company, selection, check=check)
        if dry_run:
            self._dry_run(selection, missing, check=check)
            return
        if selection.to_resend == 0:
            self._finish(selection, BulkResendReport(), missing, check=check)
            return
        self._confirm(selection.to_resend, options)
        progress = None if options["no_progress"] else ProgressBar(self.stderr._out, selection.to_resend)
        report = BulkResendReport()
        for row in self._pages(selection.rows):
            outcome = interaction_resend_checked(row, ACTOR, check_compliance=check)
            report.add(outcome)
            if progress is not None:
                progress.advance(
                    f"resent {len(report.resent)}, refused {len(report.refused)}, errors {len(report.errors)}"
                )
            elif outcome.kind == "resent":
                self.stdout.write(outcome.describe())
        if progress is not None:
            progress.close()
        self._finish(selection, report, missing, check=check)

    # What the operator is told

    def _plan(self, company: Company, selection: ResendSelection, *, check: bool) -> None:
        resends = (
            f"{selection.resends} resend(s) included (--include-resends)"
            if selection.resends_included
            else f"{selection.resends} resend(s) skipped (--include-resends to resend them too)"
        )
        self.stdout.write(
            f"{selection.matching} interaction(s) of {company.pk} match: {selection.to_resend} to resend; "
            f"{selection.inbound} inbound skipped; {resends}."
        )
        if check:
            self.stdout.write(
                "Each copy is checked against Compliance Guard when it is made; refused ones are listed "
                "with the reason and the next allowed time, and not sent."
            )
        else:
            self.stderr.write(SKIP_WARNING)

    def _confirm(self, count: int, options: dict[str, Any]) -> None:
        if options["yes"]:
            return
        stdin: TextIO = options.get("stdin") or sys.stdin
        if not stdin.isatty():
            raise CommandError(
                f"Not resending {count} interaction(s) without a confirmation: stdin is not a terminal. "
                "Pass --yes to confirm from a script. Nothing was sent."
            )
        self.stdout.write(f"Resend {count} interaction(s)? Type 'yes' to continue: ", ending="")
        self.stdout.flush()
        if stdin.readline().strip().lower() not in ("yes", "y"):
            raise CommandError("Not confirmed. Nothing was sent.")

    def _dry_run(self, selection: ResendSelection, missing: list[str], *, check: bool) -> None:
        report = BulkResendReport()
        for row in self._pages(selection.rows):
            outcome = interaction_resend_preview(row, check_compliance=check)
            report.add(outcome)
            self.stdout.write(outcome.describe(preview=True))
        tail = " (Compliance Guard as of now)" if check else ""
        self.stdout.write(
            f"Dry run: would resend {len(report.resent)} of {selection.matching} matching interaction(s); "
            f"would refuse {len(report.refused)}{tail}; skipped {selection.inbound} inbound, "
            f"{0 if selection.resends_included else selection.resends} resend(s); "
            f"{len(report.errors) + len(missing)} error(s). Nothing was sent."
        )
        for value in missing:
            self.stderr.write(f"error: {value}: no interaction of this company")

    def _finish(
        self, selection: ResendSelection, report: BulkResendReport, missing: list[str], *, check: bool
    ) -> None:
        for outcome in report.refused:
            self.stdout.write(outcome.describe())
        for outcome in report.errors:
            self.stderr.write(outcome.describe())
        for value in missing:
            self.stderr.write(f"error: {value}: no interaction of this company")
        errors = len(report.errors) + len(missing)
        tail = "Checked against Compliance Guard." if check else "NOT checked against Compliance Guard."
        self.stdout.write(
            f"Resent {len(report.resent)} of {selection.matching} matching interaction(s); "
            f"refused {len(report.refused)} by Compliance Guard; skipped {selection.inbound} inbound, "
            f"{0 if selection.resends_included else selection.resends} resend(s); {errors} error(s). {tail}"
        )
        if errors:
            raise CommandError(f"{errors} interaction(s) could not be resent (listed above).")

    # Which rows

    def _ids(self, options: dict[str, Any]) -> list[str] | None:
        if not options.get("ids"):
            return None
        ids = [value.strip() for value in options["ids"].split(",") if value.strip()]
        bad = [value for value in ids if not is_valid_id(value, "IT")]
        if bad:
            raise CommandError(f"--ids: not interaction ids: {', '.join(bad[:5])}")
        return ids

    def _matching(
        self, company: Company, options: dict[str, Any], started: datetime
    ) -> QuerySet[Interaction]:
        queryset = Interaction.objects.filter(
            company_id=company.pk, created_at__lt=started, deleted_at__isnull=True
        )
        ids = self._ids(options)
        if ids is not None:
            queryset = queryset.filter(pk__in=ids)
        if options.get("bulk_operation_id"):
            queryset = queryset.filter(supercase_bulk_operation_id=options["bulk_operation_id"])
        if options.get("status"):
            if options["status"] not in catalogue.status_values():
                raise CommandError(
                    f"--status: '{options['status']}' is not one of {', '.join(catalogue.status_values())}."
                )
            queryset = queryset.filter(status=options["status"])
        if options.get("created_from"):
            queryset = queryset.filter(created_at__gte=_instant(options["created_from"], "--created-from"))
        if options.get("created_to"):
            queryset = queryset.filter(
                created_at__lt=_instant(options["created_to"], "--created-to", end=True)
            )
        return queryset

    def _missing_ids(self, company: Company, options: dict[str, Any]) -> list[str]:
        ids = self._ids(options)
        if not ids:
            return []
        found = set(
            Interaction.objects.filter(company_id=company.pk, pk__in=ids).values_list("pk", flat=True)
        )
        return [value for value in ids if value not in found]

    def _pages(self, queryset: QuerySet[Interaction]) -> Iterator[Interaction]:
        """The rows oldest first, a page at a time (keyset on created_at, id)."""
        after: tuple[datetime, str] | None = None
        ordered = queryset.order_by("created_at", "id")
        while True:
            page_qs = ordered
            if after is not None:
                page_qs = page_qs.filter(Q(created_at__gt=after[0]) | Q(created_at=after[0], id__gt=after[1]))
            page = list(page_qs[:PAGE])
            yield from page
            if len(page) < PAGE:
                return
            after = (page[-1].created_at, page[-1].pk)

"""``manage.py resend_interactions``: resend a company's outbound interactions in bulk.

Each match goes through :func:`interactions.services.interaction_resend` (the same service
as ``POST /communicator/interactions/{id}/resend``): a new interaction linked to the
original, queued, **not** checked against Compliance Guard. Inbound matches are skipped.

Rows are read in keyset pages (``created_at``, ``id``), never all at once, and only rows
created before the command started are considered, so the resends it creates are never
resent by the same run.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, TextIO

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from borrowers.models import Company
from interactions import catalogue
from interactions.models import Interaction
from interactions.services import interaction_resend
from peachcomms.api.ids import is_valid_id
from peachcomms.errors import ServiceError

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


@dataclass
class Summary:
    resent: int = 0
    skipped_inbound: int = 0
    errors: int = 0
    problems: list[str] = field(default_factory=list)

    def note(self) -> str:
        return f"resent {self.resent}, skipped {self.skipped_inbound}, errors {self.errors}"


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


class Command(BaseCommand):
    help = (
        "Resend a company's outbound interactions (new interactions linked to the originals, "
        "queued, NOT checked against Compliance Guard). Filters combine with AND."
    )

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
        parser.add_argument("--dry-run", action="store_true", help="List what would be resent; send nothing.")
        parser.add_argument("--no-progress", action="store_true", help="No progress bar on stderr.")

    def handle(self, *args: Any, **options: Any) -> None:
        company = Company.objects.filter(pk=options["company"]).first()
        if company is None:
            raise CommandError(f"No company '{options['company']}'.")
        started = timezone.now()
        queryset = self._matching(company, options, started)
        total = queryset.count()
        dry_run = options["dry_run"]
        progress = None if options["no_progress"] or dry_run else ProgressBar(self.stderr._out, total)
        summary = Summary()
        for row in self._pages(queryset):
            if row.direction != Interaction.Direction.OUTBOUND:
                summary.skipped_inbound += 1
            elif dry_run:
                summary.resent += 1
                self.stdout.write(
                    f"would resend {row.pk} ({row.channel} {row.subject}, {row.status}, "
                    f"person {row.borrower_id or '-'}, created {row.created_at.isoformat()})"
                )
            else:
                try:
                    copy = interaction_resend(company, ACTOR, row.pk)
                except ServiceError as error:
                    summary.errors += 1
                    summary.problems.append(f"{row.pk}: {error.message}")
                else:
                    summary.resent += 1
                    if progress is None:
                        self.stdout.write(f"resent {row.pk} as {copy.pk}")
            if progress is not None:
                progress.advance(summary.note())
        if progress is not None:
            progress.close()
        for problem in summary.problems:
            self.stderr.write(f"error: {problem}")
        missing = self._missing_ids(company, options)
        summary.errors += len(missing)
        for value in missing:
            self.stderr.write(f"error: {value}: no interaction of {company.pk}")
        verb = "Dry run: would resend" if dry_run else "Resent"
        tail = " Nothing was sent." if dry_run else " Not checked against Compliance Guard."
        self.stdout.write(
            f"{verb} {summary.resent} of {total} matching interaction(s); skipped {summary.skipped_inbound} "
            f"inbound; {summary.errors} error(s).{tail}"
        )
        if summary.errors and not dry_run:
            raise CommandError(f"{summary.errors} interaction(s) could not be resent (listed above).")

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
        ordered = queryset.order_by("created_at", "id").only(
            "id", "created_at", "direction", "channel", "subject", "status", "borrower_id"
        )
        while True:
            page_qs = ordered
            if after is not None:
                page_qs = page_qs.filter(Q(created_at__gt=after[0]) | Q(created_at=after[0], id__gt=after[1]))
            page = list(page_qs[:PAGE])
            yield from page
            if len(page) < PAGE:
                return
            after = (page[-1].created_at, page[-1].pk)

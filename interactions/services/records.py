"""Writes of interactions that record what happened elsewhere: logging an interaction and
updating its lifecycle. Neither sends anything nor consults Compliance Guard."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from borrowers.models import ApiKey, Borrower, Case, Company, Contact, Document, Loan
from interactions import catalogue
from interactions.models import Interaction
from interactions.selectors import interaction_get
from peachcomms.db import is_unique_violation
from peachcomms.errors import Conflict, InvalidInput, NotFound
from peachcomms.scoping import get_scoped
from subjects.selectors import subject_descriptor, theme_get

#: The status of a logged interaction whose statusDetails do not imply one: it happened.
LOGGED_DEFAULT_STATUS = Interaction.Status.SUCCEEDED
EXTERNAL_ID_CONSTRAINT = "interaction_external_id_unique"
#: That constraint as the target of ``INSERT … ON CONFLICT`` (its columns and condition).
EXTERNAL_ID_CONFLICT = "(company_id, external_id) WHERE external_id IS NOT NULL"
#: Updatable fields that may be sent as null only while they are null.
UNCLEARABLE = {"statusDetails": "status_details", "theme": "theme", "endedAt": "ended_at"}


def created_by_api_key(api_key: ApiKey) -> dict[str, Any]:
    """``createdBy`` of an interaction written through an integration's API key."""
    return {"id": api_key.pk, "name": api_key.name, "userType": "integration", "descriptor": None}


def _status_from(
    *, status: str | None, status_details: str | None, channel: str, direction: str
) -> str | None:
    """The status a request asks for: ``status``, or the one ``statusDetails`` implies.
    The details must fit the channel and direction, and agree with ``status`` if both
    are given."""
    if status_details is None:
        return status
    if not catalogue.status_details_fits(status_details, channel, direction):
        raise InvalidInput.for_field(
            "statusDetails",
            f"'{status_details}' does not fit a {direction} {channel} interaction.",
        )
    implied = catalogue.status_details_implies(status_details)
    if status is not None and status != implied:
        raise InvalidInput.for_field(
            "status",
            f"statusDetails '{status_details}' implies status '{implied}', not '{status}'.",
        )
    return implied


def _check_times(started_at: datetime | None, ended_at: datetime | None) -> None:
    if started_at is not None and ended_at is not None and ended_at < started_at:
        raise InvalidInput.for_field("endedAt", "Must not be before startedAt.")


def _save(interaction: Interaction, *, update_fields: list[str] | None = None) -> None:
    """Save, turning a duplicate ``externalId`` into a 409."""
    try:
        with transaction.atomic():
            interaction.save(update_fields=update_fields)
    except IntegrityError as error:
        if is_unique_violation(error, Interaction, EXTERNAL_ID_CONSTRAINT):
            raise Conflict(
                f"An interaction with externalId '{interaction.external_id}' already exists in this company."
            ) from error
        raise


def interaction_log(
    *,
    company: Company,
    borrower: Borrower,
    data: dict[str, Any],
    created_by: dict[str, Any],
) -> Interaction:
    """Record an interaction that happened elsewhere (``POST /people/{id}/interactions``).

    ``data`` holds the validated body in camelCase. Sends nothing and runs no compliance
    check. Every reference (``statementId``: a document of the borrower, as a send's) is
    resolved within the company and borrower (404 naming the field); subject, theme and
    status details are checked against the catalogues (400). ``subject`` is optional: without
    one the row's subject is null, ``theme`` is required and ``isTransactional`` defaults
    to false.
    The row is ``isExternal``; its status is the one given, else the one its
    statusDetails imply, else ``succeeded``. Outbound rows get ``send_at`` = startedAt
    (or now) so that Compliance Guard counts them at the time they happened.
    """
    channel, direction = data["channel"], data["direction"]
    if catalogue.channel_is_deprecated(channel):
        raise InvalidInput.for_field("channel", f"'{channel}' is deprecated; no new {channel} interactions.")
    descriptor = subject_descriptor(company, data["subject"]) if data.get("subject") else None
    theme = data.get("theme")
    if theme is not None:
        theme = theme_get(theme).theme
    elif descriptor is None:
        raise InvalidInput.for_field("theme", "Required when no subject is given.")
    elif descriptor.theme is not None:
        theme = descriptor.theme
    else:
        raise InvalidInput.for_field(
            "theme", f"Required: subject '{descriptor.subject}' has no implicit theme."
        )
    status_details = data.get("statusDetails")
    status = _status_from(
        status=data.get("status"), status_details=status_details, channel=channel, direction=direction
    )
    _check_times(data.get("startedAt"), data.get("endedAt"))

    def scoped(model: type, field: str) -> Any:
        return get_scoped(model, company.pk, data[field], borrower_id=borrower.pk, field=field)

    contact = scoped(Contact, "contactId") if data.get("contactId") else None
    loan = scoped(Loan, "loanId") if data.get("loanId") else None
    loan_ids: list[str] = [loan.pk] if loan is not None else []
    for index, value in enumerate(data.get("loanIds") or []):
        pk = get_scoped(Loan, company.pk, value, borrower_id=borrower.pk, field=f"loanIds[{index}]").pk
        if pk not in loan_ids:
            loan_ids.append(pk)
    case = scoped(Case, "caseId") if data.get("caseId") else None
    statement = scoped(Document, "statementId") if data.get("statementId") else None
    previous = None
    if data.get("previousInteractionId"):
        previous = interaction_get(company, data["previousInteractionId"], field="previousInteractionId")

    now = timezone.now()
    started_at = data.get("startedAt")
    interaction = Interaction(
        company=company,
        borrower=borrower,
        contact=contact,
        channel=channel,
        direction=direction,
        subject=descriptor.subject if descriptor is not None else None,
        theme=theme,
        status=status or LOGGED_DEFAULT_STATUS,
        status_updated_at=now,
        status_details=status_details,
        status_details_updated_at=now if status_details else None,
        agent_outcome=data.get("agentOutcome"),
        agent_outcome_updated_at=now if data.get("agentOutcome") else None,
        is_transactional=data.get(
            "isTransactional", descriptor.is_transactional if descriptor is not None else False
        ),
        sensitive=data.get("sensitive", False),
        is_external=True,
        external_id=data.get("externalId"),
        previous_interaction=previous,
        loan=loan,
        loan_ids=loan_ids,
        case=case,
        statement_id=statement.pk if statement is not None else None,
        supercase_bulk_operation_id=data.get("supercaseBulkOperationId"),
        send_at=(started_at or now) if direction == Interaction.Direction.OUTBOUND else None,
        started_at=started_at,
        ended_at=data.get("endedAt"),
        content=data.get("content"),
        meta_data=data.get("metaData") or {},
        created_by=created_by,
    )
    _save(interaction)
    return interaction


def _check_transition(old: str, new: str, field: str) -> None:
    if new == old or catalogue.can_transition(old, new):
        return
    if catalogue.status_is_final(old):
        problem = f"The interaction has finished (status '{old}'); its status cannot change to '{new}'."
    else:
        allowed = ", ".join(f"'{s}'" for s in catalogue.status_next(old))
        problem = f"Status can only move forward: from '{old}' it may change to {allowed}, not '{new}'."
    raise InvalidInput.for_field(field, problem, message=problem)


def interaction_update(*, interaction: Interaction, data: dict[str, Any]) -> Interaction:
    """Update the lifecycle fields of an interaction
    (``PUT /people/{id}/interactions/{id}``): status, statusDetails, agentOutcome,
    endedAt, metaData (replaced whole), externalId and theme (only while it is null).

    ``data`` holds the validated body in camelCase; only the fields present change. The
    row is re-read under ``SELECT … FOR UPDATE`` so concurrent updates are serialised and
    the forward-only status rule is checked against the committed state. statusDetails
    must fit the channel and direction and imply the new status. ``statusUpdatedAt``,
    ``statusDetailsUpdatedAt`` and ``agentOutcomeUpdatedAt`` move when their value does.
    """
    with transaction.atomic():
        row = Interaction.objects.select_for_update().filter(pk=interaction.pk).first()
        if row is None:  # deleted since the view read it
            raise NotFound(f"No interaction '{interaction.pk}'.")
        now = timezone.now()
        changed: list[str] = []
        data = dict(data)
        for name, column in UNCLEARABLE.items():
            if name in data and data[name] is None:
                if getattr(row, column) is not None:
                    raise InvalidInput.for_field(name, "Cannot be cleared once set.")
                del data[name]  # sent back as read: unchanged

        def put(field: str, value: Any, stamp: str | None = None) -> None:
            if getattr(row, field) == value:
                return
            setattr(row, field, value)
            changed.append(field)
            if stamp is not None:
                setattr(row, stamp, now)
                changed.append(stamp)

        status_details = data.get("statusDetails")
        status = _status_from(
            status=data.get("status"),
            status_details=status_details,
            channel=row.channel,
            direction=row.direction,
        )
        if status is not None:
            _check_transition(row.status, status, "status" if "status" in data else "statusDetails")
            put("status", status, "status_updated_at")
        if status_details is not None:
            put("status_details", status_details, "status_details_updated_at")
        if "agentOutcome" in data:
            put("agent_outcome", data["agentOutcome"], "agent_outcome_updated_at")
        if "theme" in data:
            theme = theme_get(data["theme"]).theme
            if row.theme is not None and row.theme != theme:
                raise InvalidInput.for_field(
                    "theme", f"The theme is already '{row.theme}'; it can only be set while null."
                )
            put("theme", theme)
        if "endedAt" in data:
            _check_times(row.started_at, data["endedAt"])
            put("ended_at", data["endedAt"])
        if "metaData" in data:
            put("meta_data", data["metaData"])
        if "externalId" in data:
            put("external_id", data["externalId"])
        if changed:
            _save(row, update_fields=[*changed, "updated_at"])
    row.contact_external_id = getattr(interaction, "contact_external_id", None)
    return row

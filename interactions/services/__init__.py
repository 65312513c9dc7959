"""Writes of interactions (HackSoft-style services; reads are in ``interactions.selectors``).

- :mod:`.records` — logging an interaction that happened elsewhere, and lifecycle updates;
- :mod:`.send` — ``POST /communicator/send``: render, Compliance Guard, record, queue;
  :mod:`.send_content` its template and content, :mod:`.senders` who sends, to and from
  which address (shared with resend and free-form email);
- :mod:`.resend` — copying an outbound interaction into a new, unchecked one;
- :mod:`.bulk_resend` — the bulk resend of the command and the admin: copies checked
  against Compliance Guard by default;
- :mod:`.free_form` — branded free-form email, one interaction per recipient;
- :mod:`.contact_selection` — the recipient of a send that names no contact.

Every public name is importable from ``interactions.services``.
"""

from __future__ import annotations

from interactions.services.bulk_resend import (
    BulkResendReport,
    ResendOutcome,
    interaction_resend_checked,
    interactions_resend_bulk,
)
from interactions.services.contact_selection import NoEligibleContact
from interactions.services.free_form import FreeFormResult, interaction_send_free_form_email
from interactions.services.records import (
    EXTERNAL_ID_CONSTRAINT,
    LOGGED_DEFAULT_STATUS,
    UNCLEARABLE,
    created_by_api_key,
    interaction_log,
    interaction_update,
)
from interactions.services.resend import interaction_resend
from interactions.services.send import SendResult, created_by_actor, interaction_send

__all__ = [
    "BulkResendReport",
    "ResendOutcome",
    "EXTERNAL_ID_CONSTRAINT",
    "LOGGED_DEFAULT_STATUS",
    "UNCLEARABLE",
    "FreeFormResult",
    "NoEligibleContact",
    "SendResult",
    "created_by_actor",
    "created_by_api_key",
    "interaction_log",
    "interaction_resend",
    "interaction_resend_checked",
    "interaction_send",
    "interaction_send_free_form_email",
    "interaction_update",
    "interactions_resend_bulk",
]

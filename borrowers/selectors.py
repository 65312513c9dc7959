"""Reads of companies, borrowers and their records. Writes are in ``borrowers.services``.

The API views read lists and single rows through ``CompanyScopedView`` (which scopes by
company and borrower); these selectors serve the services and the reads that view cannot
express (the caller's own company, a document's stored bytes, references in a body).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.core.files import File
from django.db.models import Q, QuerySet

from borrowers.models import Borrower, Case, Company, Contact, Document, Loan
from peachcomms.api.ids import EXTERNAL_PREFIX, lookup_kwargs
from peachcomms.db import OrmRead, Read, fetch_many
from peachcomms.errors import NotFound
from peachcomms.scoping import get_scoped, id_prefix, scoped_not_found, scoped_read


def borrower_get(company: Company, person_id: str) -> Borrower:
    return get_scoped(Borrower, company.pk, person_id, field="personId")


def borrower_list(company: Company) -> QuerySet[Borrower]:
    return Borrower.objects.filter(company_id=company.pk)


def borrower_contacts(borrower: Borrower) -> list[Contact]:
    """All the borrower's contacts, oldest first: what contact selection and Compliance
    Guard read on every send (one read without the query compiler)."""
    return fetch_many([contacts_read(borrower.pk)])[0]


def borrower_with_contacts(company: Company, person_id: str) -> tuple[Borrower, list[Contact]]:
    """:func:`borrower_get` and :func:`borrower_contacts` in one round trip (the send path
    reads both first); two for an ``ext-`` id, whose borrower id is not known before."""
    read = scoped_read(Borrower, company.pk, person_id)
    kwargs = lookup_kwargs(str(person_id), id_prefix(Borrower))
    if read is None or kwargs is None or "pk" not in kwargs:
        borrower = borrower_get(company, person_id)
        return borrower, borrower_contacts(borrower)
    borrowers, contacts = fetch_many([read, contacts_read(kwargs["pk"])])
    if not borrowers:
        raise scoped_not_found(Borrower, person_id, field="personId")
    return borrowers[0], contacts


#: data.md "Contact selection": the contact type each channel is delivered to, and for
#: text the labels of phones that can receive texts. Channels not listed need no contact.
SELECTION_TYPES = {
    "email": Contact.ContactType.EMAIL,
    "text": Contact.ContactType.PHONE,
    "voice": Contact.ContactType.PHONE,
    "mail": Contact.ContactType.ADDRESS,
}
TEXT_LABELS = (Contact.Label.PERSONAL, Contact.Label.MOBILE)
STATUS_ORDER = (Contact.Status.PRIMARY, Contact.Status.SECONDARY, Contact.Status.ADDITIONAL)


def contact_select(contacts: Iterable[Contact], channel: str) -> Contact | None:
    """The contact a send that names none goes to (data.md, "Contact selection"): the
    borrower's own (``self``), valid, not archived contacts of the channel's type (texts:
    phones with text consent labelled personal or mobile), primary → secondary →
    additional, the oldest first within a status. None when there is none or the channel
    is not delivered to a contact.

    The one rule for every path that picks a recipient: the send, Compliance Guard (which
    judges exactly the contact the send will use) and the render of a letter."""
    contact_type = SELECTION_TYPES.get(channel)
    if contact_type is None:
        return None
    eligible = [
        c
        for c in contacts
        if c.affiliation == Contact.Affiliation.SELF
        and c.valid
        and c.status in STATUS_ORDER
        and c.contact_type == contact_type
        and (channel != "text" or (c.receive_text_messages and c.label in TEXT_LABELS))
    ]
    eligible.sort(key=lambda c: (STATUS_ORDER.index(c.status), c.created_at, c.pk))
    return eligible[0] if eligible else None


def borrower_open_cases(borrower: Borrower) -> list[Case]:
    """The borrower's cases with an open status (:func:`open_case_q`), oldest first
    (Compliance Guard's case holds; compiled once: :class:`peachcomms.db.OrmRead`)."""
    return fetch_many([open_cases_read(borrower.pk)])[0]


def open_case_q() -> Q:
    """An open case: one of ``Case.OPEN_STATUSES``."""
    return Q(status__in=Case.OPEN_STATUSES)


def _contacts(borrower_id: str) -> QuerySet[Contact]:
    return Contact.objects.filter(borrower_id=borrower_id).order_by("created_at", "id")


def _open_cases(borrower_id: str) -> QuerySet[Case]:
    return Case.objects.filter(open_case_q(), borrower_id=borrower_id).order_by("created_at", "id")


_contacts_read = OrmRead(_contacts, "\x00borrower")
_open_cases_read = OrmRead(_open_cases, "\x00borrower")


def contacts_read(borrower_id: str) -> Read:
    """The read of :func:`borrower_contacts`, to send with others (``fetch_many``)."""
    return _contacts_read(borrower_id)


def open_cases_read(borrower_id: str) -> Read:
    """The read of :func:`borrower_open_cases`, to send with others (``fetch_many``)."""
    return _open_cases_read(borrower_id)


def company_get(company: Company, company_id: str) -> Company:
    """The caller's own company when ``company_id`` names it; any other id (another
    company's included, so its existence is not revealed) is :class:`NotFound`."""
    if company_id != company.pk:
        raise NotFound(f"No company '{company_id[:80]}'.")
    return Company.objects.get(pk=company.pk)


def companies_named(name: str) -> QuerySet[Company]:
    """Companies whose name is ``name`` ignoring case ("Acme Loans" and "ACME loans" are one
    lender to an operator), oldest first."""
    return Company.objects.filter(name__iexact=name).order_by("created_at")


def loan_ids_of_borrower(
    company_id: str, borrower_id: str, values: Iterable[str]
) -> tuple[list[str], list[str]]:
    """Resolve loan references (``LN-…`` or ``ext-…``) among one borrower's loans in one
    query. Returns the loan ids in the order given without duplicates, and the values
    that are not loans of that borrower."""
    values = list(dict.fromkeys(values))
    ids: set[str] = set()
    external_ids: set[str] = set()
    for value in values:
        kwargs = lookup_kwargs(value, "LN")
        if kwargs is not None:
            (ids if "pk" in kwargs else external_ids).add(next(iter(kwargs.values())))
    found: dict[str, str] = {}
    if ids or external_ids:
        rows = Loan.objects.filter(company_id=company_id, borrower_id=borrower_id).filter(
            Q(pk__in=ids) | Q(external_id__in=external_ids)
        )
        for pk, external_id in rows.values_list("pk", "external_id"):
            found[pk] = pk
            if external_id is not None:
                found[EXTERNAL_PREFIX + external_id] = pk
    resolved = list(dict.fromkeys(found[value] for value in values if value in found))
    unknown = [value for value in values if value not in found]
    return resolved, unknown


def document_content_open(document: Document) -> File:
    """The stored bytes of ``document``, opened for reading; :class:`NotFound` when none
    were uploaded (or the file is gone from storage)."""
    if not document.content:
        raise NotFound(f"Document '{document.pk}' has no content yet.")
    try:
        return document.content.open("rb")
    except FileNotFoundError:
        raise NotFound(f"The content of document '{document.pk}' is missing from storage.") from None

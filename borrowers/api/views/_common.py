"""What the views of a borrower's records share: the base view and the path parameters."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter

from peachcomms.api.views import CompanyScopedView


def path_id(name: str, prefix: str, label: str) -> OpenApiParameter:
    return OpenApiParameter(
        name,
        OpenApiTypes.STR,
        OpenApiParameter.PATH,
        description=f"The {label}: `{prefix}-XXXX-XXXX`, or `ext-<externalId>` (the lender's own id).",
    )


PERSON_ID = path_id("personId", "BO", "borrower")
CONTACT_ID = path_id("contactId", "CT", "contact (of this borrower)")
LOAN_ID = path_id("loanId", "LN", "loan (of this borrower)")
CASE_ID = path_id("caseId", "CS", "case (of this borrower)")
DOCUMENT_ID = path_id("documentId", "DD", "document (of this borrower)")


class BorrowerRecordView(CompanyScopedView):
    """A ``/people/{personId}/…`` route: rows of the caller's company and of that
    borrower only; reads need ``people:read``, writes ``people:write``."""

    permission_scope = "people"
    borrower_scoped = True

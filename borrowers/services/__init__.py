"""Writes of companies, API keys, borrowers and their records (contacts, loans, cases,
documents). Every write of these rows goes through a function here; the API views,
admin and other apps call them, never ``Model.save`` directly."""

from borrowers.services._common import apply as _apply
from borrowers.services._common import save_unique as _save_unique
from borrowers.services.companies import IssuedApiKey, api_key_create, company_create, company_update
from borrowers.services.contacts import contact_archive, contact_clean, contact_create, contact_update
from borrowers.services.documents import (
    DOCUMENT_CONTENT_MAX_BYTES,
    document_content_upload,
    document_create,
)
from borrowers.services.loans import case_create, case_update, loan_create, loan_update
from borrowers.services.people import borrower_create, borrower_update

__all__ = [
    "DOCUMENT_CONTENT_MAX_BYTES",
    "IssuedApiKey",
    "_apply",
    "_save_unique",
    "api_key_create",
    "borrower_create",
    "borrower_update",
    "case_create",
    "case_update",
    "company_create",
    "company_update",
    "contact_archive",
    "contact_clean",
    "contact_create",
    "contact_update",
    "document_content_upload",
    "document_create",
    "loan_create",
    "loan_update",
]

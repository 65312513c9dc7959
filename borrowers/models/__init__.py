from borrowers.models.base import CompanyOwned, ExternalIdMixin, TimeStamped
from borrowers.models.companies import ApiKey, Company
from borrowers.models.people import Borrower, Case, Contact, Document, Loan

__all__ = [
    "ApiKey",
    "Borrower",
    "Case",
    "Company",
    "CompanyOwned",
    "Contact",
    "Document",
    "ExternalIdMixin",
    "Loan",
    "TimeStamped",
]

from borrowers.api.views.companies import CompanyView
from borrowers.api.views.contacts import ContactsView, ContactView
from borrowers.api.views.documents import DocumentContentView, DocumentsView, DocumentView
from borrowers.api.views.loans import CasesView, CaseView, LoansView, LoanView
from borrowers.api.views.people import PeopleView, PersonView

__all__ = [
    "CaseView",
    "CasesView",
    "CompanyView",
    "ContactView",
    "ContactsView",
    "DocumentContentView",
    "DocumentView",
    "DocumentsView",
    "LoanView",
    "LoansView",
    "PeopleView",
    "PersonView",
]

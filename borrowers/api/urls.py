from django.urls import path

from borrowers.api import views

PERSON = "people/<str:personId>"

urlpatterns = [
    path("people", views.PeopleView.as_view(), name="people"),
    path(PERSON, views.PersonView.as_view(), name="person"),
    path(f"{PERSON}/contacts", views.ContactsView.as_view(), name="contacts"),
    path(f"{PERSON}/contacts/<str:contactId>", views.ContactView.as_view(), name="contact"),
    path(f"{PERSON}/loans", views.LoansView.as_view(), name="loans"),
    path(f"{PERSON}/loans/<str:loanId>", views.LoanView.as_view(), name="loan"),
    path(f"{PERSON}/cases", views.CasesView.as_view(), name="cases"),
    path(f"{PERSON}/cases/<str:caseId>", views.CaseView.as_view(), name="case"),
    path(f"{PERSON}/documents", views.DocumentsView.as_view(), name="documents"),
    path(f"{PERSON}/documents/<str:documentId>", views.DocumentView.as_view(), name="document"),
    path(
        f"{PERSON}/documents/<str:documentId>/content",
        views.DocumentContentView.as_view(),
        name="document-content",
    ),
    path("companies/<str:companyId>", views.CompanyView.as_view(), name="company"),
]

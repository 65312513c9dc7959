from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from borrowers import services
from borrowers.api.serializers import CaseSerializer, LoanSerializer
from borrowers.api.views._common import CASE_ID, LOAN_ID, PERSON_ID, BorrowerRecordView
from borrowers.models import Case, Loan
from peachcomms.api.schema import enveloped, error_response, list_schema

CASE_RULES = (
    "`loanIds` (`LN-…` or `ext-…`) must all be loans of this borrower, else 400 naming `loanIds`; "
    "they are stored and returned as `LN-` ids. `startedAt` defaults to the creation time. A "
    "`completed` or `canceled` case gets `closedAt` = now unless given; an open case "
    "(`initiated`, `processing`) has no `closedAt` (sending one is a 400; reopening clears it)."
)


class LoansView(BorrowerRecordView):
    queryset = Loan.objects.all()
    serializer_class = LoanSerializer

    @list_schema(
        LoanSerializer,
        operation_id="loans_list",
        summary="List a borrower's loans",
        tags=["loans"],
        parameters=[PERSON_ID],
    )
    def get(self, request: Request, personId: str) -> Response:
        return self.respond_list(self.get_queryset())

    @extend_schema(
        operation_id="loans_create",
        summary="Add a loan to a borrower",
        tags=["loans"],
        parameters=[PERSON_ID],
        responses={200: enveloped(LoanSerializer), 409: error_response(409)},
    )
    def post(self, request: Request, personId: str) -> Response:
        loan = services.loan_create(borrower=self.borrower, data=self.input())
        return self.respond(self.output(loan), message="created")


class LoanView(BorrowerRecordView):
    queryset = Loan.objects.all()
    serializer_class = LoanSerializer
    lookup_url_kwarg = "loanId"

    @extend_schema(
        operation_id="loans_get",
        summary="Get a loan",
        tags=["loans"],
        parameters=[PERSON_ID, LOAN_ID],
        responses=enveloped(LoanSerializer),
    )
    def get(self, request: Request, personId: str, loanId: str) -> Response:
        return self.respond(self.output(self.get_object()))

    @extend_schema(
        operation_id="loans_update",
        summary="Update a loan (only the fields sent)",
        tags=["loans"],
        parameters=[PERSON_ID, LOAN_ID],
        responses={200: enveloped(LoanSerializer), 409: error_response(409)},
    )
    def put(self, request: Request, personId: str, loanId: str) -> Response:
        loan = self.get_object()
        data = self.input(instance=loan, partial=True)
        return self.respond(self.output(services.loan_update(loan=loan, data=data)), message="updated")


class CasesView(BorrowerRecordView):
    queryset = Case.objects.all()
    serializer_class = CaseSerializer

    @list_schema(
        CaseSerializer,
        operation_id="cases_list",
        summary="List a borrower's cases",
        tags=["cases"],
        parameters=[PERSON_ID],
    )
    def get(self, request: Request, personId: str) -> Response:
        return self.respond_list(self.get_queryset())

    @extend_schema(
        operation_id="cases_create",
        summary="Open a case for a borrower",
        description=CASE_RULES,
        tags=["cases"],
        parameters=[PERSON_ID],
        responses={200: enveloped(CaseSerializer), 409: error_response(409)},
    )
    def post(self, request: Request, personId: str) -> Response:
        case = services.case_create(borrower=self.borrower, data=self.input())
        return self.respond(self.output(case), message="created")


class CaseView(BorrowerRecordView):
    queryset = Case.objects.all()
    serializer_class = CaseSerializer
    lookup_url_kwarg = "caseId"

    @extend_schema(
        operation_id="cases_get",
        summary="Get a case",
        tags=["cases"],
        parameters=[PERSON_ID, CASE_ID],
        responses=enveloped(CaseSerializer),
    )
    def get(self, request: Request, personId: str, caseId: str) -> Response:
        return self.respond(self.output(self.get_object()))

    @extend_schema(
        operation_id="cases_update",
        summary="Update a case (only the fields sent)",
        description=CASE_RULES,
        tags=["cases"],
        parameters=[PERSON_ID, CASE_ID],
        responses={200: enveloped(CaseSerializer), 409: error_response(409)},
    )
    def put(self, request: Request, personId: str, caseId: str) -> Response:
        case = self.get_object()
        data = self.input(instance=case, partial=True)
        return self.respond(self.output(services.case_update(case=case, data=data)), message="updated")

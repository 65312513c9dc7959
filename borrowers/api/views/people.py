from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from borrowers import services
from borrowers.api.serializers import BorrowerSerializer
from borrowers.models import Borrower
from peachcomms.api.schema import enveloped, error_response, list_schema
from peachcomms.api.views import CompanyScopedView


class PeopleView(CompanyScopedView):
    queryset = Borrower.objects.all()
    serializer_class = BorrowerSerializer
    permission_scope = "people"

    @list_schema(BorrowerSerializer, operation_id="people_list", summary="List borrowers", tags=["people"])
    def get(self, request: Request) -> Response:
        return self.respond_list(self.get_queryset())

    @extend_schema(
        operation_id="people_create",
        summary="Create a borrower",
        tags=["people"],
        responses={200: enveloped(BorrowerSerializer), 409: error_response(409)},
    )
    def post(self, request: Request) -> Response:
        borrower = services.borrower_create(company=self.company, data=self.input())
        return self.respond(self.output(borrower), message="created")


class PersonView(CompanyScopedView):
    queryset = Borrower.objects.all()
    serializer_class = BorrowerSerializer
    permission_scope = "people"
    lookup_url_kwarg = "personId"

    @extend_schema(
        operation_id="people_get",
        summary="Get a borrower",
        tags=["people"],
        responses=enveloped(BorrowerSerializer),
    )
    def get(self, request: Request, personId: str) -> Response:  # noqa: N803
        return self.respond(self.output(self.get_object()))

    @extend_schema(
        operation_id="people_update",
        summary="Update a borrower (only the fields sent)",
        tags=["people"],
        responses={200: enveloped(BorrowerSerializer), 409: error_response(409)},
    )
    def put(self, request: Request, personId: str) -> Response:  # noqa: N803
        borrower = self.get_object()
        data = self.input(instance=borrower, partial=True)
        return self.respond(
            self.output(services.borrower_update(borrower=borrower, data=data)), message="updated"
        )

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from borrowers import selectors, services
from borrowers.api.serializers import CompanySerializer
from borrowers.api.views._common import path_id
from borrowers.models import Company
from peachcomms.api.schema import enveloped
from peachcomms.api.views import CompanyScopedView

COMPANY_ID = path_id("companyId", "CP", "caller's own company")
OWN_COMPANY_ONLY = (
    "Only the company of the API key: any other `companyId` (another company's included) "
    "is 404. Companies have no externalId, so `ext-…` is 404 too."
)


class CompanyView(CompanyScopedView):
    queryset = Company.objects.all()
    serializer_class = CompanySerializer
    permission_scope = "company"
    lookup_url_kwarg = "companyId"

    def get_object(self) -> Company:
        # A company is not company-owned; the scoping is "the caller's own".
        return selectors.company_get(self.company, self.kwargs[self.lookup_url_kwarg])

    @extend_schema(
        operation_id="companies_get",
        summary="Get your company",
        description=OWN_COMPANY_ONLY,
        tags=["companies"],
        parameters=[COMPANY_ID],
        responses=enveloped(CompanySerializer),
    )
    def get(self, request: Request, companyId: str) -> Response:
        return self.respond(self.output(self.get_object()))

    @extend_schema(
        operation_id="companies_update",
        summary="Update your company (only the fields sent)",
        description=(
            f"{OWN_COMPANY_ONLY} `supportPhone` is stored in E.164 (default region US), "
            "`supportEmail` with a lower-cased domain, `domainName` lower-cased. `mailingAddress` "
            "merges the keys sent into the stored address (null or {} clears it); a US address "
            "needs a USPS `state` code and a 5- or 9-digit `postalCode`."
        ),
        tags=["companies"],
        parameters=[COMPANY_ID],
        responses=enveloped(CompanySerializer),
    )
    def put(self, request: Request, companyId: str) -> Response:
        company = self.get_object()
        data = self.input(instance=company, partial=True)
        return self.respond(
            self.output(services.company_update(company=company, data=data)), message="updated"
        )

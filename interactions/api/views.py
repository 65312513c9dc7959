from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from interactions import catalogue, selectors, services
from interactions.api.inputs import (
    InteractionFilterSerializer,
    InteractionLogSerializer,
    InteractionUpdateSerializer,
    PersonInteractionFilterSerializer,
)
from interactions.api.serializers import InteractionSerializer
from interactions.models import Interaction
from peachcomms.api.schema import enveloped, error_response, list_schema
from peachcomms.api.views import CompanyScopedView

TAGS = ["interactions"]
_ID_FILTER = (
    "{kind} id or ext-<externalId>. A malformed value is a 400; an id that matches nothing "
    "in this company gives an empty list."
)
FILTER_PARAMETERS = [
    OpenApiParameter("personId", str, description=_ID_FILTER.format(kind="Borrower")),
    OpenApiParameter("channel", str, enum=catalogue.channel_values()),
    OpenApiParameter("direction", str, enum=Interaction.Direction.values),
    OpenApiParameter("status", str, enum=catalogue.status_values()),
    OpenApiParameter("statusDetails", str, enum=catalogue.status_details_values()),
    OpenApiParameter("subject", str, description="A subject; deprecated aliases are rewritten."),
    OpenApiParameter("theme", str, description="A theme."),
    OpenApiParameter(
        "loanId",
        str,
        description=_ID_FILTER.format(kind="Loan") + " Matches loanId and loanIds.",
    ),
    OpenApiParameter("caseId", str, description=_ID_FILTER.format(kind="Case")),
    OpenApiParameter("supercaseBulkOperationId", str),
    OpenApiParameter("createdAtFrom", OpenApiTypes.DATETIME, description="Created at or after (inclusive)."),
    OpenApiParameter("createdAtTo", OpenApiTypes.DATETIME, description="Created before (exclusive)."),
]
LIST_DESCRIPTION = (
    "Newest first, cursor paginated. Filters combine with AND; an unknown filter parameter "
    "or enum value is a 400."
)
SENSITIVE_NOTE = (
    " `content` is null on sensitive interactions unless the key has `interactions:readSensitive`."
)


class InteractionScopedView(CompanyScopedView):
    queryset = selectors.interaction_queryset()
    serializer_class = InteractionSerializer
    permission_scope = "interactions"
    filter_serializer_class: type[InteractionFilterSerializer] = InteractionFilterSerializer

    def list_response(self, request: Request) -> Response:
        filters = self.filter_serializer_class(data=request.query_params)
        filters.is_valid(raise_exception=True)
        queryset = selectors.interaction_list(
            self.company, filters=filters.validated_data, queryset=self.get_queryset()
        )
        return self.respond_list(queryset)


class InteractionsView(InteractionScopedView):
    @list_schema(
        InteractionSerializer,
        parameters=FILTER_PARAMETERS,
        operation_id="interactions_list",
        summary="List the company's interactions",
        description=LIST_DESCRIPTION + SENSITIVE_NOTE,
        tags=TAGS,
    )
    def get(self, request: Request) -> Response:
        return self.list_response(request)


class InteractionView(InteractionScopedView):
    lookup_url_kwarg = "interactionId"

    @extend_schema(
        operation_id="interactions_get",
        summary="Get an interaction",
        description="By id or ext-<externalId>; how a caller follows a queued send." + SENSITIVE_NOTE,
        tags=TAGS,
        responses={200: enveloped(InteractionSerializer), 404: error_response(404)},
    )
    def get(self, request: Request, interactionId: str) -> Response:  # noqa: N803
        return self.respond(self.output(self.get_object()))


class PersonInteractionsView(InteractionScopedView):
    borrower_scoped = True
    filter_serializer_class = PersonInteractionFilterSerializer

    @list_schema(
        InteractionSerializer,
        parameters=[p for p in FILTER_PARAMETERS if p.name != "personId"],
        operation_id="people_interactions_list",
        summary="List a borrower's interactions",
        description=LIST_DESCRIPTION + SENSITIVE_NOTE,
        tags=TAGS,
    )
    def get(self, request: Request, personId: str) -> Response:  # noqa: N803
        return self.list_response(request)

    @extend_schema(
        operation_id="people_interactions_log",
        summary="Log an interaction that happened elsewhere",
        description=(
            "Records an interaction; sends nothing and is not checked by Compliance Guard. "
            "The interaction is `isExternal: true` and `createdBy` is the API key "
            "(`userType: integration`). Only `channel` and `direction` are required: `subject` "
            "is optional (a call logged with a theme and no subject is stored with "
            "`subject: null`). `theme` defaults to the subject's implicit theme (required "
            "without a subject, or when the subject has none). `status` defaults to the status "
            "`statusDetails` implies, else `succeeded`; given both, they must agree. "
            "`statusDetails` must fit the channel and direction. `isTransactional` defaults to "
            "the subject's default (false without a subject). Outbound interactions count for "
            "Compliance Guard frequency limits at `startedAt` (or now). `contactId`, `loanId`, "
            "`loanIds`, `caseId` and `statementId` (a document `DD-…`, as a send's) must belong "
            "to the borrower (404 naming the field, nothing written); `previousInteractionId` "
            "to the company. "
            "`externalId` is unique per company (409). `fax` is deprecated (400)."
        ),
        tags=TAGS,
        request=InteractionLogSerializer,
        responses={200: enveloped(InteractionSerializer), 404: error_response(404), 409: error_response(409)},
    )
    def post(self, request: Request, personId: str) -> Response:  # noqa: N803
        interaction = services.interaction_log(
            company=self.company,
            borrower=self.borrower,
            data=self.input(InteractionLogSerializer),
            created_by=services.created_by_api_key(request.auth),
        )
        return self.respond(self.output(interaction), message="logged")


class PersonInteractionView(InteractionScopedView):
    borrower_scoped = True
    lookup_url_kwarg = "interactionId"

    @extend_schema(
        operation_id="people_interactions_get",
        summary="Get an interaction of a borrower",
        description=SENSITIVE_NOTE.strip(),
        tags=TAGS,
        responses={200: enveloped(InteractionSerializer), 404: error_response(404)},
    )
    def get(self, request: Request, personId: str, interactionId: str) -> Response:  # noqa: N803
        return self.respond(self.output(self.get_object()))

    @extend_schema(
        operation_id="people_interactions_update",
        summary="Update an interaction's lifecycle",
        description=(
            "Changes only the fields sent: `status`, `statusDetails`, `agentOutcome`, `endedAt`, "
            "`metaData` (replaced whole), `externalId` (unique per company, 409), `theme` (only "
            "while it is null). Other fields of the representation may be sent back unchanged; "
            "a different value (`channel`, `direction`, `personId`, …) is a 400. Status moves "
            "only forward: scheduled → inProgress → attempted → succeeded|failed (steps may be "
            "skipped), scheduled → canceled; succeeded, failed and canceled are final. "
            "`statusDetails` must fit the channel and direction and implies the status."
        ),
        tags=TAGS,
        request=InteractionUpdateSerializer,
        responses={200: enveloped(InteractionSerializer), 404: error_response(404), 409: error_response(409)},
    )
    def put(self, request: Request, personId: str, interactionId: str) -> Response:  # noqa: N803
        interaction = self.get_object()
        data = self.input(InteractionUpdateSerializer, instance=interaction)
        interaction = services.interaction_update(interaction=interaction, data=data)
        return self.respond(self.output(interaction), message="updated")

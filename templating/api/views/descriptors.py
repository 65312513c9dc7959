"""Template descriptors: the company's (subject, channel, language) slots."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from peachcomms.api.schema import enveloped, error_response, list_schema
from peachcomms.errors import InvalidInput
from templating import selectors, services
from templating.api.serializers import TemplateDescriptorSerializer, TemplateDescriptorUpdateSerializer
from templating.api.views._common import BUILT_IN_READ_ONLY, DESCRIPTOR_ID, TAGS, TemplatesView


def _bool_param(request: Request, name: str, *, default: bool = False) -> bool:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    if raw.lower() in ("true", "1"):
        return True
    if raw.lower() in ("false", "0"):
        return False
    raise InvalidInput(
        f"Invalid query parameter '{name}': must be true or false.", errors={name: ["Must be true or false."]}
    )


class TemplateDescriptorsView(TemplatesView):
    serializer_class = TemplateDescriptorSerializer

    @list_schema(
        TemplateDescriptorSerializer,
        operation_id="templatedescriptors_list",
        summary="List template descriptors",
        description=(
            "Every template the company can use, newest first: its own descriptors, then the "
            "built-in defaults the service ships (`companyId: null`, `isBuiltIn: true`), so a fresh "
            "install lists a template for each subject and channel it can send. Built-in "
            "descriptors are read-only (a PUT, a new version or an activation is a 403); to change "
            "one, create your own descriptor for the same subject, channel and language, which "
            "template selection then uses instead. The list shows both: the built-in one stays "
            "listed (it is what applies again if yours is disabled) with `overriddenBy` naming "
            "yours. `requiredContext` says which objects a send or render must name for the "
            "active version (`loan` → `loanId` …), `contextVariables` what it reads from "
            "`context`. `includeBuiltIn=false` lists the company's own descriptors only."
        ),
        tags=TAGS,
        parameters=[
            OpenApiParameter(
                "includeBuiltIn",
                bool,
                description="List the built-in defaults too (default true); false: the company's own only.",
            ),
            OpenApiParameter("subject", str, description="Only this subject."),
            OpenApiParameter("channel", str, description="Only this channel."),
            OpenApiParameter("language", str, description="Only this language."),
        ],
    )
    def get(self, request: Request) -> Response:
        params = request.query_params
        channel = params.get("channel")
        if channel is not None:
            selectors.channel_check(channel)
        queryset = selectors.template_descriptor_list(
            self.company,
            include_builtin=_bool_param(request, "includeBuiltIn", default=True),
            subject=params.get("subject"),
            channel=channel,
            language=params.get("language"),
        )
        return self.respond_list(queryset)

    @extend_schema(
        operation_id="templatedescriptors_create",
        summary="Create a template descriptor",
        description=(
            "A slot for (subject, channel, language) of the caller's company; add versions to it. "
            "Unknown subject or channel: 400; the slot already exists: 409."
        ),
        tags=TAGS,
        responses={200: enveloped(TemplateDescriptorSerializer), 409: error_response(409)},
    )
    def post(self, request: Request) -> Response:
        descriptor = services.template_descriptor_create(company=self.company, data=self.input())
        return self.respond(self.output(descriptor), message="created")


class TemplateDescriptorView(TemplatesView):
    serializer_class = TemplateDescriptorSerializer

    @extend_schema(
        operation_id="templatedescriptors_get",
        summary="Get a template descriptor",
        description=(
            "One of the company's descriptors, or a built-in one (`TD-…`; with `overriddenBy` "
            "naming the company's descriptor used instead, if any). `requiredContext` and "
            "`contextVariables` describe the active version, as in the list."
        ),
        tags=TAGS,
        parameters=[DESCRIPTOR_ID],
        responses=enveloped(TemplateDescriptorSerializer),
    )
    def get(self, request: Request, templateDescriptorId: str) -> Response:
        return self.respond(self.output(self.descriptor()))

    @extend_schema(
        operation_id="templatedescriptors_update",
        summary="Update a template descriptor",
        description=(
            "Changes `name`, `enabled` and `externalId`. A disabled descriptor is skipped by "
            "template selection (the built-in default applies)." + BUILT_IN_READ_ONLY
        ),
        tags=TAGS,
        parameters=[DESCRIPTOR_ID],
        request=TemplateDescriptorUpdateSerializer,
        responses={
            200: enveloped(TemplateDescriptorSerializer),
            403: error_response(403, "A built-in descriptor, or the key lacks `templates:write`."),
            409: error_response(409),
        },
    )
    def put(self, request: Request, templateDescriptorId: str) -> Response:
        descriptor = self.descriptor(for_write=True)
        data = self.input(TemplateDescriptorUpdateSerializer, instance=descriptor, partial=True)
        descriptor = services.template_descriptor_update(descriptor=descriptor, data=data)
        return self.respond(self.output(descriptor), message="updated")

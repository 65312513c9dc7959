"""Template versions of a descriptor: drafts, edits and activation."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from peachcomms.api.schema import enveloped, error_response, list_schema
from templating import selectors, services
from templating.api.serializers import TemplateVersionSerializer
from templating.api.views._common import BUILT_IN_READ_ONLY, DESCRIPTOR_ID, TAGS, VERSION_ID, TemplatesView


class TemplateVersionsView(TemplatesView):
    serializer_class = TemplateVersionSerializer

    @list_schema(
        TemplateVersionSerializer,
        operation_id="templateversions_list",
        summary="List a descriptor's versions",
        tags=TAGS,
        parameters=[DESCRIPTOR_ID],
    )
    def get(self, request: Request, templateDescriptorId: str) -> Response:
        return self.respond_list(selectors.template_version_list(self.descriptor()))

    @extend_schema(
        operation_id="templateversions_create",
        summary="Create a draft version",
        description=(
            "A new `draft` of the descriptor. Each part is Jinja syntax, checked on save: a "
            'syntax error is a 400 with `errors: {"contentHtmlTemplate": ["line 3: …"]}`.'
            + BUILT_IN_READ_ONLY
        ),
        tags=TAGS,
        parameters=[DESCRIPTOR_ID],
        responses={
            200: enveloped(TemplateVersionSerializer),
            403: error_response(403, "A built-in descriptor, or the key lacks `templates:write`."),
        },
    )
    def post(self, request: Request, templateDescriptorId: str) -> Response:
        descriptor = self.descriptor(for_write=True)
        version = services.template_version_create(
            descriptor=descriptor,
            data=self.input(),
            created_by=services.created_by_api_key(request.auth),
        )
        return self.respond(self.output(version), message="created")


class TemplateVersionView(TemplatesView):
    serializer_class = TemplateVersionSerializer

    @extend_schema(
        operation_id="templateversions_get",
        summary="Get a template version",
        tags=TAGS,
        parameters=[DESCRIPTOR_ID, VERSION_ID],
        responses=enveloped(TemplateVersionSerializer),
    )
    def get(self, request: Request, templateDescriptorId: str, templateVersionId: str) -> Response:
        return self.respond(self.output(selectors.template_version_get(self.descriptor(), templateVersionId)))

    @extend_schema(
        operation_id="templateversions_update",
        summary="Edit a draft version",
        description=(
            "Changes the parts sent (syntax checked: 400 with the line). Only a `draft` can change: "
            "an active or archived version is a 409 (create a new draft instead)." + BUILT_IN_READ_ONLY
        ),
        tags=TAGS,
        parameters=[DESCRIPTOR_ID, VERSION_ID],
        responses={
            200: enveloped(TemplateVersionSerializer),
            403: error_response(403, "A built-in descriptor, or the key lacks `templates:write`."),
            409: error_response(409, "The version is active or archived (immutable)."),
        },
    )
    def put(self, request: Request, templateDescriptorId: str, templateVersionId: str) -> Response:
        version = selectors.template_version_get(self.descriptor(for_write=True), templateVersionId)
        data = self.input(instance=version, partial=True)
        return self.respond(
            self.output(services.template_version_update(version=version, data=data)), message="updated"
        )


class TemplateVersionActivateView(TemplatesView):
    serializer_class = TemplateVersionSerializer

    @extend_schema(
        operation_id="templateversions_activate",
        summary="Activate a version",
        description=(
            "Makes the version the descriptor's one `active` version and archives the previous one, "
            "atomically. Activating the active version changes nothing; an archived version may be "
            "activated again (a rollback)." + BUILT_IN_READ_ONLY
        ),
        tags=TAGS,
        parameters=[DESCRIPTOR_ID, VERSION_ID],
        request=None,
        responses={
            200: enveloped(TemplateVersionSerializer),
            403: error_response(403, "A built-in descriptor, or the key lacks `templates:write`."),
        },
    )
    def post(self, request: Request, templateDescriptorId: str, templateVersionId: str) -> Response:
        version = selectors.template_version_get(self.descriptor(for_write=True), templateVersionId)
        return self.respond(
            self.output(services.template_version_activate(version=version)), message="activated"
        )

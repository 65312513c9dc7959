"""Template descriptors and versions, and the render routes (api.md "Communicator" and
"Records the messages refer to")."""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from borrowers.api.serializers import DocumentSerializer
from peachcomms.api.pagination import CursorPagination
from peachcomms.api.schema import enveloped, error_response, list_schema
from peachcomms.api.views import CompanyScopedView
from peachcomms.errors import InvalidInput
from templating import selectors, services
from templating.api.serializers import (
    FreeFormPreviewSerializer,
    RenderedContentSerializer,
    RenderSerializer,
    RenderToDocumentSerializer,
    TemplateDescriptorSerializer,
    TemplateDescriptorUpdateSerializer,
    TemplateVersionSerializer,
)
from templating.models import TemplateDescriptor

TAGS = ["templates"]
DESCRIPTOR_ID = OpenApiParameter(
    "templateDescriptorId",
    OpenApiTypes.STR,
    OpenApiParameter.PATH,
    description="The template descriptor: `TD-XXXX-XXXX` (a built-in one too), or `ext-<externalId>`.",
)
VERSION_ID = OpenApiParameter(
    "templateVersionId", OpenApiTypes.STR, OpenApiParameter.PATH, description="`TV-XXXX-XXXX`."
)
BUILT_IN_READ_ONLY = (
    " Built-in descriptors (`companyId: null`) and their versions are read-only: a write is "
    "a 403; create your own descriptor for the slot instead."
)


class TemplateCursorPagination(CursorPagination):
    """The cursor may name a built-in row (``company`` null) the company can see."""

    @staticmethod
    def _cursor(queryset: Any, view: Any, value: str, param: str) -> tuple[Any, str]:
        company = getattr(view, "company", None)
        base = queryset.model._default_manager.filter(pk=value)
        if company is not None:
            base = base.filter(Q(company_id=company.pk) | Q(company__isnull=True))
        row = base.values_list("created_at", "pk").first()
        if row is None:
            raise ValidationError({param: [f"No object with id '{value[:40]}' to page from."]})
        return row


def _bool_param(request: Request, name: str) -> bool:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return False
    if raw.lower() in ("true", "1"):
        return True
    if raw.lower() in ("false", "0"):
        return False
    raise InvalidInput(
        f"Invalid query parameter '{name}': must be true or false.", errors={name: ["Must be true or false."]}
    )


class TemplatesView(CompanyScopedView):
    permission_scope = "templates"
    pagination_class = TemplateCursorPagination
    queryset = TemplateDescriptor.objects.all()

    def descriptor(self, *, for_write: bool = False) -> TemplateDescriptor:
        return selectors.template_descriptor_get(
            self.company, self.kwargs["templateDescriptorId"], for_write=for_write
        )


class TemplateDescriptorsView(TemplatesView):
    serializer_class = TemplateDescriptorSerializer

    @list_schema(
        TemplateDescriptorSerializer,
        operation_id="templatedescriptors_list",
        summary="List template descriptors",
        description=(
            "The company's own descriptors, newest first. `includeBuiltIn=true` lists the built-in "
            "defaults (`companyId: null`) too, in the same order."
        ),
        tags=TAGS,
        parameters=[
            OpenApiParameter("includeBuiltIn", bool, description="Also list the built-in defaults."),
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
            include_builtin=_bool_param(request, "includeBuiltIn"),
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


# --- render routes -----------------------------------------------------------------------------

FMT = OpenApiParameter(
    "fmt",
    str,
    enum=list(services.FORMATS),
    description="The part to return: `html` (default), `text`, or `pdf` (the HTML part as a "
    "letter-size PDF).",
)
RENDER_NOTES = (
    " The template is the company's enabled descriptor for (subject, channel, language), else "
    "the built-in default; a language without a template falls back to `en`. Context: `company`, "
    "`person`, `contact` (null unless named), `loan`, `loans`, `case`, `statement` as the API "
    "represents them, with `context` merged over them. 400 unknown subject or channel; 404 "
    "unknown id (the message names the field) or no template; 422 render failure (the message "
    "names the part, the line and the problem)."
)


def _render_request(data: dict[str, Any], *, default_channel: str) -> services.RenderRequest:
    return services.RenderRequest(
        subject=data["subject"],
        channel=data.get("channel") or default_channel,
        language=data.get("language") or selectors.DEFAULT_LANGUAGE,
        person_id=data.get("personId"),
        contact_id=data.get("contactId"),
        loan_id=data.get("loanId"),
        loan_ids=tuple(data["loanIds"]) if data.get("loanIds") else None,
        case_id=data.get("caseId"),
        statement_id=data.get("statementId"),
        context=data.get("context"),
        override_template_id=data.get("overrideTemplateId"),
        strict_undefined=data.get("strictUndefined", False),
    )


class RenderBaseView(CompanyScopedView):
    required_permissions = {"POST": "communicator:read"}
    serializer_class = RenderSerializer

    def fmt(self) -> str:
        fmt = self.request.query_params.get("fmt") or "html"
        if fmt not in services.FORMATS:
            raise InvalidInput(
                f"Invalid query parameter 'fmt': '{fmt[:20]}' is not one of text, html, pdf.",
                errors={"fmt": ["Must be one of: text, html, pdf."]},
            )
        return fmt

    @staticmethod
    def default_channel(fmt: str) -> str:
        return "mail" if fmt == "pdf" else "email"


class RenderView(RenderBaseView):
    def perform_content_negotiation(self, request: Request, force: bool = False):  # noqa: ANN201
        # A client asking for the file (Accept: application/pdf) still gets JSON errors.
        return super().perform_content_negotiation(request, force=True)

    @extend_schema(
        operation_id="communicator_render",
        summary="Render a template to a file",
        description=(
            "Returns one part of the rendered template as a download "
            '(`Content-Disposition: attachment; filename="<subject>.<ext>"`; `text/plain`, '
            "`text/html` or `application/pdf`). Creates nothing. A template without the part "
            "asked for is a 422." + RENDER_NOTES
        ),
        tags=["communicator"],
        parameters=[FMT],
        responses={
            (200, "text/html"): OpenApiResponse(OpenApiTypes.STR, description="fmt=html"),
            (200, "text/plain"): OpenApiResponse(OpenApiTypes.STR, description="fmt=text"),
            (200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY, description="fmt=pdf"),
            422: error_response(422, "The template could not be rendered."),
        },
    )
    def post(self, request: Request) -> HttpResponse:
        fmt = self.fmt()
        data = self.input()
        rendered = services.template_render_file(
            company=self.company,
            request=_render_request(data, default_channel=self.default_channel(fmt)),
            fmt=fmt,
        )
        response = HttpResponse(rendered.content, content_type=rendered.content_type)
        response["Content-Disposition"] = f'attachment; filename="{rendered.file_name}"'
        response["Content-Length"] = str(len(rendered.content))
        return response


class RenderToDocumentView(RenderBaseView):
    required_permissions = {"POST": "people:write"}
    serializer_class = RenderToDocumentSerializer

    @extend_schema(
        operation_id="communicator_render_to_document",
        summary="Render a template into a document",
        description=(
            "Renders as `POST /communicator/render` and stores the file as the content of the "
            "borrower's document `documentId`, replacing what it had (`contentType`, "
            "`contentLength`, `templateVersionId`, `autogenerated: true`, `status: uploaded`; "
            "`fileName` is kept, or set to `<subject>.<ext>` when blank). The person defaults "
            "to the document's borrower. Needs `people:write`." + RENDER_NOTES
        ),
        tags=["communicator"],
        parameters=[FMT],
        responses={
            200: enveloped(DocumentSerializer),
            422: error_response(422, "The template could not be rendered."),
        },
    )
    def post(self, request: Request) -> Response:
        fmt = self.fmt()
        data = self.input()
        document = services.template_render_to_document(
            company=self.company,
            request=_render_request(data, default_channel=self.default_channel(fmt)),
            fmt=fmt,
            document_id=data["documentId"],
        )
        return self.respond(DocumentSerializer(document).data, message="rendered")


class RenderJsonView(RenderBaseView):
    @extend_schema(
        operation_id="communicator_render_json",
        summary="Render a template as JSON (bare)",
        description=(
            "Returns `{subjectLine, contentHtml, contentText}` (bare, no envelope; null for a part "
            "the template lacks). `channel` defaults to `email`." + RENDER_NOTES
        ),
        tags=["communicator"],
        responses={
            200: RenderedContentSerializer,
            422: error_response(422, "The template could not be rendered."),
        },
    )
    def post(self, request: Request) -> Response:
        data = self.input()
        result = services.template_render(
            company=self.company, request=_render_request(data, default_channel="email")
        )
        return Response(result.content.as_json())


class FreeFormPreviewView(RenderBaseView):
    serializer_class = FreeFormPreviewSerializer

    @extend_schema(
        operation_id="communicator_preview_free_form_email",
        summary="Preview a branded free-form email (bare)",
        description=(
            "Renders the active `freeFormBranded` email template (the company's, else the built-in "
            "one) with the caller's `subjectLine`, `contentHtml` and `contentPlain` as variables "
            "of those names, plus `company`. `contentHtml` is first sanitised to a safe allow-list "
            "of tags and attributes (no scripts, event handlers, styles or `javascript:` URLs); "
            "`contentPlain` defaults to the text of the sanitised HTML. Returns "
            "`{subjectLine, contentHtml, contentText}` bare. 404 when no `freeFormBranded` email "
            "template exists for the language or `en`."
        ),
        tags=["communicator"],
        responses={
            200: RenderedContentSerializer,
            422: error_response(422, "The template could not be rendered."),
        },
    )
    def post(self, request: Request) -> Response:
        data = self.input()
        _version, content = services.free_form_email_render(
            company=self.company,
            subject_line=data["subjectLine"],
            content_html=data["contentHtml"],
            content_plain=data["contentPlain"],
            language=data["language"],
        )
        return Response(content.as_json())


__all__ = [
    "FreeFormPreviewView",
    "RenderJsonView",
    "RenderToDocumentView",
    "RenderView",
    "TemplateDescriptorView",
    "TemplateDescriptorsView",
    "TemplateVersionActivateView",
    "TemplateVersionView",
    "TemplateVersionsView",
]

"""The render routes: a template rendered to a file, into a document, or as JSON, and the
free-form email preview."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from borrowers.api.serializers import DocumentSerializer
from peachcomms.api.schema import enveloped, error_response
from peachcomms.api.views import CompanyScopedView
from peachcomms.errors import InvalidInput
from templating import selectors, services
from templating.api.serializers import (
    FreeFormPreviewSerializer,
    RenderedContentSerializer,
    RenderSerializer,
    RenderToDocumentSerializer,
)

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
    "`person`, `contact` (null unless named; for `channel: mail` with a `personId`, the address a "
    "letter send would go to: the person's own valid, unarchived address contact, primary → "
    "secondary → additional), `loan`, `loans`, `case`, `statement` as the API "
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
            "of those names, plus `company` and `person`. `contentHtml` is first sanitised to a "
            "safe allow-list of tags and attributes (no scripts, event handlers, styles or "
            "`javascript:` URLs); "
            "`contentPlain` defaults to the text of the sanitised HTML. `personId` hydrates "
            "`person` as send-free-form-email does (404 for an id that is not a borrower of this "
            "company); without it `person` is null. Returns "
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
            person_id=data.get("personId"),
        )
        return Response(content.as_json())

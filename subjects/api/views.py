"""The subject catalogue as the caller's company sees it (bare responses, api.md
"Interaction subject descriptors")."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from borrowers import settings_cache
from peachcomms.api.schema import error_response
from peachcomms.api.views import CompanyScopedView
from peachcomms.errors import NotFound
from subjects import services
from subjects.api.serializers import SubjectDescriptorSerializer, SubjectSettingSerializer
from subjects.selectors import subject_channels, subject_descriptor, subject_descriptors

SUBJECT_PARAMETER = OpenApiParameter(
    "subject",
    str,
    OpenApiParameter.PATH,
    description="A subject name (`paymentDueReminder`). A deprecated alias (`locStatementGenerated`) "
    "names its current subject, which the response shows.",
)

UNKNOWN_SUBJECT = error_response(404, "No subject of that name (nor a deprecated alias of one).")


class SubjectCatalogueView(CompanyScopedView):
    serializer_class = SubjectDescriptorSerializer
    permission_scope = "communicator"

    def represent(self, descriptors: Any, *, version: int | None, many: bool = False) -> Any:
        """The descriptors with the channels the company has templates for, read as of
        ``version`` (the settings version the descriptors were read at; None: now)."""
        context = {
            **self.get_serializer_context(),
            "channels": subject_channels(self.company, version=version),
        }
        return SubjectDescriptorSerializer(descriptors, many=many, context=context).data


class SubjectsView(SubjectCatalogueView):
    pagination_class = None  # bare: the whole catalogue, no envelope

    @extend_schema(
        operation_id="subjects_list",
        summary="List the subject catalogue (bare)",
        description="Every subject, built-in values with the caller's company overrides applied, "
        "ordered by name, each with the `channels` it has a template for. Bare: a JSON array, no "
        "envelope and no pagination.",
        tags=["communicator"],
        responses=SubjectDescriptorSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        # One read of the settings version; overrides and channels come from the cache.
        version = settings_cache.settings_version(self.company.pk)
        descriptors = subject_descriptors(self.company, version=version)
        return Response(self.represent(descriptors, version=version, many=True))


class SubjectView(SubjectCatalogueView):
    @extend_schema(
        operation_id="subjects_get",
        summary="Get a subject descriptor (bare)",
        tags=["communicator"],
        parameters=[SUBJECT_PARAMETER],
        responses={200: SubjectDescriptorSerializer, 404: UNKNOWN_SUBJECT},
    )
    def get(self, request: Request, subject: str) -> Response:
        version = settings_cache.settings_version(self.company.pk)
        descriptor = subject_descriptor(self.company, subject, missing=NotFound, version=version)
        return Response(self.represent(descriptor, version=version))

    @extend_schema(
        operation_id="subjects_update",
        summary="Change the company's settings of a subject (bare)",
        description="Writes the caller's company override of `theme`, `caseTypes`, `agentCanSend` and "
        "`previewOnly`; other companies keep seeing the built-in values. A field not sent is left as "
        "it is; a field sent as null removes the company's override of it (the built-in value "
        "applies again). Setting a `theme` on `freeForm`, `freeFormBranded` or `custom1`..`custom20` "
        "gives that subject an implicit theme for this company. Returns the subject as the company "
        "now sees it.",
        tags=["communicator"],
        parameters=[SUBJECT_PARAMETER],
        request=SubjectSettingSerializer,
        responses={200: SubjectDescriptorSerializer, 404: UNKNOWN_SUBJECT},
    )
    def put(self, request: Request, subject: str) -> Response:
        data = self.input(SubjectSettingSerializer)
        descriptor = services.subject_setting_update(self.company, subject, data)
        return Response(self.represent(descriptor, version=None))

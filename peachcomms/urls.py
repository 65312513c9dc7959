from django.contrib import admin
from django.http import HttpRequest, JsonResponse
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request


class SwaggerView(SpectacularSwaggerView):
    """The Swagger UI page. It renders only HTML from its template, which an OPTIONS
    answer (the route's metadata) has none of: that answer is JSON, as on every route."""

    def perform_content_negotiation(self, request: Request, force: bool = False) -> tuple[BaseRenderer, str]:
        if request.method == "OPTIONS":
            return JSONRenderer(), JSONRenderer.media_type
        return super().perform_content_negotiation(request, force)


def health(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": 200, "message": "ok"})


api_patterns = [
    path("", include("borrowers.api.urls")),
    path("", include("interactions.api.urls")),
    path("", include("subjects.api.urls")),
    path("", include("templating.api.urls")),
    path("", include("compliance.api.urls")),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SwaggerView.as_view(url_name="schema"), name="swagger-ui"),
]

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", include(api_patterns)),
    path("healthz", health, name="health"),
]

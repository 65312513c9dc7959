from django.contrib import admin
from django.http import HttpRequest, JsonResponse
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView


def health(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": 200, "message": "ok"})


api_patterns = [
    path("", include("borrowers.api.urls")),
    path("", include("interactions.api.urls")),
    path("", include("subjects.api.urls")),
    path("", include("templating.api.urls")),
    path("", include("compliance.api.urls")),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
]

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", include(api_patterns)),
    path("healthz", health, name="health"),
]

from django.urls import path

from templating.api import views

PREFIX = "communicator/templatedescriptors"

urlpatterns = [
    path(PREFIX, views.TemplateDescriptorsView.as_view(), name="templatedescriptors"),
    path(
        f"{PREFIX}/<str:templateDescriptorId>",
        views.TemplateDescriptorView.as_view(),
        name="templatedescriptor",
    ),
    path(
        f"{PREFIX}/<str:templateDescriptorId>/versions",
        views.TemplateVersionsView.as_view(),
        name="templateversions",
    ),
    path(
        f"{PREFIX}/<str:templateDescriptorId>/versions/<str:templateVersionId>",
        views.TemplateVersionView.as_view(),
        name="templateversion",
    ),
    path(
        f"{PREFIX}/<str:templateDescriptorId>/versions/<str:templateVersionId>/activate",
        views.TemplateVersionActivateView.as_view(),
        name="templateversion-activate",
    ),
    path("communicator/render", views.RenderView.as_view(), name="communicator-render"),
    path(
        "communicator/render-to-document",
        views.RenderToDocumentView.as_view(),
        name="communicator-render-to-document",
    ),
    path("communicator/render-json", views.RenderJsonView.as_view(), name="communicator-render-json"),
    path(
        "communicator/preview-free-form-email",
        views.FreeFormPreviewView.as_view(),
        name="communicator-preview-free-form-email",
    ),
]

"""Template descriptors and versions, and the render routes (api.md "Communicator" and
"Records the messages refer to")."""

from templating.api.views.descriptors import TemplateDescriptorsView, TemplateDescriptorView
from templating.api.views.render import FreeFormPreviewView, RenderJsonView, RenderToDocumentView, RenderView
from templating.api.views.versions import (
    TemplateVersionActivateView,
    TemplateVersionsView,
    TemplateVersionView,
)

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

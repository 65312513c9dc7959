from django.urls import path

from interactions.api import views

urlpatterns = [
    path("interactions", views.InteractionsView.as_view(), name="interactions"),
    path("interactions/<str:interactionId>", views.InteractionView.as_view(), name="interaction"),
    path(
        "people/<str:personId>/interactions",
        views.PersonInteractionsView.as_view(),
        name="person-interactions",
    ),
    path(
        "people/<str:personId>/interactions/<str:interactionId>",
        views.PersonInteractionView.as_view(),
        name="person-interaction",
    ),
]

from django.urls import path

from interactions.api import send_views, views

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
    path("communicator/send", send_views.SendView.as_view(), name="communicator-send"),
    path(
        "communicator/interactions/<str:interactionId>/resend",
        send_views.ResendView.as_view(),
        name="communicator-interaction-resend",
    ),
    path(
        "communicator/send-free-form-email",
        send_views.FreeFormEmailView.as_view(),
        name="communicator-send-free-form-email",
    ),
]

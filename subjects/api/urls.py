from django.urls import path

from subjects.api import views

urlpatterns = [
    path("communicator/subjects", views.SubjectsView.as_view(), name="subjects"),
    path("communicator/subjects/<str:subject>", views.SubjectView.as_view(), name="subject"),
]

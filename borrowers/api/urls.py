from django.urls import path

from borrowers.api import views

urlpatterns = [
    path("people", views.PeopleView.as_view(), name="people"),
    path("people/<str:personId>", views.PersonView.as_view(), name="person"),
]

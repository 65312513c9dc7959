from django.urls import path

from compliance.api import views

urlpatterns = [
    path("compliance/rules", views.RulesView.as_view(), name="compliance-rules"),
    path("compliance/rules/<str:ruleId>", views.RuleView.as_view(), name="compliance-rule"),
    path(
        "compliance/rules/<str:ruleId>/changes",
        views.RuleChangesView.as_view(),
        name="compliance-rule-changes",
    ),
    path("people/<str:personId>/can-interact", views.CanInteractView.as_view(), name="person-can-interact"),
    path(
        "people/<str:personId>/do-not-interacts",
        views.DoNotInteractsView.as_view(),
        name="person-do-not-interacts",
    ),
    path(
        "people/<str:personId>/cases/<str:caseId>/do-not-interact",
        views.CaseDoNotInteractView.as_view(),
        name="case-do-not-interact",
    ),
    path(
        "people/<str:personId>/cases/<str:caseId>/do-not-interact/<str:doNotInteractId>",
        views.CaseDoNotInteractItemView.as_view(),
        name="case-do-not-interact-item",
    ),
]

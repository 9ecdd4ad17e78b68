"""Web pages of customer care."""

from django.urls import path

from . import views

app_name = "care"

urlpatterns = [
    path("", views.plan_list, name="plan_list"),
    path("plans/new/", views.PlanCreate.as_view(), name="plan_create"),
    path("plans/<int:pk>/edit/", views.PlanEdit.as_view(), name="plan_edit"),
    path("plans/<int:pk>/delete/", views.plan_delete, name="plan_delete"),
    path("greetings/<slug:occasion>/edit/", views.TemplateEdit.as_view(), name="template_edit"),
    path("customers/<int:pk>/", views.ProfileEdit.as_view(), name="profile_edit"),
]

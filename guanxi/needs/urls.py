"""Web pages of customer needs."""

from django.urls import path

from . import views

app_name = "needs"

urlpatterns = [
    path("", views.need_list, name="list"),
    path("new/", views.NeedCreate.as_view(), name="create"),
    path("analysis/", views.analysis, name="analysis"),
    path("<int:pk>/edit/", views.NeedEdit.as_view(), name="edit"),
]

"""Web pages of tasks."""

from django.urls import path

from . import views

app_name = "followups"

urlpatterns = [
    path("", views.task_list, name="list"),
    path("new/", views.TaskCreate.as_view(), name="create"),
    path("<int:pk>/edit/", views.TaskEdit.as_view(), name="edit"),
    path("<int:pk>/complete/", views.complete, name="complete"),
    path("<int:pk>/cancel/", views.cancel, name="cancel"),
    path("<int:pk>/reopen/", views.reopen, name="reopen"),
]

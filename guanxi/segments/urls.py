"""Web pages of segments."""

from django.urls import path

from . import views

app_name = "segments"

urlpatterns = [
    path("", views.segment_list, name="list"),
    path("new/", views.segment_create, name="create"),
    path("builder/", views.builder_view, name="builder"),
    path("<int:pk>/", views.segment_detail, name="detail"),
    path("<int:pk>/count/", views.segment_count, name="count"),
    path("<int:pk>/edit/", views.segment_edit, name="edit"),
    path("<int:pk>/copy/", views.segment_copy, name="copy"),
    path("<int:pk>/delete/", views.segment_delete, name="delete"),
]

"""Web pages of duplicate detection."""

from django.urls import path

from . import views

app_name = "dedup"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("scan/", views.start_scan, name="scan"),
    path("pairs/<int:pk>/", views.pair_detail, name="pair"),
    path("pairs/<int:pk>/dismiss/", views.dismiss, name="dismiss"),
    path("merge/", views.merge, name="merge"),
    path("merges/<int:pk>/", views.merge_done, name="merge_done"),
    path("merges/<int:pk>/undo/", views.undo, name="undo"),
    path("check/", views.check, name="check"),
    path("settings/", views.SettingsView.as_view(), name="settings"),
]

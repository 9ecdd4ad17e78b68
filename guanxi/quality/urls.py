"""Web pages of data quality; the public self-service page lives under /self-service/."""

from django.urls import path

from . import views

app_name = "quality"

urlpatterns = [
    path("quality/settings/", views.SettingsView.as_view(), name="settings"),
    path("quality/settings/recompute/", views.recompute, name="recompute"),
    path("quality/stale/", views.stale_list, name="stale"),
    path("quality/requests/", views.request_list, name="requests"),
    path(
        "quality/requests/<int:pk>/accept/",
        views.request_decide,
        {"decision": "accept"},
        name="request_accept",
    ),
    path(
        "quality/requests/<int:pk>/reject/",
        views.request_decide,
        {"decision": "reject"},
        name="request_reject",
    ),
    path("quality/customers/<int:pk>/verify/", views.verify, name="verify"),
    path("quality/customers/<int:pk>/links/", views.link_create, name="link_create"),
    path(
        "quality/customers/<int:pk>/links/<int:link_pk>/revoke/",
        views.link_revoke,
        name="link_revoke",
    ),
    path("self-service/<str:token>/", views.self_service, name="self_service"),
]

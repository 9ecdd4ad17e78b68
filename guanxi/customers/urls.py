"""Web pages of guanxi.customers."""

from django.urls import path

from .views import bin as bin_views

app_name = "customers"

urlpatterns: list = []

# Recycle bin and change history (views/bin.py).
urlpatterns += [
    path("bin/", bin_views.recycle_bin, name="recycle_bin"),
    path("bin/<int:pk>/restore/", bin_views.restore, name="restore"),
    path("<int:pk>/history/", bin_views.history, name="history"),
]

# Custom field definitions, administrators only (views/settings.py).
from .views import settings as settings_views  # noqa: E402

urlpatterns += [
    path("fields/", settings_views.custom_field_list, name="custom_field_list"),
    path("fields/new/", settings_views.CustomFieldCreate.as_view(), name="custom_field_create"),
    path("fields/<int:pk>/", settings_views.CustomFieldEdit.as_view(), name="custom_field_edit"),
]

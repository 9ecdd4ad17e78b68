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

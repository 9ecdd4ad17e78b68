"""Web pages of the analytics app."""

from django.urls import path

from . import views

app_name = "analytics"

urlpatterns = [
    path("warnings/", views.warnings, name="warnings"),
    path("lifecycle/", views.lifecycle_report, name="lifecycle"),
    path("lifecycle/export/", views.lifecycle_export, name="lifecycle_export"),
    path("settings/", views.settings_page, name="settings"),
    path("recompute/", views.recompute, name="recompute"),
    path("backtest/", views.backtest, name="backtest"),
    path("rebuild-costs/", views.rebuild_costs, name="rebuild_costs"),
    path("customers/<int:pk>/apply-grade/", views.apply_grade, name="apply_grade"),
]

"""Web pages of the sales pipeline."""

from django.urls import path

from . import views

app_name = "pipeline"

urlpatterns = [
    path("", views.board, name="board"),
    path("columns/<int:stage_id>/", views.column, name="board_column"),
    path("opportunities/new/", views.OpportunityCreate.as_view(), name="opportunity_create"),
    path("opportunities/<int:pk>/", views.opportunity_detail, name="opportunity_detail"),
    path("opportunities/<int:pk>/edit/", views.OpportunityEdit.as_view(), name="opportunity_edit"),
    path("opportunities/<int:pk>/move/", views.move, name="opportunity_move"),
    path("opportunities/<int:pk>/win/", views.win, name="opportunity_win"),
    path("opportunities/<int:pk>/lose/", views.lose, name="opportunity_lose"),
    path("opportunities/<int:pk>/order/", views.create_order, name="opportunity_order"),
    path("settings/", views.settings_page, name="settings"),
    path("settings/new/", views.PipelineCreate.as_view(), name="settings_pipeline_create"),
    path("settings/<int:pk>/edit/", views.PipelineEdit.as_view(), name="settings_pipeline_edit"),
    path(
        "settings/<int:pk>/stages/new/", views.StageCreate.as_view(), name="settings_stage_create"
    ),
    path("settings/stages/<int:pk>/edit/", views.StageEdit.as_view(), name="settings_stage_edit"),
    path("settings/stages/<int:pk>/delete/", views.stage_delete, name="settings_stage_delete"),
    path("settings/reasons/new/", views.ReasonCreate.as_view(), name="settings_reason_create"),
    path(
        "settings/reasons/<int:pk>/edit/", views.ReasonEdit.as_view(), name="settings_reason_edit"
    ),
]

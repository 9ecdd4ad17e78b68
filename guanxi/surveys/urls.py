"""Web pages of surveys and improvement actions, and the public answer page."""

from django.urls import path

from . import views

app_name = "surveys"

urlpatterns = [
    path("", views.survey_list, name="list"),
    path("new/", views.SurveyCreate.as_view(), name="create"),
    path("results/", views.results, name="results"),
    path("<int:pk>/", views.survey_detail, name="detail"),
    path("<int:pk>/edit/", views.SurveyEdit.as_view(), name="edit"),
    path("<int:pk>/status/", views.survey_status, name="status"),
    path("<int:pk>/send/", views.survey_send, name="send"),
    path("<int:survey>/questions/new/", views.QuestionCreate.as_view(), name="question_create"),
    path(
        "<int:survey>/questions/<int:pk>/edit/", views.QuestionEdit.as_view(), name="question_edit"
    ),
    path("<int:survey>/questions/<int:pk>/delete/", views.question_delete, name="question_delete"),
    path("actions/", views.action_list, name="action_list"),
    path("actions/new/", views.ActionCreate.as_view(), name="action_create"),
    path("actions/<int:pk>/edit/", views.ActionEdit.as_view(), name="action_edit"),
    path("answer/<str:token>/", views.answer, name="answer"),
]

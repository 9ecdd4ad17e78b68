"""Web pages of guanxi.accounts: the administration of users, teams and roles."""

from django.urls import path

from . import views

app_name = "accounts"

urlpatterns: list = [
    path("users/", views.user_list, name="user_list"),
    path("users/new/", views.UserCreateView.as_view(), name="user_create"),
    path("users/<int:pk>/", views.UserEditView.as_view(), name="user_edit"),
    path("users/<int:pk>/deactivate/", views.user_deactivate, name="user_deactivate"),
    path("users/<int:pk>/unlock/", views.user_unlock, name="user_unlock"),
    path("teams/", views.team_list, name="team_list"),
    path("teams/new/", views.TeamCreateView.as_view(), name="team_create"),
    path("teams/<int:pk>/", views.TeamEditView.as_view(), name="team_edit"),
    path("teams/<int:pk>/delete/", views.team_delete, name="team_delete"),
    path("roles/", views.role_list, name="role_list"),
    path("roles/<int:pk>/", views.RoleEditView.as_view(), name="role_edit"),
]

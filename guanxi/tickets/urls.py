"""Web pages of tickets."""

from django.urls import path

from . import views

app_name = "tickets"

urlpatterns = [
    path("", views.ticket_list, name="list"),
    path("new/", views.TicketCreate.as_view(), name="create"),
    path("settings/", views.settings_page, name="settings"),
    path("<int:pk>/", views.ticket_detail, name="detail"),
    path("<int:pk>/edit/", views.TicketEdit.as_view(), name="edit"),
    path("<int:pk>/transition/", views.transition, name="transition"),
    path("<int:pk>/reply/", views.reply, name="reply"),
    path("<int:pk>/articles/", views.article_link, name="article_link"),
]

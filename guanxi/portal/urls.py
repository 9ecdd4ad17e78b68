"""The customer portal (public pages under /portal/) and the staff actions on links."""

from django.urls import path

from . import views

app_name = "portal"

urlpatterns = [
    path("issue/<int:customer_pk>/", views.issue, name="issue"),
    path("revoke/<int:pk>/", views.revoke, name="revoke"),
    path("rate/<str:token>/", views.rate, name="rate"),
    path("c/<str:token>/", views.home, name="home"),
    path("c/<str:token>/feedback/", views.feedback, name="feedback"),
    path("c/<str:token>/tickets/<int:pk>/", views.ticket, name="ticket"),
    path("c/<str:token>/consent/", views.consent, name="consent"),
]

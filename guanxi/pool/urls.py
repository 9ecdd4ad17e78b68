"""Web pages of the public pool."""

from django.urls import path

from . import views

app_name = "pool"

urlpatterns = [
    path("", views.pool_list, name="list"),
    path("<int:pk>/claim/", views.claim, name="claim"),
    path("<int:pk>/history/", views.history, name="history"),
    path("<int:pk>/return/", views.ReturnView.as_view(), name="return"),
]

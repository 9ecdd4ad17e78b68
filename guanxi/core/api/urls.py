"""The REST API, version 1."""

from django.urls import include, path
from rest_framework.routers import DefaultRouter

from guanxi.accounts.api.views import RoleViewSet, TeamViewSet, TokenView, UserViewSet
from guanxi.analytics.api.views import ModelView as AnalyticsModelView
from guanxi.analytics.api.views import RecomputeView as AnalyticsRecomputeView
from guanxi.customers.api.views import (
    ContactViewSet,
    CustomerViewSet,
    CustomFieldViewSet,
    NoteViewSet,
    TagViewSet,
)
from guanxi.followups.api.views import TaskViewSet
from guanxi.interactions.api.views import InteractionViewSet
from guanxi.jobs.api.views import JobViewSet
from guanxi.sales.api.views import OrderViewSet, ProductViewSet

router = DefaultRouter()
router.register("customers", CustomerViewSet, basename="customer")
router.register("contacts", ContactViewSet, basename="contact")
router.register("interactions", InteractionViewSet, basename="interaction")
router.register("products", ProductViewSet, basename="product")
router.register("orders", OrderViewSet, basename="order")
router.register("users", UserViewSet, basename="user")
router.register("teams", TeamViewSet, basename="team")
router.register("roles", RoleViewSet, basename="role")
router.register("tags", TagViewSet, basename="tag")
router.register("custom-fields", CustomFieldViewSet, basename="custom-field")
router.register("jobs", JobViewSet, basename="job")
router.register("notes", NoteViewSet, basename="note")
router.register("tasks", TaskViewSet, basename="task")

urlpatterns = [
    path("auth/token/", TokenView.as_view(), name="api-token"),
    path("", include(router.urls)),
    path("analytics/model/", AnalyticsModelView.as_view(), name="analytics-model"),
    path("analytics/recompute/", AnalyticsRecomputeView.as_view(), name="analytics-recompute"),
]

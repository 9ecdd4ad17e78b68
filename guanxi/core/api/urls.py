"""The REST API, version 1."""

from django.urls import include, path
from rest_framework.routers import DefaultRouter

from guanxi.accounts.api.views import RoleViewSet, TeamViewSet, TokenView, UserViewSet
from guanxi.analytics.api.views import CustomerLifecycleView, LifecycleReportView
from guanxi.analytics.api.views import ModelView as AnalyticsModelView
from guanxi.analytics.api.views import RecomputeView as AnalyticsRecomputeView
from guanxi.care.api.views import CarePlanViewSet, GreetingTemplateViewSet
from guanxi.customers.api.views import (
    ContactViewSet,
    CustomerViewSet,
    CustomFieldViewSet,
    NoteViewSet,
    TagViewSet,
)
from guanxi.dedup.api.views import (
    CheckDuplicatesView,
    DuplicatePairViewSet,
    MergeDetailView,
    MergeUndoView,
    MergeView,
)
from guanxi.followups.api.views import TaskViewSet
from guanxi.interactions.api.views import InteractionViewSet
from guanxi.jobs.api.views import JobViewSet
from guanxi.kb.api.views import ArticleCategoryViewSet, ArticleViewSet
from guanxi.needs.api.views import NeedViewSet
from guanxi.pipeline.api.views import OpportunityViewSet, PipelineViewSet
from guanxi.pool.api.views import PoolViewSet
from guanxi.portal.api.views import CustomerPortalLinksView, RevokePortalLinkView
from guanxi.quality.api.views import (
    ChangeRequestViewSet,
    CustomerLinksView,
    NamingRulesView,
    RevokeLinkView,
)
from guanxi.reports.api.views import CustomerRecommendationsView, DashboardView
from guanxi.sales.api.views import ExchangeRateViewSet, OrderViewSet, ProductViewSet
from guanxi.segments.api.views import SegmentViewSet
from guanxi.surveys.api.views import ImprovementActionViewSet, SurveyViewSet
from guanxi.tickets.api.views import TicketViewSet
from guanxi.transfer.api.views import ExportViewSet, ImportViewSet

router = DefaultRouter()
router.register("customers", CustomerViewSet, basename="customer")
router.register("contacts", ContactViewSet, basename="contact")
router.register("interactions", InteractionViewSet, basename="interaction")
router.register("products", ProductViewSet, basename="product")
router.register("orders", OrderViewSet, basename="order")
router.register("exchange-rates", ExchangeRateViewSet, basename="exchange-rate")
router.register("users", UserViewSet, basename="user")
router.register("teams", TeamViewSet, basename="team")
router.register("roles", RoleViewSet, basename="role")
router.register("tags", TagViewSet, basename="tag")
router.register("custom-fields", CustomFieldViewSet, basename="custom-field")
router.register("jobs", JobViewSet, basename="job")
router.register("notes", NoteViewSet, basename="note")
router.register("tasks", TaskViewSet, basename="task")
router.register("articles", ArticleViewSet, basename="article")
router.register("article-categories", ArticleCategoryViewSet, basename="article-category")
router.register("pipelines", PipelineViewSet, basename="pipeline")
router.register("opportunities", OpportunityViewSet, basename="opportunity")
router.register("surveys", SurveyViewSet, basename="survey")
router.register("improvement-actions", ImprovementActionViewSet, basename="improvement-action")
router.register("tickets", TicketViewSet, basename="ticket")
router.register("needs", NeedViewSet, basename="need")
router.register("segments", SegmentViewSet, basename="segment")
router.register("care-plans", CarePlanViewSet, basename="care-plan")
router.register("pool", PoolViewSet, basename="pool")
router.register("duplicates", DuplicatePairViewSet, basename="duplicate")
router.register("imports", ImportViewSet, basename="import")
router.register("exports", ExportViewSet, basename="export")
router.register("change-requests", ChangeRequestViewSet, basename="change-request")
router.register("greeting-templates", GreetingTemplateViewSet, basename="greeting-template")

urlpatterns = [
    path("auth/token/", TokenView.as_view(), name="api-token"),
    path("naming-rules/", NamingRulesView.as_view(), name="naming-rules"),
    path("dashboard/", DashboardView.as_view(), name="api-dashboard"),
    path(
        "customers/<int:pk>/recommendations/",
        CustomerRecommendationsView.as_view(),
        name="api-customer-recommendations",
    ),
    path(
        "customers/<int:pk>/lifecycle/",
        CustomerLifecycleView.as_view(),
        name="api-customer-lifecycle",
    ),
    path(
        "customers/<int:pk>/self-service-links/",
        CustomerLinksView.as_view(),
        name="api-customer-links",
    ),
    path(
        "customers/<int:pk>/self-service-links/<int:link_id>/revoke/",
        RevokeLinkView.as_view(),
        name="api-customer-link-revoke",
    ),
    path(
        "customers/<int:pk>/portal-links/",
        CustomerPortalLinksView.as_view(),
        name="api-customer-portal-links",
    ),
    path(
        "customers/<int:pk>/portal-links/<int:link_id>/revoke/",
        RevokePortalLinkView.as_view(),
        name="api-customer-portal-link-revoke",
    ),
    # Before the router: "customers/merge/" is not a customer's id.
    path(
        "customers/check-duplicates/",
        CheckDuplicatesView.as_view(),
        name="customer-check-duplicates",
    ),
    path("customers/merge/", MergeView.as_view(), name="customer-merge"),
    path("customers/merge/<int:merge_id>/", MergeDetailView.as_view(), name="merge-detail"),
    path("customers/merge/<int:merge_id>/undo/", MergeUndoView.as_view(), name="merge-undo"),
    path("", include(router.urls)),
    path("analytics/model/", AnalyticsModelView.as_view(), name="analytics-model"),
    path("analytics/recompute/", AnalyticsRecomputeView.as_view(), name="analytics-recompute"),
    path("analytics/lifecycle/", LifecycleReportView.as_view(), name="analytics-lifecycle"),
]

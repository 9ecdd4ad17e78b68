from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

urlpatterns = [
    path("", include("guanxi.core.urls")),  # web pages: home, login, logout
    path("customers/", include("guanxi.customers.urls")),
    path("sales/", include("guanxi.sales.urls")),
    path("tasks/", include("guanxi.followups.urls")),
    path("pipeline/", include("guanxi.pipeline.urls")),
    path("surveys/", include("guanxi.surveys.urls")),
    path("duplicates/", include("guanxi.dedup.urls")),
    path("analytics/", include("guanxi.analytics.urls")),
    path("settings/", include("guanxi.accounts.urls")),
    path("kb/", include("guanxi.kb.urls")),
    path("", include("guanxi.quality.urls")),  # /quality/… and the public /self-service/…
    path("tickets/", include("guanxi.tickets.urls")),
    path("needs/", include("guanxi.needs.urls")),
    path("portal/", include("guanxi.portal.urls")),
    path("segments/", include("guanxi.segments.urls")),
    path("reports/", include("guanxi.reports.urls")),
    path("care/", include("guanxi.care.urls")),
    path("pool/", include("guanxi.pool.urls")),
    path("transfer/", include("guanxi.transfer.urls")),
    path("audit/", include("guanxi.audit.urls")),
    path("api/v1/", include("guanxi.core.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
]

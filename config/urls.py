from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("guanxi.core.urls")),  # web pages: home, login, logout
    path("customers/", include("guanxi.customers.urls")),
    path("sales/", include("guanxi.sales.urls")),
    path("tasks/", include("guanxi.followups.urls")),
    path("analytics/", include("guanxi.analytics.urls")),
    path("settings/", include("guanxi.accounts.urls")),
    path("api/v1/", include("guanxi.core.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
]

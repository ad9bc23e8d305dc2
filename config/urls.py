"""Project URLs: HTML pages under a language-neutral path, the API under /api/v1/."""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/v1/", include("config.api_urls")),
    path("", include("casework.urls")),
    path("intake/", include("intake.urls")),
    path("cases/", include("casework.urls_cases")),
    path("reports/exports/", include("reporting.export_urls")),
    path("reports/dashboard/", include("reporting.dashboard_urls")),
    path("services/", include("services.urls")),
]

handler400 = "casework.http.bad_request"

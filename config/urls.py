"""Project URLs: HTML pages under a language-neutral path, the API under /api/v1/."""

from django.contrib import admin
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import include, path
from django.views import defaults
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.exceptions import NotFound

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/v1/", include("config.api_urls")),
    path("", include("registry.urls")),
    path("intake/", include("intake.urls")),
    path("cases/", include("casework.urls")),
    path("reports/exports/", include("reporting.export_urls")),
    path("reports/dashboard/", include("reporting.dashboard_urls")),
    path("reports/donor/", include("reporting.donor_urls")),
    path("services/", include("services.urls")),
]

handler400 = "registry.http.bad_request"


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """A path under /api/ that names nothing (e.g. /api/v1/cases/abc/) answers as the API does."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": str(NotFound.default_detail)}, status=404)
    return defaults.page_not_found(request, exception)


handler404 = page_not_found

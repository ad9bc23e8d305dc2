"""The project URLs with the export pages, whether or not config/urls.py includes them yet."""

from django.urls import include, path

from config.urls import urlpatterns as project_urlpatterns

urlpatterns = list(project_urlpatterns)
if not any(getattr(p, "namespace", None) == "reporting_exports" for p in urlpatterns):
    urlpatterns.append(path("reports/exports/", include("reporting.export_urls")))

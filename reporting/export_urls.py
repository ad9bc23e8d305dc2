"""URLs of the donor report exports (included under /reports/exports/)."""

from django.urls import path

from . import export_views

app_name = "reporting_exports"

urlpatterns = [
    path("", export_views.export_start, name="export_start"),
    path("<uuid:job_id>/", export_views.export_status, name="export_status"),
    path("<uuid:job_id>/download/", export_views.export_download, name="export_download"),
]

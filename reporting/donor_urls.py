"""URLs of the donor reviewer's pages (included under /reports/donor/)."""

from django.urls import path

from . import donor_views

app_name = "reporting_donor"

urlpatterns = [
    path("", donor_views.donor_report, name="donor_report"),
    path("indicators/", donor_views.indicator_sheet_list, name="indicator_sheet_list"),
    path(
        "indicators/<slug:code>/",
        donor_views.indicator_sheet_detail,
        name="indicator_sheet_detail",
    ),
]

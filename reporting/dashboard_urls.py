"""URL of the programme manager's dashboard (included under /reports/dashboard/)."""

from django.urls import path

from . import dashboard_views

app_name = "reporting_dashboard"

urlpatterns = [
    path("", dashboard_views.dashboard, name="dashboard"),
]

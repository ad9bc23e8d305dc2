"""The programme manager's dashboard page (service uptake of the centres the user reads)."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from registry.permissions import user_center_ids

from .dashboard import dashboard_audience, dashboard_centers, dashboard_get
from .dashboard_forms import DashboardForm, period_name


@login_required
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    """404 for a user who reads no centre (a donor reviewer, an administrator); 403 for centre
    staff whose role is not the audience (caseworkers)."""
    if not user_center_ids(request.user):
        raise Http404
    if not dashboard_audience(request.user):
        raise PermissionDenied
    form = DashboardForm(request.GET or None, centers=dashboard_centers(request.user))
    context: dict = {"form": form, "dashboard": None}
    if not form.is_bound or form.is_valid():
        period, centers = form.selection()
        context["dashboard"] = dashboard_get(period=period, centers=centers)
        context["period_name"] = period_name(period)
    return render(request, "reporting/dashboard.html", context)

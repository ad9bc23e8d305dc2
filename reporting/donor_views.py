"""HTML pages for the donor reviewer: the report on screen and the indicator reference sheets.

The same readers as the exports (exports.can_export): donor reviewers and programme managers;
other staff get 403, as on the export page (a page without a record that their role may not use).
"""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from .donor_forms import DonorReportForm
from .donor_report import donor_report_get, indicator_sheet, sheets_offered
from .exports import CSV, XLSX, can_export
from .releases import release_wait_message


def _require_reader(request: HttpRequest) -> None:
    if not can_export(request.user):
        raise PermissionDenied


@login_required
@require_GET
def donor_report(request: HttpRequest) -> HttpResponse:
    _require_reader(request)
    form = DonorReportForm(request.GET or None, user=request.user, today=timezone.localdate())
    period = form.chosen()
    report = donor_report_get(user=request.user, period=period) if period else None
    context = {
        "form": form,
        "report": report,
        "formats": (XLSX, CSV),
        "wait_message": release_wait_message(),
    }
    return render(request, "reporting/donor_report.html", context)


@login_required
@require_GET
def indicator_sheet_list(request: HttpRequest) -> HttpResponse:
    _require_reader(request)
    sheets = [indicator_sheet(indicator) for indicator in sheets_offered()]
    return render(request, "reporting/indicator_sheet_list.html", {"sheets": sheets})


@login_required
@require_GET
def indicator_sheet_detail(request: HttpRequest, code: str) -> HttpResponse:
    _require_reader(request)
    indicator = sheets_offered().filter(code=code).first()
    if indicator is None:
        raise Http404
    context = {"sheet": indicator_sheet(indicator)}
    return render(request, "reporting/indicator_sheet_detail.html", context)

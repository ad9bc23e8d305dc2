"""HTML pages of the donor report exports: ask for one, follow its progress, download it."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from . import exports
from .export_forms import ExportForm
from .releases import PeriodNotReleased
from .tasks import export_build


def _own_job(request: HttpRequest, job_id) -> exports.ExportJob:
    """The job if the user asked for it; 404 for anyone else's or an unknown one."""
    if not exports.can_export(request.user):
        raise Http404
    job = exports.export_job_load(str(job_id))
    if job is None or job.created_by != request.user.pk:
        raise Http404
    return job


def _expired(request: HttpRequest, job: exports.ExportJob) -> HttpResponse:
    return render(request, "reporting/export_expired.html", {"job": job}, status=404)


@login_required
@require_http_methods(["GET", "POST"])
def export_start(request: HttpRequest) -> HttpResponse:
    if not exports.can_export(request.user):
        raise PermissionDenied
    form = ExportForm(request.POST or None, user=request.user, today=timezone.localdate())
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            job = exports.export_job_create(
                actor=request.user,
                kind=form.cleaned_data["kind"],
                period=form.cleaned_data["period"],
            )
        except exports.ExportLimitReached as refused:
            form.add_error(None, str(refused))
            status = 429
        except PeriodNotReleased as refused:
            form.add_error("period", str(refused))
            status = 400
        else:
            export_build.delay_on_commit(job.id)
            return redirect("reporting_exports:export_status", job_id=job.id)
    jobs = exports.jobs_of(request.user)
    context = {"form": form, "jobs": jobs}
    return render(request, "reporting/export_start.html", context, status=status)


@login_required
@require_http_methods(["GET"])
def export_status(request: HttpRequest, job_id) -> HttpResponse:
    job = _own_job(request, job_id)
    if job.expired:
        return _expired(request, job)
    template = "reporting/export_status.html"
    if request.headers.get("HX-Request"):
        template = "reporting/export_status_panel.html"
    return render(request, template, {"job": job})


@login_required
@require_http_methods(["GET"])
def export_download(request: HttpRequest, job_id) -> HttpResponse:
    job = _own_job(request, job_id)
    if job.expired:
        return _expired(request, job)
    path = job.file_path
    if job.state != exports.DONE or path is None or not path.is_file():
        raise Http404
    exports.export_audit(actor=request.user, job=job, action="export_download")
    return FileResponse(
        path.open("rb"),
        as_attachment=True,
        filename=job.filename,
        content_type=exports.CONTENT_TYPES[job.kind],
    )

"""HTML pages of casework: the home page (the user's centres and where to start)."""

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from .permissions import centers_for
from .selectors import person_audit_entries, person_get


@login_required
def home(request: HttpRequest) -> HttpResponse:
    centers = list(centers_for(request.user))
    return render(request, "casework/home.html", {"centers": centers})


@login_required
def person_access_log(request: HttpRequest, person_id) -> HttpResponse:
    """Who viewed or changed a person's record, and when (supervisors of the person's centres)."""
    if not request.user.has_perm("auditlog.view_logentry"):
        raise Http404
    person = person_get(user=request.user, person_id=person_id)
    entries = person_audit_entries(person)
    return render(
        request, "casework/person_access_log.html", {"person": person, "entries": entries}
    )

"""HTML pages of the registry: the home page (composed of the apps' parts), a person's record
and its access log."""

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from .home_page import home_page_parts
from .models import Consent
from .person_page import person_page_parts, person_timeline
from .selectors import consents_in_force, person_audit_entries, person_get


@require_GET
@login_required
def home(request: HttpRequest) -> HttpResponse:
    """The parts the apps contribute: casework's caseload (staff) or the centres' counts
    (programme managers), reporting's donor part (aggregate readers)."""
    return render(request, "registry/home.html", {"parts": home_page_parts(request)})


@require_GET
@login_required
def person_access_log(request: HttpRequest, person_id) -> HttpResponse:
    """Who viewed or changed a person's record, and when (supervisors of the person's centres)."""
    if not request.user.has_perm("auditlog.view_logentry"):
        raise Http404
    person = person_get(user=request.user, person_id=person_id)
    entries = person_audit_entries(person)
    return render(
        request, "registry/person_access_log.html", {"person": person, "entries": entries}
    )


@require_GET
@login_required
def person_detail(request: HttpRequest, person_id) -> HttpResponse:
    """A person's record, with the parts other apps contribute (arrivals, services, timeline)."""
    person = person_get(user=request.user, person_id=person_id)
    in_force = consents_in_force(person)
    context = {
        "person": person,
        "age": person.age_on(timezone.localdate()),
        "consents": [(label, in_force.get(kind)) for kind, label in Consent.Kind.choices],
        "parts": person_page_parts(request, person),
        "timeline": person_timeline(user=request.user, person=person),
    }
    return render(request, "registry/person_detail.html", context)

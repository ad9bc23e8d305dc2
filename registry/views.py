"""HTML pages of the registry: the home page (composed of the apps' parts), a person's record
and its access log."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from .actions import consents_change, person_correct
from .errors import Forbidden, NotFound, VersionConflict
from .forms import ConsentsForm, PersonCorrectForm, PersonSearchFilter
from .home_page import home_page_parts
from .models import Consent
from .permissions import may_correct_person
from .person_page import person_page_parts, person_timeline
from .selectors import (
    consent_history,
    consents_in_force,
    person_audit_entries,
    person_corrections,
    person_get,
    person_list,
    person_search_results,
)


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
        "consent_history": consent_history(person, in_force),
        "parts": person_page_parts(request, person),
        "timeline": person_timeline(user=request.user, person=person),
        "may_correct": may_correct_person(request.user, person),
        "corrections": person_corrections(person),
    }
    return render(request, "registry/person_detail.html", context)


@require_GET
@login_required
def person_search(request: HttpRequest) -> HttpResponse:
    """The registry search (the header's box): anyone registered at the user's centres."""
    person_filter = PersonSearchFilter(
        request.GET or None, queryset=person_list(user=request.user), request=request
    )
    results = person_search_results(
        user=request.user, person_filter=person_filter, page_number=request.GET.get("page")
    )
    context = {"form": person_filter.form, "page": results.page, "facts": results.facts}
    return render(request, "registry/person_search.html", context)


@require_http_methods(["GET", "POST"])
@login_required
def person_correct_view(request: HttpRequest, person_id) -> HttpResponse:
    """Correct a person's details, with the reason (registry.actions.person_correct)."""
    person, refused = _person_to_change(request, person_id, "registry/person_correct.html")
    if refused:
        return refused
    form = PersonCorrectForm(request.POST if request.method == "POST" else None, instance=person)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            person_correct(
                actor=request.user,
                person_id=person.pk,
                data=form.person_data(),
                reason=form.cleaned_data["reason"],
                expected_version=form.cleaned_data["version"],
            )
        except VersionConflict as exc:
            person = person_get(user=request.user, person_id=person_id)
            form = PersonCorrectForm(_moved_to(request, exc.current_version), instance=person)
            form.is_valid()
            form.add_error(None, str(exc.message))
        except ValidationError as exc:
            form.add_error(None, exc)
        except (Forbidden, NotFound) as exc:  # access changed while the form was open
            raise Http404 from exc
        else:
            messages.success(request, _("The correction was saved."))
            return redirect("person_detail", person_id=person.pk)
    if form.errors:
        status = 400
    return render(
        request, "registry/person_correct.html", {"person": person, "form": form}, status=status
    )


def _person_to_change(request: HttpRequest, person_id, template: str):
    """The person (404 outside the user's scope) and, for a user who only reads them, the
    page's 403 saying who may change them (the actions refuse the same users)."""
    person = person_get(user=request.user, person_id=person_id)
    if may_correct_person(request.user, person):
        return person, None
    return person, render(request, template, {"person": person}, status=403)


def _moved_to(request: HttpRequest, version: int):
    """The submitted data, now starting from the stored version: saving again applies it."""
    data = request.POST.copy()
    data["version"] = str(version)
    return data


@require_http_methods(["GET", "POST"])
@login_required
def person_consents(request: HttpRequest, person_id) -> HttpResponse:
    """Record consents given, changed or withdrawn since intake (registry.actions.consents_change)."""
    person, refused = _person_to_change(request, person_id, "registry/person_consents.html")
    if refused:
        return refused
    in_force = consents_in_force(person)
    initial = {kind: "yes" if row.granted else "no" for kind, row in in_force.items()}
    form = ConsentsForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            consents_change(actor=request.user, person_id=person.pk, consents=form.consents())
        except ValidationError as exc:
            form.add_error(None, exc)
        except (Forbidden, NotFound) as exc:
            raise Http404 from exc
        else:
            messages.success(request, _("The consents were recorded."))
            return redirect("person_detail", person_id=person.pk)
    context = {"person": person, "form": form}
    return render(
        request, "registry/person_consents.html", context, status=400 if form.errors else 200
    )

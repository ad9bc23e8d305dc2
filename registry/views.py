"""HTML pages of the registry: the home page (composed of the apps' parts), a person's record,
its corrections, consents, merges and access log."""

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from . import merging
from .actions import (
    MAY_NOT_MERGE,
    consents_change,
    person_correct,
    person_merge,
    person_unmerge,
)
from .errors import Forbidden, NotFound, VersionConflict
from .forms import ConsentsForm, PersonCorrectForm, PersonMergeForm, PersonSearchFilter, UnmergeForm
from .home_page import home_page_parts
from .models import Consent, Person
from .permissions import may_correct_person, may_merge_person
from .person_page import person_page_parts, person_timeline
from .selectors import (
    consent_history,
    consents_in_force,
    merge_comparison,
    merge_get,
    person_audit_entries,
    person_corrections,
    person_get,
    person_list,
    person_merges,
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
    if person.pk != _uuid_or_none(person_id):  # a record merged into this one
        messages.info(request, _("That record was merged into this one."))
        return redirect("person_detail", person_id=person.pk)
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
        "merges": person_merges(person),
        "may_merge": may_merge_person(request.user, person),
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
    context = {
        "form": person_filter.form,
        "page": results.page,
        "facts": results.facts,
        "more_than": results.more_than,
    }
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


# --- merging two records of one person --------------------------------------------------------


def _refused(request: HttpRequest, message, back_url: str) -> HttpResponse:
    """A page the user may see the record of but may not use: 403, saying who may."""
    context = {"message": message, "back_url": back_url}
    return render(request, "403.html", context, status=403)


def _merge_refused(request: HttpRequest, *persons: Person) -> HttpResponse | None:
    """403 unless the user may merge every one of these records (registry.actions refuses the
    same users)."""
    if all(may_merge_person(request.user, person) for person in persons):
        return None
    return _refused(request, MAY_NOT_MERGE, reverse("person_detail", args=[persons[0].pk]))


@require_GET
@login_required
def person_merge_pick(request: HttpRequest, person_id) -> HttpResponse:
    """Find the other record of the same person (the registry search, this record left out)."""
    person = person_get(user=request.user, person_id=person_id)
    refused = _merge_refused(request, person)
    if refused:
        return refused
    if person.pk != _uuid_or_none(person_id):
        return redirect("person_merge_pick", person_id=person.pk)
    person_filter = PersonSearchFilter(
        request.GET or None,
        queryset=person_list(user=request.user).exclude(pk=person.pk),
        request=request,
    )
    results = person_search_results(
        user=request.user, person_filter=person_filter, page_number=request.GET.get("page")
    )
    context = {
        "person": person,
        "form": person_filter.form,
        "page": results.page,
        "facts": results.facts,
        "more_than": results.more_than,
    }
    return render(request, "registry/person_merge_pick.html", context)


@require_http_methods(["GET", "POST"])
@login_required
def person_merge_view(request: HttpRequest, person_id, other_id) -> HttpResponse:
    """The two records side by side: choose the values to keep, say why, merge
    (registry.actions.person_merge). The record of the page's first id is kept."""
    kept = person_get(user=request.user, person_id=person_id)
    other = person_get(user=request.user, person_id=other_id)
    refused = _merge_refused(request, kept, other)
    if refused:
        return refused
    rows = merge_comparison(kept=kept, other=other)
    differing = [row.choice for row in rows if row.differs]
    data = request.POST if request.method == "POST" else None
    initial = {"kept_version": kept.version, "other_version": other.version}
    form = PersonMergeForm(data, initial=initial, differing=differing)
    if request.method == "POST" and form.is_valid():
        try:
            person_merge(
                actor=request.user,
                survivor_id=kept.pk,
                merged_id=other.pk,
                take=form.taken(),
                reason=form.cleaned_data["reason"],
                expected_versions=(
                    form.cleaned_data["kept_version"],
                    form.cleaned_data["other_version"],
                ),
            )
        except VersionConflict as exc:
            form = PersonMergeForm(_versions_now(request, kept, other), differing=differing)
            form.is_valid()
            form.add_error(None, str(exc.message))
        except ValidationError as exc:
            form.add_error(None, exc)
        except (Forbidden, NotFound) as exc:  # access changed while the page was open
            raise Http404 from exc
        else:
            messages.success(request, _("The records were merged."))
            return redirect("person_detail", person_id=kept.pk)
    context = {
        "kept": kept,
        "other": other,
        "rows": [(row, form.data.get(f"value_{row.choice}", "kept")) for row in rows],
        "form": form,
        "kept_rows": merging.rows_counted(kept.pk),
        "other_rows": merging.rows_counted(other.pk),
    }
    return render(
        request, "registry/person_merge.html", context, status=400 if form.errors else 200
    )


def _versions_now(request: HttpRequest, kept: Person, other: Person):
    data = request.POST.copy()
    data["kept_version"] = str(type(kept).objects.get(pk=kept.pk).version)
    data["other_version"] = str(type(other).objects.get(pk=other.pk).version)
    return data


def _uuid_or_none(value) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


@require_http_methods(["GET", "POST"])
@login_required
def person_unmerge_view(request: HttpRequest, merge_id: int) -> HttpResponse:
    """Undo a merge, with the reason (registry.actions.person_unmerge)."""
    merge = merge_get(user=request.user, merge_id=merge_id)
    if merge.unmerged_at is not None:
        raise Http404
    refused = _merge_refused(request, merge.survivor)
    if refused:
        return refused
    form = UnmergeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            person_unmerge(
                actor=request.user, merge_id=merge.pk, reason=form.cleaned_data["reason"]
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        except (Forbidden, NotFound) as exc:
            raise Http404 from exc
        else:
            messages.success(request, _("The merge was undone: both records are as they were."))
            return redirect("person_detail", person_id=merge.survivor_id)
    return render(
        request,
        "registry/person_unmerge.html",
        {"merge": merge, "form": form},
        status=400 if form.errors else 200,
    )

"""HTML views of services: record a person's deliveries, a group's bulk distribution, void, uptake.

A person or delivery outside the user's scope answers 404. A user who may read the record but
not work at its centre (a programme manager) answers 403 on the write screens.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods

from casework.models import Case
from casework.permissions import cases_for
from intake.selectors import (
    ArrivalGroup,
    group_for_arrival,
    group_for_family,
    group_for_flight,
    group_for_person,
)
from registry.filtering import QueryDateField
from registry.http import InvalidInput
from registry.idempotency import IdempotencyConflict, form_as_new_submission
from registry.models import Person
from registry.permissions import can_work_at, centers_for, user_center_ids
from registry.selectors import person_get

from .actions import (
    REPEATS_TO_CONFIRM,
    BulkValidationError,
    DeliveriesRefused,
    DeliveryItem,
    Recorded,
    distribution_record_bulk,
    service_deliveries_record,
    service_delivery_correct,
    service_delivery_void,
)
from .forms import (
    CorrectForm,
    DeliveryRowForm,
    DistributionForm,
    RecordForm,
    TickRowForm,
    VoidForm,
    currency_for,
    place_delivery_errors,
)
from .models import ServiceType
from .person_page import uptake_list_url
from .selectors import (
    UPTAKE_GROUPS,
    delivery_get,
    person_deliveries,
    person_uptake,
    service_types_active,
    with_labels,
)
from .selectors_groups import (
    distribution_aid_types,
    distribution_get,
    distribution_summary,
    group_persons_shown,
)

# --- A person's uptake ------------------------------------------------------------------------


UPTAKE_PAGE_RECENT = 10  # latest rows of each group on the person's services page
UPTAKE_PAGE_SIZE = 50  # rows per page of a group's full list


@require_GET
@login_required
def person_uptake_view(request: HttpRequest, person_id: uuid.UUID) -> HttpResponse:
    """A person's services: counts per type and the latest rows of each group, or with
    ?show=<group> that group's full list, page by page; ?case=<id> keeps to one case."""
    person = person_get(user=request.user, person_id=person_id)
    case = _case_of(request, person)
    list_url = uptake_list_url(person.pk, case.pk if case else None)
    context: dict[str, Any] = {
        "person": person,
        "case": case,
        "list_url": list_url,
        "may_record": bool(user_center_ids(request.user, for_write=True)),
    }
    show = request.GET.get("show")
    if show in UPTAKE_GROUPS and not request.headers.get("HX-Request"):
        deliveries = person_deliveries(user=request.user, person=person, case=case, group=show)
        page = Paginator(deliveries, UPTAKE_PAGE_SIZE).get_page(request.GET.get("page"))
        page.object_list = with_labels(page.object_list)
        return render(
            request, "services/person_uptake.html", {**context, "show": show, "page": page}
        )
    context["uptake"] = person_uptake(
        user=request.user, person=person, case=case, recent=UPTAKE_PAGE_RECENT
    )
    if request.headers.get("HX-Request"):
        # The person page (in intake, which may not import services) loads this part with htmx.
        context["uptake_void_links"] = context["may_record"]
        context["uptake_list_url"] = list_url
        return render(request, "services/partials/uptake.html", context)
    return render(request, "services/person_uptake.html", context)


def _case_of(request: HttpRequest, person: Person) -> Case | None:
    """The case named by ?case=, if it is this person's and the user may open it; else 404."""
    case_id = request.GET.get("case")
    if not case_id:
        return None
    try:
        return cases_for(request.user).get(person=person, pk=int(case_id))
    except (Case.DoesNotExist, ValueError) as exc:
        raise Http404 from exc


# --- Recording one person's services ----------------------------------------------------------


def _record_forms(
    request: HttpRequest, person: Person, centers: list
) -> tuple[RecordForm, list[DeliveryRowForm]]:
    data = request.POST if request.method == "POST" else None
    cases = (
        cases_for(request.user)
        .filter(person=person, center__in=centers)
        .order_by("status", "-opened_at")
    )
    today = centers[0].local_now().date()
    form = RecordForm(
        data,
        centers=centers,
        cases=cases,
        initial={"client_uuid": uuid.uuid4(), "delivered_on": today},
    )
    currency = currency_for(centers[0])
    rows = [
        DeliveryRowForm(data, service_type=service_type, currency=currency)
        for service_type in service_types_active()
    ]
    return form, rows


def _record_rows(request: HttpRequest, person: Person, form: RecordForm, rows: list) -> list:
    """Record every ticked row (one action, all or none); refusals go on their rows."""
    shared = form.cleaned_data
    items = [
        DeliveryItem(
            service_type=row.service_type,
            quantity=row.cleaned_data["quantity"],
            status=row.cleaned_data["status"],
            outcomes=row.outcomes(),
        )
        for row in rows
    ]
    try:
        return service_deliveries_record(
            actor=request.user,
            person=person,
            center=form.chosen_center(),
            delivered_on=shared["delivered_on"],
            items=items,
            client_uuid=shared["client_uuid"],
            provider=shared["provider"],
            case=shared["case"],
            confirm_repeat=shared["confirm_repeat"],
        )
    except IdempotencyConflict as exc:
        form_as_new_submission(form, exc)
    except DeliveriesRefused as exc:
        for row in rows:
            if row.service_type.code in exc.errors:
                place_delivery_errors(exc.errors[row.service_type.code], row=row, form=form)
    return []


def _record_summary(form: RecordForm, rows: list[DeliveryRowForm]) -> list[tuple[str, str, str]]:
    """(anchor, label, message) for the error summary: shared fields first, then each row."""
    summary = [("", "", str(error)) for error in form.non_field_errors()]
    for field in form.visible_fields():
        summary += [(field.auto_id, str(field.label), str(e)) for e in field.errors]
    summary += [("", "", str(e)) for f in form.hidden_fields() for e in f.errors]
    for row in rows:
        for error in row.non_field_errors():
            summary.append((row["selected"].auto_id, row.service_type.name, str(error)))
        for field in row.visible_fields():
            label = f"{row.service_type.name} · {field.label}"
            summary += [(field.auto_id, label, str(e)) for e in field.errors]
    return summary


@require_http_methods(["GET", "POST"])
@login_required
def record(request: HttpRequest, person_id: uuid.UUID) -> HttpResponse:
    """Record one or several deliveries for a person in one submit."""
    person = person_get(user=request.user, person_id=person_id)
    centers = list(centers_for(request.user))
    if not centers:
        raise PermissionDenied
    form, rows = _record_forms(request, person, centers)
    if form.is_bound:
        ticked = [row for row in rows if row.is_selected]
        if not ticked:
            form.add_error(None, _("Tick at least one service."))
        elif form.is_valid() and all(row.is_valid() for row in ticked):
            recorded = _record_rows(request, person, form, ticked)
            if recorded:
                _say_recorded(request, recorded)
                return redirect("services:person_uptake", person_id=person.pk)
    categories = [
        (label, [row for row in rows if row.service_type.category == code])
        for code, label in ServiceType.Category.choices
    ]
    context = {
        "person": person,
        "form": form,
        "categories": [(label, group) for label, group in categories if group],
        "summary": _record_summary(form, rows) if form.is_bound else [],
    }
    return render(request, "services/record.html", context)


def _say_recorded(request: HttpRequest, recorded: list[Recorded]) -> None:
    new = sum(1 for r in recorded if r.created)
    if new:
        messages.success(
            request,
            ngettext("%(count)s service recorded.", "%(count)s services recorded.", new)
            % {"count": new},
        )
    else:
        messages.info(request, _("These services were already recorded: nothing was added."))


# --- Bulk distribution ------------------------------------------------------------------------


def _group(request: HttpRequest) -> ArrivalGroup:
    """The group named in the query string: ?arrival=, ?flight=&day=, ?family= or ?person=."""
    query = request.GET
    if query.get("arrival"):
        return group_for_arrival(user=request.user, arrival_id=query["arrival"])
    if query.get("flight"):
        try:
            day = QueryDateField(required=False).clean(query.get("day"))
        except ValidationError as exc:
            raise InvalidInput(" ".join(exc.messages)) from exc
        return group_for_flight(
            user=request.user, reference=query["flight"], day=day, center_id=query.get("center")
        )
    if query.get("family"):
        return group_for_family(user=request.user, family=query["family"])
    if query.get("person"):
        return group_for_person(user=request.user, person_id=query["person"])
    raise Http404


def _place_bulk_errors(
    problems: BulkValidationError, form: DistributionForm, items: list[TickRowForm]
) -> dict[str, list[str]]:
    """Put the refusal on the items and the form; return the errors per person id."""
    for message in problems.general:
        form.add_error(None, message)
    if problems.repeats:
        form.add_error(None, REPEATS_TO_CONFIRM)
        form.offer_confirm_repeat()
    for index, messages_ in problems.items.items():
        items[index].add_action_errors(messages_)
    return problems.persons


@require_http_methods(["GET", "POST"])
@login_required
def distribution(request: HttpRequest) -> HttpResponse:
    """Hand the same items to everyone present of a flight, bus or family, in one submit."""
    group = _group(request)
    if not can_work_at(request.user, group.center):
        raise PermissionDenied
    persons = group_persons_shown(user=request.user, group=group)
    data = request.POST if request.method == "POST" else None
    initial = {"client_uuid": uuid.uuid4(), "delivered_on": group.center.local_now().date()}
    form = DistributionForm(data, persons=persons, initial=initial)
    items = [TickRowForm(data, service_type=t) for t in distribution_aid_types()]
    person_errors: dict[str, list[str]] = {}
    if form.is_bound and form.is_valid() and all(i.is_valid() for i in items if i.is_selected):
        ticked = [item for item in items if item.is_selected]
        try:
            result = distribution_record_bulk(
                actor=request.user,
                center=group.center,
                delivered_on=form.cleaned_data["delivered_on"],
                items=[
                    {"service_type": i.service_type, "quantity": i.cleaned_data["quantity"]}
                    for i in ticked
                ],
                person_ids=[uuid.UUID(pk) for pk in form.cleaned_data["persons"]],
                client_uuid=form.cleaned_data["client_uuid"],
                group_label=group.label,
                provider=form.cleaned_data["provider"],
                confirm_repeat=form.cleaned_data["confirm_repeat"],
            )
        except BulkValidationError as problems:
            person_errors = _place_bulk_errors(problems, form, ticked)
        except IdempotencyConflict as exc:
            form_as_new_submission(form, exc)
        else:
            done = reverse("services:distribution_done", args=[result.distribution.client_uuid])
            return redirect(f"{done}?{urlencode(group.query())}")
    return render(
        request,
        "services/distribution.html",
        _distribution_context(group, persons, form, items, person_errors),
    )


def _distribution_context(
    group: ArrivalGroup,
    persons: list[Person],
    form: DistributionForm,
    items: list[TickRowForm],
    person_errors: dict[str, list[str]],
) -> dict[str, Any]:
    ticked = form.ticked()
    day = group.day or group.center.local_now().date()
    rows = [
        {
            "person": person,
            "age": person.age_on(day),
            "checked": str(person.pk) in ticked,
            "errors": person_errors.get(str(person.pk), []),
        }
        for person in persons
    ]
    summary = [("", "", str(error)) for error in form.non_field_errors()]
    for field in form.visible_fields():
        summary += [(field.auto_id, str(field.label), str(e)) for e in field.errors]
    for item in items:
        summary += [
            (item["selected"].auto_id, item.service_type.name, str(e))
            for e in item.errors.get("__all__", [])
        ]
        summary += [
            (item["quantity"].auto_id, item.service_type.name, str(e))
            for e in item["quantity"].errors
        ]
    summary += [
        (f"person-{row['person'].pk}", row["person"].full_name, str(e))
        for row in rows
        for e in row["errors"]
    ]
    return {
        "group": group,
        "form": form,
        "items": items,
        "rows": rows,
        "summary": summary,
        "query": urlencode(group.query()),
    }


@require_GET
@login_required
def distribution_done(request: HttpRequest, client_uuid: uuid.UUID) -> HttpResponse:
    recorded = distribution_get(user=request.user, client_uuid=client_uuid)
    context = {
        "distribution": recorded,
        "query": request.GET.urlencode(),
        **distribution_summary(user=request.user, distribution=recorded),
    }
    return render(request, "services/distribution_done.html", context)


# --- Voiding ----------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@login_required
def delivery_void(request: HttpRequest, pk: int) -> HttpResponse:
    """Confirm, with a reason, that a delivery was recorded in error."""
    delivery = delivery_get(user=request.user, delivery_id=pk)
    if not can_work_at(request.user, delivery.center_id):
        raise PermissionDenied
    form = VoidForm(request.POST or None)
    if form.is_bound and form.is_valid():
        try:
            service_delivery_void(
                actor=request.user, delivery=delivery, reason=form.cleaned_data["void_reason"]
            )
        except ValidationError as exc:
            field = "void_reason" if "void_reason" in getattr(exc, "error_dict", {}) else None
            form.add_error(field, exc.messages)
        else:
            messages.success(request, _("The delivery was voided. It no longer counts."))
            return redirect("services:person_uptake", person_id=delivery.person_id)
    return render(request, "services/delivery_void.html", {"delivery": delivery, "form": form})


@require_http_methods(["GET", "POST"])
@login_required
def delivery_correct(request: HttpRequest, pk: int) -> HttpResponse:
    """Correct a delivery's quantity, date or status: void it and record the replacement."""
    delivery = delivery_get(user=request.user, delivery_id=pk)
    if not can_work_at(request.user, delivery.center_id):  # a reader: the form is not theirs
        raise PermissionDenied
    form = CorrectForm(
        request.POST if request.method == "POST" else None,
        initial=CorrectForm.initial_for(delivery),
    )
    if request.method == "POST" and form.is_valid():
        try:
            service_delivery_correct(
                actor=request.user,
                delivery=delivery,
                reason=form.cleaned_data["reason"],
                **form.changes(delivery),
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("The delivery was corrected."))
            return redirect("services:person_uptake", person_id=delivery.person_id)
    context = {"delivery": delivery, "form": form}
    status = 400 if form.errors else 200
    return render(request, "services/delivery_correct.html", context, status=status)

"""HTML views of intake: the tablet registration wizard, the day's arrivals and an arrival's page."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.datastructures import MultiValueDict
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods

from registry.audit import persons_viewed
from registry.errors import Forbidden, NotFound
from registry.forms import ConsentsForm, ReasonForm
from registry.permissions import can_work_at, centers_for, user_center_ids

from .actions import (
    MAY_NOT_REVIEW_DUPLICATES,
    arrival_register,
    arrival_void,
    duplicate_dismiss,
)
from .forms import (
    ArrivalForm,
    ArrivalListFilter,
    CenterForm,
    MatchForm,
    OriginForm,
    PersonForm,
)
from .matching import duplicate_candidates
from .queries_ui import arrival_exists_for_client_uuid, arrival_get_by_client_uuid
from .selectors import arrival_day_list, arrival_get, arrivals_on_local_day, duplicate_queue

PAGE_SIZE = 25
STEPS = ("center", "person", "matches", "origin", "arrival", "consents")
STEP_TITLES = {
    "center": _("Reception centre"),
    "person": _("Person"),
    "matches": _("Possible matches"),
    "origin": _("Origin and contact"),
    "arrival": _("Arrival"),
    "consents": _("Consents"),
}
SESSION_KEY = "intake_registrations"
KEEP_DRAFTS = 10


def _centre_required(*, for_write: bool) -> Callable:
    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @login_required
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not user_center_ids(request.user, for_write=for_write):
                return render(request, "intake/no_center.html", status=403)
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


# Login required; a user without a reception centre gets a page saying so (and nothing else).
intake_view = _centre_required(for_write=False)
# Registering needs a centre the user works at (a programme manager only reads).
intake_write_view = _centre_required(for_write=True)


class Draft:
    """A registration in progress, kept in the session under its client UUID.

    Each screen keeps its values as posted; the last screen binds them all again, so every
    value passes the same forms right before the one call to arrival_register.
    """

    def __init__(self, request: HttpRequest, client_uuid: uuid.UUID, data: dict) -> None:
        self.request, self.client_uuid, self.data = request, client_uuid, data

    @classmethod
    def load(cls, request: HttpRequest, client_uuid: uuid.UUID) -> Draft | None:
        data = request.session.get(SESSION_KEY, {}).get(str(client_uuid))
        return None if data is None else cls(request, client_uuid, data)

    @classmethod
    def start(cls, request: HttpRequest, *, center_id: int | None, initial: dict) -> Draft:
        ids = user_center_ids(request.user)
        data = {
            "center": center_id or (next(iter(ids)) if len(ids) == 1 else None),
            "choose_center": center_id is None and len(ids) > 1,
            "initial": initial,
            "steps": {},
            "match": None,
            "had_candidates": False,
            "family_group": initial.pop("family_group", None),
            "arrival_id": None,
        }
        draft = cls(request, uuid.uuid4(), data)
        draft.save()
        return draft

    def save(self) -> None:
        drafts = self.request.session.get(SESSION_KEY, {})
        drafts.pop(str(self.client_uuid), None)
        drafts[str(self.client_uuid)] = self.data
        while len(drafts) > KEEP_DRAFTS:  # the oldest first
            drafts.pop(next(iter(drafts)))
        self.request.session[SESSION_KEY] = drafts

    def store(self, step: str, form: Any) -> None:
        self.data["steps"][step] = {
            name: form.data.getlist(form.add_prefix(name)) for name in form.fields
        }
        self.save()

    def values(self, step: str) -> MultiValueDict | None:
        stored = self.data["steps"].get(step)
        return None if stored is None else MultiValueDict(stored)

    def initial(self, step: str) -> dict | None:
        stored = self.data["steps"].get(step)
        if stored is None:
            return self.data["initial"].get(step)
        return {name: values[0] if len(values) == 1 else values for name, values in stored.items()}

    def applies(self, step: str) -> bool:
        return {
            "center": self.data["choose_center"] or not self.data["center"],
            "matches": self.data["had_candidates"],
            "origin": self.data["match"] == MatchForm.NEW,
        }.get(step, True)

    def next_step(self) -> str:
        """The first screen still to be filled in (the last screen once all are)."""
        done = {
            "center": bool(self.data["center"]),
            "person": "person" in self.data["steps"],
            "matches": bool(self.data["match"]),
        }
        for step in STEPS:
            if self.applies(step) and not done.get(step, step in self.data["steps"]):
                return step
        return STEPS[-1]

    def step_after(self, step: str) -> str:
        return next((s for s in STEPS[STEPS.index(step) + 1 :] if self.applies(s)), STEPS[-1])

    def step_before(self, step: str) -> str | None:
        earlier = [s for s in STEPS[: STEPS.index(step)] if self.applies(s)]
        return earlier[-1] if earlier else None

    def url(self, step: str) -> str:
        return reverse(f"intake:register_{step}", kwargs={"client_uuid": self.client_uuid})


def _form(
    step: str,
    request: HttpRequest,
    draft: Draft,
    center: Any,
    data: Any = None,
    initial: Any = None,
) -> Any:
    initial = draft.initial(step) if initial is None else initial
    if step == "center":
        return CenterForm(data, initial=initial, centers=centers_for(request.user))
    if step == "person":
        initial = initial or {"nationality": center.country_id}
        return PersonForm(data, initial=initial, center=center)
    if step == "origin":
        person_form = PersonForm(draft.values("person"), center=center)
        person_form.is_valid()
        return OriginForm(data, initial=initial, instance=person_form.instance)
    if step == "arrival":
        initial = {**ArrivalForm.defaults(center), **(initial or {})}
        family_group = draft.data["family_group"]
        return ArrivalForm(data, initial=initial, center=center, family_group=family_group)
    return ConsentsForm(data, initial=initial)


def _open(request: HttpRequest, client_uuid: uuid.UUID, step: str) -> tuple[Any, Any, Any]:
    """(draft, centre, None) when the step can be shown; (None, None, a redirect) otherwise."""
    draft = Draft.load(request, client_uuid)
    if draft is None or draft.data["arrival_id"]:
        if arrival_exists_for_client_uuid(user=request.user, client_uuid=client_uuid):
            return None, None, redirect("intake:register_done", client_uuid=client_uuid)
        messages.info(request, _("That registration was not found. Start again."))
        return None, None, redirect("intake:register_start")
    missing = draft.next_step()
    if STEPS.index(missing) < STEPS.index(step):
        return None, None, redirect(draft.url(missing))
    center = centers_for(request.user).filter(pk=draft.data["center"]).first()
    if center is None and step != "center":
        return None, None, redirect(draft.url("center"))
    return draft, center, None


def _render_step(
    request: HttpRequest, draft: Draft, step: str, center: Any, form: Any, **extra: Any
) -> HttpResponse:
    previous = draft.step_before(step)
    context = {
        "draft": draft,
        "step": step,
        "title": STEP_TITLES[step],
        "steps": [(s, STEP_TITLES[s]) for s in STEPS if draft.applies(s)],
        "center": center,
        "form": form,
        "action": draft.url(step),
        "back_url": draft.url(previous) if previous else reverse("intake:arrival_list"),
        **extra,
    }
    template = "intake/register_matches.html" if step == "matches" else "intake/register_step.html"
    with timezone.override(center.tzinfo if center else timezone.get_current_timezone()):
        return render(request, template, context)


def _form_step(request: HttpRequest, client_uuid: uuid.UUID, step: str) -> HttpResponse:
    draft, center, elsewhere = _open(request, client_uuid, step)
    if elsewhere:
        return elsewhere
    # "refresh" re-shows the screen with new choices (municipalities of a department), unchecked.
    if request.method == "POST" and "refresh" in request.POST:
        form = _form(step, request, draft, center, initial=request.POST.dict())
        return _render_step(request, draft, step, center, form)
    form = _form(step, request, draft, center, request.POST if request.method == "POST" else None)
    if not form.is_bound or not form.is_valid():
        return _render_step(request, draft, step, center, form)
    return STEP_SAVED[step](request, draft, form)


def _center_saved(request: HttpRequest, draft: Draft, form: CenterForm) -> HttpResponse:
    draft.data["center"] = form.cleaned_data["center"].pk
    draft.save()
    return redirect(draft.url(draft.step_after("center")))


def _person_saved(request: HttpRequest, draft: Draft, form: PersonForm) -> HttpResponse:
    candidates = duplicate_candidates(user=request.user, **form.match_query())
    draft.data["had_candidates"] = bool(candidates)
    draft.data["match"] = None if candidates else MatchForm.NEW
    draft.store("person", form)
    return redirect(draft.url(draft.step_after("person")))


def _stored(request: HttpRequest, draft: Draft, form: Any, step: str) -> HttpResponse:
    if step == "arrival":
        family_group = form.instance.family_group
        draft.data["family_group"] = str(family_group) if family_group else None
    draft.store(step, form)
    return redirect(draft.url(draft.step_after(step)))


def _consents_saved(request: HttpRequest, draft: Draft, form: ConsentsForm) -> HttpResponse:
    draft.store("consents", form)
    return _register(request, draft)


STEP_SAVED: dict[str, Callable[..., HttpResponse]] = {
    "center": _center_saved,
    "person": _person_saved,
    "origin": lambda request, draft, form: _stored(request, draft, form, "origin"),
    "arrival": lambda request, draft, form: _stored(request, draft, form, "arrival"),
    "consents": _consents_saved,
}


def _register(request: HttpRequest, draft: Draft) -> HttpResponse:
    """Validate every screen again and call arrival_register once, idempotent on the client UUID."""
    center = centers_for(request.user).get(pk=draft.data["center"])
    new_person = draft.data["match"] == MatchForm.NEW
    steps = ["person", "origin", "arrival", "consents"] if new_person else ["arrival", "consents"]
    forms = {s: _form(s, request, draft, center, draft.values(s)) for s in steps}
    invalid = next((s for s, f in forms.items() if not f.is_valid()), None)
    if invalid:
        return _render_step(request, draft, invalid, center, forms[invalid])
    person = (
        {"new_person_data": forms["origin"].person_data()}
        if new_person
        else {"person_id": draft.data["match"]}
    )
    try:
        registration = arrival_register(
            actor=request.user,
            center=center,
            client_uuid=draft.client_uuid,
            arrival_data=forms["arrival"].arrival_data(),
            reasons=list(forms["arrival"].cleaned_data["reasons"]),
            consents=forms["consents"].consents(),
            request_fingerprint="",
            confirm_repeat=forms["arrival"].cleaned_data["confirm_repeat"],
            **person,
        )
    except ValidationError as exc:
        names = getattr(exc, "error_dict", {})
        step = next(
            (s for s, f in forms.items() if any(f.error_target(n) for n in names)), "consents"
        )
        if "confirm_repeat" in names:
            forms["arrival"].offer_confirm_repeat()
        forms[step].add_error(None, exc)
        return _render_step(request, draft, step, center, forms[step])
    draft.data["arrival_id"] = registration.arrival.pk
    draft.save()
    return redirect("intake:register_done", client_uuid=draft.client_uuid)


@require_GET
@intake_write_view
def register_start(request: HttpRequest) -> HttpResponse:
    """A new registration; ?after=<client UUID> pre-fills the travel details of a companion."""
    center_id, initial = None, {}
    after = request.GET.get("after", "")
    if after:
        previous = arrival_get_by_client_uuid(user=request.user, client_uuid=after)
        center_id = previous.center_id
        initial = {"arrival": ArrivalForm.same_group(previous)}
        initial["family_group"] = str(previous.family_group) if previous.family_group else None
    draft = Draft.start(request, center_id=center_id, initial=initial)
    return redirect(draft.url(draft.next_step()))


@require_http_methods(["GET", "POST"])
@intake_write_view
def register_center(request: HttpRequest, client_uuid: uuid.UUID) -> HttpResponse:
    return _form_step(request, client_uuid, "center")


@require_http_methods(["GET", "POST"])
@intake_write_view
def register_person(request: HttpRequest, client_uuid: uuid.UUID) -> HttpResponse:
    return _form_step(request, client_uuid, "person")


@require_http_methods(["GET", "POST"])
@intake_write_view
def register_matches(request: HttpRequest, client_uuid: uuid.UUID) -> HttpResponse:
    draft, center, elsewhere = _open(request, client_uuid, "matches")
    if elsewhere:
        return elsewhere
    person_form = PersonForm(draft.values("person"), center=center)
    person_form.is_valid()
    candidates = duplicate_candidates(user=request.user, **person_form.match_query())
    form = MatchForm(request.POST or None, candidates=candidates)
    if form.is_valid():
        draft.data["match"] = form.cleaned_data["choice"]
        draft.save()
        return redirect(draft.url(draft.step_after("matches")))
    return _render_step(
        request, draft, "matches", center, form, candidates=candidates, person=person_form.instance
    )


@require_http_methods(["GET", "POST"])
@intake_write_view
def register_origin(request: HttpRequest, client_uuid: uuid.UUID) -> HttpResponse:
    return _form_step(request, client_uuid, "origin")


@require_http_methods(["GET", "POST"])
@intake_write_view
def register_arrival(request: HttpRequest, client_uuid: uuid.UUID) -> HttpResponse:
    return _form_step(request, client_uuid, "arrival")


@require_http_methods(["GET", "POST"])
@intake_write_view
def register_consents(request: HttpRequest, client_uuid: uuid.UUID) -> HttpResponse:
    return _form_step(request, client_uuid, "consents")


@require_GET
@intake_view
def register_done(request: HttpRequest, client_uuid: uuid.UUID) -> HttpResponse:
    arrival = arrival_get_by_client_uuid(user=request.user, client_uuid=client_uuid)
    with timezone.override(arrival.center.tzinfo):
        return render(request, "intake/register_done.html", {"arrival": arrival})


@require_GET
@intake_view
def arrival_list(request: HttpRequest) -> HttpResponse:
    """The arrivals of one day (today, in the centre's time zone) at one of the user's centres."""
    listed = ArrivalListFilter(
        request.GET or None, queryset=arrival_day_list(user=request.user), request=request
    )
    center, day = listed.chosen()
    form = listed.form
    with timezone.override(center.tzinfo):
        today = timezone.localdate()
        day = day or today
        arrivals = arrivals_on_local_day(listed.qs, centers=[center], day=day)
        page = Paginator(arrivals, PAGE_SIZE).get_page(request.GET.get("page"))
        rows = [(arrival, arrival.person.age_on(day)) for arrival in page]
        persons_viewed((arrival.person for arrival, _age in rows), actor=request.user)
        context = {
            "form": form,
            "center": center,
            "day": day,
            "is_today": day == today,
            "page": page,
            "rows": rows,
            "text": form.cleaned_data.get("q", "") if form.is_bound else "",
        }
        # A day or search the form refused is shown on the form, today's list under it.
        status = 400 if form.is_bound and form.errors else 200
        return render(request, "intake/arrival_list.html", context, status=status)


@require_GET
@intake_view
def arrival_detail(request: HttpRequest, pk: int) -> HttpResponse:
    arrival = arrival_get(user=request.user, arrival_id=pk)
    context = {"arrival": arrival, "may_void": can_work_at(request.user, arrival.center_id)}
    with timezone.override(arrival.center.tzinfo):
        return render(request, "intake/arrival_detail.html", context)


@require_http_methods(["GET", "POST"])
@login_required
def arrival_void_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Void an arrival registered by mistake, with the reason (intake.actions.arrival_void)."""
    arrival = arrival_get(user=request.user, arrival_id=pk)
    if not can_work_at(request.user, arrival.center_id):
        context = {"arrival": arrival}
        return render(request, "intake/arrival_void.html", context, status=403)
    form = ReasonForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            arrival_void(
                actor=request.user, arrival_id=arrival.pk, reason=form.cleaned_data["reason"]
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        except (Forbidden, NotFound) as exc:
            raise Http404 from exc
        else:
            messages.success(request, _("The arrival was voided. It no longer counts anywhere."))
            return redirect("person_detail", person_id=arrival.person_id)
    context = {"arrival": arrival, "form": form}
    return render(request, "intake/arrival_void.html", context, status=400 if form.errors else 200)


# --- possible duplicates: the supervisors' review queue ----------------------------------------


@require_GET
@login_required
def duplicate_queue_view(request: HttpRequest) -> HttpResponse:
    """The possible duplicates the nightly scan found among the records of the user's centres:
    compare and merge them, or say they are different people."""
    if not request.user.has_perm("registry.merge_person"):
        context = {"message": MAY_NOT_REVIEW_DUPLICATES, "back_url": reverse("home")}
        return render(request, "403.html", context, status=403)
    page = duplicate_queue(user=request.user, page_number=request.GET.get("page"))
    return render(request, "intake/duplicate_queue.html", {"page": page})


@require_http_methods(["POST"])
@login_required
def duplicate_dismiss_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Not the same person (intake.actions.duplicate_dismiss): the pair leaves the queue."""
    try:
        duplicate_dismiss(actor=request.user, pair_id=pk)
    except NotFound as exc:
        raise Http404 from exc
    except Forbidden as exc:
        context = {"message": exc.message, "back_url": reverse("intake:duplicate_queue")}
        return render(request, "403.html", context, status=403)
    messages.success(
        request, _("Noted: they are different people. The pair will not be proposed again.")
    )
    return redirect("intake:duplicate_queue")

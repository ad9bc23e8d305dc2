"""HTML pages of cases: the case list, opening a case, the case page and its small write forms.

Every page reaches the case through case_get (404 outside the user's scope, restricted cases
included). Each write form posts to its own view, which calls one action and redirects back to
the case page; on an error the case page is shown again with the typed values kept.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from intake.selectors import arrival_get
from registry import actions as registry_actions
from registry.audit import person_viewed, persons_viewed
from registry.errors import Forbidden, VersionConflict
from registry.idempotency import IdempotencyConflict, form_as_new_submission
from registry.models import Consent, Person
from registry.permissions import centers_for
from registry.selectors import person_get

from . import actions
from .case_page import case_page_parts
from .forms import (
    AssessForm,
    AssignForm,
    CaseListFilter,
    CaseOpenForm,
    CloseForm,
    FollowUpDoneForm,
    FollowUpForm,
    GoalForm,
    GoalProgressForm,
    NoteForm,
    ReferralForm,
    ReferralStatusForm,
    ReopenForm,
    RestrictForm,
)
from .models import Case
from .permissions import can_assign_case, can_manage_case, can_work_on_case
from .selectors import (
    case_get,
    follow_ups_for_case,
    goals_for_case,
    notes_for_case,
    referrals_for_case,
)
from .selectors import case_list as case_list_query

PAGE_SIZE = 25


# --- The list ---------------------------------------------------------------------------------


@require_GET
@login_required
def case_list(request: HttpRequest) -> HttpResponse:
    """The cases the user may see, filtered by status, assignee and text, 25 a page."""
    case_filter = CaseListFilter(
        request.GET or None, queryset=case_list_query(user=request.user), request=request
    )
    page = Paginator(case_filter.qs, PAGE_SIZE).get_page(request.GET.get("page"))
    persons_viewed((case.person for case in page), actor=request.user)
    context = {"form": case_filter.form, "page": page, "filtered": bool(request.GET)}
    return render(request, "casework/case_list.html", context)


# --- Opening a case ---------------------------------------------------------------------------


def _open_subject(request: HttpRequest) -> tuple[Person, Any, list, Any]:
    """(person, arrival or None, centres to open it at, arrival to show) from ?arrival=/?person=."""
    arrival_id, person_id = request.GET.get("arrival"), request.GET.get("person")
    work_centers = list(centers_for(request.user))
    if arrival_id:
        arrival = arrival_get(user=request.user, arrival_id=arrival_id)
        centers = [c for c in work_centers if c.pk == arrival.center_id]
        person = arrival.person
    elif person_id:
        arrival, person = None, person_get(user=request.user, person_id=person_id)
        centers = work_centers
    else:
        raise Http404
    if not centers:
        raise PermissionDenied
    if arrival is None:
        arrival_shown = person.arrivals.filter(center__in=centers).order_by("-arrived_at").first()
    else:
        arrival_shown = arrival
    return person, arrival, centers, arrival_shown


@require_http_methods(["GET", "POST"])
@login_required
def case_open(request: HttpRequest) -> HttpResponse:
    person, arrival, centers, arrival_shown = _open_subject(request)
    form = CaseOpenForm(request.POST or None, centers=centers, actor=request.user)
    if form.is_bound and form.is_valid():
        try:
            case = actions.case_open(
                actor=request.user,
                person=person,
                center=form.cleaned_data["center"],
                arrival=arrival,
                assigned_to=form.cleaned_data["assigned_to"],
                restricted=form.cleaned_data["restricted"],
                client_uuid=form.cleaned_data["client_uuid"],
            ).case
        except IdempotencyConflict as exc:
            form_as_new_submission(form, exc)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Case %(number)s opened.") % {"number": case.number})
            return redirect("cases:case_detail", pk=case.pk)
    open_case = (
        case_list_query(user=request.user)
        .filter(person=person, center__in=centers, status=Case.Status.OPEN)
        .first()
    )
    context = {
        "form": form,
        "person": person,
        "arrival": arrival_shown,
        "open_case": open_case,
        "center": centers[0] if len(centers) == 1 else None,
    }
    with timezone.override(centers[0].tzinfo):
        return render(request, "casework/case_open.html", context)


# --- The case page ----------------------------------------------------------------------------


def _get_case(request: HttpRequest, pk: int) -> Case:
    return case_get(user=request.user, case_id=pk)


def _detail_context(request: HttpRequest, case: Case, bound: dict) -> dict[str, Any]:
    """Everything the case page shows; `bound` holds a form being shown again with its errors."""
    user = request.user
    today = case.center.local_now().date()
    notes = list(notes_for_case(case))
    corrected = {note.corrects_id for note in notes if note.corrects_id}
    goals = list(goals_for_case(case))
    referrals = list(referrals_for_case(case))
    follow_ups = list(follow_ups_for_case(case))
    vulnerabilities = list(case.vulnerabilities.all())
    returns = list(
        case.person.arrivals.filter(center_id=case.center_id, arrived_at__gte=case.opened_at)
        .exclude(pk=case.opened_from_arrival_id)
        .order_by("arrived_at")
    )
    version = {"initial": {"version": case.version}}

    def form(key: Any, default: Callable[[], forms.Form]) -> forms.Form:
        return bound[key] if key in bound else default()

    correction = bound.get("correction")
    consents = registry_actions.consents_granted(
        case.person, [Consent.Kind.SHARE_WITH_PARTNERS, Consent.Kind.FOLLOW_UP_CONTACT]
    )
    return {
        "case": case,
        "parts": case_page_parts(request, case),
        "today": today,
        "vulnerabilities": vulnerabilities,
        "returns": returns,
        "share_consent": consents[Consent.Kind.SHARE_WITH_PARTNERS],
        "contact_consent": consents[Consent.Kind.FOLLOW_UP_CONTACT],
        "may_work": can_work_on_case(user, case),
        "may_manage": can_manage_case(user, case),
        "may_assign": can_assign_case(user, case),
        "is_open": case.status == Case.Status.OPEN,
        "conflict": bound.get("conflict"),
        "assess_form": form("assess", lambda: AssessForm.for_case(case, vulnerabilities)),
        "note_form": form("note", lambda: NoteForm(case=case)),
        "note_rows": [
            (
                note,
                note.pk in corrected,
                correction
                if correction is not None and correction["corrects"].value() == str(note.pk)
                else NoteForm(
                    case=case,
                    initial={"corrects": note.pk},
                    auto_id=f"id_correct_{note.pk}_%s",
                ),
            )
            for note in notes
        ],
        "goal_form": form("goal", GoalForm),
        "goal_rows": [
            (
                goal,
                form(("goal", goal.pk), lambda g=goal: GoalProgressForm.for_goal(g)),
                bound.get("conflict") == ("goal", goal.pk),
            )
            for goal in goals
        ],
        "referral_form": form("referral", lambda: ReferralForm(case=case)),
        "referral_rows": [
            (r, form(("referral", r.pk), lambda r=r: ReferralStatusForm(referral=r)))
            for r in referrals
        ],
        "follow_up_form": form("follow_up", FollowUpForm),
        "follow_up_rows": [
            (
                f,
                f.is_overdue(today),
                form(("follow_up", f.pk), lambda f=f: FollowUpDoneForm(follow_up=f)),
            )
            for f in follow_ups
        ],
        "close_form": form("close", lambda: CloseForm(**version)),
        "reopen_form": form("reopen", lambda: ReopenForm(**version)),
        "assign_form": form(
            "assign",
            lambda: AssignForm(
                center=case.center,
                initial={"version": case.version, "assigned_to": case.assigned_to_id},
            ),
        ),
        "restrict_form": form(
            "restrict",
            lambda: RestrictForm(
                initial={"version": case.version, "restricted": "0" if case.restricted else "1"}
            ),
        ),
        "bound_form": next((f for k, f in bound.items() if k != "conflict"), None),
    }


def _render_detail(
    request: HttpRequest, case: Case, bound: dict | None = None, status: int = 200
) -> HttpResponse:
    person_viewed(case.person, actor=request.user)
    context = _detail_context(request, case, bound or {})
    with timezone.override(case.center.tzinfo):
        return render(request, "casework/case_detail.html", context, status=status)


@require_GET
@login_required
def case_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_detail(request, _get_case(request, pk))


def _write(
    request: HttpRequest,
    case: Case,
    key: Any,
    make_form: Callable[[Any], forms.Form],
    act: Callable[[dict], Any],
    *,
    may: Callable[[Any, Case], bool],
    success: str,
    anchor: str,
) -> HttpResponse:
    """Validate the form, call its one action, and go back to the case page (PRG).

    On an error the case page is shown again, read afresh, with the form as typed. A version
    conflict keeps what the caseworker typed, shows what is stored now, and moves the form to
    the current version so that saving again is a deliberate choice; a client UUID used for
    other content moves the form to a new one likewise. 403 only when the user can see the case
    but may not do this.
    """
    form = make_form(request.POST)
    bound: dict[Any, Any] = {}
    refused = False
    if form.is_valid():
        try:
            act(form.cleaned_data)
        except VersionConflict as exc:
            case = _get_case(request, case.pk)
            data = request.POST.copy()
            data[form.add_prefix("version")] = str(exc.current_version)
            form = make_form(data)
            form.is_valid()
            form.add_error(None, str(exc.message))
            bound["conflict"] = key
        except IdempotencyConflict as exc:
            case = _get_case(request, case.pk)
            form_as_new_submission(form, exc)
        except Forbidden as exc:
            case = _get_case(request, case.pk)
            form.add_error(None, str(exc.message))
            refused = True
        except ValidationError as exc:
            case = _get_case(request, case.pk)
            form.add_error(None, exc)
        else:
            messages.success(request, success)
            return redirect(reverse("cases:case_detail", kwargs={"pk": case.pk}) + anchor)
    bound[key] = form
    # A form shown again with its errors answers 403 to someone who may not do this at all
    # (`may`, the rule the action applies): the action refuses with its reason (Forbidden).
    refused = refused or not may(request.user, case)
    return _render_detail(request, case, bound, status=403 if refused else 200)


@require_POST
@login_required
def case_assess(request: HttpRequest, pk: int) -> HttpResponse:
    case = _get_case(request, pk)
    return _write(
        request,
        case,
        "assess",
        AssessForm,
        lambda data: actions.case_assess(
            actor=request.user,
            case=case,
            vulnerabilities=list(data["vulnerabilities"]),
            economic_needs=data["economic_needs"],
            social_needs=data["social_needs"],
            psychosocial_needs=data["psychosocial_needs"],
            expected_version=data["version"],
        ),
        may=can_work_on_case,
        success=_("Assessment saved."),
        anchor="#assessment",
    )


@require_POST
@login_required
def note_add(request: HttpRequest, pk: int) -> HttpResponse:
    case = _get_case(request, pk)
    is_correction = bool(request.POST.get("corrects"))
    return _write(
        request,
        case,
        "correction" if is_correction else "note",
        lambda data: NoteForm(
            data,
            case=case,
            auto_id=f"id_correct_{data.get('corrects')}_%s" if is_correction else "id_%s",
        ),
        lambda data: actions.note_add(
            actor=request.user,
            case=case,
            text=data["text"],
            corrects=data["corrects"],
            client_uuid=data["client_uuid"],
        ),
        may=can_work_on_case,
        success=_("Correction added.") if is_correction else _("Note added."),
        anchor="#notes",
    )


@require_POST
@login_required
def goal_add(request: HttpRequest, pk: int) -> HttpResponse:
    case = _get_case(request, pk)
    return _write(
        request,
        case,
        "goal",
        GoalForm,
        lambda data: actions.goal_add(actor=request.user, case=case, **data),
        may=can_work_on_case,
        success=_("Goal added to the plan."),
        anchor="#plan",
    )


@require_POST
@login_required
def goal_progress(request: HttpRequest, pk: int, goal_id: int) -> HttpResponse:
    case = _get_case(request, pk)
    goal = get_object_or_404(goals_for_case(case), pk=goal_id)
    goal.case = case
    return _write(
        request,
        case,
        ("goal", goal.pk),
        lambda data: GoalProgressForm(data, prefix=f"goal-{goal.pk}"),
        lambda data: actions.goal_set_progress(
            actor=request.user,
            goal=goal,
            progress=data["progress"],
            expected_version=data["version"],
        ),
        may=can_work_on_case,
        success=_("Progress saved."),
        anchor="#plan",
    )


@require_POST
@login_required
def referral_add(request: HttpRequest, pk: int) -> HttpResponse:
    case = _get_case(request, pk)
    return _write(
        request,
        case,
        "referral",
        lambda data: ReferralForm(data, case=case),
        lambda data: actions.referral_create(actor=request.user, case=case, **data),
        may=can_work_on_case,
        success=_("Referral recorded."),
        anchor="#referrals",
    )


@require_POST
@login_required
def referral_status(request: HttpRequest, pk: int, referral_id: int) -> HttpResponse:
    case = _get_case(request, pk)
    referral = get_object_or_404(referrals_for_case(case), pk=referral_id)
    referral.case = case
    return _write(
        request,
        case,
        ("referral", referral.pk),
        lambda data: ReferralStatusForm(data, referral=referral),
        lambda data: actions.referral_set_status(actor=request.user, referral=referral, **data),
        may=can_work_on_case,
        success=_("Referral updated."),
        anchor="#referrals",
    )


@require_POST
@login_required
def follow_up_add(request: HttpRequest, pk: int) -> HttpResponse:
    case = _get_case(request, pk)
    return _write(
        request,
        case,
        "follow_up",
        FollowUpForm,
        lambda data: actions.follow_up_schedule(actor=request.user, case=case, **data),
        may=can_work_on_case,
        success=_("Follow-up scheduled."),
        anchor="#follow-ups",
    )


@require_POST
@login_required
def follow_ups_default(request: HttpRequest, pk: int) -> HttpResponse:
    case = _get_case(request, pk)
    arrival = case.opened_from_arrival
    start = arrival.arrived_at.astimezone(case.center.tzinfo).date() if arrival else None
    return _write(
        request,
        case,
        "follow_ups_default",
        forms.Form,
        lambda data: actions.follow_ups_schedule_default(
            actor=request.user, case=case, start=start
        ),
        may=can_work_on_case,
        success=_("Follow-ups scheduled at 1, 3 and 6 months."),
        anchor="#follow-ups",
    )


@require_POST
@login_required
def follow_up_done(request: HttpRequest, pk: int, follow_up_id: int) -> HttpResponse:
    case = _get_case(request, pk)
    follow_up = get_object_or_404(follow_ups_for_case(case), pk=follow_up_id)
    follow_up.case = case
    return _write(
        request,
        case,
        ("follow_up", follow_up.pk),
        lambda data: FollowUpDoneForm(data, follow_up=follow_up),
        lambda data: actions.follow_up_complete(actor=request.user, follow_up=follow_up, **data),
        may=can_work_on_case,
        success=_("Follow-up marked as done."),
        anchor="#follow-ups",
    )


@require_POST
@login_required
def case_close(request: HttpRequest, pk: int) -> HttpResponse:
    case = _get_case(request, pk)
    return _write(
        request,
        case,
        "close",
        CloseForm,
        lambda data: actions.case_close(
            actor=request.user,
            case=case,
            reason=data["reason"],
            note=data["note"],
            expected_version=data["version"],
        ),
        may=can_manage_case,
        success=_("Case closed."),
        anchor="",
    )


@require_POST
@login_required
def case_reopen(request: HttpRequest, pk: int) -> HttpResponse:
    case = _get_case(request, pk)
    return _write(
        request,
        case,
        "reopen",
        ReopenForm,
        lambda data: actions.case_reopen(
            actor=request.user, case=case, expected_version=data["version"]
        ),
        may=can_manage_case,
        success=_("Case reopened."),
        anchor="",
    )


@require_POST
@login_required
def case_assign(request: HttpRequest, pk: int) -> HttpResponse:
    case = _get_case(request, pk)
    return _write(
        request,
        case,
        "assign",
        lambda data: AssignForm(data, center=case.center),
        lambda data: actions.case_assign(
            actor=request.user,
            case=case,
            assignee=data["assigned_to"],
            expected_version=data["version"],
        ),
        may=can_assign_case,
        success=_("Caseworker assigned."),
        anchor="#manage",
    )


@require_POST
@login_required
def case_restrict(request: HttpRequest, pk: int) -> HttpResponse:
    case = _get_case(request, pk)
    return _write(
        request,
        case,
        "restrict",
        RestrictForm,
        lambda data: actions.case_set_restricted(
            actor=request.user,
            case=case,
            restricted=data["restricted"],
            expected_version=data["version"],
        ),
        may=can_manage_case,
        success=_("Access to the case changed."),
        anchor="#manage",
    )

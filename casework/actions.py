"""Writes to cases, their plans, notes, referrals and follow-ups. Views, API, commands and tasks all call these."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import NoReturn

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from intake.models import Arrival
from registry.actions import consent_in_force, person_link_center
from registry.audit import audited_together
from registry.cleaning import full_clean_loaded
from registry.errors import Forbidden, Invalid, VersionConflict
from registry.idempotency import fingerprint, replay
from registry.models import (
    ClosureReason,
    Consent,
    Partner,
    Person,
    ReceptionCenter,
    ServiceLine,
    VulnerabilityCategory,
)
from registry.permissions import Actor, can_work_at, persons_for
from registry.types import StrOrPromise

from .models import (
    Case,
    CaseCounter,
    CaseGoal,
    CaseNote,
    CaseUserObjectPermission,
    FollowUp,
    Referral,
)
from .permissions import cases_for, partners_for_case

# --- Cases ------------------------------------------------------------------------------------


CASE_CHANGED = gettext_lazy(
    "Someone else changed this case while you were editing it. Review their changes and try again."
)

GOAL_CHANGED = gettext_lazy(
    "Someone else changed this goal while you were editing it. Review their changes and try again."
)


def _refuse(message: StrOrPromise, field: str | None = None) -> NoReturn:
    raise Invalid(message, field)


def _forbid(message: StrOrPromise) -> NoReturn:
    raise Forbidden(message)


def _case_bump(case: Case, expected_version: int | None) -> None:
    """Claim the next version of the case, or raise VersionConflict (optimistic concurrency)."""
    if expected_version is None:
        expected_version = case.version
    updated = Case.objects.filter(pk=case.pk, version=expected_version).update(
        version=expected_version + 1
    )
    if not updated:
        current = Case.objects.filter(pk=case.pk).values_list("version", flat=True).first()
        raise VersionConflict(current or case.version, CASE_CHANGED)
    case.version = expected_version + 1


def _case_number(center: ReceptionCenter) -> str:
    """The next readable number at the centre for the local year, e.g. SPS-2026-00123."""
    year = center.local_now().year
    CaseCounter.objects.get_or_create(center=center, year=year)
    counter = CaseCounter.objects.select_for_update().get(center=center, year=year)
    counter.last += 1
    counter.save(update_fields=["last"])
    return f"{center.code}-{year}-{counter.last:05d}"


def _restricted_access_sync(case: Case) -> None:
    """Open a restricted case to its assigned caseworker, and to no other individual.

    The centre's supervisors see restricted cases through their role (permissions.cases_for).
    """
    from guardian.shortcuts import assign_perm

    CaseUserObjectPermission.objects.filter(
        content_object=case, permission__codename="view_restricted_case"
    ).delete()
    if case.restricted and case.assigned_to is not None:
        assign_perm("casework.view_restricted_case", case.assigned_to, case)


@dataclass(frozen=True)
class CaseOpened:
    case: Case
    created: bool  # False: a replay of the submission that opened it


ALREADY_OPEN = gettext_lazy("This person already has an open case at this centre.")


def _case_replay_visible(actor: Actor, case: Case) -> bool:
    """Who may get an opened case back: whoever may see it, and its opener while at the centre.

    The opener of a restricted case assigned to someone else no longer sees it, and may still
    be answered about the case they opened a moment ago.
    """
    if case.opened_by_id == actor.pk and can_work_at(actor, case.center_id):
        return True
    return cases_for(actor).filter(pk=case.pk).exists()


@transaction.atomic
@audited_together
def case_open(
    *,
    actor: Actor,
    person: Person,
    center: ReceptionCenter,
    arrival: Arrival | None = None,
    assigned_to: Actor | None = None,
    restricted: bool = False,
    client_uuid: uuid.UUID | None = None,
) -> CaseOpened:
    """Open a reintegration case for a person at a centre (one open case per person and centre).

    Idempotent on `client_uuid`: the same submission again returns the case (created=False);
    the same UUID with anything else raises IdempotencyConflict.
    """
    assignee = assigned_to or actor
    submitted = fingerprint(
        {
            "actor": actor.pk,
            "person": person.pk,
            "center": center.pk,
            "arrival": getattr(arrival, "pk", None),
            "assigned_to": assignee.pk,
            "restricted": restricted,
        }
    )
    existing = replay(
        Case,
        client_uuid=client_uuid,
        request_fingerprint=submitted,
        visible=lambda row: _case_replay_visible(actor, row),
    )
    if existing is not None:
        return CaseOpened(existing, created=False)
    if not can_work_at(actor, center):
        _refuse(_("You cannot open cases at this centre."), "center")
    if not persons_for(actor).filter(pk=person.pk).exists():
        _refuse(_("This person was not found."), "person")
    if not can_work_at(assignee, center):
        _refuse(_("The caseworker does not work at this centre."), "assigned_to")
    if arrival is not None and (arrival.person_id != person.pk or arrival.center_id != center.pk):
        _refuse(_("The arrival is not this person's arrival at this centre."), "arrival")
    # Taking the number locks the centre's counter: openings at one centre queue here, so the
    # check below sees a case a concurrent opening has just committed.
    number = _case_number(center)
    if Case.objects.filter(person=person, center=center, status=Case.Status.OPEN).exists():
        # The same words whether the actor may see that case or not, without its number or the
        # person's name: the answer must not tell a restricted case (e.g. gender-based violence)
        # from an ordinary one. The rule itself refuses either way; the HTML page links to the
        # case when the actor may open it, and a supervisor of the centre sees them all.
        _refuse(ALREADY_OPEN, "person")
    case = Case(
        number=number,
        person=person,
        center=center,
        opened_from_arrival=arrival,
        assigned_to=assignee,
        restricted=restricted,
        opened_by=actor,
        client_uuid=client_uuid or uuid.uuid4(),
        request_fingerprint=submitted,
    )
    full_clean_loaded(case, exclude=["number"])
    case.save(force_insert=True)
    person_link_center(person=person, center=center)
    if restricted:
        _restricted_access_sync(case)
    return CaseOpened(case, created=True)


@transaction.atomic
def case_assign(*, actor: Actor, case: Case, assignee: Actor, expected_version: int) -> Case:
    from .permissions import can_assign_case

    if not can_assign_case(actor, case):
        _forbid(_("Only a supervisor of the centre can assign cases."))
    if not assignee.is_active or not can_work_at(assignee, case.center_id):
        _refuse(_("The caseworker does not work at this centre."), "assigned_to")
    _case_bump(case, expected_version)
    case.assigned_to = assignee
    case.save(update_fields=["assigned_to", "version"])
    _restricted_access_sync(case)
    return case


@transaction.atomic
def case_close(
    *,
    actor: Actor,
    case: Case,
    reason: ClosureReason,
    note: str = "",
    expected_version: int,
) -> Case:
    from .permissions import can_manage_case

    if not can_manage_case(actor, case):
        _forbid(_("Only the assigned caseworker or a supervisor can close this case."))
    if case.status == Case.Status.CLOSED:
        _refuse(_("This case is already closed."))
    if reason is None or not reason.active:
        _refuse(_("Choose a closure reason."), "closure_reason")
    _case_bump(case, expected_version)
    case.status = Case.Status.CLOSED
    case.closure_reason = reason
    case.closure_note = note
    case.closed_at = timezone.now()
    case.closed_by = actor
    full_clean_loaded(case)
    case.save(
        update_fields=[
            "status",
            "closure_reason",
            "closure_note",
            "closed_at",
            "closed_by",
            "version",
        ]
    )
    return case


@transaction.atomic
def case_reopen(*, actor: Actor, case: Case, expected_version: int) -> Case:
    from .permissions import can_manage_case

    if not can_manage_case(actor, case):
        _forbid(_("Only the assigned caseworker or a supervisor can reopen this case."))
    if case.status != Case.Status.CLOSED:
        _refuse(_("This case is already open."))
    if (
        Case.objects.filter(person=case.person_id, center=case.center_id, status="open")
        .exclude(pk=case.pk)
        .exists()
    ):
        _refuse(_("This person already has another open case at this centre."))
    _case_bump(case, expected_version)
    case.status = Case.Status.OPEN
    case.closure_reason = None
    case.closure_note = ""
    case.closed_at = None
    case.closed_by = None
    case.save(
        update_fields=[
            "status",
            "closure_reason",
            "closure_note",
            "closed_at",
            "closed_by",
            "version",
        ]
    )
    return case


@transaction.atomic
def case_assess(
    *,
    actor: Actor,
    case: Case,
    vulnerabilities: list[VulnerabilityCategory],
    economic_needs: str = "",
    social_needs: str = "",
    psychosocial_needs: str = "",
    expected_version: int,
) -> Case:
    """Record the vulnerability assessment and needs by dimension."""
    from .permissions import can_work_on_case

    if not can_work_on_case(actor, case):
        _forbid(_("You cannot change cases of this centre."))
    if case.status == Case.Status.CLOSED:
        _refuse(_("Reopen the case before changing it."))
    if any(not v.active for v in vulnerabilities):
        _refuse(_("Choose vulnerabilities from the current list."), "vulnerabilities")
    _case_bump(case, expected_version)
    case.economic_needs = economic_needs
    case.social_needs = social_needs
    case.psychosocial_needs = psychosocial_needs
    case.assessed_at = timezone.now()
    full_clean_loaded(case)
    case.save(
        update_fields=[
            "economic_needs",
            "social_needs",
            "psychosocial_needs",
            "assessed_at",
            "version",
        ]
    )
    case.vulnerabilities.set(vulnerabilities)
    return case


@transaction.atomic
def case_set_restricted(
    *, actor: Actor, case: Case, restricted: bool, expected_version: int
) -> Case:
    from .permissions import can_manage_case

    if not can_manage_case(actor, case):
        _forbid(_("Only the assigned caseworker or a supervisor can restrict this case."))
    _case_bump(case, expected_version)
    case.restricted = restricted
    case.save(update_fields=["restricted", "version"])
    _restricted_access_sync(case)
    return case


def _require_open_case_work(actor: Actor, case: Case) -> None:
    from .permissions import can_work_on_case

    if not can_work_on_case(actor, case):
        _forbid(_("You cannot change cases of this centre."))
    if case.status == Case.Status.CLOSED:
        _refuse(_("Reopen the case before changing it."))


def _case_visible(actor: Actor, case_id: int) -> bool:
    return cases_for(actor).filter(pk=case_id).exists()


@dataclass(frozen=True)
class NoteAdded:
    note: CaseNote
    created: bool  # False: a replay of the submission that wrote it


@transaction.atomic
def note_add(
    *,
    actor: Actor,
    case: Case,
    text: str,
    corrects: CaseNote | None = None,
    client_uuid: uuid.UUID | None = None,
) -> NoteAdded:
    """Append a note (closed cases too: what happened after closure is still recorded).

    Idempotent on `client_uuid`, like case_open.
    """
    from .permissions import can_work_on_case

    text = (text or "").strip()
    submitted = fingerprint(
        {
            "actor": actor.pk,
            "case": case.pk,
            "text": text,
            "corrects": getattr(corrects, "pk", None),
        }
    )
    existing = replay(
        CaseNote,
        client_uuid=client_uuid,
        request_fingerprint=submitted,
        visible=lambda row: _case_visible(actor, row.case_id),
    )
    if existing is not None:
        return NoteAdded(existing, created=False)
    if not can_work_on_case(actor, case):
        _forbid(_("You cannot write notes on cases of this centre."))
    if corrects is not None and corrects.case_id != case.pk:
        _refuse(_("A correction must refer to a note of the same case."), "corrects")
    note = CaseNote(
        case=case,
        text=text,
        corrects=corrects,
        author=actor,
        client_uuid=client_uuid or uuid.uuid4(),
        request_fingerprint=submitted,
    )
    full_clean_loaded(note)
    note.save(force_insert=True)
    return NoteAdded(note, created=True)


@transaction.atomic
def goal_add(
    *,
    actor: Actor,
    case: Case,
    dimension: str,
    description: str,
    target_date: date | None = None,
) -> CaseGoal:
    _require_open_case_work(actor, case)
    goal = CaseGoal(
        case=case,
        dimension=dimension,
        description=(description or "").strip(),
        target_date=target_date,
        created_by=actor,
    )
    full_clean_loaded(goal)
    goal.save()
    return goal


@transaction.atomic
def goal_set_progress(
    *, actor: Actor, goal: CaseGoal, progress: str, expected_version: int
) -> CaseGoal:
    """Record a goal's progress; refused when someone else saved it since `expected_version`."""
    _require_open_case_work(actor, goal.case)
    goal.progress = progress
    full_clean_loaded(goal)
    updated = CaseGoal.objects.filter(pk=goal.pk, version=expected_version).update(
        version=expected_version + 1
    )
    if not updated:
        current = CaseGoal.objects.filter(pk=goal.pk).values_list("version", flat=True).first()
        raise VersionConflict(current or goal.version, GOAL_CHANGED)
    goal.version = expected_version + 1
    goal.save(update_fields=["progress", "updated_at", "version"])
    return goal


@dataclass(frozen=True)
class ReferralMade:
    referral: Referral
    created: bool  # False: a replay of the submission that made it


@transaction.atomic
def referral_create(
    *,
    actor: Actor,
    case: Case,
    partner: Partner,
    service_line: ServiceLine,
    reason: str = "",
    client_uuid: uuid.UUID | None = None,
) -> ReferralMade:
    """Refer the person to a partner; requires their consent to share data with partners.

    Idempotent on `client_uuid`, like case_open.
    """
    reason = (reason or "").strip()
    submitted = fingerprint(
        {
            "actor": actor.pk,
            "case": case.pk,
            "partner": partner.pk,
            "service_line": service_line.pk,
            "reason": reason,
        }
    )
    existing = replay(
        Referral,
        client_uuid=client_uuid,
        request_fingerprint=submitted,
        visible=lambda row: _case_visible(actor, row.case_id),
    )
    if existing is not None:
        return ReferralMade(existing, created=False)
    _require_open_case_work(actor, case)
    if not consent_in_force(case.person, Consent.Kind.SHARE_WITH_PARTNERS):
        _refuse(
            _(
                "The person has not consented to share their data with referral partners. "
                "Record their consent before referring them."
            ),
            "partner",
        )
    if not partner.active:
        _refuse(_("This partner is not active."), "partner")
    if not partners_for_case(case).filter(pk=partner.pk).exists():
        _refuse(_("This partner does not work in the country of this case."), "partner")
    if not partner.service_lines.filter(pk=service_line.pk).exists():
        _refuse(_("This partner does not offer this service."), "service_line")
    referral = Referral(
        case=case,
        partner=partner,
        service_line=service_line,
        reason=reason,
        referred_by=actor,
        client_uuid=client_uuid or uuid.uuid4(),
        request_fingerprint=submitted,
    )
    full_clean_loaded(referral)
    referral.save(force_insert=True)
    return ReferralMade(referral, created=True)


@transaction.atomic
def referral_set_status(
    *, actor: Actor, referral: Referral, status: str, outcome_note: str = ""
) -> Referral:
    from .permissions import can_work_on_case

    if not can_work_on_case(actor, referral.case):
        _forbid(_("You cannot change cases of this centre."))
    allowed = Referral.TRANSITIONS.get(Referral.Status(referral.status), set())
    if status not in allowed:
        _refuse(
            _("A referral that is %(current)s cannot become %(new)s.")
            % {
                "current": Referral.Status(referral.status).label,
                "new": Referral.Status(status).label
                if status in Referral.Status.values
                else status,
            },
            "status",
        )
    referral.status = status
    referral.outcome_note = (outcome_note or referral.outcome_note).strip()
    referral.status_changed_at = timezone.now()
    full_clean_loaded(referral)
    referral.save(update_fields=["status", "outcome_note", "status_changed_at"])
    return referral


# Follow-ups 1, 3 and 6 months after the return.
DEFAULT_FOLLOW_UP_MONTHS = (1, 3, 6)


def _add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year = day.year + month // 12
    month = month % 12 + 1
    import calendar

    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _require_contact_consent(case: Case) -> None:
    """A follow-up is a contact: it needs the person's consent to be contacted, as in force now
    (given at intake or later on their record; a withdrawal stops the follow-ups)."""
    if not consent_in_force(case.person, Consent.Kind.FOLLOW_UP_CONTACT):
        _refuse(
            _(
                "The person has not consented to be contacted for follow-up. "
                "Record their consent on their record before planning or recording a follow-up."
            )
        )


@transaction.atomic
def follow_up_schedule(*, actor: Actor, case: Case, due_date: date, purpose: str = "") -> FollowUp:
    _require_open_case_work(actor, case)
    _require_contact_consent(case)
    follow_up = FollowUp(case=case, due_date=due_date, purpose=purpose.strip(), created_by=actor)
    full_clean_loaded(follow_up)
    follow_up.save()
    return follow_up


@transaction.atomic
def follow_ups_schedule_default(
    *, actor: Actor, case: Case, start: date | None = None
) -> list[FollowUp]:
    """Follow-ups at 1, 3 and 6 months after `start` (the return, else the case's opening)."""
    _require_open_case_work(actor, case)
    _require_contact_consent(case)
    if start is None:
        start = case.opened_at.astimezone(case.center.tzinfo).date()
    return [
        follow_up_schedule(
            actor=actor,
            case=case,
            due_date=_add_months(start, months),
            purpose=_("Follow-up %(months)s months after return") % {"months": months},
        )
        for months in DEFAULT_FOLLOW_UP_MONTHS
    ]


@transaction.atomic
def follow_up_complete(
    *, actor: Actor, follow_up: FollowUp, outcome: str, outcome_note: str = ""
) -> FollowUp:
    from .permissions import can_work_on_case

    if not can_work_on_case(actor, follow_up.case):
        _forbid(_("You cannot change cases of this centre."))
    if follow_up.done_at is not None:
        _refuse(_("This follow-up is already done."))
    _require_contact_consent(follow_up.case)
    follow_up.done_at = timezone.now()
    follow_up.done_by = actor
    follow_up.outcome = outcome
    follow_up.outcome_note = (outcome_note or "").strip()
    if not outcome:
        _refuse(_("Choose the outcome of the follow-up."), "outcome")
    full_clean_loaded(follow_up)
    follow_up.save(update_fields=["done_at", "done_by", "outcome", "outcome_note"])
    return follow_up

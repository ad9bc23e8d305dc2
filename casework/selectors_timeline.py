"""Timeline entries of casework: cases opened and closed, notes, referrals, follow-ups.

Only cases the viewer can open (cases_for), with those cases' notes, referrals and follow-ups.
A fixed number of queries.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import date

from django.db.models import QuerySet
from django.utils.text import Truncator
from django.utils.translation import gettext as _

from registry.models import Person
from registry.permissions import User
from registry.person_page import TimelineEntry, register_timeline_source
from registry.person_page import at as _at
from registry.person_page import start_of as _day
from registry.prepared import prepared

from .models import Case, CaseNote, FollowUp, Referral
from .permissions import CaseScope, case_scope, cases_in

NOTE_EXCERPT_CHARS = 140


@prepared
def _person_cases(*, scope: CaseScope, person_id: uuid.UUID) -> QuerySet[Case]:
    return (
        cases_in(scope)
        .filter(person_id=person_id)
        .select_related("center", "assigned_to", "closure_reason")
    )


@register_timeline_source
def case_timeline_entries(user: User, person: Person) -> list[TimelineEntry]:
    entries: list[TimelineEntry] = []
    cases = {case.pk: case for case in _person_cases(scope=case_scope(user), person_id=person.pk)}
    for case in cases.values():
        tz = case.center.tzinfo
        assignee = case.assigned_to
        entries.append(
            TimelineEntry(
                when=_at(case.opened_at, tz),
                date_only=False,
                kind="case_opened",
                label=_("Case opened"),
                text=_("Case %(number)s, assigned to %(name)s")
                % {
                    "number": case.number,
                    "name": (assignee.get_full_name() or assignee.get_username())
                    if assignee
                    else _("nobody"),
                },
                center_name=case.center.name,
                time_zone=case.center.time_zone,
                url_name="cases:case_detail",
                url_arg=case.pk,
            )
        )
        if case.status == Case.Status.CLOSED and case.closed_at:
            entries.append(
                TimelineEntry(
                    when=_at(case.closed_at, tz),
                    date_only=False,
                    kind="case_closed",
                    label=_("Case closed"),
                    text=_("Case %(number)s: %(reason)s")
                    % {
                        "number": case.number,
                        "reason": case.closure_reason.name if case.closure_reason else "",
                    },
                    center_name=case.center.name,
                    time_zone=case.center.time_zone,
                    url_name="cases:case_detail",
                    url_arg=case.pk,
                )
            )

    case_ids = list(cases)
    if case_ids:
        entries.extend(_note_entries(cases, case_ids))
        entries.extend(_referral_entries(cases, case_ids))
        entries.extend(_follow_up_entries(cases, case_ids))
    return entries


def _note_entries(cases: dict[int, Case], case_ids: list[int]) -> Iterator[TimelineEntry]:
    for note in CaseNote.objects.filter(case_id__in=case_ids).order_by("created_at", "pk"):
        case = cases[note.case_id]
        excerpt = Truncator(note.text).chars(NOTE_EXCERPT_CHARS)
        yield TimelineEntry(
            when=_at(note.created_at, case.center.tzinfo),
            date_only=False,
            kind="note",
            label=_("Correction of a note") if note.corrects_id else _("Note"),
            text=excerpt,
            center_name=case.center.name,
            time_zone=case.center.time_zone,
            url_name="cases:case_detail",
            url_arg=case.pk,
        )


def _referral_entries(cases: dict[int, Case], case_ids: list[int]) -> Iterator[TimelineEntry]:
    referrals = Referral.objects.filter(case_id__in=case_ids).select_related(
        "partner", "service_line"
    )
    for referral in referrals:
        case = cases[referral.case_id]
        yield TimelineEntry(
            when=_at(referral.referred_at, case.center.tzinfo),
            date_only=False,
            kind="referral",
            label=_("Referral"),
            text=_("%(service)s with %(partner)s (%(status)s)")
            % {
                "service": referral.service_line.name,
                "partner": referral.partner.name,
                "status": referral.get_status_display(),
            },
            center_name=case.center.name,
            time_zone=case.center.time_zone,
            url_name="cases:case_detail",
            url_arg=case.pk,
        )


def _follow_up_entries(cases: dict[int, Case], case_ids: list[int]) -> Iterator[TimelineEntry]:
    today_at: dict[int, date] = {}
    for follow_up in FollowUp.objects.filter(case_id__in=case_ids):
        case = cases[follow_up.case_id]
        tz = case.center.tzinfo
        if follow_up.done_at is not None:
            yield TimelineEntry(
                when=_at(follow_up.done_at, tz),
                date_only=False,
                kind="follow_up_done",
                label=_("Follow-up done"),
                text=follow_up.get_outcome_display() or follow_up.purpose,
                center_name=case.center.name,
                time_zone=case.center.time_zone,
                url_name="cases:case_detail",
                url_arg=case.pk,
            )
            continue
        if case.center_id not in today_at:
            today_at[case.center_id] = case.center.local_now().date()
        yield TimelineEntry(
            when=_day(follow_up.due_date, tz),
            date_only=True,
            kind="follow_up_due",
            label=_("Follow-up due"),
            text=follow_up.purpose,
            center_name=case.center.name,
            time_zone=case.center.time_zone,
            url_name="cases:case_detail",
            url_arg=case.pk,
            overdue=follow_up.is_overdue(today_at[case.center_id]),
        )

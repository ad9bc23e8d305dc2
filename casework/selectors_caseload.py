"""Reads for the home page: my caseload, the centre's caseload per caseworker, and per centre.

Every query starts from cases_for / the user's centre ids, so a restricted case that was not
opened to the user is neither listed nor counted. Counts are GROUP BY queries; the number of
queries does not depend on the number of rows.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, TypeVar

from django.db.models import (
    Count,
    DateTimeField,
    Exists,
    F,
    Model,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from intake.models import Arrival
from intake.permissions import arrivals_for, arrivals_in
from registry.audit import persons_viewed
from registry.models import (
    ReceptionCenter,
)
from registry.permissions import User, user_center_ids
from registry.prepared import prepared
from registry.selectors import center_staff_rows, display_name

from .models import Case, CaseNote, FollowUp, Referral
from .permissions import MANAGE_CENTER_CASES, CaseScope, case_scope, cases_for, cases_in

# A caseworker's lists are short; past this many rows the page says "more" and links the list.
_Row = TypeVar("_Row", bound=Model)

LIST_LIMIT = 50
ARRIVALS_LIMIT = 20
RECENT_ARRIVAL_DAYS = 7
REFERRAL_WAITING = (Referral.Status.PENDING, Referral.Status.ACCEPTED)


def overdue_condition(days: CenterDays, *, prefix: str = "") -> Q:
    """Not done and due before today, where "today" is each centre's own local date (`days`:
    each centre's id with its local date, centers_today)."""
    condition = Q(pk__in=[])
    for center_id, today in days:
        condition |= Q(**{f"{prefix}case__center_id": center_id, f"{prefix}due_date__lt": today})
    return Q(**{f"{prefix}done_at__isnull": True}) & condition


CenterDays = tuple[tuple[int, date], ...]


def centers_today(centers: Iterable[ReceptionCenter]) -> CenterDays:
    """Each centre's id with the date it is there now."""
    return tuple((center.pk, center.local_now().date()) for center in centers)


def _limited(rows: list[_Row], limit: int) -> tuple[list[_Row], bool]:
    """The first `limit` rows of a list read with one more, and whether there were more."""
    return rows[:limit], len(rows) > limit


# The home page's lists are prepared reads (registry.prepared): compiled once per process, as
# they are read on every visit of the home page. Each reads one row more than it shows.


def _my_open_cases(scope: CaseScope, user_id: int, write_ids: tuple[int, ...]) -> QuerySet[Case]:
    return cases_in(scope).filter(
        assigned_to=user_id, status=Case.Status.OPEN, center_id__in=write_ids
    )


@prepared
def my_open_cases(*, scope: CaseScope, user_id: int, write_ids: tuple[int, ...]) -> QuerySet[Case]:
    """Open cases assigned to the user at the centres they work in, with activity dates."""
    latest_note = CaseNote.objects.filter(case=OuterRef("pk")).order_by("-created_at")
    latest_referral = Referral.objects.filter(case=OuterRef("pk")).order_by("-status_changed_at")
    latest_follow_up = FollowUp.objects.filter(case=OuterRef("pk"), done_at__isnull=False).order_by(
        "-done_at"
    )
    next_follow_up = FollowUp.objects.filter(case=OuterRef("pk"), done_at__isnull=True).order_by(
        "due_date"
    )
    when = DateTimeField()
    return (
        _my_open_cases(scope, user_id, write_ids)
        .select_related("person", "center")
        .annotate(
            # On SQLite and MySQL Greatest is NULL when any argument is: coalesce each one.
            last_activity=Greatest(
                "opened_at",
                Coalesce(
                    Subquery(latest_note.values("created_at")[:1]), "opened_at", output_field=when
                ),
                Coalesce(
                    Subquery(latest_referral.values("status_changed_at")[:1]),
                    "opened_at",
                    output_field=when,
                ),
                Coalesce(
                    Subquery(latest_follow_up.values("done_at")[:1]), "opened_at", output_field=when
                ),
                output_field=when,
            ),
            next_follow_up=Subquery(next_follow_up.values("due_date")[:1]),
        )
        .order_by(F("next_follow_up").asc(nulls_last=True), "opened_at")[: LIST_LIMIT + 1]
    )


@prepared
def my_overdue_follow_ups(
    *, scope: CaseScope, user_id: int, write_ids: tuple[int, ...], days: CenterDays
) -> QuerySet[FollowUp]:
    """Follow-ups not done and past due (centre's local date) on my open cases."""
    return (
        FollowUp.objects.filter(case__in=_my_open_cases(scope, user_id, write_ids))
        .filter(overdue_condition(days))
        .select_related("case", "case__person", "case__center")
        .order_by("due_date", "pk")[: LIST_LIMIT + 1]
    )


@prepared
def my_referrals_waiting(
    *, scope: CaseScope, user_id: int, write_ids: tuple[int, ...]
) -> QuerySet[Referral]:
    """Referrals pending or accepted on my open cases: the partner still owes an answer."""
    return (
        Referral.objects.filter(
            case__in=_my_open_cases(scope, user_id, write_ids), status__in=REFERRAL_WAITING
        )
        .select_related("case", "case__person", "case__center", "partner", "service_line")
        .order_by("referred_at", "pk")[: LIST_LIMIT + 1]
    )


@prepared
def arrivals_not_assessed(
    *, scope: CaseScope, center_ids: tuple[int, ...], since: datetime
) -> QuerySet[Arrival]:
    """Arrivals at these centres (among those the user reads) since `since` from which no case
    was assessed yet.

    Only cases the user can see count: a restricted case hidden from them changes nothing here.
    `visible_case_id` is the (unassessed) case opened from the arrival, if any.
    """
    visible = cases_in(scope).filter(opened_from_arrival=OuterRef("pk"))
    return (
        arrivals_in(scope.read_ids)
        .filter(center_id__in=center_ids, arrived_at__gte=since)
        .exclude(Exists(visible.filter(assessed_at__isnull=False)))
        .annotate(visible_case_id=Subquery(visible.order_by("-opened_at").values("pk")[:1]))
        .select_related("person", "center")
        .order_by("-arrived_at", "-pk")[: ARRIVALS_LIMIT + 1]
    )


@dataclass
class StaffRow:
    """One caseworker's counts at one centre (user None: cases nobody is assigned to)."""

    center_id: int
    user_id: int | None
    name: str
    open_cases: int = 0
    overdue_follow_ups: int = 0
    referrals_waiting: int = 0


@dataclass
class CenterRow:
    center: ReceptionCenter
    open_cases: int = 0
    overdue_follow_ups: int = 0
    referrals_waiting: int = 0
    arrivals_recent: int = 0
    staff: list[StaffRow] = field(default_factory=list)


def _case_counts(
    *, user: User, centers: list[ReceptionCenter], by_assignee: bool
) -> dict[tuple[Any, ...], dict[str, Any]]:
    """{(centre id, assignee id or None): {open_cases, overdue_follow_ups, referrals_waiting}}.

    Three GROUP BY queries over the cases the user can see; each counts one kind of row so no
    join multiplies another.
    """
    open_cases = cases_for(user).filter(
        center_id__in=[c.pk for c in centers], status=Case.Status.OPEN
    )
    keys = ["center_id", "assigned_to_id"] if by_assignee else ["center_id"]
    names = ["assigned_to__first_name", "assigned_to__last_name", "assigned_to__username"]
    result: dict[tuple[Any, ...], dict[str, Any]] = {}

    def add(rows: Iterable[dict[str, Any]], count_name: str, prefix: str) -> None:
        for row in rows:
            key = tuple(row[f"{prefix}{k}"] for k in keys)
            entry = result.setdefault(key, {})
            entry[count_name] = row["n"]
            if by_assignee and row[f"{prefix}assigned_to_id"] is not None:
                entry["name"] = display_name(*(row[f"{prefix}{n}"] or "" for n in names))

    group = [*keys, *(names if by_assignee else [])]
    add(
        open_cases.order_by().values(*group).annotate(n=Count("pk")),
        "open_cases",
        "",
    )
    case_group = [f"case__{g}" for g in group]
    add(
        FollowUp.objects.filter(case__in=open_cases)
        .order_by()
        .values(*case_group)
        .annotate(n=Count("pk", filter=overdue_condition(centers_today(centers))))
        .filter(n__gt=0),
        "overdue_follow_ups",
        "case__",
    )
    add(
        Referral.objects.filter(case__in=open_cases)
        .order_by()
        .values(*case_group)
        .annotate(n=Count("pk", filter=Q(status__in=REFERRAL_WAITING)))
        .filter(n__gt=0),
        "referrals_waiting",
        "case__",
    )
    return result


def center_caseload(*, user: User, centers: list[ReceptionCenter]) -> list[CenterRow]:
    """For a supervisor: per centre, each caseworker's open cases, overdue follow-ups and
    referrals waiting (restricted cases hidden from the supervisor are not counted)."""
    counts = _case_counts(user=user, centers=centers, by_assignee=True)
    rows = {c.pk: CenterRow(center=c) for c in centers}
    staff: dict[tuple[Any, ...], StaffRow] = {}
    for member in center_staff_rows(center_ids=list(rows)):
        staff[(member["center_id"], member["user_id"])] = StaffRow(**member)
    for (center_id, user_id), values in counts.items():
        row = staff.get((center_id, user_id))
        if row is None:
            # Someone who no longer works here but still holds cases, or nobody at all.
            row = staff[(center_id, user_id)] = StaffRow(
                center_id=center_id, user_id=user_id, name=values.get("name", "")
            )
        row.open_cases = values.get("open_cases", 0)
        row.overdue_follow_ups = values.get("overdue_follow_ups", 0)
        row.referrals_waiting = values.get("referrals_waiting", 0)
    for row in sorted(staff.values(), key=lambda r: (r.user_id is None, r.name.casefold())):
        center_row = rows[row.center_id]
        center_row.staff.append(row)
        center_row.open_cases += row.open_cases
        center_row.overdue_follow_ups += row.overdue_follow_ups
        center_row.referrals_waiting += row.referrals_waiting
    return list(rows.values())


def centers_overview(*, user: User, centers: list[ReceptionCenter]) -> list[CenterRow]:
    """For a programme manager: counts per readable centre (no names, no rows)."""
    counts = _case_counts(user=user, centers=centers, by_assignee=False)
    since = timezone.now() - timedelta(days=RECENT_ARRIVAL_DAYS)
    arrivals = dict(
        arrivals_for(user)
        .filter(center_id__in=[c.pk for c in centers], arrived_at__gte=since)
        .order_by()
        .values("center_id")
        .annotate(n=Count("pk"))
        .values_list("center_id", "n")
    )
    rows = []
    for center in centers:
        values = counts.get((center.pk,), {})
        rows.append(
            CenterRow(
                center=center,
                open_cases=values.get("open_cases", 0),
                overdue_follow_ups=values.get("overdue_follow_ups", 0),
                referrals_waiting=values.get("referrals_waiting", 0),
                arrivals_recent=arrivals.get(center.pk, 0),
            )
        )
    return rows


@dataclass
class Caseload:
    """Everything the home page shows a user who works at a centre."""

    open_cases: list[Case]
    open_cases_more: bool
    overdue_follow_ups: list[FollowUp]
    overdue_follow_ups_more: bool
    referrals_waiting: list[Referral]
    referrals_waiting_more: bool
    arrivals: list[Arrival]
    arrivals_more: bool
    today: dict[int, Any]
    supervision: list[CenterRow] | None


def caseload_get(*, user: User, centers: list[ReceptionCenter]) -> Caseload:
    """The caseload of a user at the centres they work in (`centers`, from centers_for)."""
    mine = {
        "scope": case_scope(user),
        "user_id": user.pk,
        "write_ids": tuple(sorted(user_center_ids(user, for_write=True))),
    }
    days = centers_today(centers)
    open_cases, open_more = _limited(my_open_cases(**mine), LIST_LIMIT)
    overdue, overdue_more = _limited(my_overdue_follow_ups(**mine, days=days), LIST_LIMIT)
    referrals, referrals_more = _limited(my_referrals_waiting(**mine), LIST_LIMIT)
    arrivals, arrivals_more = _limited(
        arrivals_not_assessed(
            scope=mine["scope"],
            center_ids=tuple(sorted(c.pk for c in centers)),
            since=timezone.now() - timedelta(days=RECENT_ARRIVAL_DAYS),
        ),
        ARRIVALS_LIMIT,
    )
    today = dict(days)
    for case in open_cases:
        annotated: Any = case  # next_follow_up is annotated by my_open_cases
        annotated.follow_up_overdue = bool(
            annotated.next_follow_up and annotated.next_follow_up < today[case.center_id]
        )
    supervision = (
        center_caseload(user=user, centers=centers) if user.has_perm(MANAGE_CENTER_CASES) else None
    )
    persons_viewed(
        [
            *(case.person for case in open_cases),
            *(follow_up.case.person for follow_up in overdue),
            *(referral.case.person for referral in referrals),
            *(arrival.person for arrival in arrivals),
        ],
        actor=user,
    )
    return Caseload(
        open_cases=open_cases,
        open_cases_more=open_more,
        overdue_follow_ups=overdue,
        overdue_follow_ups_more=overdue_more,
        referrals_waiting=referrals,
        referrals_waiting_more=referrals_more,
        arrivals=arrivals,
        arrivals_more=arrivals_more,
        today=today,
        supervision=supervision,
    )

"""The programme manager's dashboard: who sees it, and the figures of each panel.

Indicator figures come from `report_compute` (the same counting rules, consent exclusion and,
once they exist, summary tables as the donor report). The two steps of the funnel that are not
indicators ("case opened", "case closed as reintegrated") and follow-up compliance are
database aggregates here: one query each, whatever the number of rows.

A dashboard load makes a number of queries that depends on the length of the period (one
`report_compute` per indicator and month shown, at most 12 months) and never on the data.
Figures are not suppressed: the dashboard is for staff who may read the centres' records.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Count, F, Q
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

from casework.models import Case, FollowUp
from casework.permissions import MANAGE_CENTER_CASES
from registry.models import ClosureReason, ReceptionCenter
from registry.permissions import readable_centers_for, user_center_ids

from .consent import counted_only
from .disaggregations import dimension_labels
from .exports import VIEW_AGGREGATES
from .indicators import ALL, Table, local_bounds, report_compute
from .periods import Period, month

User = AbstractBaseUser | AnonymousUser

UPTAKE_INDICATORS = ("received", "received_aid", "received_reintegration")
FUNNEL_STEPS = ("received", "received_aid", "case_opened", "received_reintegration", "completed")
COMPLETED_REASON = "reintegrated"  # the closure reason that means the reintegration was achieved
STEP_LABELS = {
    "received": _("Received"),
    "received_aid": _("Post-arrival aid"),
    "case_opened": _("Case opened"),
    "received_reintegration": _("Reintegration service"),
    "completed": _("Reintegration completed"),
}


# --- who sees it ---------------------------------------------------------------------------------


# Session key: whether the navigation offers the dashboard (set at sign-in, see signals).
DASHBOARD_IN_NAV = "reporting.dashboard_in_nav"


def dashboard_audience(user: User) -> bool:
    """Programme managers (they read aggregates) and centre supervisors, with a centre to read."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if not user_center_ids(user):
        return False
    return user.has_perm(VIEW_AGGREGATES) or user.has_perm(MANAGE_CENTER_CASES)


def dashboard_centers(user: User) -> list[ReceptionCenter]:
    """The centres whose figures the user sees: a manager's programme, a supervisor's centre."""
    return list(readable_centers_for(user).order_by("country__sort_order", "name"))


# --- the figures ---------------------------------------------------------------------------------


@dataclass
class MonthUptake:
    period: Period
    totals: dict[str, int]  # indicator -> unique persons in the month, all centres shown
    by_center: dict[str, dict[str, int]]  # centre code -> indicator -> unique persons
    tables: list[Table] = field(default_factory=list, repr=False)


@dataclass
class FunnelStep:
    code: str
    count: int
    percent_of_received: float | None

    @property
    def label(self) -> str:
        return str(STEP_LABELS[self.code])


@dataclass
class ServiceUptake:
    code: str
    name: str
    deliveries: int
    quantity: int


FOLLOW_UP_STATES = (
    ("on_time", _("Done by the due date")),
    ("late", _("Done late")),
    ("overdue", _("Overdue")),
    ("not_yet_due", _("Not yet due")),
)


@dataclass
class FollowUpCompliance:
    center: ReceptionCenter | None  # None: the total row
    scheduled: int = 0
    on_time: int = 0
    late: int = 0
    overdue: int = 0
    not_yet_due: int = 0

    @property
    def come_due(self) -> int:
        return self.on_time + self.late + self.overdue

    @property
    def compliance(self) -> float | None:
        """Share of the follow-ups that have come due that were done by their due date."""
        return round(100 * self.on_time / self.come_due, 1) if self.come_due else None


@dataclass
class Dashboard:
    period: Period
    centers: list[ReceptionCenter]
    months: list[MonthUptake]
    funnel: list[FunnelStep]
    services: list[ServiceUptake]
    follow_ups: list[FollowUpCompliance]
    follow_up_total: FollowUpCompliance
    data_as_of: datetime | None
    tables: list[Table] = field(default_factory=list, repr=False)
    funnel_tables: list[Table] = field(default_factory=list, repr=False)

    # What the charts and tables of the page need, in the active language.

    @property
    def month_names(self) -> list[str]:
        return [formats.date_format(m.period.start, "M Y") for m in self.months]

    @property
    def uptake_series(self) -> list[tuple[str, list[int]]]:
        return [
            (str(STEP_LABELS[code]), [m.totals[code] for m in self.months])
            for code in UPTAKE_INDICATORS
        ]

    @property
    def uptake_rows(self) -> list[tuple[str, list[int]]]:
        """(month, [received, aid, reintegration]) for the table beneath the chart."""
        return [
            (name, [m.totals[code] for code in UPTAKE_INDICATORS])
            for name, m in zip(self.month_names, self.months, strict=True)
        ]

    @property
    def uptake_center_rows(self) -> list[tuple[str, ReceptionCenter, list[int]]]:
        """(month, centre, [received, aid, reintegration]) for every centre shown."""
        return [
            (name, center, [m.by_center.get(center.code, {}).get(c, 0) for c in UPTAKE_INDICATORS])
            for name, m in zip(self.month_names, self.months, strict=True)
            for center in self.centers
        ]

    @property
    def center_totals(self) -> list[tuple[ReceptionCenter, list[int]]]:
        """(centre, [received, aid, reintegration]): unique persons in the whole period."""
        return [
            (center, [table.cells.get((center.code, ALL)) or 0 for table in self.funnel_tables])
            for center in self.centers
        ]

    @property
    def center_codes(self) -> list[str]:
        return [center.code for center in self.centers]

    @property
    def center_series(self) -> list[tuple[str, list[int]]]:
        rows = [values for _center, values in self.center_totals]
        return [
            (str(STEP_LABELS[code]), [values[index] for values in rows])
            for index, code in enumerate(UPTAKE_INDICATORS)
        ]

    @property
    def uptake_labels(self) -> list[str]:
        return [str(STEP_LABELS[code]) for code in UPTAKE_INDICATORS]

    @property
    def funnel_labels(self) -> list[str]:
        return [str(STEP_LABELS[step.code]) for step in self.funnel]

    @property
    def funnel_values(self) -> list[int]:
        return [step.count for step in self.funnel]

    @property
    def service_names(self) -> list[str]:
        return [row.name for row in self.services]

    @property
    def service_counts(self) -> list[int]:
        return [row.deliveries for row in self.services]

    @property
    def follow_up_centers(self) -> list[str]:
        return [row.center.code for row in self.follow_ups if row.center is not None]

    @property
    def follow_up_series(self) -> list[tuple[str, list[int]]]:
        return [
            (str(label), [getattr(row, name) for row in self.follow_ups])
            for name, label in FOLLOW_UP_STATES
        ]


def months_of(period: Period) -> list[Period]:
    """The calendar months of a whole period, in order (a month period is its own only month)."""
    found = []
    day = period.start.replace(day=1)
    while day <= period.end:
        found.append(month(day.year, day.month))
        day = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
    return found


def uptake_by_month(*, period: Period, center_ids: frozenset[int]) -> list[MonthUptake]:
    """Persons received, given aid and given reintegration services, month by month and centre."""
    months = []
    for each in months_of(period):
        totals: dict[str, int] = {}
        by_center: dict[str, dict[str, int]] = {}
        tables = _uptake_tables(period=each, center_ids=center_ids)
        for indicator, table in zip(UPTAKE_INDICATORS, tables, strict=True):
            totals[indicator] = table.total or 0
            for code in table.rows:
                by_center.setdefault(code, {})[indicator] = table.cells[(code, ALL)] or 0
        months.append(MonthUptake(each, totals, by_center, tables))
    return months


def _uptake_tables(*, period: Period, center_ids: frozenset[int]) -> list[Table]:
    """The uptake indicators by centre, in the order of UPTAKE_INDICATORS."""
    return [
        report_compute(indicator=indicator, period=period, dims=("center",), center_ids=center_ids)
        for indicator in UPTAKE_INDICATORS
    ]


def _local_window(field_name: str, period: Period, centers: list[ReceptionCenter]) -> Q:
    """`field_name` (a datetime) falls within the period's dates at its centre's time zone.

    The centres are grouped by time zone here (they are loaded already), so the database
    filters on the row's own columns, with no join to the centres.
    """
    zones: dict[str, list[int]] = {}
    for center in centers:
        zones.setdefault(center.time_zone, []).append(center.pk)
    window = Q(pk__in=[])
    for tz_name, center_ids in zones.items():
        start, end = local_bounds(period, tz_name)
        window |= Q(
            **{"center_id__in": center_ids, f"{field_name}__gte": start, f"{field_name}__lt": end}
        )
    return window


def cases_opened_and_completed(*, period: Period, centers: list[ReceptionCenter]) -> dict[str, int]:
    """Unique persons with a case opened in the period, and with a case closed in it as
    reintegrated; one query over the period's cases. Persons who refused to be counted in
    statistics are left out by the rule every indicator uses (reporting.consent)."""
    opened = _local_window("opened_at", period, centers)
    completed = _local_window("closed_at", period, centers) & Q(
        status=Case.Status.CLOSED,
        closure_reason_id__in=ClosureReason.objects.filter(code=COMPLETED_REASON).values("pk"),
    )
    found = counted_only(Case.objects.filter(opened | completed)).aggregate(
        case_opened=Count("person", distinct=True, filter=opened),
        completed=Count("person", distinct=True, filter=completed),
    )
    return {key: value or 0 for key, value in found.items()}


def uptake_funnel(
    *, period: Period, centers: list[ReceptionCenter]
) -> tuple[list[FunnelStep], list[Table]]:
    """Received → aid → case opened → reintegration service → completed, unique persons.

    The indicator tables are by centre: their totals are the funnel's (distinct persons over
    all the centres, not the sum of the rows) and their rows the period's uptake per centre.
    """
    center_ids = frozenset(center.pk for center in centers)
    counts = cases_opened_and_completed(period=period, centers=centers)
    tables = _uptake_tables(period=period, center_ids=center_ids)
    for indicator, table in zip(UPTAKE_INDICATORS, tables, strict=True):
        counts[indicator] = table.total or 0
    received = counts["received"]
    steps = [
        FunnelStep(
            code,
            counts[code],
            round(100 * counts[code] / received, 1) if received else None,
        )
        for code in FUNNEL_STEPS
    ]
    return steps, tables


def services_by_type(
    *, period: Period, center_ids: frozenset[int]
) -> tuple[list[ServiceUptake], Table]:
    """Deliveries (rows) and quantities by service type, most delivered first."""
    table = report_compute(
        indicator="services_delivered",
        period=period,
        dims=("service_type",),
        center_ids=center_ids,
    )
    names = dimension_labels("service_type", table.rows)
    quantities = table.quantities or {}
    rows = [
        ServiceUptake(
            code,
            names.get(code, code),
            table.cells[(code, ALL)] or 0,
            quantities.get((code, ALL)) or 0,
        )
        for code in table.rows
    ]
    rows.sort(key=lambda row: (-row.deliveries, row.name))
    return rows, table


def follow_up_compliance(
    *, period: Period, centers: list[ReceptionCenter], today: date | None = None
) -> tuple[list[FollowUpCompliance], FollowUpCompliance]:
    """Follow-ups due in the period, by centre: done by the due date, done late, overdue, not
    yet due. One GROUP BY query. "Done by the due date" compares the local date of done_at (the
    project time zone; the three countries share UTC-6) with the due date."""
    today = today or timezone.localdate()
    done = Q(done_at__isnull=False)
    grouped = (
        FollowUp.objects.filter(
            case__center_id__in=[c.pk for c in centers],
            due_date__gte=period.start,
            due_date__lte=period.end,
        )
        .values("case__center_id")
        .annotate(
            scheduled=Count("pk"),
            on_time=Count("pk", filter=done & Q(done_at__date__lte=F("due_date"))),
            late=Count("pk", filter=done & Q(done_at__date__gt=F("due_date"))),
            overdue=Count("pk", filter=Q(done_at__isnull=True, due_date__lt=today)),
            not_yet_due=Count("pk", filter=Q(done_at__isnull=True, due_date__gte=today)),
        )
        .order_by()
    )
    by_center = {row.pop("case__center_id"): row for row in grouped}
    rows = [FollowUpCompliance(center, **by_center.get(center.pk, {})) for center in centers]
    total = FollowUpCompliance(None)
    for row in rows:
        total.scheduled += row.scheduled
        total.on_time += row.on_time
        total.late += row.late
        total.overdue += row.overdue
        total.not_yet_due += row.not_yet_due
    return rows, total


def dashboard_get(*, period: Period, centers: list[ReceptionCenter]) -> Dashboard:
    """Every panel of the dashboard for the period and centres (already within the user's)."""
    center_ids = frozenset(center.pk for center in centers)
    months = uptake_by_month(period=period, center_ids=center_ids)
    funnel, funnel_tables = uptake_funnel(period=period, centers=centers)
    services, services_table = services_by_type(period=period, center_ids=center_ids)
    follow_ups, follow_up_total = follow_up_compliance(period=period, centers=centers)
    tables = [t for m in months for t in m.tables]
    tables += [*funnel_tables, services_table]
    stamps = [table.data_as_of for table in tables if table.data_as_of is not None]
    return Dashboard(
        period=period,
        centers=centers,
        months=months,
        funnel=funnel,
        services=services,
        follow_ups=follow_ups,
        follow_up_total=follow_up_total,
        data_as_of=min(stamps) if stamps else None,
        tables=tables,
        funnel_tables=funnel_tables,
    )

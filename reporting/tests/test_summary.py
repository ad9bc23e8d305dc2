"""The summary tables stay equal to the base tables as caseworkers record, void and correct.

Every test builds the summary once, changes something through the same actions the screens
use, lets the transaction's on-commit callbacks run (as they do after a real request), and
compares the summary with a count straight from the base tables.
"""

from __future__ import annotations

import io
import uuid
import zoneinfo
from datetime import timedelta

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from casework.models import Case
from intake.models import Arrival
from intake.tests.factories import ArrivalFactory
from registry.actions import consents_record, person_merge, person_unmerge
from registry.models import RECORD_KEY_RANGE, Consent, Department, Person, VulnerabilityCategory
from registry.tests.factories import PersonFactory
from reporting import summary
from reporting.disaggregations import applicable
from reporting.indicators import BASE, INDICATORS, SUMMARY, report_compute
from reporting.models import EventFact, SummaryState, SummaryTable
from reporting.periods import fiscal_year, month, period_parse
from services.actions import distribution_record_bulk, service_delivery_void
from services.models import ServiceDelivery
from services.tests.factories import ServiceDeliveryFactory, person_arrived, service_type


def _same(indicator, period, dims=()):
    """The summary's table equals the base tables' table, cell by cell and in the margins."""
    fresh = report_compute(indicator=indicator, period=period, dims=dims, source=SUMMARY)
    base = report_compute(indicator=indicator, period=period, dims=dims, source=BASE)
    assert (fresh.rows, fresh.cols, fresh.cells) == (base.rows, base.cols, base.cells)
    assert (fresh.row_totals, fresh.col_totals, fresh.total) == (
        base.row_totals,
        base.col_totals,
        base.total,
    )
    assert _key_sums(fresh) == _key_sums(base)
    return fresh


def _key_sums(table):
    """The cell keys (reporting.disclosure): key sums modulo the key range, every entry."""

    def reduced(values):
        return {entry: n % RECORD_KEY_RANGE for entry, n in values.items()}

    return (
        reduced(table.keys),
        reduced(table.key_row_totals),
        reduced(table.key_col_totals),
        table.key_total % RECORD_KEY_RANGE,
    )


@pytest.fixture(autouse=True)
def _refresh_in_process(eager):
    """The refresh runs when the change commits, as in the embedded default, broker or not."""


@pytest.fixture(autouse=True)
def _clock(frozen_clock):
    """Arrivals made "yesterday" must fall in "this month": never start on the 1st."""


@pytest.fixture
def today(center_a):
    return center_a.local_now().date()


@pytest.fixture
def this_month(today):
    return month(today.year, today.month)


@pytest.fixture
def arrived(center_a, caseworker, django_capture_on_commit_callbacks):
    # committed, as a finished request would be: the next change starts a refresh of its own
    with django_capture_on_commit_callbacks(execute=True):
        return [person_arrived(center_a, days_ago=1, registered_by=caseworker) for _ in range(3)]


@pytest.fixture
def built(arrived):
    summary.summary_rebuild()
    return arrived


def test_nothing_is_kept_until_the_summary_is_built(arrived, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        ServiceDeliveryFactory(person=arrived[0], center=arrived[0].arrivals.first().center)
    assert not summary.summary_built()
    assert EventFact.objects.count() == 0
    # and the reports count the base tables meanwhile
    assert report_compute(indicator="received", period=fiscal_year(2030)).total == 0


def test_a_full_build_counts_what_the_base_tables_count(built, this_month):
    assert summary.summary_built()
    assert EventFact.objects.filter(event=EventFact.Event.ARRIVAL).count() == 3
    for indicator in INDICATORS:
        _same(indicator, this_month)
    assert _same("received", this_month, ("sex", "age_band")).total == 3


def test_a_delivery_recorded_after_the_build_is_counted_once_it_commits(
    built, center_a, today, this_month, django_capture_on_commit_callbacks
):
    report_compute(indicator="received_aid", period=this_month)  # kept, with 0
    with django_capture_on_commit_callbacks(execute=True):
        ServiceDeliveryFactory(person=built[0], center=center_a, delivered_on=today)

    table = _same("received_aid", this_month)
    assert table.total == 1
    # the kept table of the month was dropped and computed again by the follow-up task
    kept = SummaryTable.objects.get(indicator="received_aid", period=this_month.label, dims="")
    assert kept.counts["total"] == 1


def test_a_voided_delivery_stops_counting(
    built, center_a, caseworker, today, this_month, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        delivery = ServiceDeliveryFactory(person=built[0], center=center_a, delivered_on=today)
    assert report_compute(indicator="services_delivered", period=this_month).total == 1

    with django_capture_on_commit_callbacks(execute=True):
        service_delivery_void(actor=caseworker, delivery=delivery, reason="typed twice")

    assert _same("services_delivered", this_month).total == 0


def test_a_bulk_distribution_refreshes_every_person_in_it(
    built, center_a, caseworker, today, this_month, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        distribution_record_bulk(
            actor=caseworker,
            center=center_a,
            delivered_on=today,
            items=[
                {"service_type": service_type("hygiene_kit"), "quantity": 1},
                {"service_type": service_type("food"), "quantity": 2},
            ],
            person_ids=[p.pk for p in built],
            client_uuid=uuid.uuid4(),
        )
    assert ServiceDelivery.objects.count() == 6
    assert _same("received_aid", this_month).total == 3
    delivered = _same("services_delivered", this_month, ("service_type",))
    assert delivered.total == 6
    assert delivered.quantity_total == 9


def test_a_refusal_to_be_counted_takes_the_person_out_everywhere(
    built, caseworker, this_month, django_capture_on_commit_callbacks
):
    report_compute(indicator="received", period=this_month, dims=("sex",))
    with django_capture_on_commit_callbacks(execute=True):
        consents_record(
            actor=caseworker,
            person=built[1],
            consents={Consent.Kind.ANONYMISED_STATISTICS: False},
        )
    assert _same("received", this_month, ("sex",)).total == 2
    assert not EventFact.objects.filter(person=built[1]).exists()


def test_a_vulnerability_recorded_on_a_case_moves_the_person_between_cells(
    built, center_a, caseworker, this_month, django_capture_on_commit_callbacks
):
    category = VulnerabilityCategory.objects.order_by("sort_order").first()
    before = _same("received", this_month, ("vulnerability",))
    assert before.cells[(category.code, "all")] == 0
    with django_capture_on_commit_callbacks(execute=True):
        case = Case.objects.create(
            number="CA-T-1", person=built[2], center=center_a, opened_by=caseworker
        )
        case.vulnerabilities.add(category)
    after = _same("received", this_month, ("vulnerability",))
    assert after.cells[(category.code, "all")] == 1
    assert after.cells[("none", "all")] == 2


def test_a_second_arrival_makes_a_repeat_returnee(
    built, center_a, caseworker, this_month, django_capture_on_commit_callbacks
):
    assert report_compute(indicator="repeat_returnees", period=this_month).total == 0
    first = built[0].arrivals.get().arrived_at
    with django_capture_on_commit_callbacks(execute=True):
        ArrivalFactory(
            person=built[0],
            center=center_a,
            arrived_at=first + timedelta(hours=2),
            registered_by=caseworker,
        )
    assert _same("repeat_returnees", this_month).total == 1
    assert _same("repeat_arrivals", this_month).total == 1


def test_a_rolled_back_change_enqueues_nothing(
    built, center_a, today, django_capture_on_commit_callbacks
):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        ServiceDeliveryFactory(person=built[0], center=center_a, delivered_on=today)
        raise RuntimeError("the form failed")
    assert callbacks == []


def test_one_refresh_per_transaction_whatever_the_number_of_rows(
    built, center_a, today, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        for person in built:
            ServiceDeliveryFactory(person=person, center=center_a, delivered_on=today)
    assert len(callbacks) == 1
    assert callbacks[0].person_ids == {p.pk for p in built}


def test_tables_of_other_periods_are_kept(
    built, center_a, today, this_month, django_capture_on_commit_callbacks
):
    report_compute(indicator="received", period=fiscal_year(2010))
    with django_capture_on_commit_callbacks(execute=True):
        ServiceDeliveryFactory(person=built[0], center=center_a, delivered_on=today)
    assert SummaryTable.objects.filter(period="FY2010").exists()


def test_data_as_of_is_when_the_events_were_last_brought_up_to_date(
    built, center_a, today, this_month, django_capture_on_commit_callbacks
):
    first = report_compute(indicator="received_aid", period=this_month).data_as_of
    assert first == SummaryState.objects.get().refreshed_at
    with django_capture_on_commit_callbacks(execute=True):
        ServiceDeliveryFactory(person=built[0], center=center_a, delivered_on=today)
    later = report_compute(indicator="received_aid", period=this_month).data_as_of
    assert later == SummaryState.objects.get().refreshed_at
    assert later > first


def test_a_table_counted_while_the_events_changed_is_not_kept(built, this_month):
    rule = INDICATORS["received"]
    stale = summary._table_from_facts(
        indicator="received",
        rule=rule,
        period=this_month,
        dims=(),
        center_ids=None,
        data_as_of=SummaryState.objects.get().refreshed_at - timedelta(seconds=1),
    )
    key = {"indicator": "received", "period": this_month.label, "dims": "", "scope": ""}
    summary._table_keep(key=key, period=this_month, table=stale)
    assert not SummaryTable.objects.filter(**key).exists()


def test_centre_scoped_tables_are_kept_apart(built, center_a, center_b, this_month):
    ArrivalFactory(center=center_b)
    summary.summary_rebuild()
    national = report_compute(indicator="received", period=this_month)
    scoped = report_compute(
        indicator="received", period=this_month, center_ids=frozenset({center_a.pk})
    )
    assert (national.total, scoped.total) == (4, 3)
    assert SummaryTable.objects.filter(scope=str(center_a.pk)).count() == 1


def test_the_nightly_rebuild_is_scheduled():
    schedule = settings.CELERY_BEAT_SCHEDULE
    assert any(entry["task"] == "reporting.summary_rebuild" for entry in schedule.values())


def test_the_rebuild_computes_again_the_tables_that_were_kept(built, this_month):
    report_compute(indicator="received", period=this_month, dims=("sex",))
    PersonFactory()  # no event: nothing changes, but the table is computed anew
    before = SummaryTable.objects.get(period=this_month.label, dims="sex").computed_at
    result = summary.summary_rebuild()
    assert result["tables"] == 1
    assert SummaryTable.objects.get(period=this_month.label, dims="sex").computed_at > before


def test_the_rebuild_command_builds_the_summary(arrived):
    out = io.StringIO()
    call_command("summary_rebuild", stdout=out)
    assert "3 counted events" in out.getvalue()
    assert summary.summary_built()


KEPT_DIMS = [
    (),
    ("department",),
    ("service_type",),
    ("sex", "department"),
    ("vulnerability", "center"),
    ("unaccompanied_minor", "age_band"),
]


def _kept_everywhere(periods):
    """Keep a table of every indicator × these dimensions × periods, national and scoped."""
    for period in periods:
        for indicator, rule in INDICATORS.items():
            for dims in KEPT_DIMS:
                if all(applicable(code, rule.event) for code in dims):
                    report_compute(indicator=indicator, period=period, dims=dims)


def _all_kept_match_a_fresh_count(source):
    """Every kept table equals the same table counted afresh, from the events or the base."""
    checked = 0
    for kept in SummaryTable.objects.all():
        period = period_parse(kept.period)
        dims = tuple(code for code in kept.dims.split(",") if code)
        scope = frozenset(int(pk) for pk in kept.scope.split(",")) if kept.scope else None
        rule = INDICATORS[kept.indicator]
        table = summary._table_load(
            indicator=kept.indicator, rule=rule, period=period, dims=dims, counts=kept.counts
        )
        if source == SUMMARY:
            fresh = summary._table_from_facts(
                indicator=kept.indicator,
                rule=rule,
                period=period,
                dims=dims,
                center_ids=scope,
                data_as_of=table.data_as_of,
            )
        else:
            fresh = report_compute(
                indicator=kept.indicator, period=period, dims=dims, center_ids=scope, source=BASE
            )
        where = f"{kept.indicator} {kept.period} {kept.dims} [{kept.scope}]"
        assert (table.rows, table.cols) == (fresh.rows, fresh.cols), where
        assert table.cells == fresh.cells, where
        assert (table.row_totals, table.col_totals, table.total) == (
            fresh.row_totals,
            fresh.col_totals,
            fresh.total,
        ), where
        assert table.quantities == fresh.quantities, where
        # The record key sums move with a person's refresh exactly like the counts.
        assert _key_sums(table) == _key_sums(fresh), where
        checked += 1
    return checked


def test_kept_tables_follow_every_kind_of_change(
    center_a, center_b, caseworker, django_capture_on_commit_callbacks
):
    """Each change moves the changed persons' share of every kept table: after a series of
    changes of every kind, every kept table still equals a fresh count of the base tables."""
    today = center_a.local_now().date()
    departments = list(Department.objects.order_by("iso_code")[:3])
    categories = list(VulnerabilityCategory.objects.order_by("sort_order")[:2])
    with django_capture_on_commit_callbacks(execute=True):
        people = []
        for n in range(6):
            person = person_arrived(
                center_a if n % 2 else center_b,
                days_ago=1 + n,
                registered_by=caseworker,
                sex=Person.Sex.values[n % 2],
                origin_department=departments[n % 2],
            )
            people.append(person)
        for person in people[:4]:
            ServiceDeliveryFactory(person=person, center=center_a, delivered_on=today)
    summary.summary_rebuild()
    periods = [month(today.year, today.month), fiscal_year(today.year + 1)]
    _kept_everywhere(periods)
    report_compute(
        indicator="received", period=periods[0], dims=("sex",), center_ids=frozenset({center_a.pk})
    )
    kept = SummaryTable.objects.count()
    assert kept > 50

    changes = [
        # a new person in a department nobody came from yet: a new row in open dimensions
        lambda: person_arrived(
            center_a, days_ago=0, registered_by=caseworker, origin_department=departments[2]
        ),
        lambda: ServiceDeliveryFactory(
            person=people[5], center=center_b, delivered_on=today, quantity=3
        ),
        lambda: ServiceDeliveryFactory(
            person=people[0],
            center=center_a,
            delivered_on=today,
            service_type=service_type("vocational_training"),
            training_completed=True,
        ),
        lambda: service_delivery_void(
            actor=caseworker, delivery=people[1].service_deliveries.first(), reason="twice"
        ),
        # the only person of a department leaves it: its row goes from the open dimension
        lambda: _person_moves(people[2], departments[2]),
        lambda: consents_record(
            actor=caseworker, person=people[3], consents={Consent.Kind.ANONYMISED_STATISTICS: False}
        ),
        lambda: consents_record(
            actor=caseworker, person=people[3], consents={Consent.Kind.ANONYMISED_STATISTICS: True}
        ),
        lambda: Case.objects.create(
            number="CA-T-9", person=people[4], center=center_a, opened_by=caseworker
        ).vulnerabilities.set(categories),
        lambda: Case.objects.get(number="CA-T-9").vulnerabilities.remove(categories[0]),
        lambda: ArrivalFactory(
            person=people[4], center=center_b, registered_by=caseworker, arrived_at=timezone.now()
        ),
    ]
    for change in changes:
        with django_capture_on_commit_callbacks(execute=True):
            change()
        assert _all_kept_match_a_fresh_count(SUMMARY) == kept
    # and the events themselves still count what the base tables count
    assert _all_kept_match_a_fresh_count(BASE) == kept


def _person_moves(person, department):
    person.origin_department = department
    person.save(update_fields=["origin_department"])


def test_the_nightly_rebuild_computes_the_donor_report_ahead(arrived):
    from reporting.exports import EXPORT_DIMS
    from reporting.summary import fiscal_year_of
    from reporting.tasks import summary_rebuild as nightly

    nightly.delay()
    this_year = fiscal_year_of(timezone.now().date())
    for year in (this_year, this_year - 1):
        kept = SummaryTable.objects.filter(period=f"FY{year}", scope="")
        assert kept.filter(indicator="received", dims="").exists()
        assert {"", *EXPORT_DIMS} <= set(kept.values_list("dims", flat=True))
    period = fiscal_year(this_year)
    assert report_compute(indicator="received", period=period).total == (
        report_compute(indicator="received", period=period, source=BASE).total
    )


def test_the_fiscal_year_of_a_day_starts_in_october():
    from datetime import date

    from reporting.summary import fiscal_year_of

    assert fiscal_year_of(date(2026, 9, 30)) == 2026
    assert fiscal_year_of(date(2026, 10, 1)) == 2027


def _brute_force_received(period) -> int:
    """Unique persons with an arrival in the period, straight from the rows, in Python."""
    centers = {}
    persons = set()
    for arrival in Arrival.objects.select_related("center"):
        zone = centers.setdefault(arrival.center_id, arrival.center.time_zone)
        local = timezone.localtime(arrival.arrived_at, zoneinfo.ZoneInfo(zone)).date()
        if period.start <= local <= period.end:
            persons.add(arrival.person_id)
    return len(persons)


def test_a_merge_takes_one_person_from_the_kept_counts_and_an_unmerge_gives_them_back(
    built, center_a, supervisor, today, this_month, django_capture_on_commit_callbacks
):
    kept, other = built[0], built[1]
    with django_capture_on_commit_callbacks(execute=True):
        ServiceDeliveryFactory(person=other, center=center_a, delivered_on=today)
    for indicator in INDICATORS:
        _same(indicator, this_month)  # kept tables, as the donor report keeps them
    assert _same("received", this_month).total == _brute_force_received(this_month) == 3

    with django_capture_on_commit_callbacks(execute=True):
        merge = person_merge(
            actor=supervisor,
            survivor_id=kept.pk,
            merged_id=other.pk,
            reason="Mismo DPI",
            expected_versions=(kept.version, other.version),
        )
    assert _same("received", this_month, ("sex",)).total == _brute_force_received(this_month) == 2
    for indicator in INDICATORS:
        _same(indicator, this_month)
    kept_table = SummaryTable.objects.get(indicator="received", period=this_month.label, dims="")
    assert kept_table.counts["total"] == 2

    with django_capture_on_commit_callbacks(execute=True):
        person_unmerge(actor=supervisor, merge_id=merge.pk, reason="Eran hermanos")
    assert _same("received", this_month, ("sex",)).total == _brute_force_received(this_month) == 3
    for indicator in INDICATORS:
        _same(indicator, this_month)


# --- batched under a broker (reporting/refreshing.py) -------------------------------------------


@pytest.fixture
def broker(eager, monkeypatch):
    """As under a broker with workers: tasks are sent, not run; what is sent is recorded."""
    from django.core.cache import caches

    from config.celery import app
    from reporting import tasks

    sent: list[dict] = []
    app.conf.task_always_eager = False  # the eager fixture puts it back
    monkeypatch.setattr(tasks.summary_refresh_pending, "apply_async", lambda **kw: sent.append(kw))
    caches[settings.THROTTLE_CACHE].clear()
    yield sent
    caches[settings.THROTTLE_CACHE].clear()


def test_a_rush_of_writes_is_refreshed_in_one_batch_with_the_same_counts(
    built, center_a, caseworker, today, this_month, broker, django_capture_on_commit_callbacks
):
    from reporting.models import SummaryPending
    from reporting.refreshing import refresh_pending

    report_compute(indicator="received_aid", period=this_month)  # kept, with 0
    for person in [*built, built[0]]:  # four requests, each its own transaction
        with django_capture_on_commit_callbacks(execute=True):
            ServiceDeliveryFactory(person=person, center=center_a, delivered_on=today)

    # one refresh scheduled for the rush, a few seconds on; the persons wait for it
    assert broker == [{"countdown": settings.SUMMARY_REFRESH_DELAY}]
    assert SummaryPending.objects.count() == 4
    kept = SummaryTable.objects.get(indicator="received_aid", period=this_month.label, dims="")
    assert kept.counts["total"] == 0

    done = refresh_pending()
    assert (done["persons"], done["batches"]) == (3, 1)  # three persons, refreshed together
    assert not SummaryPending.objects.exists()
    assert _same("received_aid", this_month).total == 3
    # the next change schedules the next run itself
    with django_capture_on_commit_callbacks(execute=True):
        ServiceDeliveryFactory(person=built[1], center=center_a, delivered_on=today)
    assert len(broker) == 2


def test_the_queue_is_drained_every_minute_should_a_run_be_lost():
    schedule = settings.CELERY_BEAT_SCHEDULE["reporting-summary-refresh-pending"]
    assert schedule["task"] == "reporting.summary_refresh_pending"

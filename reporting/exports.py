"""Donor report exports (XLSX and HXL-tagged CSV) and the export jobs that build them.

An export is disclosure-controlled aggregate data only: for each indicator of a period, the
headline total and the tables by sex, age band and department of origin, every table passed
through `disclosure_apply`. No row about a person is ever written.

Both files open as they are meant to in the spreadsheet programs donors use: XLSX cells are typed
(labels are text, so the age band "60+" stays "60+") and departments carry their ISO 3166-2 code;
the CSV is UTF-8 with a byte-order mark, tagged with HXL core hashtags (`#x_` extensions where
the standard has none), and passes libhxl's `hxlvalidate` (see the tests).

Jobs need no database table: each lives in MEDIA_ROOT/exports/<uuid>/ as `status.json` (state,
progress, creator, dates, file name, error) next to the file it produces. The web process and
the Celery worker share that directory (a shared volume in docker-compose). Every export
requested is written to the audit log (see `export_audit`).
"""

from __future__ import annotations

import csv
import json
import logging
import os
import shutil
import tempfile
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from registry.permissions import user_center_ids
from registry.roles import PROGRAMME_MANAGER
from registry.throttling import UserLimit

from .disaggregations import DISAGGREGATIONS, age_band_text, dimension_labels
from .disclosure import default_k, disclosure_apply
from .indicators import ALL, INDICATORS, Table, report_compute
from .periods import Period, period_parse
from .releases import PeriodNotReleased, period_released, released_table, scope_note

logger = logging.getLogger(__name__)

XLSX, CSV = "xlsx", "csv"
KINDS = (XLSX, CSV)
CONTENT_TYPES = {
    XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    CSV: "text/csv; charset=utf-8",
}
EXPORT_DIMS: tuple[str, ...] = ("sex", "age_band", "department")
PENDING, RUNNING, DONE, FAILED = "pending", "running", "done", "failed"
SUPPRESSED_MARK = "—"
VIEW_AGGREGATES = "reporting.view_aggregates"
# The rate of export jobs a user may start: REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["exports"].
EXPORT_LIMIT_SCOPE = "exports"
# A spreadsheet reads these as the start of a formula (CSV/formula injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Columns of the CSV and their HXL hashtags (second row): HXL 1.1 core hashtags, and `#x_`
# extensions where the standard has none. A period's dates are #date+start and #date+end in
# ISO 8601 (libhxl's validator wants a date in every #date column, so the label is not one).
CSV_COLUMNS: tuple[tuple[str, str], ...] = (
    ("indicator", "#indicator+code"),
    ("indicator_name", "#indicator+name"),
    ("unit", "#indicator+unit"),
    ("period", "#x_period+code"),
    ("period_start", "#date+start"),
    ("period_end", "#date+end"),
    ("disaggregation", "#meta+disaggregation"),
    ("sex", "#x_sex+code"),
    ("age_band", "#x_age+band"),
    ("department_code", "#adm1+code"),
    ("department_name", "#adm1+name"),
    ("value", "#indicator+value+num"),
    ("quantity", "#indicator+quantity+num"),
    ("suppressed", "#meta+suppressed"),
)
CSV_DIM_COLUMN = {"sex": "sex", "age_band": "age_band", "department": "department_code"}


def ttl_hours() -> int:
    return int(getattr(settings, "REPORTING_EXPORT_TTL_HOURS", 24))


def neutralise(value: Any) -> Any:
    """A text a spreadsheet would run as a formula becomes literal text (leading quote)."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


# --- the tables ---------------------------------------------------------------------------------


@dataclass
class IndicatorReport:
    code: str
    name: str
    definition: str
    unit: str
    headline: Table
    by_dim: dict[str, Table]
    labels: dict[str, dict[str, str]]  # dim -> value -> display name


def indicator_definitions() -> list[tuple[str, str, str]]:
    """(rule code, name, definition) of the active indicators, from the data when present."""
    from .models import Indicator

    rows = [
        (i.counting_rule, i.name, i.definition)
        for i in Indicator.objects.filter(active=True, counting_rule__in=list(INDICATORS))
    ]
    if rows:
        return rows
    return [(code, str(rule.label), str(rule.label)) for code, rule in INDICATORS.items()]


def published_table(
    indicator: str,
    period: Period,
    dims: tuple[str, ...],
    *,
    center_ids: frozenset[int] | None,
    k: int,
) -> Table:
    """One table as its reader gets it: for all centres (a donor), the release of the period
    (PeriodNotReleased if there is none); for some centres (a programme manager, who may read
    their records), computed now and perturbed by the cell-key method."""
    if center_ids is None:
        released = released_table(period=period, indicator=indicator, dims=dims)
        if released is None:
            raise PeriodNotReleased(period.label)
        return released
    raw = report_compute(indicator=indicator, period=period, dims=dims, center_ids=center_ids)
    return disclosure_apply(raw, k=k)


def report_build(
    *,
    period: Period,
    center_ids: frozenset[int] | None,
    k: int,
    progress: Callable[[int, int], None] | None = None,
) -> list[IndicatorReport]:
    """Every active indicator for the period, headline and by EXPORT_DIMS, suppressed."""
    definitions = indicator_definitions()
    steps, done = len(definitions) * (1 + len(EXPORT_DIMS)), 0
    reports = []
    for code, name, definition in definitions:
        tables: dict[str, Table] = {}
        labels: dict[str, dict[str, str]] = {}
        headline = published_table(code, period, (), center_ids=center_ids, k=k)
        done += 1
        for dim in EXPORT_DIMS:
            tables[dim] = published_table(code, period, (dim,), center_ids=center_ids, k=k)
            labels[dim] = dimension_labels(dim, tables[dim].rows)
            done += 1
            if progress:
                progress(done, steps)
        reports.append(
            IndicatorReport(code, name, definition, headline.unit, headline, tables, labels)
        )
    return reports


def _shown(value: int | None) -> int | str:
    return SUPPRESSED_MARK if value is None else value


def _data_as_of(reports: list[IndicatorReport]) -> datetime | None:
    stamps = [r.headline.data_as_of for r in reports]
    return min(stamps) if stamps else None


def _scope_text(center_ids: frozenset[int] | None) -> str:
    from registry.models import ReceptionCenter

    if center_ids is None:
        return _("All reception centres")
    codes = ReceptionCenter.objects.filter(pk__in=center_ids).values_list("code", flat=True)
    return ", ".join(sorted(codes)) or _("No reception centre")


# --- XLSX ---------------------------------------------------------------------------------------


def xlsx_write(
    reports: list[IndicatorReport],
    *,
    path: Path,
    period: Period,
    k: int,
    center_ids: frozenset[int] | None,
) -> None:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    bold = Font(bold=True)

    def heading(sheet: Any, text: str) -> list:
        cell = WriteOnlyCell(sheet, value=neutralise(text))
        cell.font = bold
        return [cell]

    def text(sheet: Any, value: str) -> WriteOnlyCell:
        """A label typed as text, so no spreadsheet reads "60+" or "5-11" as a number or date."""
        cell = WriteOnlyCell(sheet, value=neutralise(str(value)))
        cell.data_type = "s"
        return cell

    for report in reports:
        sheet = workbook.create_sheet(title=report.code[:31])
        sheet.append(heading(sheet, report.name))
        sheet.append([neutralise(report.definition)])
        sheet.append([_("Period"), period.label, period.start, period.end])
        quantities = report.headline.quantities is not None
        total_row = [_("Total"), _shown(report.headline.total)]
        if quantities:
            total_row += [_("Quantity"), _shown(report.headline.quantity_total)]
        sheet.append(total_row)
        for dim in EXPORT_DIMS:
            table = report.by_dim[dim]
            # Departments carry their ISO 3166-2 code beside the name: "La Paz" is HN-LP in
            # Honduras and SV-PA in El Salvador.
            coded = dim == "department"
            sheet.append([])
            sheet.append(heading(sheet, str(DISAGGREGATIONS[dim].label)))
            header = [_("Code")] if coded else []
            header += [str(DISAGGREGATIONS[dim].label), _("Count")]
            if quantities:
                header.append(_("Quantity"))
            sheet.append(header)
            for row in table.rows:
                line = [text(sheet, row)] if coded else []
                line += [
                    text(sheet, report.labels[dim].get(row, row)),
                    _shown(table.cells[(row, ALL)]),
                ]
                if quantities:
                    line.append(_shown((table.quantities or {}).get((row, ALL))))
                sheet.append(line)
            total = [None] if coded else []
            total += [_("Total"), _shown(table.total)]
            if quantities:
                total.append(_shown(table.quantity_total))
            sheet.append(total)
            if table.suppressed or table.suppressed_totals:
                sheet.append([scope_note(period, center_ids=center_ids, k=k)])

    notes = workbook.create_sheet(title=_("Notes")[:31])
    notes.append(heading(notes, _("Donor report: notes")))
    notes.append([_("Period"), period.label, period.start, period.end])
    as_of = _data_as_of(reports)
    notes.append([_("Data as of"), timezone.localtime(as_of).replace(tzinfo=None) if as_of else ""])
    notes.append([_("Reception centres"), neutralise(_scope_text(center_ids))])
    notes.append([_("Disclosure control"), scope_note(period, center_ids=center_ids, k=k)])
    notes.append([])
    notes.append(heading(notes, _("Indicator definitions")))
    notes.append([_("Code"), _("Name"), _("Definition")])
    for report in reports:
        notes.append([report.code, neutralise(report.name), neutralise(report.definition)])
    workbook.save(path)


# --- CSV ----------------------------------------------------------------------------------------


def _csv_rows(reports: list[IndicatorReport], *, period: Period) -> Iterator[list[Any]]:
    names = [name for name, _tag in CSV_COLUMNS]
    yield names
    yield [tag for _name, tag in CSV_COLUMNS]

    def line(report: IndicatorReport, **values: Any) -> list[Any]:
        values.update(
            indicator=report.code,
            indicator_name=report.name,
            unit=report.unit,
            period=period.label,
            period_start=period.start.isoformat(),
            period_end=period.end.isoformat(),
        )
        return [neutralise(values.get(name, "")) for name in names]

    for report in reports:
        head = report.headline
        yield line(
            report,
            disaggregation="total",
            value=_blank(head.total),
            quantity=_blank(head.quantity_total),
            suppressed=_flag(head.total),
        )
        for dim in EXPORT_DIMS:
            table = report.by_dim[dim]
            for row in table.rows:
                value = table.cells[(row, ALL)]
                extra = {CSV_DIM_COLUMN[dim]: age_band_text(row) if dim == "age_band" else row}
                if dim == "department":
                    extra["department_name"] = report.labels[dim].get(row, row)
                yield line(
                    report,
                    disaggregation=dim,
                    value=_blank(value),
                    quantity=_blank((table.quantities or {}).get((row, ALL))),
                    suppressed=_flag(value),
                    **extra,
                )


def _blank(value: int | None) -> int | str:
    return "" if value is None else value


def _flag(value: int | None) -> str:
    return "yes" if value is None else ""


def csv_write(reports: list[IndicatorReport], *, path: Path, period: Period) -> None:
    # The byte-order mark is how Excel and LibreOffice know a CSV is UTF-8 ("Sololá", not
    # "SololÃ¡"); libhxl and csv readers with encoding utf-8-sig skip it.
    with path.open("w", newline="", encoding="utf-8-sig") as handle:
        writer = csv.writer(handle)
        writer.writerows(_csv_rows(reports, period=period))


# --- jobs ---------------------------------------------------------------------------------------


@dataclass
class ExportJob:
    id: str
    kind: str
    period: str
    created_by: int
    created_at: str
    expires_at: str
    language: str
    k: int
    center_ids: list[int] | None
    state: str = PENDING
    progress: int = 0
    filename: str = ""
    error: str = ""
    finished_at: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def directory(self) -> Path:
        return exports_root() / self.id

    @property
    def file_path(self) -> Path | None:
        return self.directory / self.filename if self.filename else None

    @property
    def expired(self) -> bool:
        return datetime.fromisoformat(self.expires_at) <= timezone.now()

    @property
    def expires(self) -> datetime:
        return datetime.fromisoformat(self.expires_at)

    @property
    def finished(self) -> bool:
        return self.state in (DONE, FAILED)


def exports_root() -> Path:
    return Path(settings.MEDIA_ROOT) / "exports"


def _status_path(job_id: str) -> Path:
    return exports_root() / job_id / "status.json"


def export_job_save(job: ExportJob) -> None:
    """Write the status atomically: a reader never sees half a file."""
    job.directory.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=job.directory, prefix=".status-", suffix=".json")
    with os.fdopen(handle, "w", encoding="utf-8") as out:
        json.dump(asdict(job), out)
    os.replace(temporary, _status_path(job.id))


def export_job_load(job_id: str) -> ExportJob | None:
    try:
        job_id = str(uuid.UUID(str(job_id)))
    except ValueError:
        return None
    try:
        data = json.loads(_status_path(job_id).read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return None
    return ExportJob(**data)


def can_export(user: AbstractBaseUser) -> bool:
    """Holders of reporting.view_aggregates, and programme managers."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return user.has_perm(VIEW_AGGREGATES) or user.groups.filter(name=PROGRAMME_MANAGER).exists()


def export_center_scope(user: AbstractBaseUser) -> frozenset[int] | None:
    """The centres whose records the user reads (a programme manager's programme); all centres
    (None) only for an aggregate reader who holds no centre at all, such as a donor reviewer."""
    ids = user_center_ids(user)
    if not ids and user.has_perm(VIEW_AGGREGATES):
        return None
    return ids


def export_audit(*, actor: AbstractBaseUser, job: ExportJob, action: str) -> None:
    """An access entry on the requesting user: {"export": [kind, period]} (or export_download).

    Exports are not model instances, so the entry hangs off the user who asked for it; the
    job id, the centres and k are in additional_data.
    """
    from auditlog.models import LogEntry

    LogEntry.objects.create(
        content_type=ContentType.objects.get_for_model(actor),
        object_pk=str(actor.pk),
        object_id=actor.pk,
        object_repr=actor.get_username(),
        action=LogEntry.Action.ACCESS,
        actor=actor,
        changes={action: [job.kind, job.period]},
        additional_data={"job": job.id, "center_ids": job.center_ids, "k": job.k},
    )


class ExportLimitReached(Exception):
    """The user has started as many exports as the rate allows; the message says when to retry."""

    def __init__(self, *, minutes: int) -> None:
        super().__init__(
            _(
                "You have prepared as many exports as allowed for now. "
                "You can prepare another in about %(minutes)s minutes."
            )
            % {"minutes": minutes}
        )


def export_job_create(*, actor: AbstractBaseUser, kind: str, period: str) -> ExportJob:
    """Record a new export job for `actor` (audited); the caller enqueues `export_build`.

    Counted against the user's export rate across all web processes (ExportLimitReached past
    it): each file holds every table of the period, so unlimited exports would be an
    unthrottled door beside the throttled aggregate API.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown export kind: {kind}")
    parsed = period_parse(period)
    scope = export_center_scope(actor)
    if scope is None and not period_released(parsed):
        raise PeriodNotReleased(parsed.label)
    limit = UserLimit(EXPORT_LIMIT_SCOPE)
    if not limit.take(actor):
        raise ExportLimitReached(minutes=limit.minutes_to_wait())
    now = timezone.now()
    job = ExportJob(
        id=str(uuid.uuid4()),
        kind=kind,
        period=parsed.label,
        created_by=actor.pk,
        created_at=now.isoformat(),
        expires_at=(now + timedelta(hours=ttl_hours())).isoformat(),
        language=translation.get_language() or settings.LANGUAGE_CODE,
        k=default_k(),
        center_ids=sorted(scope) if scope is not None else None,
    )
    export_job_save(job)
    export_audit(actor=actor, job=job, action="export")
    return job


def export_job_run(*, job_id: str) -> ExportJob | None:
    """Build the job's file, saving progress as it goes; a failure is recorded, not raised."""
    job = export_job_load(job_id)
    if job is None or job.finished or job.expired:
        return job
    job.state, job.progress = RUNNING, 1
    export_job_save(job)

    def progress(done: int, steps: int) -> None:
        percent = max(1, min(95, int(95 * done / steps)))
        if percent - job.progress >= 5:
            job.progress = percent
            export_job_save(job)

    try:
        period = period_parse(job.period)
        scope = frozenset(job.center_ids) if job.center_ids is not None else None
        with translation.override(job.language):
            reports = report_build(period=period, center_ids=scope, k=job.k, progress=progress)
            filename = f"retorno-{period.label}.{job.kind}"
            target = job.directory / filename
            partial = job.directory / f".{filename}.part"
            if job.kind == XLSX:
                xlsx_write(reports, path=partial, period=period, k=job.k, center_ids=scope)
            else:
                csv_write(reports, path=partial, period=period)
            os.replace(partial, target)
    except Exception as exc:  # recorded for the status page; the worker carries on
        logger.exception("export %s failed", job.id)
        job.state, job.error = FAILED, f"{type(exc).__name__}: {exc}"[:500]
        job.finished_at = timezone.now().isoformat()
        export_job_save(job)
        return job
    job.state, job.progress, job.filename = DONE, 100, filename
    job.finished_at = timezone.now().isoformat()
    export_job_save(job)
    return job


def exports_purge_expired(*, now: datetime | None = None) -> int:
    """Delete the directories of expired jobs (and of unreadable ones older than the TTL)."""
    now = now or timezone.now()
    root = exports_root()
    if not root.is_dir():
        return 0
    removed = 0
    for directory in root.iterdir():
        if not directory.is_dir():
            continue
        job = export_job_load(directory.name)
        if job is not None:
            stale = datetime.fromisoformat(job.expires_at) <= now
        else:
            modified = datetime.fromtimestamp(directory.stat().st_mtime, tz=now.tzinfo)
            stale = modified + timedelta(hours=ttl_hours()) <= now
        if stale:
            shutil.rmtree(directory, ignore_errors=True)
            removed += 1
    return removed


def jobs_of(user: AbstractBaseUser) -> Iterable[ExportJob]:
    """The user's unexpired jobs, newest first (a directory listing: a few dozen at most)."""
    root = exports_root()
    if not root.is_dir():
        return []
    jobs = (export_job_load(d.name) for d in root.iterdir() if d.is_dir())
    mine = [j for j in jobs if j is not None and j.created_by == user.pk and not j.expired]
    return sorted(mine, key=lambda j: j.created_at, reverse=True)

"""Reporting periods: US fiscal years (October to September) and quarters, months, years, ranges."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta

FISCAL_YEAR = "fiscal_year"
FISCAL_QUARTER = "fiscal_quarter"
MONTH = "month"
CALENDAR_YEAR = "calendar_year"
RANGE = "range"
KINDS = (FISCAL_YEAR, FISCAL_QUARTER, MONTH, CALENDAR_YEAR, RANGE)
# Whole periods: what a donor may ask for (a custom range could isolate a single arrival).
WHOLE_KINDS = (FISCAL_YEAR, FISCAL_QUARTER, MONTH, CALENDAR_YEAR)

_FY = re.compile(r"^FY(\d{4})$", re.IGNORECASE)
_FQ = re.compile(r"^FY(\d{4})-Q([1-4])$", re.IGNORECASE)
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_YEAR = re.compile(r"^(\d{4})$")
_RANGE = re.compile(r"^(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})$")


@dataclass(frozen=True)
class Period:
    """Dates are local calendar dates at each centre; `end` is included."""

    start: date
    end: date
    label: str
    kind: str

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError("A period cannot end before it starts.")
        if self.kind not in KINDS:
            raise ValueError(f"Unknown kind of period: {self.kind}")

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def __contains__(self, day: date) -> bool:
        return self.start <= day <= self.end


def _year(year: int) -> int:
    if not 1900 <= year <= 9998:
        raise ValueError(f"Year out of range: {year}")
    return year


def fiscal_year(fy: int) -> Period:
    """US federal fiscal year: FY2026 runs from 1 October 2025 to 30 September 2026."""
    fy = _year(fy)
    return Period(date(fy - 1, 10, 1), date(fy, 9, 30), f"FY{fy}", FISCAL_YEAR)


def fiscal_quarter(fy: int, q: int) -> Period:
    """Q1 is October to December of the calendar year before `fy`."""
    fy = _year(fy)
    if q not in (1, 2, 3, 4):
        raise ValueError(f"A fiscal quarter is 1 to 4, not {q}")
    first_month = 10 + 3 * (q - 1)  # 10, 13, 16, 19
    year = fy - 1 + (first_month - 1) // 12
    start_month = (first_month - 1) % 12 + 1
    start = date(year, start_month, 1)
    end_month = start_month + 2
    end = date(year, end_month, calendar.monthrange(year, end_month)[1])
    return Period(start, end, f"FY{fy}-Q{q}", FISCAL_QUARTER)


def month(year: int, month: int) -> Period:
    year = _year(year)
    if not 1 <= month <= 12:
        raise ValueError(f"A month is 1 to 12, not {month}")
    last = calendar.monthrange(year, month)[1]
    return Period(date(year, month, 1), date(year, month, last), f"{year}-{month:02d}", MONTH)


def calendar_year(year: int) -> Period:
    year = _year(year)
    return Period(date(year, 1, 1), date(year, 12, 31), f"{year}", CALENDAR_YEAR)


def date_range(start: date, end: date) -> Period:
    return Period(start, end, f"{start.isoformat()}..{end.isoformat()}", RANGE)


def period_parse(text: str) -> Period:
    """ "FY2026", "FY2026-Q1", "2026-03", "2026" or "2026-01-01..2026-02-15"; ValueError otherwise."""
    text = (text or "").strip()
    if found := _FY.match(text):
        return fiscal_year(int(found[1]))
    if found := _FQ.match(text):
        return fiscal_quarter(int(found[1]), int(found[2]))
    if found := _MONTH.match(text):
        return month(int(found[1]), int(found[2]))
    if found := _YEAR.match(text):
        return calendar_year(int(found[1]))
    if found := _RANGE.match(text):
        return date_range(date.fromisoformat(found[1]), date.fromisoformat(found[2]))
    raise ValueError(f"Not a period: {text[:40]!r}")


def day_after(period: Period) -> date:
    return period.end + timedelta(days=1)

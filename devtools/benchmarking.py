"""Timing helpers shared by the benchmark commands (bench_intake, bench_caselist, bench_services, bench).

Never used by the application itself. One call of `timed` stands for one request: the user's
centre ids are forgotten first (resolved afresh, as a new request would), and the wall time,
the CPU time of this process and the number of SQL queries are recorded.
"""

from __future__ import annotations

import math
import os
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.management.base import CommandError
from django.db import DatabaseError, connection
from django.db.migrations.executor import MigrationExecutor
from django.test.utils import CaptureQueriesContext

from registry.permissions import forget_center_ids


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile (0 < share <= 1) of a non-empty list."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


@dataclass
class Timing:
    """The measurements of one operation: one entry per call."""

    label: str
    target_ms: float | None = None
    milliseconds: list[float] = field(default_factory=list)
    queries: list[int] = field(default_factory=list)
    cpu_milliseconds: list[float] = field(default_factory=list)
    statements: list[list[str]] = field(default_factory=list)  # each call's SQL, as sent

    @property
    def calls(self) -> int:
        return len(self.milliseconds)

    @property
    def median(self) -> float:
        return statistics.median(self.milliseconds)

    @property
    def p95(self) -> float:
        return percentile(self.milliseconds, 0.95)

    @property
    def worst(self) -> float:
        return max(self.milliseconds)

    @property
    def cpu_median(self) -> float:
        return statistics.median(self.cpu_milliseconds) if self.cpu_milliseconds else math.nan

    @property
    def queries_shown(self) -> str:
        """The queries per call: one number, or the range when calls differ."""
        counts = sorted(set(self.queries))
        if not counts:
            return "-"
        return str(counts[0]) if len(counts) == 1 else f"{counts[0]}-{counts[-1]}"

    @property
    def within_target(self) -> bool | None:
        return None if self.target_ms is None else self.p95 < self.target_ms

    def row(self) -> tuple[str, int, float, float, float, str]:
        """(label, calls, median, p95, max, queries) as the older reports print them."""
        return self.label, self.calls, self.median, self.p95, self.worst, self.queries_shown


def timed(timing: Timing, call: Callable[[], Any], *, user: Any = None) -> Any:
    """Run `call` once as one request and add its wall time, CPU time and queries to `timing`."""
    if user is not None:
        forget_center_ids(user)
    with CaptureQueriesContext(connection) as captured:
        started, cpu_started = time.perf_counter(), time.process_time()
        result = call()
        elapsed = time.perf_counter() - started
        cpu = time.process_time() - cpu_started
    timing.milliseconds.append(elapsed * 1000)
    timing.cpu_milliseconds.append(cpu * 1000)
    timing.queries.append(len(captured.captured_queries))
    timing.statements.append([query["sql"] for query in captured.captured_queries])
    return result


READS = ("SELECT", "WITH", "(SELECT")


def replayed(timing: Timing, label: str = "floor") -> Timing:
    """The floor of an operation: each call's reads (its SELECT statements, as sent) replayed
    on a bare cursor, every row fetched, with nothing built or compiled by the ORM and no
    Python around them. What the operation costs above it is Django and our code."""
    floor = Timing(label)
    for statements in timing.statements:
        reads = [sql for sql in statements if sql.lstrip().upper().startswith(READS)]
        with connection.cursor() as cursor:
            started, cpu_started = time.perf_counter(), time.process_time()
            for sql in reads:
                cursor.execute(sql)
                cursor.fetchall()
            elapsed = time.perf_counter() - started
            cpu = time.process_time() - cpu_started
        floor.milliseconds.append(elapsed * 1000)
        floor.cpu_milliseconds.append(cpu * 1000)
        floor.queries.append(len(reads))
    return floor


def require_postgresql(command: str, make_target: str) -> None:
    """CommandError (a one-line message, no traceback) unless a migrated PostgreSQL is reachable."""
    if connection.vendor != "postgresql":
        raise CommandError(
            f"{command} measures PostgreSQL, but the database is {connection.vendor}. "
            f"Run `make {make_target}`, or set DATABASE_URL=postgres://USER@HOST:5432/NAME "
            "to a dedicated database."
        )
    try:
        connection.ensure_connection()
    except DatabaseError as exc:
        name = connection.settings_dict.get("NAME")
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise CommandError(f"cannot reach PostgreSQL database {name!r}: {first_line}") from exc
    executor = MigrationExecutor(connection)
    pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if pending:
        raise CommandError(
            f"{len(pending)} migrations are not applied: run `manage.py migrate` first."
        )


def allowed_host() -> str:
    """A host name the test client may send (the first plain entry of ALLOWED_HOSTS)."""
    hosts = [h for h in settings.ALLOWED_HOSTS if h and not h.startswith(".") and h != "*"]
    return hosts[0] if hosts else "localhost"


def server_version() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        return cursor.fetchone()[0]


def load_average() -> float:
    return os.getloadavg()[0] if hasattr(os, "getloadavg") else math.nan

"""Run the load test: Retorno and then its floor, each under the same load, and the checks.

Started by `make loadtest` after `manage.py bench --loadtest-prepare` has made the caseworker
accounts, loadtest/.run/targets.json and the floor's SQL (loadtest/.run/floor.json). In one run:

1. Retorno: gunicorn and a Celery worker on 127.0.0.1, locust headless with the profile's
   caseworkers; then how long the worker takes to drain its backlog (the queued summary refresh
   included) after the last request.
2. One request at a time: the person page and the caseload home, and a series of arrivals
   registered with the summary refresh that follows them, each with its CPU (the web workers'
   and PostgreSQL's, read from /proc) per request.
3. The floor (loadtest/floor.py): the same requests' SQL replayed by a bare view, served by the
   same gunicorn, sent the same load and the same one-at-a-time requests.

Prints both tables side by side with their ratio; exits non-zero on any failed request, any
duplicate row (checked by `manage.py bench --loadtest-check`) or a server that would not start.
The servers are stopped at the end in every case. Environment:

- DATABASE_URL: the benchmark database (retorno_bench_suite)
- LOADTEST_PROFILE: "mixed" (default: every caseworker does the day's mix) or "flight"
  (LOADTEST_FLIGHT_USERS of them, 20 by default, register a 135-passenger flight at one
  airport centre and hand out its kits while the others do the day's mix)
- LOADTEST_TIME (seconds, default 60), LOADTEST_USERS (default 50), LOADTEST_WAIT (seconds
  between two actions of a user, default "1,3"), LOADTEST_WORKERS (gunicorn workers, default
  2 × cores + 1), LOADTEST_SERIAL (one-at-a-time requests of each kind, default 100),
  LOADTEST_BROKER (default redis://127.0.0.1:6379/12, a Redis database of its own:
  tests/test_celery_worker.py suggests 15; "eager" runs Celery tasks inside the web request)
- LOADTEST_REPEAT (default 1): the whole run (Retorno, the floor, the checks) this many times,
  then the median of each of the issue's figures: on a shared virtual machine the same code
  moves by up to a quarter from one run to the next
"""

from __future__ import annotations

import contextlib
import csv
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
RUN = ROOT / "loadtest" / ".run"
BIN = Path(sys.executable).parent
# The request builders are shared with the floor's capture (devtools.loadtest_requests).
sys.path.insert(0, str(ROOT))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def redis_reachable(url: str) -> bool:
    host_port = url.split("//", 1)[1].split("/", 1)[0]
    host, _, port = host_port.rpartition("@")[2].partition(":")
    try:
        with socket.create_connection((host or "127.0.0.1", int(port or 6379)), timeout=2):
            return True
    except OSError:
        return False


def backlog(url: str) -> str:
    try:
        import redis

        return str(redis.Redis.from_url(url, socket_timeout=5).llen("celery"))
    except Exception as exc:  # a figure for the report, not a reason to fail
        return f"unknown ({type(exc).__name__})"


def start(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    handle = log.open("w")
    # A process group of its own: stopping it stops its children (gunicorn's workers) too.
    return subprocess.Popen(  # noqa: S603
        command, env=env, cwd=ROOT, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True
    )


def stop(process: subprocess.Popen | None) -> None:
    if process is None or process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def wait_ready(url: str, process: subprocess.Popen, seconds: int = 90) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode}; see {RUN}/gunicorn.log")
        try:
            with urllib.request.urlopen(url, timeout=5) as answer:  # noqa: S310 (local URL)
                if answer.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(1)
    raise RuntimeError(f"gunicorn did not answer {url} within {seconds} s")


def summary(stats_csv: Path) -> tuple[list[dict[str, str]], dict[str, str]]:
    with stats_csv.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    total = next(r for r in rows if r["Name"] == "Aggregated")
    return [r for r in rows if r["Name"] != "Aggregated"], total


# -- CPU, read from /proc --------------------------------------------------------------------------


def cpu_seconds(processes: list[psutil.Process]) -> float:
    """User and system CPU of these processes so far (those that have exited count 0)."""
    total = 0.0
    for process in processes:
        with contextlib.suppress(psutil.Error):
            times = process.cpu_times()
            total += times.user + times.system
    return total


def tree(process: subprocess.Popen | None) -> list[psutil.Process]:
    """A server and its children (gunicorn's workers, Celery's pool)."""
    if process is None or process.poll() is not None:
        return []
    root = psutil.Process(process.pid)
    return [root, *root.children(recursive=True)]


def postgres() -> list[psutil.Process]:
    """The PostgreSQL backends serving the benchmark database: the web workers' and the Celery
    worker's connections. The server's own processes (autovacuum cleaning up after the rush,
    the checkpointer) and other databases' backends are left out: they are not these requests'
    work, and they made the one-at-a-time figures noisy."""
    database = os.environ.get("DATABASE_URL", "").rsplit("/", 1)[-1].split("?")[0]
    found = []
    for process in psutil.process_iter(["name", "cmdline"]):
        command = " ".join(process.info["cmdline"] or [])
        if process.info["name"] in ("postgres", "postgresql") and f" {database} " in command:
            found.append(process)
    return found


@dataclass
class Meter:
    """CPU seconds spent by the web server, the worker and PostgreSQL between start and stop."""

    web: subprocess.Popen | None
    worker: subprocess.Popen | None = None
    spent: dict[str, float] = field(default_factory=dict)

    def _now(self) -> dict[str, float]:
        return {
            "web": cpu_seconds(tree(self.web)),
            "worker": cpu_seconds(tree(self.worker)),
            # Backends started during the measure count from 0: the set is read each time.
            "database": cpu_seconds(postgres()),
        }

    def __enter__(self) -> Meter:
        self._started = self._now()
        return self

    def __exit__(self, *exc: object) -> None:
        now = self._now()
        self.spent = {key: now[key] - self._started[key] for key in now}

    def per(self, count: int, *parts: str) -> float:
        """Milliseconds of CPU per request over `parts` (default: web and database)."""
        chosen = parts or ("web", "database")
        return 1000 * sum(self.spent.get(p, 0.0) for p in chosen) / max(count, 1)


# -- one request at a time -------------------------------------------------------------------------


def serial(
    base: str, path: str, count: int, meter_of: Callable[[], Meter], headers: dict[str, str]
) -> tuple[float, float]:
    """`count` GETs one after the other: (CPU ms per request, median wall ms)."""
    walls = []
    request = urllib.request.Request(base + path, headers=headers)  # noqa: S310 (local URL)
    with urllib.request.urlopen(request, timeout=30):  # noqa: S310 (warm the worker)
        pass
    with meter_of() as meter:
        for _ in range(count):
            started = time.perf_counter()
            with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310
                answer.read()
                if answer.status != 200:
                    raise RuntimeError(f"{path} answered {answer.status}")
            walls.append((time.perf_counter() - started) * 1000)
    return meter.per(count), statistics.median(walls)


def drain_seconds(broker: str, database_url: str, limit: int = 120) -> float | None:
    """Seconds until the worker's queue and the summary's pending persons are both empty."""
    import psycopg
    import redis

    queue = redis.Redis.from_url(broker, socket_timeout=5)
    started = time.monotonic()
    with psycopg.connect(database_url, autocommit=True) as conn:
        while time.monotonic() - started < limit:
            waiting = conn.execute("SELECT count(*) FROM reporting_summarypending").fetchone()
            if not queue.llen("celery") and not (waiting and waiting[0]):
                return time.monotonic() - started
            time.sleep(0.5)
    return None


# -- the report ------------------------------------------------------------------------------------


def report(rows: list[dict[str, str]], total: dict[str, str], seconds: int, users: int) -> int:
    width = max(len(r["Name"]) for r in [*rows, total]) + 2
    header = (
        f"{'request':<{width}}{'count':>7}{'fail':>6}{'req/s':>8}{'p50 ms':>8}{'p95 ms':>8}"
        f"{'p99 ms':>8}{'max ms':>8}"
    )
    print()
    wait = os.environ.get("LOADTEST_WAIT", "1,3").replace(",", "–")
    print(
        f"load test ({PROFILE}): {users} caseworkers, {wait} s between actions, for {seconds} s "
        "(locust, gunicorn, PostgreSQL)"
    )
    print(header)
    print("-" * len(header))
    for row in [*rows, total]:
        print(
            f"{row['Name']:<{width}}{row['Request Count']:>7}{row['Failure Count']:>6}"
            f"{float(row['Requests/s']):>8.1f}{row['50%']:>8}{row['95%']:>8}{row['99%']:>8}"
            f"{float(row['Max Response Time']):>8.0f}"
        )
    return int(total["Failure Count"])


def report_floor(ours: Phase, floor: Phase) -> dict[str, float]:
    """Retorno beside its floor: each request's p50 and p95, and the rush's CPU per request.
    Returns the run's figures for the median of several runs."""
    floor_rows = {r["Name"]: r for r in floor.rows}
    width = max(len(r["Name"]) for r in ours.rows) + 2
    print("\nRetorno beside the floor (the same requests' SQL, replayed by a bare view):")
    print(f"{'request':<{width}}{'p50 ms':>8}{'floor':>7}{'p95 ms':>8}{'floor':>7}{'p95 ×':>7}")
    for row in ours.rows:
        base = floor_rows.get(row["Name"])
        if base is None:
            continue
        ratio = float(row["95%"]) / max(float(base["95%"]), 1.0)
        print(
            f"{row['Name']:<{width}}{row['50%']:>8}{base['50%']:>7}{row['95%']:>8}"
            f"{base['95%']:>7}{ratio:>7.1f}"
        )
    served, offered = float(ours.total["Requests/s"]), float(floor.total["Requests/s"])
    print(
        f"requests/s: Retorno {served:.1f}, floor {offered:.1f} (the offered load, served at "
        f"once): {100 * served / max(offered, 0.1):.0f} %"
    )
    count, floor_count = int(ours.total["Request Count"]), int(floor.total["Request Count"])
    print(
        f"CPU per request in the rush (web + PostgreSQL): Retorno {ours.meter.per(count):.1f} ms "
        f"(web {ours.meter.per(count, 'web'):.1f}, PostgreSQL "
        f"{ours.meter.per(count, 'database'):.1f}); floor {floor.meter.per(floor_count):.1f} ms "
        f"(web {floor.meter.per(floor_count, 'web'):.1f}, PostgreSQL "
        f"{floor.meter.per(floor_count, 'database'):.1f})"
    )
    return {
        "rush p95 ms (Retorno)": float(ours.total["95%"]),
        "rush p95 ms (floor)": float(floor.total["95%"]),
        "requests/s served, % of the offered load": 100 * served / max(offered, 0.1),
        "rush CPU ms per request (Retorno)": ours.meter.per(count),
        "rush CPU ms per request (floor)": floor.meter.per(floor_count),
    }


def report_serial(
    ours: dict[str, tuple[float, float]], floor: dict[str, tuple[float, float]]
) -> dict[str, float]:
    print(f"\none request at a time ({SERIAL} each), CPU per request (web + PostgreSQL):")
    print(
        f"{'page':<22}{'CPU ms':>8}{'floor':>8}{'×':>6}{'wall ms':>9}{'floor':>7}   (target ≤ 2×)"
    )
    for name, (cpu, wall) in ours.items():
        floor_cpu, floor_wall = floor.get(name, (float("nan"), float("nan")))
        ratio = cpu / floor_cpu if floor_cpu else float("nan")
        verdict = "ok" if ratio <= 2 else "MISSED"
        print(
            f"{name:<22}{cpu:>8.1f}{floor_cpu:>8.1f}{ratio:>6.1f}{wall:>9.1f}{floor_wall:>7.1f}"
            f"   {verdict}"
        )
    return {
        f"{name} CPU × floor, one at a time": cpu / floor[name][0]
        for name, (cpu, _wall) in ours.items()
        if floor.get(name, (0.0, 0.0))[0]
    }


def report_medians(runs: list[dict[str, float]]) -> None:
    """The median of each figure over the runs, beside every run's value."""
    print(f"\nmedian of {len(runs)} runs (each run's value after it):")
    for name in runs[0]:
        values = [run[name] for run in runs if name in run]
        listed = ", ".join(f"{value:.1f}" for value in values)
        print(f"  {name:<44}{statistics.median(values):>8.1f}   ({listed})")


@dataclass
class Phase:
    """One locust run: its rows, its total and the CPU it cost."""

    rows: list[dict[str, str]]
    total: dict[str, str]
    meter: Meter
    failures: int = 0


PROFILE = os.environ.get("LOADTEST_PROFILE", "mixed")
SERIAL = int(os.environ.get("LOADTEST_SERIAL", "100"))


def main() -> int:
    seconds = int(os.environ.get("LOADTEST_TIME", "60"))
    users = int(os.environ.get("LOADTEST_USERS", "50"))
    workers = int(os.environ.get("LOADTEST_WORKERS", str(2 * (os.cpu_count() or 1) + 1)))
    broker = os.environ.get("LOADTEST_BROKER", "redis://127.0.0.1:6379/12")
    if "DATABASE_URL" not in os.environ:
        print("loadtest: set DATABASE_URL to the benchmark database (make loadtest does)")
        return 2
    targets_path = RUN / "targets.json"
    if not targets_path.exists() or not (RUN / "floor.json").exists():
        print(f"loadtest: {targets_path} or floor.json is missing: run `make loadtest`")
        return 2
    targets = json.loads(targets_path.read_text("utf-8"))
    if PROFILE == "flight" and not targets.get("flight"):
        print("loadtest: no airport centre for the flight profile")
        return 2
    env, broker = _environment(targets_path, broker)
    repeat = max(1, int(os.environ.get("LOADTEST_REPEAT", "1")))
    runs: list[dict[str, float]] = []
    ok = True
    for number in range(1, repeat + 1):
        if repeat > 1:
            print(f"\n===== run {number} of {repeat} =====")
        passed, figures = _run_once(env, broker, workers, users, seconds, targets)
        ok = ok and passed
        if figures:
            runs.append(figures)
    if len(runs) > 1:
        report_medians(runs)
    print("\nload test: " + ("passed (zero errors, zero duplicate rows)" if ok else "FAILED"))
    return 0 if ok else 1


def _run_once(
    env: dict[str, str], broker: str, workers: int, users: int, seconds: int, targets: dict
) -> tuple[bool, dict[str, float]]:
    """Retorno, then the floor, their reports and the duplicate check (which clears the run's
    rows): whether it passed, and its figures."""
    failures, status = 0, 0
    figures: dict[str, float] = {}
    try:
        ours, ours_serial = _retorno(env, broker, workers, users, seconds, targets)
        failures = ours.failures
        floor, floor_serial = _floor(env, workers, users, seconds, targets)
        failures += floor.failures
        figures = report_floor(ours, floor)
        figures.update(report_serial(ours_serial, floor_serial))
    except (RuntimeError, OSError, StopIteration, urllib.error.URLError) as exc:
        print(f"loadtest: {exc}")
        status = 1
    print("\nduplicate rows after the run:")
    check = _duplicates_check(env)
    if failures:
        print(f"\nFAILED: {failures} requests failed")
    if check.returncode != 0:
        print("\nFAILED: duplicate rows (see above)")
    return not failures and check.returncode == 0 and status == 0, figures


def _retorno(
    env: dict[str, str], broker: str, workers: int, users: int, seconds: int, targets: dict
) -> tuple[Phase, dict[str, tuple[float, float]]]:
    """Retorno under the load, its backlog drained, then its pages one request at a time."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    web = worker = None
    try:
        # Each server is assigned as soon as it starts, so that `finally` stops what did start.
        web = start(
            _gunicorn_command("config.wsgi:application", port, workers), env, RUN / "gunicorn.log"
        )
        if broker != "eager":
            worker = _worker_start(env)
        wait_ready(f"{base}/login/", web)
        print(
            f"gunicorn ({workers} workers) on {base}; Celery: "
            f"{'in the request (eager)' if broker == 'eager' else 'a worker on ' + broker}"
        )
        with Meter(web, worker) as meter:
            phase = _phase(base, users, seconds, env, "locust", meter)
        phase.failures = report(phase.rows, phase.total, seconds, users)
        _run_notes(RUN / "locust", broker, phase.failures)
        if broker != "eager":
            with Meter(web, worker) as drained:
                waited = drain_seconds(broker, env["DATABASE_URL"])
            print(
                "backlog drained (Celery queue and summary refresh): "
                + (f"{waited:.1f} s after the end" if waited is not None else "NOT within 120 s")
                + f"; the worker's CPU meanwhile {drained.spent['worker']:.1f} s"
            )
        account = targets["accounts"][0]
        cookie = {"Cookie": f"{targets['session_cookie']}={account['session']}"}
        pages = {
            "person page": f"/persons/{account['floor_person']}/",
            "caseload home": "/",
        }
        measured = {
            name: serial(base, url, SERIAL, lambda: Meter(web), cookie)
            for name, url in pages.items()
        }
        if broker != "eager":
            _writes_and_refresh(base, web, worker, broker, env, targets)
        return phase, measured
    finally:
        stop(web)
        stop(worker)


def _writes_and_refresh(
    base: str,
    web: subprocess.Popen,
    worker: subprocess.Popen | None,
    broker: str,
    env: dict[str, str],
    targets: dict,
) -> None:
    """Arrivals registered one after another, then the summary refresh they queued: the
    refresh's CPU per write beside the write's own."""
    from devtools.loadtest_requests import arrival_body, passenger_new

    account = targets["accounts"][0]
    rng = random.Random(SERIAL)
    headers = {"Authorization": f"Token {account['token']}", "Content-Type": "application/json"}
    writes = max(10, SERIAL // 3)
    with Meter(web, worker) as wrote:
        for _ in range(writes):
            body = arrival_body(
                account,
                passenger_new(rng),
                rng,
                departments=targets["departments"][account["country"]],
                reasons=targets["reasons"],
            )
            request = urllib.request.Request(  # noqa: S310 (local URL)
                f"{base}/api/v1/arrivals/", data=json.dumps(body).encode(), headers=headers
            )
            with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310
                answer.read()
    with Meter(web, worker) as refreshed:
        waited = drain_seconds(broker, env["DATABASE_URL"])
    write_cpu = wrote.per(writes)
    refresh_cpu = (
        1000 * (refreshed.spent["worker"] + refreshed.spent["database"] + wrote.spent["worker"])
    ) / writes
    print(
        f"\n{writes} arrivals registered one at a time: CPU per write {write_cpu:.1f} ms "
        f"(web + PostgreSQL); the summary refresh they queued, done "
        + (f"{waited:.1f} s later" if waited is not None else "NOT within 120 s")
        + f": {refresh_cpu:.1f} ms per write (worker + PostgreSQL), "
        + ("within" if refresh_cpu <= write_cpu else "MORE than")
        + " the write's own cost"
    )


def _floor(
    env: dict[str, str], workers: int, users: int, seconds: int, targets: dict
) -> tuple[Phase, dict[str, tuple[float, float]]]:
    """The floor under the same load, then its pages one request at a time."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    # The floor's statements carry their values written in: prepared on the server they cost it
    # more one at a time (issue 15, session 24), so the floor keeps the cheaper way.
    floor_env = {**env, "LOADTEST_TARGET": "floor", "DATABASE_PREPARED_STATEMENTS": "false"}
    web = None
    try:
        web = start(
            _gunicorn_command("loadtest.floor:application", port, workers),
            floor_env,
            RUN / "floor.log",
        )
        account = targets["accounts"][0]["username"]
        wait_ready(f"{base}/floor/{account}/caseload/", web)
        print(f"\nthe floor: the same load on {base}")
        with Meter(web) as meter:
            phase = _phase(base, users, seconds, floor_env, "floor", meter)
        phase.failures = report(phase.rows, phase.total, seconds, users)
        pages = {
            "person page": f"/floor/{account}/person_page/",
            "caseload home": f"/floor/{account}/caseload/",
        }
        measured = {
            name: serial(base, url, SERIAL, lambda: Meter(web), {}) for name, url in pages.items()
        }
        return phase, measured
    finally:
        stop(web)


def _phase(
    base: str, users: int, seconds: int, env: dict[str, str], name: str, meter: Meter
) -> Phase:
    prefix = RUN / name
    locust = _locust_run(base, users, seconds, env, prefix)
    if locust.returncode not in (0, 1):  # 1: some requests failed (reported)
        raise RuntimeError(f"locust exited with {locust.returncode}; see {prefix}.log")
    rows, total = summary(Path(f"{prefix}_stats.csv"))
    return Phase(rows, total, meter)


def _environment(targets: Path, broker: str) -> tuple[dict[str, str], str]:
    """The servers' environment, and the broker: "eager" when Redis is not reachable."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
        "DJANGO_DEBUG": "false",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "LOADTEST_TARGETS": str(targets),
        "LOADTEST_FLOOR": str(targets.with_name("floor.json")),
        "PYTHONPATH": str(ROOT),
    }
    if broker != "eager" and not redis_reachable(broker):
        print(f"loadtest: Redis is not reachable at {broker}: Celery tasks run in the request")
        broker = "eager"
    if broker != "eager":
        env["CELERY_BROKER_URL"] = broker
    return env, broker


def _gunicorn_command(application: str, port: int, workers: int) -> list[str]:
    """The gunicorn command line serving `application` on 127.0.0.1:`port`."""
    return [
        str(BIN / "gunicorn"),
        application,
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--timeout",
        "60",
        # As in production (Dockerfile): the app loaded once before the workers fork.
        "--preload",
    ]


def _worker_start(env: dict[str, str]) -> subprocess.Popen:
    """Purge the broker's queue, then start one Celery worker."""
    subprocess.run(  # noqa: S603 (leftover tasks of an earlier run)
        [str(BIN / "celery"), "-A", "config", "purge", "-f"],
        env=env,
        cwd=ROOT,
        check=False,
        capture_output=True,
    )
    return start(
        [
            str(BIN / "celery"),
            "-A",
            "config",
            "worker",
            "--concurrency",
            "1",
            "--loglevel",
            "WARNING",
        ],
        env,
        RUN / "celery.log",
    )


def _locust_run(
    base: str, users: int, seconds: int, env: dict[str, str], prefix: Path
) -> subprocess.CompletedProcess:
    """Run locust headless against `base`, its statistics into `prefix`_*.csv."""
    return subprocess.run(  # noqa: S603
        [
            str(BIN / "locust"),
            "-f",
            str(ROOT / "loadtest" / "locustfile.py"),
            "--headless",
            "--users",
            str(users),
            "--spawn-rate",
            str(max(1, users // 10)),
            "--run-time",
            f"{seconds}s",
            "--stop-timeout",
            "15",
            "--host",
            base,
            "--csv",
            str(prefix),
            "--only-summary",
            "--loglevel",
            "WARNING",
            *(("FlightCaseworker", "Caseworker") if PROFILE == "flight" else ("Caseworker",)),
        ],
        env=env,
        cwd=ROOT,
        check=False,
        stdout=Path(f"{prefix}.log").open("w"),
        stderr=subprocess.STDOUT,
    )


def _run_notes(prefix: Path, broker: str, failures: int) -> None:
    """Print the load at the end, the Celery backlog and the first failures, if any."""
    print(f"load average (1 min) at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    if broker != "eager":
        print(f"Celery tasks still queued at the end (worker backlog): {backlog(broker)}")
    failed_csv = Path(f"{prefix}_failures.csv")
    if failures and failed_csv.exists():
        print("\nfailures (first 10):")
        with failed_csv.open(newline="", encoding="utf-8") as handle:
            for row in list(csv.DictReader(handle))[:10]:
                print(f"  {row['Occurrences']:>5} × {row['Name']}: {row['Error'][:160]}")


def _duplicates_check(env: dict[str, str]) -> subprocess.CompletedProcess:
    """Run `manage.py bench --loadtest-check`: does any duplicate row remain after the run?"""
    return subprocess.run(  # noqa: S603
        [
            str(BIN / "python"),
            "manage.py",
            "bench",
            "--loadtest-check",
            str(RUN / "check.json"),
        ],
        env={**env, "DJANGO_SETTINGS_MODULE": "config.settings.local"},
        cwd=ROOT,
        check=False,
    )


if __name__ == "__main__":
    sys.exit(main())

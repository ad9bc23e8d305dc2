"""Run the load test: gunicorn (and a Celery worker) on 127.0.0.1, locust headless, then the checks.

Started by `make loadtest` after `manage.py bench --loadtest-prepare` has made the caseworker
accounts and loadtest/.run/targets.json. Environment:

- DATABASE_URL: the benchmark database (retorno_bench_suite)
- LOADTEST_TIME (seconds, default 60), LOADTEST_USERS (default 50), LOADTEST_WAIT (seconds
  between two actions of a user, default "1,3"), LOADTEST_WORKERS (gunicorn
  workers, default 2 × cores + 1), LOADTEST_BROKER (default redis://127.0.0.1:6379/12, a Redis
  database of its own: tests/test_celery_worker.py suggests 15; "eager" runs Celery tasks inside
  the web request instead of in a worker)

Prints throughput, p50/p95/p99 and errors; exits non-zero on any failed request, any duplicate
row (checked by `manage.py bench --loadtest-check`) or a server that would not start. The
servers are stopped at the end in every case.
"""

from __future__ import annotations

import csv
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUN = ROOT / "loadtest" / ".run"
BIN = Path(sys.executable).parent


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


def report(rows: list[dict[str, str]], total: dict[str, str], seconds: int, users: int) -> int:
    width = max(len(r["Name"]) for r in rows + [total]) + 2
    header = (
        f"{'request':<{width}}{'count':>7}{'fail':>6}{'req/s':>8}{'p50 ms':>8}{'p95 ms':>8}"
        f"{'p99 ms':>8}{'max ms':>8}"
    )
    print()
    wait = os.environ.get("LOADTEST_WAIT", "1,3").replace(",", "–")
    print(
        f"load test: {users} caseworkers, {wait} s between actions, for {seconds} s "
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


def main() -> int:
    seconds = int(os.environ.get("LOADTEST_TIME", "60"))
    users = int(os.environ.get("LOADTEST_USERS", "50"))
    workers = int(os.environ.get("LOADTEST_WORKERS", str(2 * (os.cpu_count() or 1) + 1)))
    broker = os.environ.get("LOADTEST_BROKER", "redis://127.0.0.1:6379/12")
    if "DATABASE_URL" not in os.environ:
        print("loadtest: set DATABASE_URL to the benchmark database (make loadtest does)")
        return 2
    targets = RUN / "targets.json"
    if not targets.exists():
        print(f"loadtest: {targets} is missing: run `make loadtest`")
        return 2
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env, broker = _environment(targets, broker)
    web = worker = None
    failures, status = 0, 0
    try:
        # Each server is assigned as soon as it starts, so that `finally` stops what did start.
        web = start(_gunicorn_command(port, workers), env, RUN / "gunicorn.log")
        if broker != "eager":
            worker = _worker_start(env)
        wait_ready(f"{base}/login/", web)
        print(
            f"gunicorn ({workers} workers) on {base}; Celery: "
            f"{'in the request (eager)' if broker == 'eager' else 'a worker on ' + broker}"
        )
        prefix = RUN / "locust"
        locust = _locust_run(base, users, seconds, env, prefix)
        rows, total = summary(Path(f"{prefix}_stats.csv"))
        failures = report(rows, total, seconds, users)
        _run_notes(prefix, broker, failures)
        if locust.returncode not in (0, 1):  # 1: some requests failed (reported above)
            print(f"locust exited with {locust.returncode}; see {RUN}/locust.log")
            status = 1
    except (RuntimeError, OSError, StopIteration) as exc:
        print(f"loadtest: {exc}")
        status = 1
    finally:
        stop(web)
        stop(worker)
    print("\nduplicate rows after the run:")
    check = _duplicates_check(env)
    if failures:
        print(f"\nFAILED: {failures} requests failed")
    if check.returncode != 0:
        print("\nFAILED: duplicate rows (see above)")
    ok = not failures and check.returncode == 0 and status == 0
    print("\nload test: " + ("passed (zero errors, zero duplicate rows)" if ok else "FAILED"))
    return 0 if ok else 1


def _environment(targets: Path, broker: str) -> tuple[dict[str, str], str]:
    """The servers' environment, and the broker: "eager" when Redis is not reachable."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
        "DJANGO_DEBUG": "false",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "LOADTEST_TARGETS": str(targets),
    }
    if broker != "eager" and not redis_reachable(broker):
        print(f"loadtest: Redis is not reachable at {broker}: Celery tasks run in the request")
        broker = "eager"
    if broker != "eager":
        env["CELERY_BROKER_URL"] = broker
    return env, broker


def _gunicorn_command(port: int, workers: int) -> list[str]:
    """The gunicorn command line serving the project on 127.0.0.1:`port`."""
    return [
        str(BIN / "gunicorn"),
        "config.wsgi:application",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--timeout",
        "60",
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
        ],
        env=env,
        cwd=ROOT,
        check=False,
        stdout=(RUN / "locust.log").open("w"),
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

"""A real Celery worker on Redis builds an export: the path production takes.

Skipped (with the reason shown) unless CELERY_BROKER_URL is a redis:// URL; under CI=true with
the variable set, a missing Redis or worker is a failure, not a skip. The worker runs in a
subprocess against the test database pytest-django created, so the test is transactional:
the worker must see committed rows.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

BROKER = os.environ.get("CELERY_BROKER_URL", "")
REPO = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.skipif(
    not BROKER.startswith("redis://"),
    reason="needs a Redis broker: set CELERY_BROKER_URL=redis://127.0.0.1:6379/15",
)
TIMEOUT = 60


def _database_url() -> str:
    db = connection.settings_dict
    if db["ENGINE"] != "django.db.backends.postgresql":
        pytest.skip("the worker needs a database it can share: run with DATABASE_URL=postgres://…")
    user = db.get("USER") or "postgres"
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    host = db.get("HOST") or "127.0.0.1"
    port = db.get("PORT") or "5432"
    return f"postgres://{user}{password}@{host}:{port}/{db['NAME']}"


@pytest.fixture
def worker(transactional_db, reference_data, tmp_path, settings):
    import redis

    try:
        redis.Redis.from_url(BROKER).ping()
    except redis.RedisError as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"Redis is not reachable at {BROKER}: {exc}")
        pytest.skip(f"Redis is not reachable at {BROKER}: {exc}")
    settings.MEDIA_ROOT = tmp_path
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": _database_url(),
        "CELERY_BROKER_URL": BROKER,
        "DJANGO_MEDIA_ROOT": str(tmp_path),
    }
    celery = Path(sys.executable).with_name("celery")
    log = (tmp_path / "worker.log").open("w")
    process = subprocess.Popen(
        [str(celery), "-A", "config", "worker", "--pool=solo", "-Q", "celery", "-l", "warning"],
        cwd=REPO,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    yield process
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    log.close()


def test_a_real_worker_builds_the_xlsx(worker, tmp_path):
    from openpyxl import load_workbook

    from devtools.synthetic import synthetic_generate
    from registry.tests.factories import UserFactory
    from reporting import exports
    from reporting.indicators import INDICATORS
    from reporting.tasks import export_build

    assert not settings.CELERY_TASK_ALWAYS_EAGER, "the broker is set: tasks must go to Redis"
    synthetic_generate(persons=150, seed=5)
    from django.contrib.auth.models import Group
    from guardian.shortcuts import assign_perm

    from registry.models import ReceptionCenter
    from registry.roles import PROGRAMME_MANAGER

    # A programme manager of every centre: figures computed on request, as the worker must
    # (a donor's export of a released period only reads the release).
    user = UserFactory(username="manager_worker")
    user.groups.add(Group.objects.get(name=PROGRAMME_MANAGER))
    for center in ReceptionCenter.objects.all():
        assign_perm("registry.view_center_records", user, center)
    job = exports.export_job_create(actor=user, kind=exports.XLSX, period="FY2025")
    assert job.center_ids  # computed for the centres, not read from a release
    export_build.delay(job.id)

    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        loaded = exports.export_job_load(job.id)
        if loaded.finished or worker.poll() is not None:
            break
        time.sleep(0.5)
    log = (tmp_path / "worker.log").read_text()
    assert worker.poll() is None, f"the worker stopped:\n{log}"
    assert loaded.state == exports.DONE, f"export {loaded.state} after {TIMEOUT}s:\n{log}"
    workbook = load_workbook(loaded.file_path, read_only=True)
    assert set(INDICATORS) <= set(workbook.sheetnames)
    assert len(workbook.sheetnames) == len(INDICATORS) + 1  # and the notes


def test_a_real_worker_brings_the_summary_up_to_date_after_a_commit(worker, tmp_path):
    """A delivery committed by a request reaches the donor counts through the worker."""
    from registry.tests.factories import ReceptionCenterFactory
    from reporting import summary
    from reporting.indicators import report_compute
    from reporting.models import EventFact
    from reporting.periods import month
    from services.tests.factories import ServiceDeliveryFactory, person_arrived

    center = ReceptionCenterFactory(code="WRK")
    person = person_arrived(center, days_ago=0)
    summary.summary_rebuild()
    today = center.local_now().date()
    period = month(today.year, today.month)
    assert report_compute(indicator="received_aid", period=period).total == 0  # kept

    delivery = ServiceDeliveryFactory(person=person, center=center, delivered_on=today)

    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline and worker.poll() is None:
        if EventFact.objects.filter(event="delivery", source_id=delivery.pk).exists():
            break
        time.sleep(0.3)
    log = (tmp_path / "worker.log").read_text()
    assert worker.poll() is None, f"the worker stopped:\n{log}"
    assert EventFact.objects.filter(source_id=delivery.pk).exists(), f"not refreshed:\n{log}"
    assert report_compute(indicator="received_aid", period=period).total == 1

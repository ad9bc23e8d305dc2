"""The summary refresh, in batches: a flight's rush of writes costs one refresh per batch.

Each committed change queues its persons (one INSERT, which never waits for a lock) and, unless
a refresh is already scheduled, schedules one SUMMARY_REFRESH_DELAY seconds later. That task
takes everything queued, a batch at a time, and refreshes each batch's persons together
(reporting.summary.summary_refresh_persons). The donor figures are therefore current within
about that delay; every table carries its "data as of" time. Celery beat drains the queue
every minute too, should a scheduled task be lost, and the nightly rebuild catches anything.

With tasks run in-process (the embedded default, no broker), the persons are refreshed at once,
as before: there is no worker to wait for.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.db import transaction

from . import summary
from .models import SummaryPending

SCHEDULED = "reporting:summary-refresh-scheduled"
BATCH_PERSONS = 500


def _delay() -> int:
    return int(getattr(settings, "SUMMARY_REFRESH_DELAY", 5))


def refresh_queue(person_ids: Iterable[Any]) -> None:
    """Queue these persons for the next batched refresh (after the caller's commit)."""
    from .tasks import summary_refresh_pending, summary_refresh_persons

    ids = sorted({pk for pk in person_ids if pk is not None}, key=str)
    if not ids:
        return
    if summary_refresh_pending.app.conf.task_always_eager:
        summary_refresh_persons.delay(ids)
        return
    SummaryPending.objects.bulk_create([SummaryPending(person_id=pk) for pk in ids])
    # One scheduled task at a time, across every web and worker process (the shared cache).
    if caches[settings.THROTTLE_CACHE].add(SCHEDULED, 1, timeout=_delay() * 6):
        summary_refresh_pending.apply_async(countdown=_delay())


def refresh_pending(*, batch: int = BATCH_PERSONS) -> dict[str, int]:
    """Refresh every person queued, a batch at a time; {"persons", "tables", "batches"}."""
    # Said first: a change queued from now on schedules the next run itself.
    caches[settings.THROTTLE_CACHE].delete(SCHEDULED)
    done = {"persons": 0, "tables": 0, "batches": 0}
    while True:
        with transaction.atomic():
            rows = list(
                SummaryPending.objects.order_by("pk").values_list("pk", "person_id")[:batch]
            )
            if not rows:
                return done
            person_ids = sorted({person_id for _pk, person_id in rows}, key=str)
            result = summary.summary_refresh_persons(person_ids=person_ids)
            # Only the rows read: a change queued meanwhile waits for the next batch.
            SummaryPending.objects.filter(pk__in=[pk for pk, _person in rows]).delete()
        done["persons"] += result["persons"]
        done["tables"] += result["tables"]
        done["batches"] += 1

"""Celery tasks of reporting: each loads what it is given by id and calls the function that works."""

from celery import shared_task

from . import exports, summary


@shared_task(name="reporting.export_build", acks_late=True)
def export_build(job_id: str) -> str | None:
    job = exports.export_job_run(job_id=job_id)
    return job.state if job else None


@shared_task(name="reporting.exports_purge_expired")
def exports_purge_expired() -> int:
    return exports.exports_purge_expired()


@shared_task(name="reporting.summary_refresh_persons", acks_late=True)
def summary_refresh_persons(person_ids: list[int]) -> dict[str, int]:
    """Bring these persons' counted events, and the kept tables they count in, up to date."""
    return summary.summary_refresh_persons(person_ids=person_ids)


@shared_task(name="reporting.summary_refresh_pending", acks_late=True)
def summary_refresh_pending() -> dict[str, int]:
    """Refresh, in batches, every person queued since the last run (reporting.refreshing)."""
    from . import refreshing

    return refreshing.refresh_pending()


@shared_task(name="reporting.summary_tables_compute", acks_late=True)
def summary_tables_compute(keys: list[list[str]]) -> int:
    return summary.summary_tables_compute(keys=[tuple(key) for key in keys])


@shared_task(name="reporting.summary_rebuild", acks_late=True)
def summary_rebuild() -> dict[str, int]:
    """Nightly: everything from the base tables, and this and last fiscal year's donor report
    computed ahead, so that the first pull of the day is as quick as the next."""
    return summary.summary_rebuild(warm=summary.donor_report_keys())


@shared_task(name="reporting.releases_close")
def releases_close() -> dict[str, str]:
    """Nightly: freeze the donor tables of every period that has just closed (each one audited
    first); what happened to each period."""
    from .releases import ReleaseAuditFailed
    from .releases import releases_close as close

    return {
        label: str(outcome) if isinstance(outcome, ReleaseAuditFailed) else "released"
        for label, outcome in close().items()
    }


@shared_task(name="reporting.disclosure_audit")
def disclosure_audit(period: str) -> dict[str, int | bool]:
    """The disclosure audit of a whole period: to run before its figures are released."""
    from .audit import disclosure_audit as audit
    from .periods import period_parse

    result = audit(period_parse(period))
    return {
        "figures": result.figures,
        "sensitive": result.sensitive,
        "recovered": result.recovered,
        "pinned": result.pinned,
        "passed": result.passed,
    }

"""Celery tasks of reporting: each loads a job by id and calls the function that does the work."""

from celery import shared_task

from . import exports


@shared_task(name="reporting.export_build", acks_late=True)
def export_build(job_id: str) -> str | None:
    job = exports.export_job_run(job_id=job_id)
    return job.state if job else None


@shared_task(name="reporting.exports_purge_expired")
def exports_purge_expired() -> int:
    return exports.exports_purge_expired()

"""Celery tasks of intake: each calls the function that does the work."""

from celery import shared_task

from . import duplicates


@shared_task(name="intake.duplicates_find", acks_late=True)
def duplicates_find(country_iso2: str | None = None) -> dict[str, int]:
    """The nightly duplicate scan (every centre, or one country's)."""
    return duplicates.duplicates_find_country(country_iso2=country_iso2)

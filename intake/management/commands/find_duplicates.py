"""Find possible duplicate records at every centre, or one country's (what the nightly Celery
beat task does)."""

import time

from django.core.management.base import BaseCommand

from intake.duplicates import duplicates_find_country


class Command(BaseCommand):
    help = "Queue the pairs of records at a centre that recognition would propose for each other."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--country", help="ISO code of one country (GT, HN, SV); all by default"
        )

    def handle(self, *args, **options) -> None:
        started = time.perf_counter()
        result = duplicates_find_country(country_iso2=options.get("country"))
        self.stdout.write(
            f"{result['persons']} records scanned, {result['pairs']} possible duplicates, "
            f"{result['new']} new in the queue, in {time.perf_counter() - started:.1f} s"
        )

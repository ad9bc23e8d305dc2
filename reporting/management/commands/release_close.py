"""Publish every closed, unreleased period: `manage.py release_close [--years 2]`."""

from django.core.management.base import BaseCommand

from reporting.releases import releases_close


class Command(BaseCommand):
    help = (
        "Freeze the donor tables of every fiscal year, quarter and month of the last fiscal "
        "years that is closed (REPORTING_RELEASE_LAG_DAYS after its end) and not yet released."
    )

    def add_arguments(self, parser):
        parser.add_argument("--years", type=int, default=2, help="fiscal years back (default 2)")

    def handle(self, *args, **options):
        for release in releases_close(years=options["years"]):
            self.stdout.write(f"released {release.period} ({release.tables.count()} tables)")

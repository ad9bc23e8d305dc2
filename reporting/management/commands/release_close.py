"""Publish every closed, unreleased period: `manage.py release_close [--years 2]`."""

from django.core.management.base import BaseCommand, CommandError

from reporting.releases import ReleaseAuditFailed, releases_close


class Command(BaseCommand):
    help = (
        "Freeze the donor tables of every fiscal year, quarter and month of the last fiscal "
        "years that is closed (REPORTING_RELEASE_LAG_DAYS after its end) and not yet released."
    )

    def add_arguments(self, parser):
        parser.add_argument("--years", type=int, default=2, help="fiscal years back (default 2)")

    def handle(self, *args, **options):
        refused = 0
        for label, outcome in releases_close(years=options["years"]).items():
            if isinstance(outcome, ReleaseAuditFailed):
                refused += 1
                self.stdout.write(f"refused {outcome}")
            else:
                self.stdout.write(f"released {label} ({outcome.tables.count()} tables)")
        if refused:
            raise CommandError(f"{refused} period(s) refused by the disclosure audit")

"""Run the disclosure audit of a period: `manage.py disclosure_audit --period FY2026`."""

from django.core.management.base import BaseCommand, CommandError

from reporting.audit import CROSS_CHECKS, disclosure_audit
from reporting.periods import WHOLE_KINDS, period_parse


class Command(BaseCommand):
    help = (
        "Everything a donor can obtain for a period, attacked with an integer program: how many "
        "small counts are recovered exactly or pinned within [1, k-1]. Exits with 1 unless both "
        "are 0."
    )

    def add_arguments(self, parser):
        parser.add_argument("--period", required=True, help="FY2026, FY2026-Q1, 2026-03, 2026")
        parser.add_argument("--k", type=int, default=None, help="the threshold (default: setting)")
        parser.add_argument(
            "--exact",
            action="store_true",
            help="solve the integer program (slower) instead of its linear relaxation",
        )
        parser.add_argument(
            "--check",
            type=int,
            default=CROSS_CHECKS,
            help="figures cleared by the release's own figures also bounded by exact programs",
        )
        parser.add_argument("--show", type=int, default=20, help="list this many findings")

    def handle(self, *args, **options):
        try:
            period = period_parse(options["period"])
        except ValueError as error:
            raise CommandError(str(error)) from error
        if period.kind not in WHOLE_KINDS:
            raise CommandError("A donor can only ask for whole periods.")
        result = disclosure_audit(
            period, k=options["k"], exact=options["exact"], check=options["check"]
        )
        self.stdout.write(
            f"period {period.label}: {result.figures} figures, {result.sensitive} with a true "
            f"count from 1 to k-1, in {result.seconds:.1f} s"
        )
        self.stdout.write(f"recovered exactly: {result.recovered}")
        self.stdout.write(f"pinned in [1, k-1]: {result.pinned}")
        for (indicator, label, pairs, measure), low, high in result.findings[: options["show"]]:
            where = ", ".join(f"{dim}={value}" for dim, value in sorted(pairs)) or "total"
            self.stdout.write(f"  {indicator} {label} {where} [{measure}]: {low}..{high}")
        if not result.passed:
            raise SystemExit(1)

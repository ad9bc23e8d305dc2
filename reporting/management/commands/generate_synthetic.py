"""Fill the database with reproducible synthetic national-scale data (see reporting.synthetic)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from reporting.synthetic import Progress, synthetic_generate


class Command(BaseCommand):
    help = (
        "Generate synthetic persons with arrivals, consents, cases and service deliveries over "
        "the last fiscal years, reproducibly from --seed. Use a dedicated database."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--persons", type=int, default=100_000)
        parser.add_argument(
            "--years", type=int, default=2, help="Fiscal years covered, up to yesterday."
        )
        parser.add_argument("--seed", type=int, default=20241001)
        parser.add_argument("--batch-size", type=int, default=10_000)
        parser.add_argument(
            "--fresh", action="store_true", help="Delete earlier synthetic data first."
        )
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["persons"] < 1 or options["years"] < 1:
            raise CommandError("--persons and --years must be at least 1.")
        bar = None if options["no_progress"] else Progress(options["persons"])
        try:
            summary = synthetic_generate(
                persons=options["persons"],
                years=options["years"],
                seed=options["seed"],
                fresh=options["fresh"],
                batch_size=options["batch_size"],
                progress=bar.update if bar else None,
            )
        except (FileExistsError, LookupError) as exc:
            raise CommandError(str(exc)) from exc
        finally:
            if bar:
                bar.close()
        self.stdout.write(
            f"{summary.persons:,} persons, {summary.arrivals:,} arrivals, {summary.cases:,} "
            f"cases, {summary.deliveries:,} deliveries, {summary.consents:,} consents "
            f"in {summary.seconds:.1f} s ({summary.method})"
        )

"""Fill the database with reproducible synthetic national-scale data (see reporting.synthetic)."""

from __future__ import annotations

import argparse
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from devtools.synthetic import Progress, synthetic_generate, years_for


class Command(BaseCommand):
    help = (
        "Generate synthetic persons with arrivals, consents, cases and service deliveries over "
        "the last fiscal years, reproducibly from --seed. Use a dedicated database."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--persons", type=int, default=100_000)
        parser.add_argument(
            "--years",
            type=int,
            default=None,
            help=(
                "Fiscal years covered, up to yesterday. By default as many as give about the "
                "real number of arrivals a year (GT 80,000, HN 90,000, SV 17,000)."
            ),
        )
        parser.add_argument("--seed", type=int, default=20241001)
        parser.add_argument("--batch-size", type=int, default=10_000)
        parser.add_argument(
            "--fresh", action="store_true", help="Delete earlier synthetic data first."
        )
        parser.add_argument(
            "--fast-load",
            action=argparse.BooleanOptionalAction,
            default=None,
            help=(
                "PostgreSQL: drop the loaded tables' foreign keys and secondary indexes (all but "
                "the primary keys) during the load and rebuild them after (default: from 50,000 "
                "persons). The tables are locked until the end."
            ),
        )
        parser.add_argument(
            "--in-child",
            action=argparse.BooleanOptionalAction,
            default=None,
            help="PostgreSQL: generate in a child process while this one writes (default: yes).",
        )
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        persons = options["persons"]
        years = options["years"] or years_for(persons, timezone.localdate())
        if persons < 1 or years < 1:
            raise CommandError("--persons and --years must be at least 1.")
        bar = None if options["no_progress"] else Progress(persons)

        def note(text: str) -> None:
            if bar:
                bar.close()
            self.stderr.write(f"{text}…")

        self.stderr.write(f"{persons:,} persons over {years} fiscal years, seed {options['seed']}")
        try:
            summary = synthetic_generate(
                persons=persons,
                years=years,
                seed=options["seed"],
                fresh=options["fresh"],
                batch_size=options["batch_size"],
                progress=bar.update if bar else None,
                note=note,
                fast_load=options["fast_load"],
                in_child=options["in_child"],
            )
        except (FileExistsError, LookupError) as exc:
            raise CommandError(str(exc)) from exc
        finally:
            if bar and not bar.closed:
                bar.close()
        for phase, seconds in summary.phases.items():
            self.stdout.write(f"  {phase}: {seconds:.1f} s")
        if options["verbosity"] >= 2:
            for seconds, statement in sorted(summary.rebuilt, reverse=True)[:15]:
                self.stdout.write(f"    {seconds:5.1f} s  {statement}")
        self.stdout.write(
            f"{summary.persons:,} persons, {summary.arrivals:,} arrivals, {summary.cases:,} "
            f"cases, {summary.deliveries:,} deliveries, {summary.consents:,} consents "
            f"in {summary.seconds:.1f} s ({summary.method})"
        )

"""Benchmark of the services hot paths on PostgreSQL: a flight's bulk distribution, a person's uptake.

Generates what it needs in a dedicated database (a centre, a caseworker, persons with arrivals,
one person with a long history of deliveries), then times `distribution_record_bulk` for 150
people × 3 items and `person_uptake` (plus the person's pages when their routes exist), and the
same pages of a person with no deliveries, for reference.
"""

from __future__ import annotations

import os
import uuid
from datetime import timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, transaction
from django.test import Client
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from guardian.shortcuts import assign_perm

from devtools.benchmarking import Timing, allowed_host, require_postgresql, timed
from intake.models import Arrival
from registry.models import Country, DocumentType, Person, PersonCenter, ReceptionCenter
from services.actions import distribution_record_bulk
from services.models import ServiceDelivery, ServiceType
from services.selectors import person_uptake

BENCH_USERNAME = "bench_services"
BENCH_CENTER = "BSGT1"
BULK_ITEMS = ("hygiene_kit", "food", "transport")
HISTORY_TYPES = ("hygiene_kit", "food", "transport", "clothing", "phone_call", "medical_care")
TARGET_BULK_P95_MS = 500
TARGET_UPTAKE_P95_MS = 100


class Command(BaseCommand):
    help = (
        "Benchmark bulk distribution and a person's service uptake on PostgreSQL. "
        "Use a dedicated database: it creates a centre, a user, persons and deliveries."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--people", type=int, default=150, help="Persons per distribution.")
        parser.add_argument("--bulk-runs", type=int, default=30)
        parser.add_argument("--history", type=int, default=200, help="Deliveries of one person.")
        parser.add_argument("--uptake-runs", type=int, default=50)

    def handle(self, *args: Any, **options: Any) -> None:
        self._require_postgresql()
        center, user = self._center_and_user()
        # The group of the distribution, the person with a long history, and a person with no
        # deliveries at all ("empty"), whose pages show what the page costs without the uptake.
        persons = self._persons(center, user, options["people"] + 2)
        group, subject, newcomer = persons[:-2], persons[-2], persons[-1]
        made = history_ensure(center, user, subject, options["history"])
        if made:
            self.stdout.write(f"generated {made} deliveries for one person")
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        timings = [measure_bulk(center, user, group, options["bulk_runs"])]
        timings += measure_uptake(user, subject, options["uptake_runs"])
        timings += measure_pages(
            user, newcomer, options["uptake_runs"], suffix=" (empty)", target_ms=None
        )
        self._report(timings)

    # -- preconditions -----------------------------------------------------------------------

    def _require_postgresql(self) -> None:
        require_postgresql("bench_services", "bench-services")
        missing = set(BULK_ITEMS + HISTORY_TYPES) - set(
            ServiceType.objects.filter(active=True).values_list("code", flat=True)
        )
        if missing:
            raise CommandError(f"active service types missing: {', '.join(sorted(missing))}.")

    # -- data ----------------------------------------------------------------------------------

    def _center_and_user(self) -> tuple[ReceptionCenter, Any]:
        center, _ = ReceptionCenter.objects.get_or_create(
            code=BENCH_CENTER,
            defaults={
                "name": "Centro de prueba de servicios",
                "name_es": "Centro de prueba de servicios",
                "name_en": "Services test centre",
                "country": Country.objects.get(iso2="GT"),
                "kind": ReceptionCenter.Kind.AIR,
                "time_zone": "America/Guatemala",
            },
        )
        user, created = get_user_model().objects.get_or_create(username=BENCH_USERNAME)
        if created:
            user.set_unusable_password()
            user.save(update_fields=["password"])
        assign_perm("registry.work_at_center", user, center)
        return center, user

    def _persons(self, center: ReceptionCenter, user: Any, wanted: int) -> list[Person]:
        """Persons known at the centre whose first arrival was 90 days ago (made once)."""
        existing = list(Person.objects.filter(created_by=user).order_by("created_at", "id"))
        if len(existing) >= wanted:
            return existing[:wanted]
        country = Country.objects.get(iso2="GT")
        returned_from = Country.objects.filter(iso2="US").first() or country
        document = DocumentType.objects.get(code="none")
        arrived_at = timezone.now() - timedelta(days=90)
        made = []
        with transaction.atomic():
            for index in range(len(existing), wanted):
                person = Person(
                    given_names="Persona",
                    first_surname="Prueba",
                    second_surname=f"{index:05d}",
                    sex=Person.Sex.FEMALE if index % 2 else Person.Sex.MALE,
                    nationality=country,
                    document_type=document,
                    created_by=user,
                )
                person.save()  # computes the matching keys
                made.append(person)
            PersonCenter.objects.bulk_create(
                [PersonCenter(person=p, center=center, first_seen_at=arrived_at) for p in made]
            )
            Arrival.objects.bulk_create(
                [
                    Arrival(
                        person=p,
                        center=center,
                        arrived_at=arrived_at,
                        mode="air",
                        returned_from=returned_from,
                        transport_reference="BENCH",
                        registered_by=user,
                    )
                    for p in made
                ]
            )
        self.stdout.write(f"generated {len(made)} persons with arrivals at {center.code}")
        return existing + made

    # -- report ------------------------------------------------------------------------------

    def _report(self, timings: list[Timing]) -> None:
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            version = cursor.fetchone()[0]
        load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
        self.stdout.write("")
        self.stdout.write(
            f"load average {load:.1f} on {os.cpu_count()} CPUs (wall times include waiting for them)"
        )
        self.stdout.write(
            f"PostgreSQL {version}, database {connection.settings_dict['NAME']}: "
            f"{ServiceDelivery.objects.count():,} deliveries"
        )
        self.stdout.write(
            f"{'operation':<40}{'calls':>6}{'median ms':>11}{'p95 ms':>9}{'max ms':>9}"
            f"{'cpu ms':>9}{'queries':>10}  target p95"
        )
        for timing in timings:
            self.stdout.write(_row(timing))


def history_ensure(center: ReceptionCenter, user: Any, person: Person, wanted: int) -> int:
    """`wanted` deliveries of one person over the last 80 days, a few voided or planned."""
    have = ServiceDelivery.objects.filter(person=person).count()
    if have >= wanted:
        return 0
    types = list(ServiceType.objects.filter(code__in=HISTORY_TYPES))
    today = center.local_now().date()
    now = timezone.now()
    rows = []
    for index in range(have, wanted):
        voided = index % 17 == 0
        rows.append(
            ServiceDelivery(
                person=person,
                center=center,
                service_type=types[index % len(types)],
                delivered_on=today - timedelta(days=index % 80),
                quantity=1,
                status=(
                    ServiceDelivery.Status.PLANNED
                    if index % 23 == 0
                    else ServiceDelivery.Status.COMPLETED
                ),
                recorded_by=user,
                recorded_at=now,
                voided_at=now if voided else None,
                voided_by=user if voided else None,
                void_reason="Prueba" if voided else "",
            )
        )
    ServiceDelivery.objects.bulk_create(rows)
    return len(rows)


def measure_bulk(center: ReceptionCenter, user: Any, persons: list[Person], runs: int) -> Timing:
    timing = Timing(
        f"distribution_record_bulk {len(persons)}×{len(BULK_ITEMS)}", TARGET_BULK_P95_MS
    )
    types = {t.code: t for t in ServiceType.objects.filter(code__in=BULK_ITEMS)}
    items = [{"service_type": types[code], "quantity": 1} for code in BULK_ITEMS]
    person_ids = [p.pk for p in persons]
    today = center.local_now().date()
    for run in range(runs):
        # A new day each run, all after the persons' first arrival (90 days ago).
        timed(
            timing,
            lambda day=today - timedelta(days=run % 60): distribution_record_bulk(
                actor=user,
                center=center,
                delivered_on=day,
                items=items,
                person_ids=person_ids,
                client_uuid=uuid.uuid4(),
                group_label="Vuelo de prueba",
            ),
            user=user,
        )
    return timing


def measure_uptake(user: Any, person: Person, runs: int) -> list[Timing]:
    count = ServiceDelivery.objects.filter(person=person).count()
    selector = Timing(f"person_uptake ({count} deliveries)", TARGET_UPTAKE_P95_MS)
    for _ in range(runs):
        timed(selector, lambda: person_uptake(user=user, person=person), user=user)
    return [selector, *measure_pages(user, person, runs)]


def measure_pages(
    user: Any,
    person: Person,
    runs: int,
    *,
    suffix: str = "",
    target_ms: float | None = TARGET_UPTAKE_P95_MS,
) -> list[Timing]:
    """The person page and the person's services page, each `runs` times."""
    timings = []
    client = Client(HTTP_HOST=allowed_host())
    client.force_login(user)
    for label, url in _person_pages(person):
        page = Timing(label + suffix, target_ms)
        for _ in range(runs):
            response = timed(page, lambda u=url: client.get(u), user=user)
            if response.status_code != 200:
                raise CommandError(f"{url} answered {response.status_code}")
        timings.append(page)
    return timings


def _person_pages(person: Person) -> list[tuple[str, str]]:
    pages = []
    for label, name in (
        ("GET person page", "person_detail"),
        ("GET person's services page", "services:person_uptake"),
    ):
        try:
            pages.append((label, reverse(name, kwargs={"person_id": person.pk})))
        except NoReverseMatch:
            continue
    return pages


def _row(timing: Timing) -> str:
    if timing.target_ms is None:
        verdict = ""
    else:
        verdict = f"< {timing.target_ms:g} {'ok' if timing.within_target else 'MISSED'}"
    return (
        f"{timing.label:<40}{timing.calls:>6}{timing.median:>11.1f}{timing.p95:>9.1f}"
        f"{timing.worst:>9.1f}{timing.cpu_median:>9.1f}{timing.queries_shown:>10}  {verdict}"
    )

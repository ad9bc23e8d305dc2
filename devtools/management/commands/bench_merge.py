"""Benchmarks of merging two person records and of the nightly duplicate scan (issue 14), with
the floor of the same writes in hand-written SQL. `bench` calls these (--only merge)."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from devtools.benchmarking import Timing, timed
from intake.duplicates import duplicates_find_country
from intake.models import Arrival
from registry.actions import person_merge, person_unmerge
from registry.models import Country, Person, PersonCenter, ReceptionCenter
from services.models import ServiceDelivery, ServiceType

ARRIVALS, DELIVERIES = 10, 50


class _RolledBack(Exception):
    """Leaves the benchmark's writes out of the data: every run is undone."""


def _person_with_history(
    *, home: ReceptionCenter, user: Any, service_type: ServiceType, n: int
) -> Person:
    """A person known at `home` with ARRIVALS arrivals and DELIVERIES completed deliveries."""
    person = Person.objects.create(
        given_names="Bench Fusión",
        first_surname=f"Registro{n}",
        sex=Person.Sex.FEMALE,
        nationality=home.country,
        document_type_id=_document_type_id(),
        created_by=user,
    )
    PersonCenter.objects.create(person=person, center=home)
    returned_from = Country.objects.get(iso2="US")
    now = timezone.now()
    Arrival.objects.bulk_create(
        Arrival(
            person=person,
            center=home,
            arrived_at=now - timedelta(days=40 * index + n),
            mode=Arrival.Mode.AIR,
            returned_from=returned_from,
            registered_by=user,
        )
        for index in range(ARRIVALS)
    )
    ServiceDelivery.objects.bulk_create(
        ServiceDelivery(
            client_uuid=uuid.uuid4(),
            person=person,
            center=home,
            service_type=service_type,
            delivered_on=(now - timedelta(days=8 * index + n)).date(),
            recorded_by=user,
        )
        for index in range(DELIVERIES)
    )
    return person


def _document_type_id() -> int:
    from registry.models import DocumentType

    return DocumentType.objects.filter(requires_number=False).values_list("pk", flat=True)[0]


def measure_merge(
    *, supervisor: Any, home: ReceptionCenter, runs: int, refresh: Any
) -> tuple[Timing, Timing, Timing]:
    """person_merge and person_unmerge of two persons with ARRIVALS arrivals and DELIVERIES
    deliveries each, each with its summary refresh (what the Celery task does after the
    commit); and the floor: the same rows moved by hand-written UPDATEs. Rolled back."""
    timings = Timing("person_merge"), Timing("person_unmerge"), Timing("sql")
    service_type = ServiceType.objects.filter(active=True, requires_case=False).first()
    for run in range(runs):
        try:
            with transaction.atomic():
                kept, other = (
                    _person_with_history(
                        home=home, user=supervisor, service_type=service_type, n=2 * run + i
                    )
                    for i in (0, 1)
                )
                _merge_once(supervisor, kept, other, refresh, timings)
                raise _RolledBack
        except _RolledBack:
            pass
    return timings


def _merge_once(
    supervisor: Any, kept: Person, other: Person, refresh: Any, timings: tuple[Timing, ...]
) -> None:
    merging, unmerging, floor = timings
    ids = [kept.pk, other.pk]

    def merge() -> Any:
        done = person_merge(
            actor=supervisor,
            survivor_id=kept.pk,
            merged_id=other.pk,
            take=["given_names"],
            reason="bench",
            expected_versions=(kept.version, other.version),
        )
        refresh(person_ids=ids)
        return done

    done = timed(merging, merge, user=supervisor)

    def unmerge() -> None:
        person_unmerge(actor=supervisor, merge_id=done.pk, reason="bench")
        refresh(person_ids=ids)

    timed(unmerging, unmerge, user=supervisor)
    timed(floor, lambda: _sql_move(other.pk, kept.pk))


def _sql_move(from_id: uuid.UUID, to_id: uuid.UUID) -> None:
    """The floor of a merge: the person's rows moved by one UPDATE per table, nothing else."""
    with connection.cursor() as cursor:
        for table in (
            "intake_arrival",
            "services_servicedelivery",
            "casework_case",
            "registry_consent",
            "registry_correction",
        ):
            cursor.execute(
                f"UPDATE {table} SET person_id = %s WHERE person_id = %s",  # noqa: S608
                [to_id, from_id],
            )


def measure_scan(*, country_iso2: str) -> tuple[Timing, dict[str, int], Timing]:
    """The nightly duplicate scan of one country (rolled back: the queue is left as it was),
    and its floor: reading the same persons' scanned columns once."""
    scan, floor = Timing("duplicates_find_country"), Timing("sql")
    result: dict[str, int] = {}
    try:
        with transaction.atomic():
            result = timed(scan, lambda: duplicates_find_country(country_iso2=country_iso2))
            raise _RolledBack
    except _RolledBack:
        pass

    def read() -> int:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT p.id, p.document_key, p.given_name_keys, p.surname_keys, p.birth_date, "
                "p.birth_date_estimated FROM registry_person p WHERE p.id IN (SELECT l.person_id "
                "FROM registry_personcenter l JOIN registry_receptioncenter c ON c.id = "
                "l.center_id JOIN registry_country k ON k.id = c.country_id WHERE k.iso2 = %s)",
                [country_iso2],
            )
            return len(cursor.fetchall())

    timed(floor, read)
    return scan, result, floor

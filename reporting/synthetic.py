"""Synthetic national-scale data for load tests and demos: persons, arrivals, cases, deliveries.

Reproducible from a seed: the same seed and size give the same rows (dates are anchored on
the day of the run). Rows are written in batches with PostgreSQL COPY, or bulk_create on other
databases; model save() is bypassed, so derived fields (name keys) are computed here, and no
audit entries are written (the rows describe no real person). Every row is marked as
synthetic by its author, the `synthetic` user, so that --fresh can remove exactly these rows.
"""

from __future__ import annotations

import functools
import random
import sys
import time
import uuid
import zoneinfo
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.color import no_style
from django.db import connection, models, transaction
from django.utils import timezone

from casework.models import (
    Case,
    CaseCounter,
    ClosureReason,
    Consent,
    Country,
    Department,
    DocumentType,
    Municipality,
    Person,
    PersonCenter,
    ReceptionCenter,
    VulnerabilityCategory,
)
from casework.names import document_normalise, name_keys
from intake.management.commands.bench_intake import (
    FEMALE_NAMES,
    MALE_NAMES,
    NATIONAL_DOCUMENT,
    SURNAMES,
    document_number,
)
from intake.management.commands.seed_demo import CENTERS as DEMO_CENTERS
from intake.models import Arrival
from services.models import ServiceDelivery, ServiceType

SYNTHETIC_USERNAME = "synthetic"
DIGITS = "0123456789"
# Length of the all-digit national identity numbers (DPI, DNI, DUI).
NATIONAL_DIGITS = {"dpi": 13, "dni": 13, "dui": 9}

# Returns a year by country (order of magnitude of recent fiscal years); persons are split
# in the same proportions.
ARRIVALS_PER_YEAR = {"GT": 80_000, "HN": 90_000, "SV": 17_000}
# Share of arrivals by air from the United States; the rest by land from Mexico.
AIR_SHARE = {"GT": 0.70, "HN": 0.60, "SV": 0.85}
# Departments most returnees come from, by ISO code, with their weight; others weigh 1.
DEPARTMENT_WEIGHTS = {
    "GT-13": 16, "GT-12": 12, "GT-01": 9, "GT-09": 7, "GT-14": 7, "GT-16": 5, "GT-07": 4,
    "GT-08": 4, "GT-04": 3, "GT-22": 3, "GT-17": 2,
    "HN-CR": 14, "HN-FM": 10, "HN-YO": 7, "HN-OL": 5, "HN-AT": 4, "HN-CP": 4, "HN-SB": 4,
    "HN-CM": 3, "HN-CH": 3, "HN-EP": 3, "HN-CL": 2,
    "SV-SS": 10, "SV-SM": 8, "SV-LI": 5, "SV-US": 5, "SV-UN": 4, "SV-SA": 4, "SV-SO": 3,
    "SV-AH": 3, "SV-CH": 2, "SV-MO": 2,
}  # fmt: skip
MINOR_SHARE = 0.06
UNACCOMPANIED_SHARE_OF_MINORS = 0.45
REPEAT_SHARE = 0.20
CASE_SHARE = 0.17
# Post-arrival aid handed out at the door: (service code, share of arrivals, max quantity).
AID_AT_ARRIVAL = (
    ("food", 0.95, 2),
    ("hygiene_kit", 0.90, 1),
    ("transport", 0.50, 1),
    ("phone_call", 0.30, 2),
    ("clothing", 0.10, 2),
    ("psych_first_aid", 0.07, 1),
    ("medical_care", 0.05, 1),
    ("temporary_lodging", 0.03, 2),
)
# Reintegration services within a case: (service code, share of cases).
REINTEGRATION = (
    ("vocational_training", 0.45),
    ("psychosocial_individual", 0.35),
    ("job_placement", 0.20),
    ("financial_education", 0.20),
    ("psychosocial_group", 0.15),
    ("legal_assistance", 0.08),
    ("skills_certification", 0.05),
    ("business_startup", 0.05),
)
CURRENCY = {"GT": "GTQ", "HN": "HNL", "SV": "USD"}
VOID_SHARE = 0.005
VOID_REASONS = ("Registro duplicado", "Error de digitación en la cantidad", "Persona equivocada")
CONSENT_SHARES = {
    Consent.Kind.PROCESS_DATA: 1.0,
    Consent.Kind.SHARE_WITH_PARTNERS: 0.90,
    Consent.Kind.FOLLOW_UP_CONTACT: 0.85,
    Consent.Kind.ANONYMISED_STATISTICS: 0.98,
}
SECTORS = [s.value for s in ServiceDelivery.Sector]


@dataclass
class Summary:
    persons: int = 0
    arrivals: int = 0
    cases: int = 0
    deliveries: int = 0
    consents: int = 0
    seconds: float = 0.0
    method: str = ""
    counts: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Reference:
    countries: dict[str, Country]
    documents: dict[str, DocumentType]
    departments: dict[str, tuple[list[int], list[int]]]  # iso2 -> (ids, weights)
    municipalities: dict[int, list[int]]  # department id -> municipality ids
    centers: dict[tuple[str, str], list[ReceptionCenter]]  # (iso2, kind) -> centres
    services: dict[str, ServiceType]
    closure_reasons: list[int]
    vulnerabilities: list[int]


class Progress:
    """A plain text progress bar on stderr (no dependency): one line rewritten in place."""

    def __init__(self, total: int, *, stream: Any = None, label: str = "persons") -> None:
        self.total = max(total, 1)
        self.stream = stream if stream is not None else sys.stderr
        self.label = label
        self.started = time.perf_counter()

    def update(self, done: int) -> None:
        share = done / self.total
        bar = "#" * int(share * 30)
        elapsed = time.perf_counter() - self.started
        rate = done / elapsed if elapsed else 0.0
        self.stream.write(
            f"\r[{bar:<30}] {share:6.1%} {done:,}/{self.total:,} {self.label} "
            f"{elapsed:6.1f} s ({rate:,.0f}/s)"
        )
        self.stream.flush()

    def close(self) -> None:
        self.stream.write("\n")
        self.stream.flush()


def fiscal_window(today: date, years: int) -> tuple[date, date]:
    """From 1 October of the first of the last `years` US fiscal years to yesterday."""
    current_start = today.year if today.month >= 10 else today.year - 1
    return date(current_start - (years - 1), 10, 1), today - timedelta(days=1)


# --- reference data -------------------------------------------------------------------------


def synthetic_user() -> Any:
    User = get_user_model()
    user, created = User.objects.get_or_create(
        username=SYNTHETIC_USERNAME,
        defaults={"first_name": "Datos", "last_name": "sintéticos", "is_active": False},
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


def _centers_ensure(countries: dict[str, Country]) -> list[ReceptionCenter]:
    """The active centres; the demo centres of a programme country that has none."""
    existing = list(ReceptionCenter.objects.filter(active=True).select_related("country"))
    have = {c.country.iso2 for c in existing}
    for spec in DEMO_CENTERS:
        if spec["country"] in have:
            continue
        center, _created = ReceptionCenter.objects.get_or_create(
            code=spec["code"],
            defaults={
                "name": spec["name_es"],
                "name_es": spec["name_es"],
                "name_en": spec["name_en"],
                "country": countries[spec["country"]],
                "kind": spec["kind"],
                "time_zone": spec["time_zone"],
            },
        )
        existing.append(center)
    return existing


def reference_load() -> Reference:
    countries = {c.iso2: c for c in Country.objects.filter(iso2__in=["GT", "HN", "SV", "US", "MX"])}
    missing = {"GT", "HN", "SV", "US", "MX"} - set(countries)
    if missing:
        raise LookupError(f"reference data missing (countries {sorted(missing)}): run migrate")
    departments: dict[str, tuple[list[int], list[int]]] = {}
    for pk, iso2, iso_code in Department.objects.order_by("iso_code").values_list(
        "pk", "country__iso2", "iso_code"
    ):
        ids, weights = departments.setdefault(iso2, ([], []))
        ids.append(pk)
        weights.append(DEPARTMENT_WEIGHTS.get(iso_code, 1))
    municipalities: dict[int, list[int]] = defaultdict(list)
    for pk, department_id in Municipality.objects.order_by("pcode").values_list(
        "pk", "department_id"
    ):
        municipalities[department_id].append(pk)
    centers: dict[tuple[str, str], list[ReceptionCenter]] = defaultdict(list)
    for center in sorted(_centers_ensure(countries), key=lambda c: c.code):
        centers[(center.country.iso2, center.kind)].append(center)
    services = {s.code: s for s in ServiceType.objects.all()}
    needed = [code for code, *_rest in AID_AT_ARRIVAL] + [code for code, _s in REINTEGRATION]
    if any(code not in services for code in needed):
        raise LookupError("the service catalogue is not loaded: run migrate")
    return Reference(
        countries=countries,
        documents={d.code: d for d in DocumentType.objects.all()},
        departments=departments,
        municipalities=dict(municipalities),
        centers=dict(centers),
        services=services,
        closure_reasons=list(ClosureReason.objects.order_by("code").values_list("pk", flat=True)),
        vulnerabilities=list(
            VulnerabilityCategory.objects.order_by("code").values_list("pk", flat=True)
        ),
    )


# --- writing ----------------------------------------------------------------------------------


class RowWriter:
    """Writes tuples for a fixed list of a model's fields: COPY on PostgreSQL, else bulk_create."""

    def __init__(self, model: type[models.Model], names: Sequence[str]) -> None:
        self.model = model
        self.fields = [model._meta.get_field(name) for name in names]
        self.attnames = [f.attname for f in self.fields]
        self.rows: list[tuple] = []

    def add(self, row: tuple) -> None:
        self.rows.append(row)

    def flush(self) -> int:
        rows, self.rows = self.rows, []
        if not rows:
            return 0
        if connection.vendor == "postgresql":
            quote = connection.ops.quote_name
            columns = ", ".join(quote(f.column) for f in self.fields)
            statement = f"COPY {quote(self.model._meta.db_table)} ({columns}) FROM STDIN"
            with connection.cursor() as cursor, cursor.cursor.copy(statement) as copy:
                # COPY's text format built here: several times faster than write_row().
                for start in range(0, len(rows), 5_000):
                    copy.write(_copy_lines(rows[start : start + 5_000]))
        else:
            attnames = self.attnames
            self.model.objects.bulk_create(
                [self.model(**dict(zip(attnames, row, strict=True))) for row in rows],
                batch_size=2_000,
            )
        return len(rows)


_COPY_TEXT: dict[type, Callable[[Any], str]] = {
    type(None): lambda _value: "\\N",
    bool: lambda value: "t" if value else "f",
    int: str,
    uuid.UUID: str,
    date: str,
    datetime: str,  # aware: "2025-03-01 10:15:00-06:00"
    Decimal: str,
}


def _copy_lines(rows: list[tuple]) -> str:
    """Rows in COPY's text format. Strings are written as they are: every text value is
    generated here from fixed lists and codes, none holds a tab, newline or backslash."""
    text = _COPY_TEXT
    return "".join(
        "\t".join([v if type(v) is str else text.get(type(v), str)(v) for v in row]) + "\n"
        for row in rows
    )


@functools.lru_cache(maxsize=65_536)
def _name_keys(text: str) -> str:
    """Names come from short lists: their keys are computed once each."""
    return " ".join(name_keys(text))


def _document_number(rng: random.Random, doc_type: DocumentType) -> str:
    """A number in the type's format; national documents are all digits (fast path)."""
    length = NATIONAL_DIGITS.get(doc_type.code)
    if length:
        return "".join(rng.choices(DIGITS, k=length))
    return document_number(rng, doc_type)


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def _seeded_uuid(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)


def _next_id(model: type[models.Model]) -> int:
    return (model.objects.aggregate(top=models.Max("pk"))["top"] or 0) + 1


# --- generation -------------------------------------------------------------------------------


class Generator:
    """Generates one person at a time with everything that hangs off them, into row writers."""

    def __init__(
        self, *, rng: random.Random, reference: Reference, user_id: int, start: date, end: date
    ) -> None:
        self.rng = rng
        self.ref = reference
        self.user_id = user_id
        self.start = start
        self.end = end
        self.days = (end - start).days + 1
        self.now = timezone.now()
        self.countries = list(ARRIVALS_PER_YEAR)
        self.country_weights = list(ARRIVALS_PER_YEAR.values())
        self.zones: dict[str, zoneinfo.ZoneInfo] = {}
        self.next_arrival_id = _next_id(Arrival)
        self.next_case_id = _next_id(Case)
        self.next_delivery_id = _next_id(ServiceDelivery)
        # (centre id, year) -> last case number given, continuing any real numbering.
        self.counters: dict[tuple[int, int], int] = {
            (c.center_id, c.year): c.last for c in CaseCounter.objects.all()
        }
        self.case_prefixes: dict[int, str] = {}
        self.persons = RowWriter(
            Person,
            (
                "id", "given_names", "first_surname", "second_surname", "sex", "birth_date",
                "birth_date_estimated", "nationality", "document_type", "document_number",
                "origin_department", "origin_municipality", "document_key", "given_name_keys",
                "surname_keys", "version", "created_at", "updated_at", "created_by",
                "gender_identity", "indigenous_people", "language", "phone",
            ),
        )  # fmt: skip
        self.links = RowWriter(PersonCenter, ("person", "center", "first_seen_at"))
        self.consents = RowWriter(
            Consent, ("person", "kind", "granted", "recorded_at", "recorded_by")
        )
        self.arrivals = RowWriter(
            Arrival,
            (
                "id", "client_uuid", "person", "center", "arrived_at", "mode", "returned_from",
                "transport_reference", "travel_group", "family_group",
                "intends_to_migrate_again", "needs", "protection_concerns", "registered_by",
                "created_at", "request_fingerprint",
            ),
        )  # fmt: skip
        self.cases = RowWriter(
            Case,
            (
                "id", "number", "person", "center", "opened_from_arrival", "assigned_to",
                "status", "restricted", "economic_needs", "social_needs", "psychosocial_needs",
                "assessed_at", "opened_at", "opened_by", "closed_at", "closed_by",
                "closure_reason", "closure_note", "version", "client_uuid",
            ),
        )  # fmt: skip
        self.case_vulnerabilities = RowWriter(
            Case.vulnerabilities.through, ("case", "vulnerabilitycategory")
        )
        self.deliveries = RowWriter(
            ServiceDelivery,
            (
                "id", "client_uuid", "person", "center", "case", "service_type",
                "delivered_on", "quantity", "status", "training_hours", "training_completed",
                "training_certified", "employer_sector", "employment_formal",
                "employment_start", "still_employed_at_follow_up", "sessions_attended",
                "improvement_noted", "cash_amount", "cash_currency", "recorded_by",
                "recorded_at", "voided_at", "voided_by", "void_reason", "replaces",
                "funding_award", "request_fingerprint",
            ),
        )  # fmt: skip
        self.writers = (
            self.persons,
            self.links,
            self.consents,
            self.arrivals,
            self.cases,
            self.case_vulnerabilities,
            self.deliveries,
        )
        self.summary = Summary()

    # -- one person ---------------------------------------------------------------------------

    def person(self) -> None:
        rng = self.rng
        iso2 = rng.choices(self.countries, self.country_weights)[0]
        person_id = _seeded_uuid(rng)
        minor = rng.random() < MINOR_SHARE
        unaccompanied = minor and rng.random() < UNACCOMPANIED_SHARE_OF_MINORS
        roll = rng.random()
        sex = (
            "male"
            if roll < (0.62 if minor else 0.80)
            else "female"
            if roll < 0.99
            else "other"
            if roll < 0.995
            else "not_stated"
        )
        given = " ".join(
            rng.sample(FEMALE_NAMES if sex == "female" else MALE_NAMES, rng.choice((1, 2, 2)))
        )
        first, second = rng.sample(SURNAMES, 2)
        if rng.random() < 0.04:
            second = ""

        # Arrival days first: the age is drawn for the first of them.
        returns = 1
        if rng.random() < REPEAT_SHARE:
            returns = rng.choices((2, 3, 4), (60, 25, 15))[0]
        days = sorted(rng.sample(range(self.days), min(returns, self.days)))
        first_day = self.start + timedelta(days=days[0])
        if unaccompanied:
            age = rng.randint(12, 17)
        elif minor:
            age = rng.randint(0, 17)
        else:
            age = min(18 + int(rng.gammavariate(2.0, 6.0)), 75)
        # Exactly `age` at the first arrival, an estimated date (1 July) included.
        estimated = rng.random() < 0.10
        if estimated:
            birth = date(
                first_day.year - age - (1 if first_day < date(first_day.year, 7, 1) else 0), 7, 1
            )
        else:
            latest = _years_before(first_day, age)
            birth = latest - timedelta(
                days=rng.randint(0, (latest - _years_before(latest, 1)).days - 1)
            )

        documents = self.ref.documents
        if not minor and rng.random() < 0.85:
            doc_type = documents[NATIONAL_DOCUMENT[iso2]]
        elif rng.random() < 0.4:
            doc_type = documents["passport"]
        else:
            doc_type = documents["none"]
        number = _document_number(rng, doc_type)
        department_id = municipality_id = None
        if rng.random() < 0.96:
            ids, weights = self.ref.departments[iso2]
            department_id = rng.choices(ids, weights)[0]
            options = self.ref.municipalities.get(department_id)
            if options and rng.random() < 0.9:
                municipality_id = rng.choice(options)

        family_group = _seeded_uuid(rng) if minor and not unaccompanied else None
        arrivals = []  # (arrival id, centre, local date, aware datetime)
        for index, offset in enumerate(days):
            arrivals.append(
                self._arrival(
                    person_id=person_id,
                    iso2=iso2,
                    day=self.start + timedelta(days=offset),
                    minor=minor,
                    unaccompanied=unaccompanied,
                    family_group=family_group,
                    repeat=index > 0,
                )
            )
        first_at = arrivals[0][3]
        self.persons.add(
            (
                person_id, given, first, second, sex, birth, estimated,
                self.ref.countries[iso2].pk, doc_type.pk, number, department_id,
                municipality_id, document_normalise(number), _name_keys(given),
                _name_keys(f"{first} {second}"), 1, first_at, first_at, self.user_id,
                "", "", "", "",
            )
        )  # fmt: skip
        seen: dict[int, datetime] = {}
        for _arrival_id, center, _day, at in arrivals:
            seen.setdefault(center.pk, at)
        for center_id, at in seen.items():
            self.links.add((person_id, center_id, at))
        for kind, share in CONSENT_SHARES.items():
            granted = share >= 1.0 or rng.random() < share
            self.consents.add((person_id, str(kind), granted, first_at, self.user_id))
            self.summary.consents += 1

        if rng.random() < CASE_SHARE:
            arrival = arrivals[-1] if rng.random() < 0.5 else arrivals[0]
            self._case(person_id=person_id, iso2=iso2, minor=minor, arrival=arrival)
        self.summary.persons += 1

    def _zone(self, name: str) -> zoneinfo.ZoneInfo:
        if name not in self.zones:
            self.zones[name] = zoneinfo.ZoneInfo(name)
        return self.zones[name]

    def _center(self, iso2: str, kind: str) -> ReceptionCenter:
        centers = self.ref.centers
        options = centers.get((iso2, kind)) or [
            c
            for (country, _kind), group in sorted(centers.items())
            if country == iso2
            for c in group
        ]
        return options[0] if len(options) == 1 else self.rng.choice(options)

    def _arrival(
        self,
        *,
        person_id: uuid.UUID,
        iso2: str,
        day: date,
        minor: bool,
        unaccompanied: bool,
        family_group: uuid.UUID | None,
        repeat: bool,
    ) -> tuple[int, ReceptionCenter, date, datetime]:
        rng = self.rng
        by_air = rng.random() < AIR_SHARE[iso2]
        kind = ReceptionCenter.Kind.AIR if by_air else ReceptionCenter.Kind.LAND
        if minor and not unaccompanied and (iso2, "children_families") in self.ref.centers:
            kind = ReceptionCenter.Kind.CHILDREN_FAMILIES
        center = self._center(iso2, kind)
        at = datetime(
            day.year, day.month, day.day, rng.randint(6, 21), rng.randint(0, 59),
            tzinfo=self._zone(center.time_zone),
        )  # fmt: skip
        arrival_id = self.next_arrival_id
        self.next_arrival_id += 1
        travel_group = (
            "unaccompanied_minor" if unaccompanied else "family_unit" if minor else "alone"
        )
        intention = rng.choices(("yes", "no", "undecided", "not_asked"), (18, 47, 25, 10))[0]
        if repeat and intention == "no":
            intention = "undecided"
        self.arrivals.add(
            (
                arrival_id, _seeded_uuid(rng), person_id, center.pk, at,
                "air" if by_air else "land",
                self.ref.countries["US" if by_air else "MX"].pk,
                f"{'VUELO' if by_air else 'BUS'}-{rng.randint(100, 999)}",
                travel_group, family_group, intention, "", "", self.user_id, at, "",
            )
        )  # fmt: skip
        self.summary.arrivals += 1
        for code, share, top in AID_AT_ARRIVAL:
            if rng.random() < share:
                self._delivery(
                    person_id=person_id,
                    center_id=center.pk,
                    case_id=None,
                    service=self.ref.services[code],
                    day=day,
                    at=at,
                    quantity=1 if top == 1 else rng.randint(1, top),
                )
        return arrival_id, center, day, at

    def _case(
        self,
        *,
        person_id: uuid.UUID,
        iso2: str,
        minor: bool,
        arrival: tuple[int, ReceptionCenter, date, datetime],
    ) -> None:
        rng = self.rng
        arrival_id, center, day, at = arrival
        opened_at = at + timedelta(days=rng.randint(0, 20), hours=rng.randint(0, 3))
        if opened_at.date() > self.end:
            opened_at = at
        year = opened_at.year
        key = (center.pk, year)
        self.counters[key] = self.counters.get(key, 0) + 1
        number = f"{center.code}-{year}-{self.counters[key]:05d}"
        case_id = self.next_case_id
        self.next_case_id += 1
        age_days = (self.end - opened_at.date()).days
        closed = age_days > 120 and rng.random() < 0.6 and self.ref.closure_reasons
        closed_at = (
            opened_at + timedelta(days=rng.randint(60, min(age_days, 400))) if closed else None
        )
        self.cases.add(
            (
                case_id, number, person_id, center.pk, arrival_id, self.user_id,
                "closed" if closed else "open", rng.random() < 0.02, "", "", "",
                opened_at, opened_at, self.user_id, closed_at,
                self.user_id if closed else None,
                rng.choice(self.ref.closure_reasons) if closed else None, "", 1,
                _seeded_uuid(rng),
            )
        )  # fmt: skip
        self.summary.cases += 1
        vulnerabilities = set()
        if rng.random() < 0.5 and self.ref.vulnerabilities:
            vulnerabilities = set(rng.sample(self.ref.vulnerabilities, rng.randint(1, 2)))
        for vulnerability_id in sorted(vulnerabilities):
            self.case_vulnerabilities.add((case_id, vulnerability_id))

        last_day = min(self.end, (closed_at or (opened_at + timedelta(days=240))).date())
        span = max((last_day - opened_at.date()).days, 0)
        services = [code for code, share in REINTEGRATION if rng.random() < share]
        if not services:
            services = ["psychosocial_individual" if minor else "vocational_training"]
        for code in services:
            service = self.ref.services[code]
            day = opened_at.date() + timedelta(days=rng.randint(0, span))
            self._delivery(
                person_id=person_id,
                center_id=center.pk,
                case_id=case_id,
                service=service,
                day=day,
                at=datetime.combine(day, at.timetz()),
                quantity=rng.randint(1, min(service.max_quantity, 8)),
                iso2=iso2,
                recent=(self.end - day).days < 60,
            )

    def _delivery(
        self,
        *,
        person_id: uuid.UUID,
        center_id: int,
        case_id: int | None,
        service: ServiceType,
        day: date,
        at: datetime,
        quantity: int,
        iso2: str = "GT",
        recent: bool = False,
    ) -> None:
        rng = self.rng
        status = "completed"
        hours = completed = certified = None
        sector, formal, start, still = "", None, None, None
        sessions = improvement = None
        amount, currency = None, ""
        if service.outcome == ServiceType.Outcome.TRAINING:
            quantity = 1 if service.max_quantity == 1 else quantity
            hours = rng.choice((16, 40, 80, 120, 160, 200))
            if recent and rng.random() < 0.5:
                status = "in_progress"
            else:
                completed = rng.random() < 0.72
                certified = completed and rng.random() < 0.6
                status = "completed" if completed else "not_completed"
        elif service.outcome == ServiceType.Outcome.JOB_PLACEMENT:
            quantity = 1
            sector = rng.choice(SECTORS)
            formal = rng.random() < 0.35
            start = day
            still = None if recent else rng.random() < 0.6
        elif service.outcome == ServiceType.Outcome.PSYCHOSOCIAL:
            sessions = quantity
            improvement = None if recent else rng.random() < 0.62
        elif service.outcome == ServiceType.Outcome.CASH:
            quantity = 1
            amount = Decimal(rng.choice((1500, 2500, 4000, 6000)))
            currency = CURRENCY.get(iso2, "USD")
        delivery_id = self.next_delivery_id
        self.next_delivery_id += 1
        voided = service.category == ServiceType.Category.POST_ARRIVAL_AID and (
            rng.random() < VOID_SHARE
        )
        voided_at = at + timedelta(hours=rng.randint(1, 48)) if voided else None
        self.deliveries.add(
            (
                delivery_id, _seeded_uuid(rng), person_id, center_id, case_id, service.pk, day,
                quantity, status, hours, completed, certified, sector, formal, start, still,
                sessions, improvement, amount, currency, self.user_id, at, voided_at,
                self.user_id if voided else None,
                rng.choice(VOID_REASONS) if voided else "", None, "", "",
            )
        )  # fmt: skip
        self.summary.deliveries += 1
        if voided and rng.random() < 0.5:
            # The correction: a new row that replaces the voided one.
            self.next_delivery_id += 1
            self.deliveries.add(
                (
                    delivery_id + 1, _seeded_uuid(rng), person_id, center_id, case_id,
                    service.pk, day, 1, "completed", None, None, None, "", None, None, None,
                    None, None, None, "", self.user_id, voided_at, None, None, "",
                    delivery_id, "", "",
                )
            )  # fmt: skip
            self.summary.deliveries += 1

    # -- batches ------------------------------------------------------------------------------

    def flush(self) -> None:
        with transaction.atomic():
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    # Rows that can be generated again need not wait for the disk.
                    cursor.execute("SET LOCAL synchronous_commit TO off")
            for writer in self.writers:
                writer.flush()

    def counters_save(self) -> None:
        for (center_id, year), last in sorted(self.counters.items()):
            counter, _created = CaseCounter.objects.get_or_create(center_id=center_id, year=year)
            if counter.last < last:
                counter.last = last
                counter.save(update_fields=["last"])


def synthetic_delete(user: Any) -> dict[str, int]:
    """Delete the rows the synthetic user wrote, children first, with plain SQL."""
    quote = connection.ops.quote_name

    def table(model: type[models.Model]) -> str:
        return quote(model._meta.db_table)

    persons = f"SELECT id FROM {table(Person)} WHERE created_by_id = %s"  # noqa: S608
    cases = f"SELECT id FROM {table(Case)} WHERE opened_by_id = %s"  # noqa: S608
    statements = (
        (
            "deliveries_replacing",
            ServiceDelivery,
            "replaces_id IS NOT NULL AND recorded_by_id = %s",
        ),
        ("deliveries", ServiceDelivery, "recorded_by_id = %s"),
        ("case_vulnerabilities", Case.vulnerabilities.through, f"case_id IN ({cases})"),
        ("cases", Case, "opened_by_id = %s"),
        ("arrivals", Arrival, "registered_by_id = %s"),
        ("consents", Consent, f"person_id IN ({persons})"),
        ("links", PersonCenter, f"person_id IN ({persons})"),
        ("persons", Person, "created_by_id = %s"),
    )
    deleted: dict[str, int] = {}
    with transaction.atomic(), connection.cursor() as cursor:
        for label, model, where in statements:
            cursor.execute(f"DELETE FROM {table(model)} WHERE {where}", [user.pk])  # noqa: S608
            deleted[label] = cursor.rowcount
    return deleted


def synthetic_generate(
    *,
    persons: int,
    years: int = 2,
    seed: int = 20241001,
    fresh: bool = False,
    batch_size: int = 10_000,
    today: date | None = None,
    progress: Callable[[int], None] | None = None,
) -> Summary:
    """Generate `persons` synthetic persons with their arrivals, consents, cases and deliveries."""
    started = time.perf_counter()
    user = synthetic_user()
    if fresh:
        synthetic_delete(user)
    elif Person.objects.filter(created_by=user).exists():
        raise FileExistsError("synthetic data is already present: use --fresh to replace it")
    reference = reference_load()
    start, end = fiscal_window(today or timezone.localdate(), years)
    generator = Generator(
        rng=random.Random(seed), reference=reference, user_id=user.pk, start=start, end=end
    )
    done = 0
    while done < persons:
        size = min(batch_size, persons - done)
        for _ in range(size):
            generator.person()
        generator.flush()
        done += size
        if progress:
            progress(done)
    with transaction.atomic():
        generator.counters_save()
        if connection.vendor == "postgresql":
            _sequences_reset((Arrival, Case, ServiceDelivery))
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for model in (Person, PersonCenter, Consent, Arrival, Case, ServiceDelivery):
                cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
    summary = generator.summary
    summary.method = "COPY" if connection.vendor == "postgresql" else "bulk_create"
    summary.seconds = time.perf_counter() - started
    return summary


def _sequences_reset(model_list: Iterable[type[models.Model]]) -> None:
    """Explicit ids were written: move the id sequences past them."""
    statements = connection.ops.sequence_reset_sql(no_style(), list(model_list))
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)

"""Synthetic national-scale data for load tests and demos: persons, arrivals, cases, deliveries.

Reproducible from a seed: the same seed and size give the same rows, whatever the batch size
or the way of loading (dates are anchored on the day of the run). Rows are written in batches
with PostgreSQL COPY, or plain INSERTs on other databases; model save() is bypassed, so derived
fields (name keys) are computed here, and no audit entries are written (the rows describe no
real person). Every row is marked as synthetic by its author, the `synthetic` user, so that
--fresh can remove exactly these rows.

At national scale (a million persons, 1.3 million arrivals, 4 million deliveries) on
PostgreSQL, the rows are generated in a child process while the parent COPYs them, and the
loaded tables' foreign keys and secondary indexes are dropped for the load and rebuilt after,
all in one transaction: a few minutes rather than half an hour.
"""

from __future__ import annotations

import bisect
import functools
import itertools
import multiprocessing
import random
import sys
import time
import traceback
import zlib
import zoneinfo
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.color import no_style
from django.db import connection, models, transaction
from django.utils import timezone

from casework.models import Case, CaseCounter
from devtools.management.commands.bench_intake import (
    FEMALE_NAMES,
    MALE_NAMES,
    NATIONAL_DOCUMENT,
    SURNAMES,
    document_number,
)
from devtools.management.commands.seed_demo import CENTERS as DEMO_CENTERS
from intake.models import Arrival
from registry.models import (
    RECORD_KEY_RANGE,
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
from registry.names import document_normalise, name_keys, person_name_variants
from reporting.summary import summary_rebuild
from services.models import ServiceDelivery, ServiceType

SYNTHETIC_USERNAME = "synthetic"
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
# How many times a repeat returnee came back, with weights.
REPEAT_RETURNS = {2: 60, 3: 25, 4: 15}
ARRIVALS_PER_PERSON = (
    1
    - REPEAT_SHARE
    + REPEAT_SHARE
    * sum(returns * weight for returns, weight in REPEAT_RETURNS.items())
    / sum(REPEAT_RETURNS.values())
)
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
    # Seconds by phase of the run, in the order they first happened.
    phases: dict[str, float] = field(default_factory=dict)
    # (seconds, statement) of each index and foreign key rebuilt after a fast load.
    rebuilt: list[tuple[float, str]] = field(default_factory=list)


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
        self.closed = False

    def update(self, done: int) -> None:
        if done == 0:  # the work starts now
            self.started = time.perf_counter()
        self.closed = False
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
        if not self.closed:
            self.closed = True
            self.stream.write("\n")
            self.stream.flush()


def fiscal_window(today: date, years: int) -> tuple[date, date]:
    """From 1 October of the first of the last `years` US fiscal years to yesterday.

    The years are counted back from yesterday's: on 1 October the fiscal year that began today
    has no day to fill yet, and the one that ended yesterday is the last.
    """
    yesterday = today - timedelta(days=1)
    current_start = yesterday.year if yesterday.month >= 10 else yesterday.year - 1
    return date(current_start - (years - 1), 10, 1), yesterday


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

# What COPY reads as NULL. A row is written as "\t".join(map(str, row)), the quickest way there
# is, and str(None) is "None"; str() of every other value is what COPY reads (True/False, ints,
# Decimals, ISO dates; uuids and aware datetimes are text already). No generated text is
# "None", and none holds a tab, newline or backslash: every text value comes from fixed lists
# and codes.
COPY_NULL = "None"
# Bytes handed to COPY at a time.
COPY_CHUNK = 1 << 20


class RowWriter:
    """Collects tuples for a fixed list of a model's fields: COPY text on PostgreSQL, else
    plain INSERTs."""

    def __init__(self, model: type[models.Model], names: Sequence[str]) -> None:
        self.model = model
        self.fields = [model._meta.get_field(name) for name in names]
        self.attnames = [f.attname for f in self.fields]
        self.rows: list[tuple] = []
        self.add = self.rows.append

    def copy_statement(self) -> str:
        quote = connection.ops.quote_name
        columns = ", ".join(quote(f.column) for f in self.fields)
        return (
            f"COPY {quote(self.model._meta.db_table)} ({columns}) FROM STDIN "
            f"WITH (NULL '{COPY_NULL}')"
        )

    def copy_text_take(self) -> bytes:
        """The rows collected so far in COPY's text format; the writer is emptied."""
        text = "".join(["\t".join(map(str, row)) + "\n" for row in self.rows])
        self.rows.clear()
        return text.encode()

    def copy(self, cursor: Any, data: bytes) -> None:
        if not data:
            return
        with cursor.copy(self.copy_statement()) as copy:
            for start in range(0, len(data), COPY_CHUNK):
                copy.write(data[start : start + COPY_CHUNK])

    def insert(self) -> None:
        """The rows collected so far by plain INSERTs, on databases without COPY. Not
        bulk_create: it would stamp auto_now fields (created_at, recorded_at) with the time of
        the run, where COPY keeps the generated times."""
        if not self.rows:
            return
        quote = connection.ops.quote_name
        fields = self.fields
        statement = (
            f"INSERT INTO {quote(self.model._meta.db_table)} "  # noqa: S608
            f"({', '.join(quote(f.column) for f in fields)}) "
            f"VALUES ({', '.join(['%s'] * len(fields))})"
        )
        params = [
            [f.get_db_prep_save(value, connection) for f, value in zip(fields, row, strict=True)]
            for row in self.rows
        ]
        self.rows.clear()
        with connection.cursor() as cursor:
            cursor.executemany(statement, params)


def _record_key(person_id: object) -> int:
    """A synthetic person's record key: reproducible, and drawing nothing from the generator's
    random stream (the generated registry stays the same as before keys existed)."""
    return zlib.crc32(str(person_id).encode()) % RECORD_KEY_RANGE


@functools.lru_cache(maxsize=65_536)
def _name_keys(text: str) -> str:
    """Names come from short lists: their keys are computed once each."""
    return " ".join(name_keys(text))


@functools.lru_cache(maxsize=65_536)
def _name_variants(given: str, surnames: str) -> str:
    return person_name_variants(_name_keys(given), _name_keys(surnames))


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


# The bits uuid.UUID(int=..., version=4) sets: the same values, without building UUID objects.
_UUID4_KEEP = ~((0xF000 << 64) | (0xC000 << 48)) & ((1 << 128) - 1)
_UUID4_SET = (4 << 76) | (0x8000 << 48)


def _seeded_uuid(rng: random.Random) -> str:
    """A version 4 uuid drawn from the generator, as text."""
    h = f"{(rng.getrandbits(128) & _UUID4_KEEP) | _UUID4_SET:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def _weighted(options: Sequence[Any], weights: Sequence[float]) -> Callable[[float], Any]:
    """A picker of one option by weight from a uniform draw in [0, 1): rng.choices, cheaper."""
    cumulative = list(itertools.accumulate(weights))
    total = cumulative[-1]
    bounds = [c / total for c in cumulative[:-1]]
    options = list(options)
    return lambda draw: options[bisect.bisect_right(bounds, draw)]


def _next_id(model: type[models.Model]) -> int:
    return (model.objects.aggregate(top=models.Max("pk"))["top"] or 0) + 1


# --- generation -------------------------------------------------------------------------------

TRAINING_HOURS = (16, 40, 80, 120, 160, 200)
CASH_AMOUNTS = (Decimal(1500), Decimal(2500), Decimal(4000), Decimal(6000))


class Generator:
    """Generates one person at a time with everything that hangs off them, into row writers.

    It reads the database only when built (reference data, next ids, case counters), so that it
    can run in a child process while the parent writes what it made (see `_batches_in_child`).
    Draws are plain `rng.random()` where the standard helpers (choices, randint) cost more than
    the rest of the row; the same seed still gives the same rows.
    """

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
        self.country_pick = _weighted(list(ARRIVALS_PER_YEAR), list(ARRIVALS_PER_YEAR.values()))
        self.returns_pick = _weighted(list(REPEAT_RETURNS), list(REPEAT_RETURNS.values()))
        self.intention_pick = _weighted(("yes", "no", "undecided", "not_asked"), (18, 47, 25, 10))
        self.department_picks = {
            iso2: _weighted(ids, weights) for iso2, (ids, weights) in reference.departments.items()
        }
        self.country_ids = {iso2: country.pk for iso2, country in reference.countries.items()}
        self.aid = [(reference.services[code], share, top) for code, share, top in AID_AT_ARRIVAL]
        self.reintegration = [(reference.services[code], share) for code, share in REINTEGRATION]
        self.consent_kinds = [(str(kind), share) for kind, share in CONSENT_SHARES.items()]
        self.zones: dict[str, zoneinfo.ZoneInfo] = {}
        self.center_options: dict[tuple[str, str], list[ReceptionCenter]] = {}
        self.first_arrival_id = self.next_arrival_id = _next_id(Arrival)
        self.first_case_id = self.next_case_id = _next_id(Case)
        self.first_delivery_id = self.next_delivery_id = _next_id(ServiceDelivery)
        # (centre id, year) -> last case number given, continuing any real numbering.
        self.counters: dict[tuple[int, int], int] = {
            (c.center_id, c.year): c.last for c in CaseCounter.objects.all()
        }
        self.persons = RowWriter(
            Person,
            (
                "id", "given_names", "first_surname", "second_surname", "sex", "birth_date",
                "birth_date_estimated", "nationality", "document_type", "document_number",
                "origin_department", "origin_municipality", "document_key", "given_name_keys",
                "surname_keys", "version", "created_at", "updated_at", "created_by",
                "gender_identity", "indigenous_people", "language", "phone", "phone_key", "record_key",
                "name_variant_keys",
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
                "created_at", "request_fingerprint", "void_reason",
            ),
        )  # fmt: skip
        self.cases = RowWriter(
            Case,
            (
                "id", "number", "person", "center", "opened_from_arrival", "assigned_to",
                "status", "restricted", "economic_needs", "social_needs", "psychosocial_needs",
                "assessed_at", "opened_at", "opened_by", "closed_at", "closed_by",
                "closure_reason", "closure_note", "version", "client_uuid",
                "request_fingerprint",
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
        draw = rng.random
        iso2 = self.country_pick(draw())
        person_id = _seeded_uuid(rng)
        minor = draw() < MINOR_SHARE
        unaccompanied = minor and draw() < UNACCOMPANIED_SHARE_OF_MINORS
        sex, given, first, second = self._sex_and_names(minor)

        # Arrival days first: the age is drawn for the first of them.
        days = self._arrival_days()
        birth, estimated = self._birth(self.start + timedelta(days=days[0]), minor, unaccompanied)
        doc_type, number, key = self._document(iso2, minor)
        department_id, municipality_id = self._origin(iso2)

        family_group = _seeded_uuid(rng) if minor and not unaccompanied else None
        arrivals = [  # (arrival id, centre, aware datetime, its text)
            self._arrival(
                person_id,
                iso2,
                self.start + timedelta(days=offset),
                minor,
                unaccompanied,
                family_group,
                index > 0,
            )
            for index, offset in enumerate(days)
        ]
        first_at = arrivals[0][3]
        self.persons.add(
            (
                person_id, given, first, second, sex, birth, estimated, self.country_ids[iso2],
                doc_type.pk, number, department_id, municipality_id, key, _name_keys(given),
                _name_keys(f"{first} {second}"), 1, first_at, first_at, self.user_id,
                "", "", "", "", "", _record_key(person_id), _name_variants(given, f"{first} {second}"),
            )
        )  # fmt: skip
        self._links_and_consents(person_id, arrivals, first_at)

        if draw() < CASE_SHARE:
            arrival = arrivals[-1] if draw() < 0.5 else arrivals[0]
            self._case(person_id=person_id, iso2=iso2, minor=minor, arrival=arrival)
        self.summary.persons += 1

    # Each step below draws from self.rng in the order person() always has: the same seed must
    # give the same rows, so a step's draws may not move.

    def _sex_and_names(self, minor: bool) -> tuple[str, str, str, str]:
        """Draw the sex, the given names and the two surnames (the second sometimes empty)."""
        rng = self.rng
        draw = rng.random
        roll = draw()
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
            rng.sample(FEMALE_NAMES if sex == "female" else MALE_NAMES, 1 if draw() < 1 / 3 else 2)
        )
        first, second = rng.sample(SURNAMES, 2)
        if draw() < 0.04:
            second = ""
        return sex, given, first, second

    def _arrival_days(self) -> list[int]:
        """Draw the days (offsets from the start) of the person's arrivals, sorted."""
        rng = self.rng
        draw = rng.random
        if draw() < REPEAT_SHARE:
            return sorted(rng.sample(range(self.days), min(self.returns_pick(draw()), self.days)))
        return [int(draw() * self.days)]

    def _birth(self, first_day: date, minor: bool, unaccompanied: bool) -> tuple[date, bool]:
        """Draw the age at the first arrival, then a birth date giving it; and if it is estimated."""
        rng = self.rng
        draw = rng.random
        if unaccompanied:
            age = 12 + int(draw() * 6)
        elif minor:
            age = int(draw() * 18)
        else:
            age = min(18 + int(rng.gammavariate(2.0, 6.0)), 75)
        # Exactly `age` at the first arrival, an estimated date (1 July) included.
        estimated = draw() < 0.10
        if estimated:
            birth = date(
                first_day.year - age - (1 if first_day < date(first_day.year, 7, 1) else 0), 7, 1
            )
        else:
            latest = _years_before(first_day, age)
            birth = latest - timedelta(days=int(draw() * (latest - _years_before(latest, 1)).days))
        return birth, estimated

    def _document(self, iso2: str, minor: bool) -> tuple[DocumentType, str, str]:
        """Draw the identity document: its type, its number and the number's key."""
        rng = self.rng
        draw = rng.random
        documents = self.ref.documents
        if not minor and draw() < 0.85:
            doc_type = documents[NATIONAL_DOCUMENT[iso2]]
            length = NATIONAL_DIGITS.get(doc_type.code)
        else:
            doc_type = documents["passport" if draw() < 0.4 else "none"]
            length = None
        if length:  # all digits: the number is its own key
            number = key = f"{rng.randrange(10**length):0{length}d}"
        else:
            number = document_number(rng, doc_type)
            key = document_normalise(number)
        return doc_type, number, key

    def _origin(self, iso2: str) -> tuple[int | None, int | None]:
        """Draw the department and municipality of origin (either may be unknown)."""
        draw = self.rng.random
        department_id = municipality_id = None
        if draw() < 0.96:
            department_id = self.department_picks[iso2](draw())
            options = self.ref.municipalities.get(department_id)
            if options and draw() < 0.9:
                municipality_id = options[int(draw() * len(options))]
        return department_id, municipality_id

    def _links_and_consents(
        self,
        person_id: str,
        arrivals: list[tuple[int, ReceptionCenter, datetime, str]],
        first_at: str,
    ) -> None:
        """Write the person's link to each centre of arrival (the first time there) and consents."""
        seen: dict[int, str] = {}
        for _arrival_id, center, _at, at_text in arrivals:
            seen.setdefault(center.pk, at_text)
        for center_id, at_text in seen.items():
            self.links.add((person_id, center_id, at_text))
        user_id = self.user_id
        add_consent = self.consents.add
        draw = self.rng.random
        for kind, share in self.consent_kinds:
            add_consent((person_id, kind, share >= 1.0 or draw() < share, first_at, user_id))

    def _zone(self, name: str) -> zoneinfo.ZoneInfo:
        if name not in self.zones:
            self.zones[name] = zoneinfo.ZoneInfo(name)
        return self.zones[name]

    def _center(self, iso2: str, kind: str) -> ReceptionCenter:
        options = self.center_options.get((iso2, kind))
        if options is None:
            centers = self.ref.centers
            options = self.center_options[(iso2, kind)] = centers.get((iso2, kind)) or [
                c
                for (country, _kind), group in sorted(centers.items())
                if country == iso2
                for c in group
            ]
        return options[0] if len(options) == 1 else options[int(self.rng.random() * len(options))]

    def _arrival(
        self,
        person_id: str,
        iso2: str,
        day: date,
        minor: bool,
        unaccompanied: bool,
        family_group: str | None,
        repeat: bool,
    ) -> tuple[int, ReceptionCenter, datetime, str]:
        rng = self.rng
        draw = rng.random
        by_air = draw() < AIR_SHARE[iso2]
        kind = ReceptionCenter.Kind.AIR if by_air else ReceptionCenter.Kind.LAND
        if minor and not unaccompanied and (iso2, "children_families") in self.ref.centers:
            kind = ReceptionCenter.Kind.CHILDREN_FAMILIES
        center = self._center(iso2, kind)
        at = datetime(
            day.year, day.month, day.day, 6 + int(draw() * 16), int(draw() * 60),
            tzinfo=self._zone(center.time_zone),
        )  # fmt: skip
        at_text = str(at)  # "2025-03-01 10:15:00-06:00"
        arrival_id = self.next_arrival_id
        self.next_arrival_id += 1
        travel_group = (
            "unaccompanied_minor" if unaccompanied else "family_unit" if minor else "alone"
        )
        intention = self.intention_pick(draw())
        if repeat and intention == "no":
            intention = "undecided"
        self.arrivals.add(
            (
                arrival_id, _seeded_uuid(rng), person_id, center.pk, at_text,
                "air" if by_air else "land", self.country_ids["US" if by_air else "MX"],
                f"{'VUELO' if by_air else 'BUS'}-{100 + int(draw() * 900)}",
                travel_group, family_group, intention, "", "", self.user_id, at_text, "", "",
            )
        )  # fmt: skip
        day_text = day.isoformat()
        for service, share, top in self.aid:
            if draw() < share:
                self._delivery(
                    person_id,
                    center.pk,
                    None,
                    service,
                    day_text,
                    at,
                    at_text,
                    1 if top == 1 else 1 + int(draw() * top),
                )
        return arrival_id, center, at, at_text

    def _case(
        self,
        *,
        person_id: str,
        iso2: str,
        minor: bool,
        arrival: tuple[int, ReceptionCenter, datetime, str],
    ) -> None:
        rng = self.rng
        draw = rng.random
        arrival_id, center, at, _at_text = arrival
        opened_at = at + timedelta(days=int(draw() * 21), hours=int(draw() * 4))
        if opened_at.date() > self.end:
            opened_at = at
        year = opened_at.year
        key = (center.pk, year)
        self.counters[key] = self.counters.get(key, 0) + 1
        number = f"{center.code}-{year}-{self.counters[key]:05d}"
        case_id = self.next_case_id
        self.next_case_id += 1
        age_days = (self.end - opened_at.date()).days
        reasons = self.ref.closure_reasons
        closed = age_days > 120 and draw() < 0.6 and bool(reasons)
        closed_at = (
            opened_at + timedelta(days=60 + int(draw() * (min(age_days, 400) - 59)))
            if closed
            else None
        )
        self.cases.add(
            (
                case_id, number, person_id, center.pk, arrival_id, self.user_id,
                "closed" if closed else "open", draw() < 0.02, "", "", "",
                opened_at, opened_at, self.user_id, closed_at,
                self.user_id if closed else None,
                reasons[int(draw() * len(reasons))] if closed else None, "", 1,
                _seeded_uuid(rng), "",
            )
        )  # fmt: skip
        if draw() < 0.5 and self.ref.vulnerabilities:
            for vulnerability_id in sorted(
                rng.sample(self.ref.vulnerabilities, 1 if draw() < 0.5 else 2)
            ):
                self.case_vulnerabilities.add((case_id, vulnerability_id))

        last_day = min(self.end, (closed_at or (opened_at + timedelta(days=240))).date())
        span = max((last_day - opened_at.date()).days, 0)
        services = [service for service, share in self.reintegration if draw() < share]
        if not services:
            code = "psychosocial_individual" if minor else "vocational_training"
            services = [self.ref.services[code]]
        opened_on = opened_at.date()
        for service in services:
            day = opened_on + timedelta(days=int(draw() * (span + 1)))
            given_at = datetime.combine(day, at.timetz())
            self._delivery(
                person_id,
                center.pk,
                case_id,
                service,
                day.isoformat(),
                given_at,
                str(given_at),
                1 + int(draw() * min(service.max_quantity, 8)),
                iso2,
                (self.end - day).days < 60,
            )

    def _delivery(
        self,
        person_id: str,
        center_id: int,
        case_id: int | None,
        service: ServiceType,
        day: str,
        at: datetime,
        at_text: str,
        quantity: int,
        iso2: str = "GT",
        recent: bool = False,
    ) -> None:
        rng = self.rng
        draw = rng.random
        status = "completed"
        hours = completed = certified = None
        sector, formal, start, still = "", None, None, None
        sessions = improvement = None
        amount, currency = None, ""
        outcome = service.outcome
        if outcome == ServiceType.Outcome.NONE:
            pass
        elif outcome == ServiceType.Outcome.TRAINING:
            quantity = 1 if service.max_quantity == 1 else quantity
            hours = TRAINING_HOURS[int(draw() * len(TRAINING_HOURS))]
            if recent and draw() < 0.5:
                status = "in_progress"
            else:
                completed = draw() < 0.72
                certified = completed and draw() < 0.6
                status = "completed" if completed else "not_completed"
        elif outcome == ServiceType.Outcome.JOB_PLACEMENT:
            quantity = 1
            sector = SECTORS[int(draw() * len(SECTORS))]
            formal = draw() < 0.35
            start = day
            still = None if recent else draw() < 0.6
        elif outcome == ServiceType.Outcome.PSYCHOSOCIAL:
            sessions = quantity
            improvement = None if recent else draw() < 0.62
        elif outcome == ServiceType.Outcome.CASH:
            quantity = 1
            amount = CASH_AMOUNTS[int(draw() * len(CASH_AMOUNTS))]
            currency = CURRENCY.get(iso2, "USD")
        delivery_id = self.next_delivery_id
        self.next_delivery_id += 1
        user_id = self.user_id
        voided = service.category == ServiceType.Category.POST_ARRIVAL_AID and (draw() < VOID_SHARE)
        if not voided:
            self.deliveries.add(
                (
                    delivery_id, _seeded_uuid(rng), person_id, center_id, case_id, service.pk,
                    day, quantity, status, hours, completed, certified, sector, formal, start,
                    still, sessions, improvement, amount, currency, user_id, at_text, None,
                    None, "", None, "", "",
                )
            )  # fmt: skip
            return
        voided_at = at + timedelta(hours=1 + int(draw() * 48))
        self.deliveries.add(
            (
                delivery_id, _seeded_uuid(rng), person_id, center_id, case_id, service.pk, day,
                quantity, status, hours, completed, certified, sector, formal, start, still,
                sessions, improvement, amount, currency, user_id, at_text, voided_at, user_id,
                VOID_REASONS[int(draw() * len(VOID_REASONS))], None, "", "",
            )
        )  # fmt: skip
        if draw() < 0.5:
            # The correction: a new row that replaces the voided one.
            self.next_delivery_id += 1
            self.deliveries.add(
                (
                    delivery_id + 1, _seeded_uuid(rng), person_id, center_id, case_id,
                    service.pk, day, 1, "completed", None, None, None, "", None, None, None,
                    None, None, None, "", user_id, voided_at, None, None, "",
                    delivery_id, "", "",
                )
            )  # fmt: skip

    # -- batches ------------------------------------------------------------------------------

    def batches(
        self, persons: int, batch_size: int, *, as_text: bool = True
    ) -> Iterator[tuple[int, list[bytes]]]:
        """Generate in batches; after each, the persons done and each writer's COPY text
        (empty without `as_text`: the rows stay in the writers for insert())."""
        done = 0
        person = self.person
        while done < persons:
            size = min(batch_size, persons - done)
            for _ in range(size):
                person()
            done += size
            yield done, [w.copy_text_take() if as_text else b"" for w in self.writers]

    def summary_complete(self) -> Summary:
        summary = self.summary
        summary.arrivals = self.next_arrival_id - self.first_arrival_id
        summary.cases = self.next_case_id - self.first_case_id
        summary.deliveries = self.next_delivery_id - self.first_delivery_id
        summary.consents = summary.persons * len(self.consent_kinds)
        return summary

    def counters_save(self) -> None:
        for (center_id, year), last in sorted(self.counters.items()):
            counter, _created = CaseCounter.objects.get_or_create(center_id=center_id, year=year)
            if counter.last < last:
                counter.last = last
                counter.save(update_fields=["last"])


# --- loading ----------------------------------------------------------------------------------


def _batches_in_child(
    generator: Generator, persons: int, batch_size: int
) -> Iterator[tuple[int, list[bytes]]]:
    """The generator's batches, made in a forked child process while this one writes them.

    Generation is pure Python and COPY mostly PostgreSQL's work, so on two cores the two overlap.
    The child reads no database (the generator read what it needs when built) and never touches
    the parent's connection; it sends its batches through a pipe, then its summary and counters.
    """
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(
        target=_child_generate, args=(generator, persons, batch_size, sender), daemon=True
    )
    child.start()
    sender.close()
    try:
        while True:
            message = receiver.recv()
            if message[0] == "batch":
                yield message[1], message[2]
            elif message[0] == "done":
                # What the child's generator counted, into this one.
                generator.summary.persons, generator.counters = message[1], message[2]
                generator.next_arrival_id, generator.next_case_id = message[3], message[4]
                generator.next_delivery_id = message[5]
                return
            else:
                raise RuntimeError(f"synthetic data generation failed in the child:\n{message[1]}")
    finally:
        receiver.close()
        if child.is_alive():
            child.terminate()
        child.join()


def _child_generate(generator: Generator, persons: int, batch_size: int, sender: Any) -> None:
    try:
        for done, texts in generator.batches(persons, batch_size):
            sender.send(("batch", done, texts))
        sender.send(
            (
                "done", generator.summary.persons, generator.counters, generator.next_arrival_id,
                generator.next_case_id, generator.next_delivery_id,
            )
        )  # fmt: skip
    except BaseException:
        sender.send(("error", traceback.format_exc()))
    finally:
        sender.close()


# The tables loaded; for a fast load their foreign keys, unique constraints and indexes (all
# but the primary keys) are dropped, then rebuilt.
LOADED_MODELS = (
    Person,
    PersonCenter,
    Consent,
    Arrival,
    Case,
    Case.vulnerabilities.through,
    ServiceDelivery,
)
# From this many persons on PostgreSQL, a fast load by default.
FAST_LOAD_FROM = 50_000


def _secondary_drop(cursor: Any) -> list[str]:
    """Drop the loaded tables' foreign keys, unique constraints and indexes, all but the primary
    keys; return the statements that recreate them exactly as they were (as PostgreSQL itself
    describes them), indexes first.

    Checking foreign keys row by row and inserting into a dozen indexes (some on random uuids)
    costs far more than building each index once from sorted rows and checking each key with
    one join afterwards. Nothing goes unchecked: rebuilding a unique index or a foreign key
    over rows that break it fails, and with it the whole load. A unique constraint that a
    foreign key relies on is kept.
    """
    tables = [model._meta.db_table for model in LOADED_MODELS]
    cursor.execute(
        """
        SELECT 'ALTER TABLE ' || c.conrelid::regclass || ' ADD CONSTRAINT '
               || quote_ident(c.conname) || ' ' || pg_get_constraintdef(c.oid),
               'ALTER TABLE ' || c.conrelid::regclass || ' DROP CONSTRAINT '
               || quote_ident(c.conname),
               c.contype
        FROM pg_constraint c
        WHERE c.conrelid = ANY(%s::regclass[])
          AND (c.contype = 'f' OR c.contype = 'u' AND NOT EXISTS (
                SELECT 1 FROM pg_constraint f WHERE f.contype = 'f' AND f.conindid = c.conindid))
        ORDER BY c.contype DESC, c.conrelid::regclass::text, c.conname
        """,
        [tables],
    )
    constraints = cursor.fetchall()
    cursor.execute(
        """
        SELECT pg_get_indexdef(i.indexrelid), 'DROP INDEX ' || i.indexrelid::regclass
        FROM pg_index i
        WHERE i.indrelid = ANY(%s::regclass[]) AND NOT i.indisprimary
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid
                          AND c.conrelid = i.indrelid)
        ORDER BY i.indrelid::regclass::text, i.indexrelid::regclass::text
        """,
        [tables],
    )
    indexes = cursor.fetchall()
    # Foreign keys first (contype 'f' sorts after 'u', hence DESC): nothing then depends on
    # the unique constraints dropped after them.
    for _create, drop, *_kind in constraints + indexes:
        cursor.execute(drop)
    unique = [create for create, _drop, kind in constraints if kind == "u"]
    foreign = [create for create, _drop, kind in constraints if kind == "f"]
    return [create for create, _drop in indexes] + unique + foreign


def _phase(summary: Summary, name: str, started: float) -> float:
    now = time.perf_counter()
    summary.phases[name] = summary.phases.get(name, 0.0) + now - started
    return now


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
    note: Callable[[str], None] | None = None,
    fast_load: bool | None = None,
    in_child: bool | None = None,
) -> Summary:
    """Generate `persons` synthetic persons with their arrivals, consents, cases and deliveries.

    On PostgreSQL everything is written in one transaction (a failure leaves nothing behind, the
    dropped indexes included), by COPY. `fast_load` (by default from FAST_LOAD_FROM persons)
    drops the loaded tables' foreign keys and secondary indexes and rebuilds them at the end;
    `in_child` (by default when there is more than one batch) generates in a child process
    while this one writes. Neither changes the rows: the same seed gives the same data.
    """
    started = time.perf_counter()
    postgres = connection.vendor == "postgresql"
    fast = postgres and (persons >= FAST_LOAD_FROM if fast_load is None else fast_load)
    in_child = postgres and (persons > batch_size if in_child is None else in_child)
    user = synthetic_user()
    if not fresh and Person.objects.filter(created_by=user).exists():
        raise FileExistsError("synthetic data is already present: use --fresh to replace it")
    reference = reference_load()
    summary = Summary()
    mark = _phase(summary, "prepare", started)
    with transaction.atomic(), connection.cursor() as cursor:
        secondary: list[str] = []
        if postgres:
            secondary, mark = _load_prepare(cursor, summary, mark, fast=fast)
        if fresh:
            # After the drop: a large delete then checks no foreign key row by row either.
            if note:
                note("deleting earlier synthetic data")
            synthetic_delete(user)
            mark = _phase(summary, "delete earlier synthetic data", mark)
        start, end = fiscal_window(today or timezone.localdate(), years)
        generator = Generator(
            rng=random.Random(seed), reference=reference, user_id=user.pk, start=start, end=end
        )
        generator.summary = summary
        if progress:
            progress(0)
        batches = (
            _batches_in_child(generator, persons, batch_size)
            if in_child
            else generator.batches(persons, batch_size, as_text=postgres)
        )
        mark = _batches_write(
            generator,
            batches,
            cursor,
            summary,
            mark,
            postgres=postgres,
            in_child=in_child,
            progress=progress,
        )
        if secondary:
            mark = _secondary_rebuild(cursor, secondary, summary, mark, note=note)
        generator.counters_save()
        if postgres:
            _sequences_reset((Arrival, Case, ServiceDelivery))
    mark = _phase(summary, "counters and commit", mark)
    if postgres:
        if note:
            note("analysing the tables")
        _tables_analyse(vacuum=fast and not connection.in_atomic_block)
        mark = _phase(summary, "vacuum and analyse" if fast else "analyse", mark)
    # The summary tables read the base tables; COPY and plain INSERTs send no signal.
    if note:
        note("rebuilding the summary tables")
    summary_rebuild()
    _phase(summary, "summary rebuild", mark)
    summary = generator.summary_complete()
    summary.method = "COPY" if postgres else "INSERT"
    summary.seconds = time.perf_counter() - started
    return summary


def _load_prepare(
    cursor: Any, summary: Summary, mark: float, *, fast: bool
) -> tuple[list[str], float]:
    """Set up a PostgreSQL transaction for the load; with `fast`, drop the secondary indexes."""
    secondary: list[str] = []
    # Rows that can be generated again need not wait for the disk.
    cursor.execute("SET LOCAL synchronous_commit TO off")
    cursor.execute("SET LOCAL maintenance_work_mem TO '512MB'")
    if fast:
        # Deferred foreign key checks run at once from here on (those pending too): no
        # index or key can be built on a table with checks pending, the rows deleted
        # by --fresh included.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        secondary = _secondary_drop(cursor)
    return secondary, _phase(summary, "prepare", mark)


def _batches_write(
    generator: Generator,
    batches: Iterable[tuple[int, list[bytes]]],
    cursor: Any,
    summary: Summary,
    mark: float,
    *,
    postgres: bool,
    in_child: bool,
    progress: Callable[[int], None] | None,
) -> float:
    """Write each generated batch (COPY on PostgreSQL, else INSERTs), timing both phases."""
    for done, texts in batches:
        mark = _phase(summary, "generate (wait for the child)" if in_child else "generate", mark)
        for writer, data in zip(generator.writers, texts, strict=True):
            if postgres:
                writer.copy(cursor.cursor, data)
            else:
                writer.insert()
        mark = _phase(summary, "write", mark)
        if progress:
            progress(done)
    return mark


def _secondary_rebuild(
    cursor: Any,
    secondary: list[str],
    summary: Summary,
    mark: float,
    *,
    note: Callable[[str], None] | None,
) -> float:
    """Rebuild the indexes and foreign keys the fast load dropped, timing each statement."""
    if note:
        note(f"rebuilding {len(secondary)} indexes and foreign keys")
    for statement in secondary:
        cursor.execute(statement)
        now = time.perf_counter()
        summary.rebuilt.append((now - mark, statement))
        mark = now
    summary.phases["rebuild indexes and foreign keys"] = sum(t for t, _s in summary.rebuilt)
    return mark


def _tables_analyse(*, vacuum: bool) -> None:
    """Statistics for the planner; after a large load also VACUUM, which sets the visibility
    map (index-only scans) and the hint bits now rather than in the first reports."""
    command = "VACUUM (ANALYZE)" if vacuum else "ANALYZE"
    with connection.cursor() as cursor:
        for model in LOADED_MODELS:
            cursor.execute(f"{command} {connection.ops.quote_name(model._meta.db_table)}")


def years_for(persons: int, today: date) -> int:
    """The fiscal years whose window gets about as many arrivals a year as the real returns
    (ARRIVALS_PER_YEAR), for `persons` persons."""
    per_year = sum(ARRIVALS_PER_YEAR.values())
    arrivals = persons * ARRIVALS_PER_PERSON

    def gap(years: int) -> float:
        start, end = fiscal_window(today, years)
        return abs(arrivals / (((end - start).days + 1) / 365.25) - per_year)

    return min(range(1, 51), key=gap)


def _sequences_reset(model_list: Iterable[type[models.Model]]) -> None:
    """Explicit ids were written: move the id sequences past them."""
    statements = connection.ops.sequence_reset_sql(no_style(), list(model_list))
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)

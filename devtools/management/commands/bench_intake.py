"""Benchmark of the intake hot paths on PostgreSQL: recognising a returning person, registering.

Fills a dedicated database with a national-scale registry (default 100,000 persons with their
centre links and arrivals), then times `intake.matching.duplicate_candidates` and
`intake.actions.arrival_register` as a caseworker would call them, one request at a time.
"""

from __future__ import annotations

import random
import re
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError, connection, transaction
from django.utils import timezone
from guardian.shortcuts import assign_perm

from devtools.benchmarking import Timing, require_postgresql, timed
from intake.actions import arrival_register
from intake.matching import duplicate_candidates
from intake.models import Arrival
from registry.models import Consent, Country, DocumentType, Person, PersonCenter, ReceptionCenter
from registry.names import document_normalise, name_keys

BENCH_USERNAME = "bench_intake"
# (code, Spanish name, English name, country, kind, time zone); the user works at the first.
BENCH_CENTERS = (
    ("BNGT1", "Centro de prueba Guatemala", "Test centre Guatemala", "GT", "air", "America/Guatemala"),
    ("BNHN1", "Centro de prueba Honduras", "Test centre Honduras", "HN", "air", "America/Tegucigalpa"),
    ("BNSV1", "Centro de prueba El Salvador", "Test centre El Salvador", "SV", "land", "America/El_Salvador"),
)  # fmt: skip
COUNTRY_SHARE = {"GT": 0.45, "HN": 0.35, "SV": 0.20}
NATIONAL_DOCUMENT = {"GT": "dpi", "HN": "dni", "SV": "dui"}


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


FEMALE_NAMES = _words(
    """
    María José Ana Lucía Sofía Dulce Yesenia Karla Rosa Elena Guadalupe Ángela Mónica
    Verónica Sandra Gabriela Brenda Jazmín Yolanda Marisol Esperanza Concepción Inés
    Leticia Flor Ixchel Josefina Reina Nohemí Maribel Zulma Heidy Iris Xiomara Belén
    """
)
MALE_NAMES = _words(
    """
    José Juan Carlos Luis Jorge Marvin Édgar Óscar Héctor Víctor Mario Wilson Kevin Brayan
    Érick Nelson Rubén Ramón Selvin Francisco Andrés Jesús Ángel Germán Rigoberto Elmer
    Walter Iván Cristian Josué Gerardo Axel Fernando Tomás Santiago
    """
)
SURNAMES = (
    *_words(
        """
    López Hernández García Pérez Martínez Rodríguez González Ramírez Castillo Morales
    Vásquez Velásquez Gómez Díaz Cruz Reyes Ortiz Juárez Méndez Aguilar Chávez Flores
    Mejía Zúñiga Quiroa Xicará Coc Caal Tzul Ajú Yat Batz Guzmán Bautista Villatoro
    Álvarez Escobar Argueta Portillo Rivas Orellana Hércules Funes Sosa Maldonado
    Cifuentes Barrios Solórzano Quiñónez Ulloa Zelaya Cálix Banegas Padilla Villeda Ávila
    Lemus Ochoa
    """
    ),
    "De León",
    "Del Cid",
)
# How a caseworker may hear or type a name that is already in the registry.
SPELLING_VARIANTS = (
    ("á", "a"), ("é", "e"), ("í", "i"), ("ó", "o"), ("ú", "u"), ("v", "b"), ("b", "v"),
    ("z", "s"), ("s", "z"), ("ll", "y"), ("y", "ll"), ("Hé", "E"), ("H", ""), ("qu", "k"),
    ("ce", "se"), ("ci", "si"), ("ge", "je"), ("gi", "ji"), ("ñ", "n"),
)  # fmt: skip


@dataclass(frozen=True)
class Reference:
    countries: dict[str, Country]
    documents: dict[str, DocumentType]
    returned_from: list[Country]


class Command(BaseCommand):
    help = (
        "Benchmark duplicate detection and arrival registration on a PostgreSQL database "
        "filled with a national-scale registry. Use a dedicated database (make bench-intake)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--persons",
            type=int,
            default=100_000,
            help="Persons in the registry (default 100,000).",
        )
        parser.add_argument(
            "--queries",
            type=int,
            default=200,
            help="Duplicate-candidate lookups to time (default 200).",
        )
        parser.add_argument(
            "--registrations",
            type=int,
            default=200,
            help="Arrivals of new persons to register and time (default 200).",
        )
        parser.add_argument("--batch-size", type=int, default=5_000)
        parser.add_argument("--seed", type=int, default=20241001)
        parser.add_argument(
            "--fresh",
            action="store_true",
            help="Delete the benchmark's persons and generate them again.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        require_postgresql("bench_intake", "bench-intake")
        rng = random.Random(options["seed"])
        reference = reference_load()
        user, centers = self._bench_user_and_centers(reference)
        if options["fresh"]:
            self._delete_bench_data(user)
        started = time.perf_counter()
        self._ensure_registry(
            rng=rng,
            reference=reference,
            user=user,
            centers=centers,
            wanted=options["persons"],
            batch_size=options["batch_size"],
        )
        self.stdout.write(f"registry ready in {time.perf_counter() - started:.1f} s")
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")

        home = centers[0]
        matching, recall = measure_matching(rng=rng, user=user, home=home, count=options["queries"])
        registering = measure_registration(
            rng=rng, reference=reference, user=user, home=home, count=options["registrations"]
        )
        self._report(user, [matching, registering], recall)

    # -- preconditions ---------------------------------------------------------------------

    def _bench_user_and_centers(self, reference: Reference) -> tuple[Any, list[ReceptionCenter]]:
        centers = []
        for code, name_es, name_en, iso2, kind, tz in BENCH_CENTERS:
            center, _ = ReceptionCenter.objects.get_or_create(
                code=code,
                defaults={
                    "name": name_es,
                    "name_es": name_es,
                    "name_en": name_en,
                    "country": reference.countries[iso2],
                    "kind": kind,
                    "time_zone": tz,
                },
            )
            centers.append(center)
        user, created = get_user_model().objects.get_or_create(username=BENCH_USERNAME)
        if created:
            user.set_unusable_password()
            user.save(update_fields=["password"])
        # A caseworker of the Guatemalan centre: matching searches the Guatemalan registry.
        assign_perm("registry.work_at_center", user, centers[0])
        return user, centers

    # -- the registry ------------------------------------------------------------------------

    def _delete_bench_data(self, user: Any) -> None:
        """Remove the benchmark's rows with plain SQL (the ORM would load and audit each one)."""
        persons = Person.objects.filter(created_by=user).order_by().values("id")
        arrivals = Arrival.objects.filter(person__created_by=user).order_by().values("id")
        mine, mine_params = persons.query.sql_with_params()
        theirs, theirs_params = arrivals.query.sql_with_params()
        statements = [
            (_delete_sql(Arrival.reasons.through, f"arrival_id IN ({theirs})"), theirs_params),
            (_delete_sql(Arrival, f"person_id IN ({mine})"), mine_params),
            (_delete_sql(Consent, f"person_id IN ({mine})"), mine_params),
            (_delete_sql(PersonCenter, f"person_id IN ({mine})"), mine_params),
            (_delete_sql(Person, "created_by_id = %s"), (user.pk,)),
        ]
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                for statement, params in statements:
                    cursor.execute(statement, params)
        except DatabaseError as exc:
            raise CommandError(
                f"could not delete the benchmark's persons ({exc}); other records refer to "
                "them. Drop the benchmark database instead."
            ) from exc
        self.stdout.write("deleted the previous benchmark registry")

    def _ensure_registry(
        self,
        *,
        rng: random.Random,
        reference: Reference,
        user: Any,
        centers: list[ReceptionCenter],
        wanted: int,
        batch_size: int,
    ) -> None:
        # The marker: persons the benchmark user created (generated or registered).
        existing = Person.objects.filter(created_by=user).count()
        if existing >= wanted:
            self.stdout.write(f"registry has {existing:,} benchmark persons: not generating")
            return
        to_make = wanted - existing
        self.stdout.write(f"generating {to_make:,} persons in batches of {batch_size:,} ...")
        by_country = {c.country.iso2: c for c in centers}
        made = 0
        while made < to_make:
            size = min(batch_size, to_make - made)
            persons, links, arrivals = [], [], []
            for _ in range(size):
                iso2 = self._pick_country(rng)
                person = generated_person(rng, reference, iso2)
                person.created_by = user
                persons.append(person)
                center = by_country[iso2]
                returns = rng.choices((1, 2, 3, 4), weights=(70, 20, 7, 3))[0]
                first_at = None
                for arrived_at in self._arrival_times(rng, returns):
                    first_at = first_at or arrived_at
                    arrivals.append(
                        Arrival(
                            person=person,
                            center=center,
                            arrived_at=arrived_at,
                            mode=Arrival.Mode.AIR if center.kind == "air" else Arrival.Mode.LAND,
                            returned_from=rng.choice(reference.returned_from),
                            transport_reference=f"GUA{rng.randint(1000, 9999)}",
                            registered_by=user,
                            intends_to_migrate_again=rng.choice(Arrival.Intention.values),
                        )
                    )
                links.append(PersonCenter(person=person, center=center, first_seen_at=first_at))
            with transaction.atomic():
                Person.objects.bulk_create(persons, batch_size=batch_size)
                PersonCenter.objects.bulk_create(links, batch_size=batch_size)
                Arrival.objects.bulk_create(arrivals, batch_size=batch_size)
            made += size
            self.stdout.write(f"  {existing + made:,} persons")

    @staticmethod
    def _pick_country(rng: random.Random) -> str:
        return rng.choices(list(COUNTRY_SHARE), weights=list(COUNTRY_SHARE.values()))[0]

    @staticmethod
    def _arrival_times(rng: random.Random, count: int) -> Iterator:
        now = timezone.now()
        offsets = sorted(rng.sample(range(10, 5 * 365 * 24 * 60), count), reverse=True)
        for minutes in offsets:
            yield now - timedelta(minutes=minutes)

    # -- report ----------------------------------------------------------------------------------

    def _report(self, user: Any, timings: list[Timing], recall: dict[bool, list[int]]) -> None:
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            version = cursor.fetchone()[0]
        persons = Person.objects.count()
        arrivals = Arrival.objects.count()
        self.stdout.write("")
        self.stdout.write(
            f"PostgreSQL {version}, database {connection.settings_dict['NAME']}: "
            f"{persons:,} persons, {arrivals:,} arrivals"
        )
        header = ("operation", "calls", "median ms", "p95 ms", "max ms", "queries/call")
        rows = [t.row() for t in timings]
        self.stdout.write(
            f"{header[0]:<32}{header[1]:>7}{header[2]:>11}{header[3]:>9}{header[4]:>9}"
            f"{header[5]:>14}"
        )
        for label, calls, median, p95, worst, queries in rows:
            self.stdout.write(
                f"{label:<32}{calls:>7}{median:>11.1f}{p95:>9.1f}{worst:>9.1f}{queries:>14}"
            )
        self.stdout.write("returning persons recognised despite spelling variants:")
        for estimated, (found, asked) in recall.items():
            kind = "estimated" if estimated else "exact"
            share = f"{found / asked:.0%}" if asked else "-"
            self.stdout.write(f"  date of birth {kind:<9} {found:>4} of {asked:<4} {share:>5}")


def reference_load() -> Reference:
    """Countries, document types and the countries people return from (loaded by migrate)."""
    countries = {c.iso2: c for c in Country.objects.all()}
    documents = {d.code: d for d in DocumentType.objects.all()}
    missing = [iso for iso in COUNTRY_SHARE if iso not in countries]
    missing += [code for code in (*NATIONAL_DOCUMENT.values(), "none") if code not in documents]
    if missing:
        raise CommandError(
            f"reference data missing ({', '.join(missing)}): the data migrations load it; "
            "run `manage.py migrate`."
        )
    returned_from = [countries[iso] for iso in ("US", "MX") if iso in countries]
    return Reference(countries, documents, returned_from or [countries["GT"]])


def generated_person(rng: random.Random, reference: Reference, iso2: str) -> Person:
    """A person as bulk_create needs it: save() is bypassed, so the keys are set here."""
    sex = rng.choice((Person.Sex.FEMALE, Person.Sex.MALE))
    names = FEMALE_NAMES if sex == Person.Sex.FEMALE else MALE_NAMES
    given = " ".join(rng.sample(names, rng.choices((1, 2), weights=(40, 60))[0]))
    first, second = rng.sample(SURNAMES, 2)
    if rng.random() < 0.05:
        second = ""
    minor = rng.random() < 0.12
    age = rng.randint(4, 17) if minor else rng.randint(18, 65)
    today = date.today()
    birth = today - timedelta(days=age * 365 + rng.randint(0, 364))
    estimated = rng.random() < 0.08
    if estimated:
        birth = date(birth.year, 7, 1)
    if rng.random() < 0.85 and not minor:
        doc_type = reference.documents[NATIONAL_DOCUMENT[iso2]]
    elif rng.random() < 0.5 and "passport" in reference.documents:
        doc_type = reference.documents["passport"]
    else:
        doc_type = reference.documents["none"]
    number = document_number(rng, doc_type)
    return Person(
        id=uuid.uuid4(),
        given_names=given,
        first_surname=first,
        second_surname=second,
        sex=sex,
        birth_date=birth,
        birth_date_estimated=estimated,
        nationality=reference.countries[iso2],
        document_type=doc_type,
        document_number=number,
        document_key=document_normalise(number),
        given_name_keys=" ".join(name_keys(given)),
        surname_keys=" ".join(name_keys(f"{first} {second}")),
    )


def measure_matching(
    *, rng: random.Random, user: Any, home: ReceptionCenter, count: int
) -> tuple[Timing, dict[bool, list[int]]]:
    known_ids = list(
        PersonCenter.objects.filter(center=home).values_list("person_id", flat=True)[:50_000]
    )
    if not known_ids:
        raise CommandError("no persons at the benchmark centre; run with --fresh")
    sample = Person.objects.filter(pk__in=rng.sample(known_ids, min(len(known_ids), count)))
    known = list(sample)
    timing = Timing("duplicate_candidates")
    # Recognised / asked, for persons with an exact and with an estimated date of birth.
    recall = {False: [0, 0], True: [0, 0]}
    for index in range(count):
        if index % 2 == 0 and known:
            target = known[(index // 2) % len(known)]
            query = _misspelt_query(rng, target)
            recall[target.birth_date_estimated][1] += 1
        else:
            target = None
            query = _new_person_query(rng)
        candidates = timed(timing, lambda q=query: duplicate_candidates(user=user, **q), user=user)
        if target is not None and any(c.person_id == target.pk for c in candidates):
            recall[target.birth_date_estimated][0] += 1
    return timing, recall


def measure_search(
    *, rng: random.Random, user: Any, home: ReceptionCenter, count: int
) -> tuple[Timing, list[int]]:
    """The registry search as its page runs it (a page of 25 with the count, the facts beside
    each result), for a given name and surname with one typo, a document, or a phone."""
    from registry.search import person_search, search_facts
    from registry.selectors import person_list

    known_ids = list(
        PersonCenter.objects.filter(center=home).values_list("person_id", flat=True)[:50_000]
    )
    if not known_ids:
        raise CommandError("no persons at the benchmark centre; run with --fresh")
    persons = list(Person.objects.filter(pk__in=rng.sample(known_ids, min(len(known_ids), count))))
    timing = Timing("person_search")
    found = [0, 0]  # the person on the first page / asked

    def search(text: str) -> list[Any]:
        rows = person_search(person_list(user=user), user=user, text=text)
        page = list(rows[:25])
        rows.count()
        search_facts(user=user, person_ids=[p.pk for p in page])
        return page

    for index in range(count):
        person = persons[index % len(persons)]
        if index % 3 == 0 and person.document_number:
            text = person.document_number
        else:
            surname = person.first_surname
            if len(surname) >= 6:  # one letter dropped inside the word
                cut = rng.randrange(1, len(surname) - 1)
                surname = surname[:cut] + surname[cut + 1 :]
            text = f"{person.given_names.split()[0]} {misspell(rng, surname)}"
        page = timed(timing, lambda t=text: search(t), user=user)
        found[1] += 1
        found[0] += any(p.pk == person.pk for p in page)
    return timing, found


def _misspelt_query(rng: random.Random, person: Person) -> dict[str, Any]:
    given = person.given_names.split()
    if len(given) > 1 and rng.random() < 0.3:
        given = given[:1]  # only the first given name
    first, second = person.first_surname, person.second_surname
    if second and rng.random() < 0.2:
        first, second = second, first  # surnames in the other order
    query = {
        "given_names": misspell(rng, " ".join(given)),
        "first_surname": misspell(rng, first),
        "second_surname": misspell(rng, second),
        "birth_date": person.birth_date,
        "birth_date_estimated": person.birth_date_estimated,
        "document_number": "",
    }
    if person.document_number and rng.random() < 0.5:
        query["document_number"] = person.document_number
    return query


def _new_person_query(rng: random.Random) -> dict[str, Any]:
    first, second = rng.sample(SURNAMES, 2)
    return {
        "given_names": rng.choice(FEMALE_NAMES + MALE_NAMES),
        "first_surname": first,
        "second_surname": second,
        "birth_date": date(rng.randint(1960, 2008), rng.randint(1, 12), rng.randint(1, 28)),
        "birth_date_estimated": False,
        "document_number": "".join(rng.choices("0123456789", k=13)),
    }


def measure_registration(
    *,
    rng: random.Random,
    reference: Reference,
    user: Any,
    home: ReceptionCenter,
    count: int,
) -> Timing:
    timing = Timing("arrival_register (new person)")
    iso2 = home.country.iso2
    for _ in range(count):
        template = generated_person(rng, reference, iso2)
        new_person = {
            "given_names": template.given_names,
            "first_surname": template.first_surname,
            "second_surname": template.second_surname,
            "sex": template.sex,
            "birth_date": template.birth_date,
            "birth_date_estimated": template.birth_date_estimated,
            "nationality": template.nationality,
            "document_type": template.document_type,
            "document_number": template.document_number,
        }
        arrival = {
            "arrived_at": timezone.now() - timedelta(minutes=rng.randint(5, 600)),
            "mode": Arrival.Mode.AIR,
            "returned_from": rng.choice(reference.returned_from),
            "transport_reference": f"GUA{rng.randint(1000, 9999)}",
            "intends_to_migrate_again": Arrival.Intention.UNDECIDED,
        }
        consents = dict.fromkeys(Consent.Kind.values, True)
        timed(
            timing,
            lambda p=new_person, a=arrival, c=consents: arrival_register(
                actor=user,
                center=home,
                client_uuid=uuid.uuid4(),
                arrival_data=a,
                new_person_data=p,
                consents=c,
            ),
            user=user,
        )
    return timing


def _delete_sql(model: Any, where: str) -> str:
    """A DELETE on a model's table; the table name comes from the model, the values are params."""
    table = connection.ops.quote_name(model._meta.db_table)
    return f"DELETE FROM {table} WHERE {where}"  # noqa: S608


def misspell(rng: random.Random, text: str) -> str:
    """One or two spelling variants a caseworker might type for the same spoken name."""
    for _ in range(rng.randint(0, 2)):
        options = [(a, b) for a, b in SPELLING_VARIANTS if a in text]
        if not options:
            break
        old, new = rng.choice(options)
        text = text.replace(old, new, 1)
    return text


def document_number(rng: random.Random, doc_type: DocumentType) -> str:
    """A number in the document type's format, shaped on its example number."""
    if not doc_type.requires_number:
        return ""
    example = document_normalise(doc_type.number_example) or "A0000000"
    for _ in range(20):
        number = "".join(
            rng.choice("0123456789")
            if ch.isdigit()
            else rng.choice("ABCDEFGHJKLMNPRSTUVWXYZ")
            if ch.isalpha()
            else ch
            for ch in example
        )
        if not doc_type.number_pattern or re.fullmatch(doc_type.number_pattern, number):
            return number
    return example

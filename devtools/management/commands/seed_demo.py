"""Demo data for `make demo`: the real reception centres, one login per role, sample arrivals,
referral partners and a few cases with notes, referrals and follow-ups.

Idempotent: centres and users are matched on code and username, partners on name and country,
arrivals, cases, notes and referrals on a fixed client UUID (a second run replays them through
the actions and creates nothing); follow-ups and assessments are added only where missing.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone
from guardian.shortcuts import assign_perm

from casework import actions as casework_actions
from registry import actions as registry_actions
from registry import roles
from registry.models import (
    Country,
    DocumentType,
    MigrationReason,
    Municipality,
    Partner,
    Person,
    ReceptionCenter,
    ServiceLine,
    VulnerabilityCategory,
)

DEMO_PASSWORD = "retorno-demo-2026"  # noqa: S105 (public demo password, printed on purpose)
# Fixed namespace: the same demo arrival gets the same client UUID on every run.
DEMO_NAMESPACE = uuid.UUID("6f1d7c1e-3b7a-4d38-9a52-2f0c9e1b5a60")

AIR = ReceptionCenter.Kind.AIR
LAND = ReceptionCenter.Kind.LAND
CHILDREN_FAMILIES = ReceptionCenter.Kind.CHILDREN_FAMILIES

CENTERS: tuple[dict, ...] = (
    {
        "code": "FAG",
        "country": "GT",
        "kind": AIR,
        "time_zone": "America/Guatemala",
        "name_es": "Centro de Recepción de Retornados — Fuerza Aérea Guatemalteca",
        "name_en": "Returnee Reception Centre — Guatemalan Air Force base",
    },
    {
        "code": "TEC",
        "country": "GT",
        "kind": LAND,
        "time_zone": "America/Guatemala",
        "name_es": "Centro de Atención a Migrantes Retornados, Tecún Umán",
        "name_en": "Returned Migrants Care Centre, Tecún Umán",
    },
    {
        "code": "SPS",
        "country": "HN",
        "kind": AIR,
        "time_zone": "America/Tegucigalpa",
        "name_es": "Centro de Atención al Migrante Retornado (CAMR) San Pedro Sula",
        "name_en": "Returned Migrant Care Centre (CAMR) San Pedro Sula",
    },
    {
        "code": "OMO",
        "country": "HN",
        "kind": LAND,
        "time_zone": "America/Tegucigalpa",
        "name_es": "CAMR Omoa",
        "name_en": "Returned Migrant Care Centre (CAMR) Omoa",
    },
    {
        "code": "BEL",
        "country": "HN",
        "kind": CHILDREN_FAMILIES,
        "time_zone": "America/Tegucigalpa",
        "name_es": "Centro Belén para la Niñez y Familias Migrantes",
        "name_en": "Belén Centre for Migrant Children and Families",
    },
    {
        "code": "SAL",
        "country": "SV",
        "kind": AIR,
        "time_zone": "America/El_Salvador",
        "name_es": "Dirección de Atención al Migrante — Aeropuerto Internacional de El Salvador",
        "name_en": "Migrant Care Directorate — El Salvador International Airport",
    },
    {
        "code": "CHA",
        "country": "SV",
        "kind": LAND,
        "time_zone": "America/El_Salvador",
        "name_es": "Centro de Atención Integral al Migrante, La Chacra",
        "name_en": "Comprehensive Migrant Care Centre, La Chacra",
    },
)


@dataclass(frozen=True)
class Account:
    username: str
    role: str
    first_name: str
    last_name: str
    centers: tuple[str, ...] = ()
    superuser: bool = False
    # Reads the records of every centre without working in any (a programme manager).
    reads_all_centers: bool = False


CASEWORKER, SUPERVISOR = roles.CASEWORKER, roles.SUPERVISOR

ACCOUNTS: tuple[Account, ...] = (
    Account("caseworker.fag", CASEWORKER, "Lucía", "Méndez Coyoy", ("FAG",)),
    Account("caseworker.tec", CASEWORKER, "Byron", "Fuentes Orozco", ("TEC",)),
    Account("caseworker.sps", CASEWORKER, "Dania", "Zelaya Paz", ("SPS",)),
    Account("caseworker.omo", CASEWORKER, "Wilmer", "Cárcamo Reyes", ("OMO",)),
    Account("caseworker.bel", CASEWORKER, "Karla", "Euceda Mejía", ("BEL",)),
    Account("caseworker.sal", CASEWORKER, "Marta", "Rivas Portillo", ("SAL",)),
    Account("caseworker.cha", CASEWORKER, "Nelson", "Ayala Guevara", ("CHA",)),
    Account("supervisor.sps", SUPERVISOR, "Suyapa", "Banegas Flores", ("SPS",)),
    Account(
        "manager", roles.PROGRAMME_MANAGER, "Ana María", "Castillo Ruiz", reads_all_centers=True
    ),
    Account("donor", roles.DONOR_REVIEWER, "Grace", "Miller"),
    Account("admin", roles.ADMINISTRATOR, "Sistema", "Administración", superuser=True),
)

GIVEN_NAMES = {
    "GT": {
        "male": [
            "Juan Carlos",
            "José Luis",
            "Byron Estuardo",
            "Edwin Rolando",
            "Kevin Alexander",
            "Marvin Otoniel",
            "Santos",
            "Diego Andrés",
        ],
        "female": [
            "María José",
            "Ana Lucía",
            "Brenda Maribel",
            "Sandra Patricia",
            "Wendy Carolina",
            "Rosa Amalia",
        ],
    },
    "HN": {
        "male": [
            "Luis Fernando",
            "Jonathan Josué",
            "Wilmer Antonio",
            "Darwin Omar",
            "Elvin Javier",
            "Carlos Roberto",
            "Jefferson Alexis",
        ],
        "female": [
            "Dania Yamileth",
            "Karla Nohemí",
            "Suyapa",
            "Yessenia Marisol",
            "Keila Gabriela",
            "Lourdes",
        ],
    },
    "SV": {
        "male": [
            "José Roberto",
            "Óscar Armando",
            "Nelson Enrique",
            "Carlos Mauricio",
            "Kevin Ernesto",
            "Juan Pablo",
        ],
        "female": [
            "Karen Yamileth",
            "Marta Alicia",
            "Wendy Xiomara",
            "Ingrid Beatriz",
            "Roxana Guadalupe",
        ],
    },
}
SURNAMES = {
    "GT": [
        "López",
        "García",
        "Pérez",
        "Hernández",
        "Ramírez",
        "Xiloj",
        "Tzul",
        "Cux",
        "Ajú",
        "Chávez",
        "Velásquez",
        "Us",
        "Pú",
        "Sic",
        "De León",
        "Orozco",
    ],
    "HN": [
        "Martínez",
        "Rodríguez",
        "Mejía",
        "Zelaya",
        "Flores",
        "Reyes",
        "Banegas",
        "Cárcamo",
        "Euceda",
        "Paz",
        "Amaya",
        "Bonilla",
        "Ordóñez",
        "Maradiaga",
    ],
    "SV": [
        "Hernández",
        "Martínez",
        "Alvarado",
        "Rivas",
        "Portillo",
        "Ayala",
        "Guevara",
        "Mejía",
        "Cruz",
        "Orellana",
        "Argueta",
        "Chicas",
        "Villatoro",
    ],
}
NEEDS = [
    "Ropa y calzado; transporte a su comunidad.",
    "Llamada a familiares; alimentación.",
    "Busca empleo; tiene experiencia en construcción.",
    "Atención médica por dolor de muelas.",
    "Kit de higiene y transporte al departamento de origen.",
    "",
    "",
]


# Referral partners by country: (name, kind, service line codes). Public institutions and
# well-known organisations that receive referrals of returned migrants in each country.
GOVERNMENT, NGO = Partner.Kind.GOVERNMENT, Partner.Kind.NGO
INTERNATIONAL, COMMUNITY = Partner.Kind.INTERNATIONAL, Partner.Kind.COMMUNITY
PARTNERS: dict[str, tuple[tuple[str, str, tuple[str, ...]], ...]] = {
    "GT": (
        (
            "Instituto Técnico de Capacitación y Productividad (INTECAP)",
            GOVERNMENT,
            ("vocational_training", "skills_certification"),
        ),
        ("Ministerio de Trabajo y Previsión Social", GOVERNMENT, ("job_placement",)),
        ("Registro Nacional de las Personas (RENAP)", GOVERNMENT, ("documentation",)),
        (
            "Pastoral de Movilidad Humana",
            COMMUNITY,
            ("psychosocial_support", "legal_assistance", "housing"),
        ),
        (
            "Organización Internacional para las Migraciones (OIM) Guatemala",
            INTERNATIONAL,
            ("business_startup", "psychosocial_support"),
        ),
    ),
    "HN": (
        ("Secretaría de Trabajo y Seguridad Social", GOVERNMENT, ("job_placement",)),
        (
            "Instituto Nacional de Formación Profesional (INFOP)",
            GOVERNMENT,
            ("vocational_training", "skills_certification"),
        ),
        ("Registro Nacional de las Personas (RNP)", GOVERNMENT, ("documentation",)),
        (
            "Comisionado Nacional de los Derechos Humanos (CONADEH)",
            GOVERNMENT,
            ("legal_assistance", "protection"),
        ),
        ("Cáritas San Pedro Sula", COMMUNITY, ("psychosocial_support", "housing", "health_care")),
        (
            "Organización Internacional para las Migraciones (OIM) Honduras",
            INTERNATIONAL,
            ("business_startup", "psychosocial_support"),
        ),
    ),
    "SV": (
        ("Ministerio de Trabajo y Previsión Social", GOVERNMENT, ("job_placement",)),
        (
            "Instituto Salvadoreño de Formación Profesional (INSAFORP)",
            GOVERNMENT,
            ("vocational_training", "skills_certification"),
        ),
        (
            "Registro Nacional de las Personas Naturales (RNPN)",
            GOVERNMENT,
            ("documentation",),
        ),
        ("Cáritas El Salvador", COMMUNITY, ("psychosocial_support", "health_care")),
        (
            "Organización Internacional para las Migraciones (OIM) El Salvador",
            INTERNATIONAL,
            ("business_startup", "psychosocial_support"),
        ),
    ),
}


@dataclass
class CaseSpec:
    """A demo case opened from the arrival of plan `arrival`; follow-ups in days from today."""

    arrival: str
    caseworker: str
    restricted: bool = False
    vulnerabilities: tuple[str, ...] = ()
    needs: dict[str, str] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    referral: tuple[str, str, str] | None = None  # (partner name, service line code, reason)
    follow_ups_due: tuple[int, ...] = ()  # days from today; negative: overdue
    follow_up_done: int | None = None  # days ago a follow-up was due and done


DEMO_CASES: tuple[CaseSpec, ...] = (
    CaseSpec(
        arrival="SPS-0",
        caseworker="caseworker.sps",
        vulnerabilities=("single_parent",),
        needs={
            "economic_needs": "Sin empleo; trabajó en construcción en Houston.",
            "social_needs": "Vive con su madre y dos hijos en Choloma.",
        },
        notes=(
            "Primera entrevista: busca empleo formal cerca de Choloma.",
            "Llamada de seguimiento: tiene entrevista en una maquila la próxima semana.",
        ),
        referral=(
            "Secretaría de Trabajo y Seguridad Social",
            "job_placement",
            "Bolsa de empleo; experiencia en construcción.",
        ),
        follow_ups_due=(-6, 25),
    ),
    CaseSpec(
        arrival="SPS-1",
        caseworker="caseworker.sps",
        vulnerabilities=("chronic_illness",),
        needs={"psychosocial_needs": "Ansiedad tras la detención."},
        notes=("Atención en salud coordinada; medicamento entregado.",),
        follow_up_done=10,
        follow_ups_due=(40,),
    ),
    CaseSpec(
        arrival="SPS-2",
        caseworker="caseworker.sps",
        restricted=True,
        vulnerabilities=("violence_survivor",),
        needs={"psychosocial_needs": "Necesita acompañamiento psicosocial especializado."},
        notes=("Caso reservado: solo la trabajadora social asignada y la supervisión.",),
        follow_ups_due=(7,),
    ),
    CaseSpec(arrival="SPS-3", caseworker="supervisor.sps", follow_ups_due=(14,)),
    CaseSpec(
        arrival="FAG-0",
        caseworker="caseworker.fag",
        needs={"economic_needs": "Quiere certificarse como electricista."},
        notes=("Interesado en el curso de electricidad del INTECAP.",),
        referral=(
            "Instituto Técnico de Capacitación y Productividad (INTECAP)",
            "vocational_training",
            "Curso de electricidad residencial.",
        ),
        follow_ups_due=(-2, 30),
    ),
    CaseSpec(
        arrival="SAL-0",
        caseworker="caseworker.sal",
        notes=("Tiene experiencia en panadería; quiere emprender.",),
        referral=(
            "Organización Internacional para las Migraciones (OIM) El Salvador",
            "business_startup",
            "Capital semilla para panadería.",
        ),
        follow_ups_due=(20,),
    ),
    CaseSpec(
        arrival="BEL-family-0",
        caseworker="caseworker.bel",
        vulnerabilities=("single_parent",),
        notes=("Madre con dos hijos; inscripción escolar pendiente.",),
        follow_ups_due=(10,),
    ),
)


@dataclass
class Plan:
    """One demo arrival to register; `repeat_of` points at an earlier plan for the same person."""

    key: str
    center: str
    days_ago: int
    person_data: dict | None = None
    repeat_of: str | None = None
    travel_group: str = "alone"
    family: str | None = None
    reasons: list[str] = field(default_factory=list)


def _dpi(rng: random.Random, municipality: Municipality) -> str:
    while True:
        serial = [rng.randint(0, 9) for _ in range(8)]
        check = sum(d * (i + 2) for i, d in enumerate(serial)) % 11
        if check < 10:
            digits = "".join(map(str, serial)) + str(check) + municipality.national_code
            return f"{digits[:4]} {digits[4:9]} {digits[9:]}"


def _dni(rng: random.Random, municipality: Municipality, born: date) -> str:
    return f"{municipality.national_code}-{born.year}-{rng.randint(0, 99999):05d}"


def _dui(rng: random.Random) -> str:
    digits = [rng.randint(0, 9) for _ in range(8)]
    check = (10 - sum(d * (9 - i) for i, d in enumerate(digits)) % 10) % 10
    return "".join(map(str, digits)) + f"-{check}"


class DemoBuilder:
    """Deterministic demo persons; the random generator is seeded so every run plans the same."""

    def __init__(self) -> None:
        self.rng = random.Random(2026)
        self.today = timezone.localdate()
        self.countries = {c.iso2: c for c in Country.objects.all()}
        self.documents = {d.code: d for d in DocumentType.objects.all()}
        self.municipalities: dict[str, list[Municipality]] = {}
        for muni in Municipality.objects.select_related("department__country").order_by("pcode"):
            self.municipalities.setdefault(muni.department.country.iso2, []).append(muni)

    def person(
        self,
        iso2: str,
        *,
        sex: str | None = None,
        age: int | None = None,
        surnames: tuple[str, str] | None = None,
        document: str | None = None,
        municipality: Municipality | None = None,
    ) -> dict:
        rng = self.rng
        sex = sex or ("male" if rng.random() < 0.72 else "female")
        age = age if age is not None else rng.randint(18, 52)
        born = date(self.today.year - age - 1, rng.randint(1, 12), rng.randint(1, 28))
        muni = municipality or rng.choice(self.municipalities[iso2])
        first, second = surnames or tuple(rng.sample(SURNAMES[iso2], 2))
        document = document or rng.choices(["national", "passport"], weights=[4, 1])[0]
        if document == "national":
            code, number = {
                "GT": ("dpi", lambda: _dpi(rng, muni)),
                "HN": ("dni", lambda: _dni(rng, muni, born)),
                "SV": ("dui", lambda: _dui(rng)),
            }[iso2]
            number = number()
        elif document == "passport":
            code, number = "passport", f"{rng.choice('ABCEFG')}{rng.randint(0, 99999999):08d}"
        else:
            code, number = "none", ""
        return {
            "given_names": rng.choice(GIVEN_NAMES[iso2][sex]),
            "first_surname": first,
            "second_surname": second,
            "sex": sex,
            "birth_date": born,
            "birth_date_estimated": False,
            "nationality": self.countries[iso2],
            "document_type": self.documents[code],
            "document_number": number,
            "origin_department": muni.department,
            "origin_municipality": muni,
        }

    def plans(self) -> list[Plan]:
        rng = self.rng
        country_of = {c["code"]: c["country"] for c in CENTERS}
        reason_codes = [
            "economic",
            "economic",
            "violence",
            "extortion",
            "family_reunification",
            "natural_disasters",
            "domestic_violence",
        ]
        plans: list[Plan] = []
        singles = {"FAG": 7, "TEC": 5, "SPS": 7, "OMO": 4, "SAL": 6, "CHA": 5}
        for code, count in singles.items():
            for n in range(count):
                plans.append(
                    Plan(
                        key=f"{code}-{n}",
                        center=code,
                        days_ago=rng.randint(1, 170),
                        person_data=self.person(country_of[code]),
                        reasons=sorted(set(rng.sample(reason_codes, rng.randint(1, 2)))),
                    )
                )
        # Two people who came back a second time, through another centre of their country.
        plans.append(
            Plan(
                key="TEC-repeat", center="FAG", days_ago=12, repeat_of="TEC-0", reasons=["economic"]
            )
        )
        plans.append(
            Plan(
                key="OMO-repeat", center="SPS", days_ago=5, repeat_of="OMO-0", reasons=["violence"]
            )
        )
        # A mother with two children, returned together to the Belén centre.
        mother = self.person(
            "HN", sex="female", age=29, surnames=("Flores", "Amaya"), document="national"
        )
        home = mother["origin_municipality"]
        children = ("Mejía", "Flores")
        family = [
            mother,
            self.person(
                "HN", sex="male", age=9, surnames=children, document="none", municipality=home
            ),
            self.person(
                "HN", sex="female", age=5, surnames=children, document="none", municipality=home
            ),
        ]
        for n, data in enumerate(family):
            plans.append(
                Plan(
                    key=f"BEL-family-{n}",
                    center="BEL",
                    days_ago=20,
                    person_data=data,
                    travel_group="family_unit",
                    family="BEL-family",
                    reasons=["violence", "family_reunification"],
                )
            )
        plans.append(
            Plan(
                key="BEL-minor",
                center="BEL",
                days_ago=33,
                person_data=self.person("HN", sex="male", age=16, document="none"),
                travel_group="unaccompanied_minor",
                reasons=["family_reunification"],
            )
        )
        return plans


class Command(BaseCommand):
    help = "Create demo reception centres, one login per role, and sample arrivals (idempotent)."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--password",
            default=DEMO_PASSWORD,
            help=f"Password for every demo account (default: {DEMO_PASSWORD}).",
        )
        parser.add_argument(
            "--no-arrivals",
            action="store_true",
            help="Only centres and accounts.",
        )

    def handle(self, *args, password: str, no_arrivals: bool, **options) -> None:
        if not Country.objects.filter(iso2="GT").exists():
            raise CommandError("Reference data is missing: run `manage.py migrate` first.")
        with transaction.atomic():
            centers = self.centers_create()
            users = self.accounts_create(centers=centers, password=password)
            partners = self.partners_create()
            created = cases = 0
            if not no_arrivals:
                created = self.arrivals_create(centers=centers, users=users)
                created += self.duplicate_create(centers=centers, users=users)
                cases = self.cases_create(users=users)
        if not no_arrivals:
            # The supervisors' review queue shows the pair (the nightly scan, run now).
            from intake.duplicates import duplicates_find_country

            duplicates_find_country()
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo data ready: {len(centers)} centres, {len(users)} accounts, "
                f"{partners} partners, {created} new arrivals, {cases} new cases "
                f"({Person.objects.count()} persons in the database)."
            )
        )
        self.accounts_print(password)

    def centers_create(self) -> dict[str, ReceptionCenter]:
        countries = {c.iso2: c for c in Country.objects.filter(is_programme_country=True)}
        centers = {}
        for spec in CENTERS:
            center, _ = ReceptionCenter.objects.update_or_create(
                code=spec["code"],
                defaults={
                    "name": spec["name_es"],
                    "name_es": spec["name_es"],
                    "name_en": spec["name_en"],
                    "country": countries[spec["country"]],
                    "kind": spec["kind"],
                    "time_zone": spec["time_zone"],
                    "active": True,
                },
            )
            centers[center.code] = center
        return centers

    def accounts_create(self, *, centers: dict[str, ReceptionCenter], password: str) -> dict:
        user_model = get_user_model()
        # The role groups and their model permissions come from migration 0004_roles.
        groups = {role: Group.objects.get_or_create(name=role)[0] for role in roles.ROLE_LABELS}
        users = {}
        for account in ACCOUNTS:
            user, _ = user_model.objects.update_or_create(
                username=account.username,
                defaults={
                    "first_name": account.first_name,
                    "last_name": account.last_name,
                    "email": f"{account.username}@demo.retorno.example",
                    "is_active": True,
                    "is_staff": account.superuser,
                    "is_superuser": account.superuser,
                },
            )
            user.set_password(password)
            user.save(update_fields=["password"])
            user.groups.add(groups[account.role])
            for code in account.centers:
                assign_perm("registry.work_at_center", user, centers[code])
            if account.reads_all_centers:
                for center in centers.values():
                    assign_perm("registry.view_center_records", user, center)
            users[account.username] = user
        return users

    def arrivals_create(self, *, centers: dict[str, ReceptionCenter], users: dict) -> int:
        # A casework command reaching into intake: the demo is the one place that seeds both.
        from intake.actions import arrival_register
        from intake.models import Arrival

        builder = DemoBuilder()
        reasons = {r.code: r for r in MigrationReason.objects.all()}
        returned_from_mode = {
            AIR: ("US", "air"),
            LAND: ("MX", "land"),
            CHILDREN_FAMILIES: ("MX", "land"),
        }
        persons: dict[str, Person] = {}
        created = 0
        for plan in builder.plans():
            center = centers[plan.center]
            returned_from, mode = returned_from_mode[center.kind]
            if plan.center == "BEL" and plan.family:
                returned_from, mode = "US", "air"
            arrived_at = (center.local_now() - timedelta(days=plan.days_ago)).replace(
                hour=8 + plan.days_ago % 9,
                minute=(plan.days_ago * 7) % 60,
                second=0,
                microsecond=0,
            )
            reference = (
                f"IAH-{center.code}-{arrived_at:%m%d}"
                if mode == "air"
                else f"BUS-{center.code}-{arrived_at:%m%d}"
            )
            arrival_data = {
                "arrived_at": arrived_at,
                "mode": mode,
                "returned_from": builder.countries[returned_from],
                "transport_reference": reference,
                "travel_group": plan.travel_group,
                "family_group": (
                    uuid.uuid5(DEMO_NAMESPACE, f"family-{plan.family}") if plan.family else None
                ),
                "intends_to_migrate_again": builder.rng.choice(
                    [c for c, _ in Arrival.Intention.choices]
                ),
                "needs": builder.rng.choice(NEEDS),
            }
            registration = arrival_register(
                actor=users[f"caseworker.{plan.center.lower()}"],
                center=center,
                client_uuid=uuid.uuid5(DEMO_NAMESPACE, f"arrival-{plan.key}"),
                arrival_data=arrival_data,
                reasons=[reasons[code] for code in plan.reasons],
                person=persons.get(plan.repeat_of) if plan.repeat_of else None,
                new_person_data=None if plan.repeat_of else plan.person_data,
                new_person_id=None
                if plan.repeat_of
                else uuid.uuid5(DEMO_NAMESPACE, f"person-{plan.key}"),
                consents={
                    "process_data": True,
                    "anonymised_statistics": True,
                    "follow_up_contact": builder.rng.random() < 0.8,
                    "share_with_partners": builder.rng.random() < 0.6,
                },
            )
            persons[plan.key] = registration.arrival.person
            created += registration.created
        return created

    def duplicate_create(self, *, centers: dict[str, ReceptionCenter], users: dict) -> int:
        """A man who returned before, registered again as someone new by a colleague in a hurry:
        a letter dropped from his given name, day and month of birth swapped, no document.
        The duplicate review queue proposes the pair; a supervisor can merge it."""
        from intake.actions import arrival_register

        center = centers["SPS"]
        earlier = (
            Person.objects.filter(center_links__center=center, sex="male", birth_date__day__lte=12)
            .order_by("created_at", "pk")
            .first()
        )
        if earlier is None or earlier.birth_date is None:
            return 0
        given = earlier.given_names.split()[0]
        data = {
            field: getattr(earlier, field)
            for field in ("first_surname", "second_surname", "sex", "nationality")
        }
        data["given_names"] = given[:2] + given[3:] if len(given) > 4 else given + "n"
        born = earlier.birth_date
        data["birth_date"] = born.replace(month=born.day, day=born.month)
        data["document_type"] = DocumentType.objects.get(code="none")
        arrived_at = (center.local_now() - timedelta(days=1)).replace(
            hour=15, minute=40, second=0, microsecond=0
        )
        registration = arrival_register(
            actor=users["caseworker.sps"],
            center=center,
            client_uuid=uuid.uuid5(DEMO_NAMESPACE, "arrival-duplicate"),
            arrival_data={
                "arrived_at": arrived_at,
                "mode": "air",
                "returned_from": Country.objects.get(iso2="US"),
                "transport_reference": f"IAH-SPS-{arrived_at:%m%d}",
            },
            reasons=[],
            new_person_data=data,
            new_person_id=uuid.uuid5(DEMO_NAMESPACE, "person-duplicate"),
            consents={"process_data": True, "anonymised_statistics": True},
        )
        return int(registration.created)

    def partners_create(self) -> int:
        countries = {c.iso2: c for c in Country.objects.filter(iso2__in=PARTNERS)}
        lines = {line.code: line for line in ServiceLine.objects.all()}
        count = 0
        for iso2, partners in PARTNERS.items():
            for name, kind, codes in partners:
                partner, _ = Partner.objects.update_or_create(
                    name=name, country=countries[iso2], defaults={"kind": kind, "active": True}
                )
                partner.service_lines.set([lines[code] for code in codes])
                count += 1
        return count

    def cases_create(self, *, users: dict) -> int:
        """Open the demo cases through casework.actions; a second run changes nothing."""
        from intake.models import Arrival

        act = casework_actions
        vulnerabilities = {v.code: v for v in VulnerabilityCategory.objects.all()}
        created = 0
        for spec in DEMO_CASES:
            arrival = Arrival.objects.select_related("person", "center").get(
                client_uuid=uuid.uuid5(DEMO_NAMESPACE, f"arrival-{spec.arrival}")
            )
            center, person = arrival.center, arrival.person
            opener = users[f"caseworker.{center.code.lower()}"]
            case_uuid = uuid.uuid5(DEMO_NAMESPACE, f"case-{spec.arrival}")
            opened = act.case_open(
                actor=opener,
                person=person,
                center=center,
                arrival=arrival,
                assigned_to=users[spec.caseworker],
                restricted=spec.restricted,
                client_uuid=case_uuid,
            )
            created += opened.created
            case = opened.case
            if case.assessed_at is None and (spec.vulnerabilities or spec.needs):
                case = act.case_assess(
                    actor=opener,
                    case=case,
                    vulnerabilities=[vulnerabilities[code] for code in spec.vulnerabilities],
                    expected_version=case.version,
                    **spec.needs,
                )
            for n, text in enumerate(spec.notes):
                act.note_add(
                    actor=opener,
                    case=case,
                    text=text,
                    client_uuid=uuid.uuid5(DEMO_NAMESPACE, f"note-{spec.arrival}-{n}"),
                )
            if spec.referral:
                partner_name, line_code, reason = spec.referral
                # Referral needs the person's consent to share data with partners.
                registry_actions.consents_record(
                    actor=opener, person=person, consents={"share_with_partners": True}
                )
                act.referral_create(
                    actor=opener,
                    case=case,
                    partner=Partner.objects.get(name=partner_name, country=center.country),
                    service_line=ServiceLine.objects.get(code=line_code),
                    reason=reason,
                    client_uuid=uuid.uuid5(DEMO_NAMESPACE, f"referral-{spec.arrival}"),
                )
            planned = spec.follow_up_done is not None or spec.follow_ups_due
            if planned and not case.follow_ups.exists():
                # A follow-up contacts the person: they agreed to it when the case was opened.
                if not registry_actions.consent_in_force(person, "follow_up_contact"):
                    registry_actions.consents_record(
                        actor=opener, person=person, consents={"follow_up_contact": True}
                    )
                today = center.local_now().date()
                if spec.follow_up_done is not None:
                    done = act.follow_up_schedule(
                        actor=opener,
                        case=case,
                        due_date=today - timedelta(days=spec.follow_up_done),
                        purpose="Llamada de seguimiento",
                    )
                    act.follow_up_complete(
                        actor=opener,
                        follow_up=done,
                        outcome="reached",
                        outcome_note="Se encuentra bien; sigue el tratamiento.",
                    )
                for days in spec.follow_ups_due:
                    act.follow_up_schedule(
                        actor=opener,
                        case=case,
                        due_date=today + timedelta(days=days),
                        purpose="Visita domiciliaria" if days > 20 else "Llamada de seguimiento",
                    )
        return created

    def accounts_print(self, password: str) -> None:
        rows = [("username", "role", "centres", "password")]
        for account in ACCOUNTS:
            centres = ", ".join(account.centers) or (
                "all (superuser)"
                if account.superuser
                else "all (read only)"
                if account.reads_all_centers
                else "—"
            )
            rows.append((account.username, str(roles.ROLE_LABELS[account.role]), centres, password))
        widths = [max(len(row[i]) for row in rows) for i in range(4)]
        line = "+-" + "-+-".join("-" * w for w in widths) + "-+"
        self.stdout.write("")
        self.stdout.write("Demo logins (sign in at http://127.0.0.1:8000/ once the server runs):")
        self.stdout.write(line)
        for n, row in enumerate(rows):
            self.stdout.write(
                "| " + " | ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)) + " |"
            )
            if n == 0:
                self.stdout.write(line)
        self.stdout.write(line)

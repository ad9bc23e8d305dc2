"""Benchmark of a caseworker's case list on PostgreSQL: 200,000 cases across 50 centres.

Fills a dedicated database (bulk inserts, once; kept for later runs), then times the first page
(25 rows and the count) of the case list of a caseworker of two centres, scoped as every view
scopes it: through the selector, and as the whole HTML page through the test client.
Target: p95 under 80 ms.
"""

from __future__ import annotations

import random
import time
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, transaction
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from guardian.shortcuts import assign_perm

from casework.models import Case, CaseUserObjectPermission
from casework.permissions import VIEW_RESTRICTED_CASE
from devtools.benchmarking import Timing, allowed_host, require_postgresql, timed
from registry.models import Country, DocumentType, Person, PersonCenter, ReceptionCenter

BENCH_USERNAME = "bench_caselist"
STAFF_USERNAME = "bench_caselist_staff"
CENTER_PREFIX = "BCL"
TARGET_P95_MS = 80.0
PAGE_SIZE = 25
RESTRICTED_SHARE = 0.01  # sensitive cases, opened only to their caseworker
GIVEN = ("María", "José", "Ana", "Juan", "Rosa", "Luis", "Elena", "Carlos", "Sofía", "Marvin")
SURNAMES = ("López", "García", "Pérez", "Tzul", "Coc", "Reyes", "Mejía", "Castillo", "Ajú", "Cruz")


class Command(BaseCommand):
    help = (
        "Time a caseworker's case list (first page of 25) on PostgreSQL with 200,000 cases "
        f"across 50 centres. Target p95 under {TARGET_P95_MS:.0f} ms."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--cases", type=int, default=200_000, help="Cases (default 200,000).")
        parser.add_argument("--centers", type=int, default=50, help="Centres (default 50).")
        parser.add_argument("--runs", type=int, default=100, help="Timed calls (default 100).")
        parser.add_argument("--batch-size", type=int, default=5_000)
        parser.add_argument("--seed", type=int, default=20260101)

    def handle(self, *args: Any, **options: Any) -> None:
        require_postgresql("bench_caselist", "bench-caselist")
        if options["centers"] < 2:
            raise CommandError("--centers must be at least 2 (the caseworker works at two).")
        rng = random.Random(options["seed"])
        centers = self._centers(options["centers"])
        user, staff = self._users(centers[:2])
        self._ensure_cases(
            rng=rng,
            centers=centers,
            user=user,
            staff=staff,
            wanted=options["cases"],
            batch_size=options["batch_size"],
        )
        total = Case.objects.filter(center__code__startswith=CENTER_PREFIX).count()
        mine = Case.objects.filter(center__in=centers[:2]).count()
        self.stdout.write(
            f"{total:,} cases across {len(centers)} centres; the caseworker's two centres hold "
            f"{mine:,}"
        )
        timings = [measure_selector(user, options["runs"])]
        page = measure_page(user, options["runs"], say=self.stdout.write)
        if page is not None:
            timings.append(page)
        self._report(timings)

    # -- data --------------------------------------------------------------------------------

    def _centers(self, count: int) -> list[ReceptionCenter]:
        try:
            guatemala = Country.objects.get(iso2="GT")
        except Country.DoesNotExist as exc:
            raise CommandError("reference data missing: run `manage.py migrate`.") from exc
        centers = []
        for index in range(1, count + 1):
            center, _created = ReceptionCenter.objects.get_or_create(
                code=f"{CENTER_PREFIX}{index:02d}",
                defaults={
                    "name": f"Centro de prueba {index:02d}",
                    "country": guatemala,
                    "kind": ReceptionCenter.Kind.AIR,
                    "time_zone": "America/Guatemala",
                },
            )
            centers.append(center)
        return centers

    def _users(self, own: list[ReceptionCenter]) -> tuple[Any, Any]:
        user_model = get_user_model()
        user, created = user_model.objects.get_or_create(username=BENCH_USERNAME)
        staff, staff_created = user_model.objects.get_or_create(username=STAFF_USERNAME)
        for account, new in ((user, created), (staff, staff_created)):
            if new:
                account.set_unusable_password()
                account.save(update_fields=["password"])
            account.groups.add(Group.objects.get(name="caseworker"))
        for center in own:
            assign_perm("registry.work_at_center", user, center)
        return user, staff

    def _ensure_cases(
        self,
        *,
        rng: random.Random,
        centers: list[ReceptionCenter],
        user: Any,
        staff: Any,
        wanted: int,
        batch_size: int,
    ) -> None:
        existing = Case.objects.filter(opened_by=staff).count()
        if existing >= wanted:
            self.stdout.write(f"{existing:,} benchmark cases already there: not generating")
            return
        to_make = wanted - existing
        self.stdout.write(f"generating {to_make:,} cases in batches of {batch_size:,} ...")
        nationality = Country.objects.get(iso2="GT")
        document = DocumentType.objects.get(code="passport")
        year = timezone.now().year
        now = timezone.now()
        started = time.perf_counter()
        made = 0
        while made < to_make:
            size = min(batch_size, to_make - made)
            persons, links, cases = [], [], []
            for offset in range(size):
                serial = existing + made + offset + 1
                center = centers[serial % len(centers)]
                person = Person(
                    id=uuid.uuid4(),
                    given_names=rng.choice(GIVEN),
                    first_surname=rng.choice(SURNAMES),
                    second_surname=rng.choice(SURNAMES),
                    sex=rng.choice((Person.Sex.FEMALE, Person.Sex.MALE)),
                    nationality=nationality,
                    document_type=document,
                    document_number=f"B{serial:09d}",
                    document_key=f"B{serial:09d}",
                    created_by=staff,
                )
                persons.append(person)
                links.append(PersonCenter(person=person, center=center))
                own = center.pk in (centers[0].pk, centers[1].pk)
                closed = rng.random() < 0.6
                cases.append(
                    Case(
                        number=f"{center.code}-{year}-{serial:07d}",
                        person=person,
                        center=center,
                        assigned_to=user if own and rng.random() < 0.3 else staff,
                        status=Case.Status.CLOSED if closed else Case.Status.OPEN,
                        closure_reason_id=self._closure_reason_id() if closed else None,
                        restricted=rng.random() < RESTRICTED_SHARE,
                        opened_at=now - timedelta(minutes=rng.randrange(0, 2 * 365 * 24 * 60)),
                        opened_by=staff,
                        client_uuid=uuid.uuid4(),
                    )
                )
            with transaction.atomic():
                Person.objects.bulk_create(persons)
                PersonCenter.objects.bulk_create(links)
                Case.objects.bulk_create(cases)
                self._open_restricted_to_assignee(
                    [c for c in cases if c.restricted and c.assigned_to_id == user.pk], user
                )
            made += size
            self.stdout.write(f"  {made:,} / {to_make:,}")
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        self.stdout.write(f"generated in {time.perf_counter() - started:.0f} s")

    _reason_id: int | None = None

    def _closure_reason_id(self) -> int:
        if self._reason_id is None:
            from registry.models import ClosureReason

            reason = ClosureReason.objects.order_by("pk").first()
            if reason is None:
                raise CommandError("no closure reasons: run `manage.py migrate`.")
            self._reason_id = reason.pk
        return self._reason_id

    def _open_restricted_to_assignee(self, cases: list[Case], user: Any) -> None:
        from django.contrib.auth.models import Permission

        if not cases:
            return
        permission = Permission.objects.get(
            codename=VIEW_RESTRICTED_CASE, content_type__app_label="casework"
        )
        CaseUserObjectPermission.objects.bulk_create(
            CaseUserObjectPermission(user=user, permission=permission, content_object=case)
            for case in cases
        )

    def _report(self, timings: list[Timing]) -> None:
        header = (
            f"{'what':<48} {'runs':>5} {'median ms':>10} {'p95 ms':>8} {'max ms':>8} {'queries':>8}"
        )
        self.stdout.write("")
        self.stdout.write(header)
        self.stdout.write("-" * len(header))
        failed = False
        for timing in timings:
            label, runs, median, p95, worst, queries = timing.row()
            self.stdout.write(
                f"{label:<48} {runs:>5} {median:>10.1f} {p95:>8.1f} {worst:>8.1f} {queries:>8}"
            )
            failed = failed or p95 >= TARGET_P95_MS
        self.stdout.write("")
        verdict = "over" if failed else "within"
        self.stdout.write(f"target: p95 under {TARGET_P95_MS:.0f} ms: {verdict} target")


def _fresh_user(user: Any) -> Any:
    # A new object per call, as per request: the centre ids are resolved every time.
    return type(user).objects.get(pk=user.pk)


def measure_selector(user: Any, runs: int) -> Timing:
    """The first page (25 rows) and the count through the scoped selector, `runs` times."""
    page = _selector_page()
    timing = Timing("case_list selector: page of 25 + count", TARGET_P95_MS)
    for _ in range(runs):
        fresh = _fresh_user(user)
        rows, count = timed(timing, lambda u=fresh: page(u))
        if len(rows) != min(PAGE_SIZE, count):
            raise CommandError("the selector returned a short page")
    return timing


def measure_page(user: Any, runs: int, *, say: Callable[[str], Any] = print) -> Timing | None:
    """GET /cases/ (the whole HTML page) through the test client, `runs` times; None if no route."""
    from django.test import Client

    try:
        url = reverse("cases:case_list")
    except NoReverseMatch:
        say("no cases:case_list page yet: timing the selector only")
        return None
    client = Client(HTTP_HOST=allowed_host())
    client.force_login(user)
    first = client.get(url)
    if first.status_code != 200:
        raise CommandError(f"GET {url} answered {first.status_code}")
    timing = Timing(f"GET {url} (whole HTML page)", TARGET_P95_MS)
    for _ in range(runs):
        response = timed(timing, lambda: client.get(url))
        if response.status_code != 200:
            raise CommandError(f"GET {url} answered {response.status_code}")
    return timing


def _selector_page() -> Callable[[Any], tuple[list[Case], int]]:
    """The first page as the list view reads it: the scoped selector, newest first, and a count."""
    try:
        from casework.selectors import case_list
    except ImportError:
        from casework.permissions import cases_for

        def case_list(*, user):
            return cases_for(user).select_related("person", "center", "assigned_to")

    def page(user: Any) -> tuple[list[Case], int]:
        queryset = case_list(user=user).order_by("-opened_at")
        return list(queryset[:PAGE_SIZE]), queryset.count()

    return page

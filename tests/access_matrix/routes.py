"""The route table of the access matrix: every URL, how to reach it, and who gets what answer.

Decisions the table pins (change them here, and in the code, together):

- Anonymous: an HTML page redirects to the login page (302); the API answers 401 with
  WWW-Authenticate: Token ("sign in again", registry.sign_in), so that a tablet can tell it
  from a refusal (403) or a record it may not see (404).
- The API's sign-in (api-token POST) is open to everyone and answers a wrong password 400; its
  sign-out (DELETE) answers 204 to any signed-in user.
- A record the user may not open answers 404, whatever the role, in HTML and API alike; never
  403, so that the answer does not say whether the record exists.
- A record the user may open but not change (programme manager; a caseworker on a task only a
  supervisor may do) answers 403 to a write: the record's existence is no secret to them.
- Lists answer 200 with only the rows in scope. The administrator holds no centre: API lists
  answer 200 with no rows; record pages answer 404.
- The donor reviewer (reporting permissions only, no centre: registry.permissions.
  is_donor_reviewer) reaches the aggregates and nothing else: every route outside DONOR_DOORS
  answers 404, HTML and API alike, lists and reference data included, before any view runs
  (registry.middleware.DonorReachMiddleware, registry.api_common.DonorReviewersKeptOut).
- Intake pages (intake_view) answer a user with no centre at all with the "no centre" page, 403,
  before looking at the id in the URL: the answer is the same for every id, so it is no oracle.
- Creates name the centre they write to; another centre's code is a 400 field error ("choose one
  of your reception centres"), the same as an unknown code.
- Restricted record: the restricted case and everything under it (notes, goals, referrals,
  follow-ups) answer 404 to everyone but the assigned caseworker and the centre's supervisors.
  The person and the arrival of a restricted case are not restricted (centre staff registered
  them), but no response may show the case's number, notes, needs or goals to anyone else: the
  matrix checks every response body for those strings.
- The OpenAPI schema and its docs page are public: they describe the API and hold no data.
- Every answer to a signed-in user carries Cache-Control: no-store (any route may show personal
  data). HTML routes answer PUT, PATCH, DELETE and TRACE with 405, whatever the role.
- The service uptake dashboard (reporting/dashboard_views.py) is for programme managers and
  centre supervisors, each over the centres they read. Caseworkers get 403 (a page without a
  record that their role may not use, like the exports); users who read no centre at all (the
  donor reviewer, the administrator) get 404: for them the page is not there.
- The donor report on screen and the indicator reference sheets (reporting/donor_views.py) have
  the readers of the exports: aggregate readers 200, other staff 403.

After every refused write the matrix asserts that `model_snapshot()` is unchanged.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from django.apps import apps
from django.conf import settings
from django.urls import reverse
from django.utils import translation

HTML, API = "html", "api"
NO_RECORD = "-"
RECORDS = ("own", "other", "restricted")
CREATE_TARGETS = ("own", "other")  # the centre a create writes to: A or B

ROLES = (
    "anonymous",
    "caseworker_a",
    "colleague_a",
    "supervisor_a",
    "programme_manager",
    "donor_reviewer",
    "administrator",
    "outsider_b",
)
NO_CENTRE = frozenset({"donor_reviewer", "administrator"})
STAFF_A = frozenset({"caseworker_a", "colleague_a", "supervisor_a"})
READERS_A = STAFF_A | {"programme_manager"}
ASSIGNED_AND_SUPERVISOR_A = frozenset({"caseworker_a", "supervisor_a"})
STAFF_B = frozenset({"outsider_b"})

# Who may open each record's person (and arrival) ...
PERSON_READERS = {"own": READERS_A, "other": STAFF_B, "restricted": READERS_A}
# ... its case and everything under the case ...
CASE_READERS = {"own": READERS_A, "other": STAFF_B, "restricted": ASSIGNED_AND_SUPERVISOR_A}
# ... who may add to the case (notes, goals, referrals, follow-ups) and record arrivals there ...
CASE_WORKERS = {"own": STAFF_A, "other": STAFF_B, "restricted": ASSIGNED_AND_SUPERVISOR_A}
# ... and who may close, reopen or restrict it (the assigned caseworker, the supervisor).
CASE_MANAGERS = {
    "own": ASSIGNED_AND_SUPERVISOR_A,
    "other": STAFF_B,
    "restricted": ASSIGNED_AND_SUPERVISOR_A,
}
CASE_ASSIGNERS = {
    "own": frozenset({"supervisor_a"}),
    "other": frozenset(),
    "restricted": frozenset({"supervisor_a"}),
}
# Who may merge the person's records (and undo a merge): the supervisors of their centres.
PERSON_MERGERS = {
    "own": frozenset({"supervisor_a"}),
    "other": frozenset(),
    "restricted": frozenset({"supervisor_a"}),
}
# Who may open both records of a merge page: the record's person and another at its centre
# (for the other centre's record, a person at centre A: nobody reads both).
PAIR_READERS = {"own": READERS_A, "other": frozenset(), "restricted": READERS_A}
# Who may open a case from the record's arrival: staff of the arrival's centre.
ARRIVAL_CENTRE_STAFF = {"own": STAFF_A, "other": STAFF_B, "restricted": STAFF_A}
# Who works at the centre a create writes to.
CENTRE_WORKERS = {"own": STAFF_A, "other": STAFF_B}

Expect = Callable[[str, str], int]


def anonymous_answer(kind: str) -> int:
    return 302 if kind == HTML else 401


def read(kind: str, readers: dict, *, no_centre: int | None = None, ok: int = 200) -> Expect:
    """A record page or endpoint: `ok` for whoever may open the record, 404 for everyone else."""

    def expect(role: str, record: str) -> int:
        if role == "anonymous":
            return anonymous_answer(kind)
        if no_centre is not None and role in NO_CENTRE:
            return no_centre
        return ok if role in readers[record] else 404

    return expect


def write(kind: str, readers: dict, writers: dict, *, ok: int = 200, no_centre=None) -> Expect:
    """A change to a record: `ok` for writers, 403 for those who only read it, 404 otherwise."""

    def expect(role: str, record: str) -> int:
        if role == "anonymous":
            return anonymous_answer(kind)
        if no_centre is not None and role in NO_CENTRE:
            return no_centre
        if role in writers[record]:
            return ok
        return 403 if role in readers[record] else 404

    return expect


def create(kind: str, *, ok: int = 201, refused: int = 400) -> Expect:
    """A create at centre A ("own") or B ("other"): `ok` for those who work there."""

    def expect(role: str, record: str) -> int:
        if role == "anonymous":
            return anonymous_answer(kind)
        return ok if role in CENTRE_WORKERS[record] else refused

    return expect


def signed_in(
    kind: str, status: int = 200, *, no_centre: int | None = None, reader_too: bool = True
) -> Expect:
    """A page without a record (lists, searches): the same answer for every signed-in user.

    `reader_too=False`: a page for staff who work at a centre (registering), which a programme
    manager, who only reads, gets like a user with no centre.
    """

    def expect(role: str, record: str) -> int:
        if role == "anonymous":
            return anonymous_answer(kind)
        if no_centre is not None and (
            role in NO_CENTRE or (not reader_too and role == "programme_manager")
        ):
            return no_centre
        return status

    return expect


def supervisors(kind: str) -> Expect:
    """A page of supervisors' work without a record (the duplicate queue): 403 to others."""

    def expect(role: str, record: str) -> int:
        if role == "anonymous":
            return anonymous_answer(kind)
        return 200 if role == "supervisor_a" else 403

    return expect


AGGREGATE_READERS = frozenset({"donor_reviewer", "programme_manager", "administrator"})


def exporters(kind: str) -> Expect:
    """Donor report exports: the same readers as the aggregate API; HTML, so anonymous → login."""

    def expect(role: str, record: str) -> int:
        if role == "anonymous":
            return anonymous_answer(kind)
        return 200 if role in AGGREGATE_READERS else 403

    return expect


DASHBOARD_READERS = frozenset({"supervisor_a", "programme_manager"})


def dashboard_readers(kind: str) -> Expect:
    """The dashboard: 200 for its audience, 404 for users with no centre, 403 for other staff."""

    def expect(role: str, record: str) -> int:
        if role == "anonymous":
            return anonymous_answer(kind)
        if role in NO_CENTRE:
            return 404
        return 200 if role in DASHBOARD_READERS else 403

    return expect


def aggregates() -> Expect:
    """The donor API: by the reporting.view_aggregates permission, not by centre (403 otherwise:
    it names no record, so a refusal says nothing about one)."""

    def expect(role: str, record: str) -> int:
        if role == "anonymous":
            return anonymous_answer(API)
        return 200 if role in AGGREGATE_READERS else 403

    return expect


def constant(status: int) -> Expect:
    return lambda role, record: status


def by_role(anonymous: int, signed_in_status: int) -> Expect:
    return lambda role, record: anonymous if role == "anonymous" else signed_in_status


@dataclass(frozen=True)
class Route:
    name: str  # the URL name, with its namespace, as the meta-test finds it in the resolver
    method: str
    kind: str
    url: Callable[[Any, str], str]  # (world, record) -> path
    expect: Expect
    records: tuple[str, ...] = RECORDS
    body: Callable[[Any, str], dict] | None = None
    # For a redirect: (world, role, record) -> the path it must lead to (None: not checked).
    location: Callable[[Any, str, str], str | None] | None = None
    note: str = ""
    extra: dict = field(default_factory=dict)
    # Answers after which data must have changed; after any other answer nothing may change.
    changes_on: frozenset[int] = frozenset()

    @property
    def id(self) -> str:
        return f"{self.name}:{self.method}"

    @property
    def is_write(self) -> bool:
        return self.method not in ("GET", "HEAD", "OPTIONS")


def _plain(name: str, **kwargs) -> Callable[[Any, str], str]:
    return lambda world, record: reverse(name, kwargs=kwargs or None)


def _person(name: str) -> Callable[[Any, str], str]:
    return lambda world, record: reverse(
        name, kwargs={"person_id": world.records[record].person.pk}
    )


def _merge_pair(world, record: str) -> str:
    """The record's person and another person: at centre A for A's records, so that the
    supervisor of A compares two records they may merge."""
    other = "restricted" if record == "own" else "own"
    return reverse(
        "person_merge",
        kwargs={
            "person_id": world.records[record].person.pk,
            "other_id": world.records[other].person.pk,
        },
    )


def _pair(name: str, kwarg: str = "pk") -> Callable[[Any, str], str]:
    return lambda world, record: reverse(name, kwargs={kwarg: world.records[record].pair.pk})


def _merge(name: str) -> Callable[[Any, str], str]:
    return lambda world, record: reverse(name, kwargs={"merge_id": world.records[record].merge.pk})


def _arrival_pk(name: str, kwarg: str) -> Callable[[Any, str], str]:
    return lambda world, record: reverse(name, kwargs={kwarg: world.records[record].arrival.pk})


def _arrival_uuid(name: str) -> Callable[[Any, str], str]:
    return lambda world, record: reverse(
        name, kwargs={"client_uuid": world.records[record].arrival.client_uuid}
    )


def _case(name: str) -> Callable[[Any, str], str]:
    return lambda world, record: reverse(name, kwargs={"pk": world.records[record].case.pk})


def _case_child(name: str, attr: str) -> Callable[[Any, str], str]:
    kwarg = {"goal": "goal_id", "referral": "referral_id", "follow_up": "follow_up_id"}[attr]
    return lambda world, record: reverse(
        name,
        kwargs={
            "pk": world.records[record].case.pk,
            kwarg: getattr(world.records[record], attr).pk,
        },
    )


def _case_api(name: str) -> Callable[[Any, str], str]:
    return lambda world, record: reverse(name, kwargs={"case_id": world.records[record].case.pk})


def _child_api(name: str, attr: str, kwarg: str) -> Callable[[Any, str], str]:
    return lambda world, record: reverse(
        name, kwargs={kwarg: getattr(world.records[record], attr).pk}
    )


def case_create_body(world, record: str) -> dict:
    return {
        "client_uuid": str(uuid.uuid4()),
        "person": str(world.records[record].person.pk),
        "center": {"own": "CA", "other": "CB"}[record],
    }


def close_open_case(world, record: str) -> None:
    """Make room for a new case: one open case per person and centre."""
    from casework.models import Case
    from registry.models import ClosureReason

    Case.objects.filter(pk=world.records[record].case.pk).update(
        status=Case.Status.CLOSED, closure_reason=ClosureReason.objects.first()
    )


RELEASED_PERIOD = "FY2026-Q2"  # released by the world (conftest.build_world)


def _first_indicator() -> str:
    from reporting.models import Indicator

    return Indicator.objects.order_by("pk").values_list("code", flat=True).first()


def person_create_body(world, record: str) -> dict:
    return {
        "id": str(uuid.uuid4()),
        "center": {"own": "CA", "other": "CB"}[record],
        "given_names": "Nueva",
        "first_surname": "Persona",
        "sex": "female",
        "birth_date": "1991-02-03",
        "nationality": "GT",
        "document_type": "passport",
        "document_number": "NP1234567",
        "consents": {"process_data": True},
    }


def arrival_create_body(world, record: str) -> dict:
    return {
        "client_uuid": str(uuid.uuid4()),
        "center": {"own": "CA", "other": "CB"}[record],
        "person": str(world.records[record].person.pk),
        "arrived_at": "2026-01-10T08:30:00-06:00",
        "mode": "air",
        "returned_from": "US",
        "intends_to_migrate_again": "no",
    }


def candidate_query(world, record: str) -> dict:
    person = world.records[record].person
    return {
        "given_names": person.given_names,
        "first_surname": person.first_surname,
        "document_number": person.document_number,
    }


def wrong_login(world, record: str) -> dict:
    return {"username": "caseworker_a", "password": "not-the-password"}


def _wizard_leads_to(world, role: str, record: str) -> str | None:
    """A registration step for a finished arrival: its "done" page if in scope, else a new start."""
    if role == "anonymous" or role in NO_CENTRE:
        return None
    arrival = world.records[record].arrival
    if role in PERSON_READERS[record]:
        return reverse("intake:register_done", kwargs={"client_uuid": arrival.client_uuid})
    return reverse("intake:register_start")


WIZARD_STEPS = ("center", "person", "matches", "origin", "arrival", "consents")

ROUTES: list[Route] = [
    # --- site pages ---------------------------------------------------------------------------
    Route("home", "GET", HTML, _plain("home"), signed_in(HTML), records=(NO_RECORD,)),
    Route("login", "GET", HTML, _plain("login"), by_role(200, 302), records=(NO_RECORD,)),
    Route(
        "login",
        "PUT",
        HTML,
        _plain("login"),
        constant(405),
        records=(NO_RECORD,),
        body=wrong_login,
        note="LoginView would answer PUT like POST; HTML pages take GET, HEAD, POST, OPTIONS only",
    ),
    Route(
        "login",
        "POST",
        HTML,
        _plain("login"),
        by_role(200, 302),
        records=(NO_RECORD,),
        body=wrong_login,
        note="a wrong password re-shows the form; signed-in users are sent home",
    ),
    Route("logout", "POST", HTML, _plain("logout"), constant(302), records=(NO_RECORD,)),
    Route("logout", "GET", HTML, _plain("logout"), constant(405), records=(NO_RECORD,)),
    Route(
        "api-token",
        "POST",
        API,
        _plain("api-token"),
        constant(400),
        records=(NO_RECORD,),
        body=wrong_login,
        note="the API's sign-in: a wrong password is a field error for everyone",
    ),
    Route("api-token", "DELETE", API, _plain("api-token"), by_role(401, 204), (NO_RECORD,)),
    # --- persons ------------------------------------------------------------------------------
    Route(
        "person_search",
        "GET",
        HTML,
        _plain("person_search"),
        signed_in(HTML),
        (NO_RECORD,),
        note="whom it lists is tested in tests/test_person_search.py (a query echoes its text)",
    ),
    Route("person_detail", "GET", HTML, _person("person_detail"), read(HTML, PERSON_READERS)),
    Route(
        "person_correct",
        "GET",
        HTML,
        _person("person_correct"),
        write(HTML, PERSON_READERS, ARRIVAL_CENTRE_STAFF),
        note="staff of one of the person's centres; a programme manager reads only",
    ),
    Route(
        "person_correct",
        "POST",
        HTML,
        _person("person_correct"),
        write(HTML, PERSON_READERS, ARRIVAL_CENTRE_STAFF, ok=400),
        note="an empty form: 400 with the form shown again",
    ),
    *(
        Route(
            "person_consents",
            method,
            HTML,
            _person("person_consents"),
            write(HTML, PERSON_READERS, ARRIVAL_CENTRE_STAFF, ok=ok),
            note="staff of one of the person's centres; an empty form is a 400",
        )
        for method, ok in (("GET", 200), ("POST", 400))
    ),
    Route(
        "person_merge_pick",
        "GET",
        HTML,
        _person("person_merge_pick"),
        write(HTML, PERSON_READERS, PERSON_MERGERS),
        note="supervisors of the person's centres; 403 to others who read the person",
    ),
    *(
        Route(
            "person_merge",
            method,
            HTML,
            _merge_pair,
            write(HTML, PAIR_READERS, PERSON_MERGERS, ok=ok),
            note="the record with the other record at centre A; an empty form is a 400",
        )
        for method, ok in (("GET", 200), ("POST", 400))
    ),
    *(
        Route(
            "person_unmerge",
            method,
            HTML,
            _merge("person_unmerge"),
            write(HTML, PERSON_READERS, PERSON_MERGERS, ok=ok),
            note="supervisors of the kept record's centres; an empty reason is a 400",
        )
        for method, ok in (("GET", 200), ("POST", 400))
    ),
    Route(
        "person_access_log",
        "GET",
        HTML,
        _person("person_access_log"),
        read(
            HTML,
            {"own": {"supervisor_a"}, "other": frozenset(), "restricted": {"supervisor_a"}},
        ),
        note="supervisors of the person's centre only",
    ),
    Route("api-person-list", "GET", API, _plain("api-person-list"), signed_in(API), (NO_RECORD,)),
    Route(
        "api-person-list",
        "POST",
        API,
        _plain("api-person-list"),
        create(API),
        records=CREATE_TARGETS,
        body=person_create_body,
        changes_on=frozenset({201}),
    ),
    Route("api-person-detail", "GET", API, _person("api-person-detail"), read(API, PERSON_READERS)),
    Route(
        "api-person-consents",
        "POST",
        API,
        _person("api-person-consents"),
        read(API, PERSON_READERS, ok=400),
        note="an empty body: 400 to whoever sees the person; tests/test_person_consents.py "
        "has who may record them (403 to a reader)",
    ),
    Route(
        "api-person-merge",
        "POST",
        API,
        _person("api-person-merge"),
        read(API, PERSON_READERS, ok=400),
        note="an empty body: 400 to whoever sees the person; tests/test_person_merge.py has "
        "who may merge (403 to a caseworker)",
    ),
    Route(
        "api-person-unmerge",
        "POST",
        API,
        _merge("api-person-unmerge"),
        read(API, PERSON_READERS, ok=400),
        note="an empty body: 400 to whoever sees the kept record; tests/test_person_merge.py "
        "has who may undo it",
    ),
    Route(
        "api-person-detail",
        "PATCH",
        API,
        _person("api-person-detail"),
        read(API, PERSON_READERS, ok=428),
        note="without If-Match: 428 to whoever sees the person; registry/tests/"
        "test_person_correct.py has who may correct (403 to a reader)",
    ),
    # --- arrivals -----------------------------------------------------------------------------
    Route(
        "intake:arrival_list",
        "GET",
        HTML,
        _plain("intake:arrival_list"),
        signed_in(HTML, no_centre=403),
        records=(NO_RECORD,),
    ),
    Route(
        "intake:arrival_detail",
        "GET",
        HTML,
        _arrival_pk("intake:arrival_detail", "pk"),
        read(HTML, PERSON_READERS, no_centre=403),
    ),
    *(
        Route(
            "intake:arrival_void",
            method,
            HTML,
            _arrival_pk("intake:arrival_void", "pk"),
            write(HTML, PERSON_READERS, ARRIVAL_CENTRE_STAFF, ok=ok),
            note="staff of the arrival's centre; an empty reason is a 400",
        )
        for method, ok in (("GET", 200), ("POST", 400))
    ),
    Route(
        "api-arrival-void",
        "POST",
        API,
        _arrival_pk("api-arrival-void", "arrival_id"),
        read(API, PERSON_READERS, ok=400),
        note="an empty body: 400 to whoever sees the arrival; tests/test_arrival_void.py has "
        "who may void it (403 to a reader)",
    ),
    Route(
        "intake:duplicate_queue",
        "GET",
        HTML,
        _plain("intake:duplicate_queue"),
        supervisors(HTML),
        records=(NO_RECORD,),
        note="supervisors (registry.merge_person); 403 to everyone else signed in",
    ),
    Route(
        "intake:duplicate_dismiss",
        "POST",
        HTML,
        _pair("intake:duplicate_dismiss"),
        write(HTML, PAIR_READERS, PERSON_MERGERS, ok=302),
        note="supervisors of both records' centres: the pair leaves the queue",
        changes_on=frozenset({302}),
    ),
    Route(
        "api-duplicate-queue",
        "GET",
        API,
        _plain("api-duplicate-queue"),
        supervisors(API),
        records=(NO_RECORD,),
    ),
    Route(
        "api-duplicate-dismiss",
        "POST",
        API,
        _pair("api-duplicate-dismiss", "pair_id"),
        write(API, PAIR_READERS, PERSON_MERGERS),
        changes_on=frozenset({200}),
    ),
    Route("api-arrival-list", "GET", API, _plain("api-arrival-list"), signed_in(API), (NO_RECORD,)),
    Route(
        "api-arrival-list",
        "POST",
        API,
        _plain("api-arrival-list"),
        create(API),
        records=CREATE_TARGETS,
        body=arrival_create_body,
        changes_on=frozenset({201}),
    ),
    Route(
        "api-arrival-detail",
        "GET",
        API,
        _arrival_pk("api-arrival-detail", "arrival_id"),
        read(API, PERSON_READERS),
    ),
    Route(
        "api-duplicate-candidates",
        "GET",
        API,
        _plain("api-duplicate-candidates"),
        signed_in(API),
        body=candidate_query,
        note="recognition fields only, from the user's countries (see intake.matching)",
    ),
    Route(
        "api-duplicate-candidates",
        "POST",
        API,
        _plain("api-duplicate-candidates"),
        signed_in(API),
        body=candidate_query,
        note="a search: POST writes nothing",
    ),
    # --- the registration wizard --------------------------------------------------------------
    Route(
        "intake:register_start",
        "GET",
        HTML,
        _plain("intake:register_start"),
        signed_in(HTML, 302, no_centre=403, reader_too=False),
        records=(NO_RECORD,),
    ),
    *(
        Route(
            f"intake:register_{step}",
            method,
            HTML,
            _arrival_uuid(f"intake:register_{step}"),
            signed_in(HTML, 302, no_centre=403, reader_too=False),
            location=_wizard_leads_to,
            note="the draft of a finished (or someone else's) registration is never reopened",
        )
        for step in WIZARD_STEPS
        for method in ("GET", "POST")
    ),
    Route(
        "intake:register_done",
        "GET",
        HTML,
        _arrival_uuid("intake:register_done"),
        read(HTML, PERSON_READERS, no_centre=403),
    ),
    # --- cases: HTML ---------------------------------------------------------------------------
    # Write forms are posted empty: whoever may do the write gets the form back with its errors
    # (200), so the answer shows the access decision without changing anything.
    Route("cases:case_list", "GET", HTML, _plain("cases:case_list"), signed_in(HTML), (NO_RECORD,)),
    *(
        Route(
            "cases:case_open",
            method,
            HTML,
            lambda world, record: (
                reverse("cases:case_open") + f"?arrival={world.records[record].arrival.pk}"
            ),
            write(HTML, PERSON_READERS, ARRIVAL_CENTRE_STAFF),
            note="opening needs the arrival in scope (404) and work at its centre (403)",
        )
        for method in ("GET", "POST")
    ),
    Route("cases:case_detail", "GET", HTML, _case("cases:case_detail"), read(HTML, CASE_READERS)),
    *(
        Route(
            name,
            "POST",
            HTML,
            url,
            write(HTML, CASE_READERS, writers, ok=ok),
            changes_on=frozenset({302}),
        )
        for name, url, writers, ok in (
            ("cases:case_assess", _case("cases:case_assess"), CASE_WORKERS, 200),
            ("cases:note_add", _case("cases:note_add"), CASE_WORKERS, 200),
            ("cases:goal_add", _case("cases:goal_add"), CASE_WORKERS, 200),
            ("cases:goal_progress", _case_child("cases:goal_progress", "goal"), CASE_WORKERS, 200),
            ("cases:referral_add", _case("cases:referral_add"), CASE_WORKERS, 200),
            (
                "cases:referral_status",
                _case_child("cases:referral_status", "referral"),
                CASE_WORKERS,
                200,
            ),
            ("cases:follow_up_add", _case("cases:follow_up_add"), CASE_WORKERS, 200),
            # An empty form is a complete one here: the 1-, 3- and 6-month follow-ups are made.
            ("cases:follow_ups_default", _case("cases:follow_ups_default"), CASE_WORKERS, 302),
            (
                "cases:follow_up_done",
                _case_child("cases:follow_up_done", "follow_up"),
                CASE_WORKERS,
                200,
            ),
            ("cases:case_close", _case("cases:case_close"), CASE_MANAGERS, 200),
            ("cases:case_reopen", _case("cases:case_reopen"), CASE_MANAGERS, 200),
            ("cases:case_restrict", _case("cases:case_restrict"), CASE_MANAGERS, 200),
            ("cases:case_assign", _case("cases:case_assign"), CASE_ASSIGNERS, 200),
        )
    ),
    # --- cases: API ----------------------------------------------------------------------------
    # Writes are sent with an empty body: whoever may write gets 400 (or 428 without If-Match).
    Route("api-case-list", "GET", API, _plain("api-case-list"), signed_in(API), (NO_RECORD,)),
    Route(
        "api-case-list",
        "POST",
        API,
        _plain("api-case-list"),
        create(API),
        records=CREATE_TARGETS,
        body=case_create_body,
        changes_on=frozenset({201}),
        note="a new case for the record's person (their open case is closed first)",
        extra={"before": close_open_case},
    ),
    Route("api-case-detail", "GET", API, _case_api("api-case-detail"), read(API, CASE_READERS)),
    Route(
        "api-case-detail",
        "PATCH",
        API,
        _case_api("api-case-detail"),
        write(API, CASE_READERS, CASE_WORKERS, ok=200),
        body=lambda world, record: {"economic_needs": "Cambio de la matriz"},
        extra={"if_match": "case"},
        changes_on=frozenset({200}),
    ),
    *(
        Route(
            name,
            "POST",
            API,
            _case_api(name),
            write(API, CASE_READERS, writers, ok=400),
            extra={"if_match": "case"},
        )
        for name, writers in (
            ("api-case-close", CASE_MANAGERS),
            ("api-case-reopen", CASE_MANAGERS),
            ("api-case-assign", CASE_ASSIGNERS),
            ("api-case-notes", CASE_WORKERS),
            ("api-case-referrals", CASE_WORKERS),
            ("api-case-follow-ups", CASE_WORKERS),
            ("api-case-goals", CASE_WORKERS),
        )
    ),
    *(
        Route(name, "GET", API, _case_api(name), read(API, CASE_READERS))
        for name in (
            "api-case-notes",
            "api-case-referrals",
            "api-case-follow-ups",
            "api-case-goals",
        )
    ),
    *(
        Route(
            name,
            "POST",
            API,
            _child_api(name, attr, kwarg),
            write(API, CASE_READERS, CASE_WORKERS, ok=400),
            extra=extra,
        )
        for name, attr, kwarg, extra in (
            ("api-referral-status", "referral", "referral_id", {}),
            ("api-follow-up-complete", "follow_up", "follow_up_id", {}),
            ("api-goal-progress", "goal", "goal_id", {"if_match": "goal"}),
        )
    ),
    # --- services: HTML ------------------------------------------------------------------------
    # Each record's delivery belongs to its case: a restricted case's deliveries are restricted.
    Route(
        "services:person_uptake",
        "GET",
        HTML,
        _person("services:person_uptake"),
        read(HTML, PERSON_READERS),
    ),
    *(
        Route(
            "services:record",
            method,
            HTML,
            _person("services:record"),
            write(HTML, PERSON_READERS, ARRIVAL_CENTRE_STAFF),
        )
        for method in ("GET", "POST")
    ),
    *(
        Route(
            "services:distribution",
            method,
            HTML,
            lambda world, record: (
                reverse("services:distribution") + f"?arrival={world.records[record].arrival.pk}"
            ),
            write(HTML, PERSON_READERS, ARRIVAL_CENTRE_STAFF),
        )
        for method in ("GET", "POST")
    ),
    Route(
        "services:distribution_done",
        "GET",
        HTML,
        _arrival_uuid("services:distribution_done"),
        by_role(302, 404),
        note="an arrival's id is no distribution's: 404 for everyone (scoping is tested in "
        "services/tests/test_views.py)",
    ),
    *(
        Route(
            "services:delivery_void",
            method,
            HTML,
            lambda world, record: reverse(
                "services:delivery_void", kwargs={"pk": world.records[record].delivery.pk}
            ),
            write(HTML, CASE_READERS, CASE_WORKERS),
        )
        for method in ("GET", "POST")
    ),
    *(
        Route(
            "services:delivery_correct",
            method,
            HTML,
            lambda world, record: reverse(
                "services:delivery_correct", kwargs={"pk": world.records[record].delivery.pk}
            ),
            write(HTML, CASE_READERS, CASE_WORKERS, ok=ok),
            note="an empty form: 400",
        )
        for method, ok in (("GET", 200), ("POST", 400))
    ),
    # --- services: API -------------------------------------------------------------------------
    Route(
        "api-service-type-list",
        "GET",
        API,
        _plain("api-service-type-list"),
        signed_in(API),
        (NO_RECORD,),
    ),
    Route(
        "api-provider-list", "GET", API, _plain("api-provider-list"), signed_in(API), (NO_RECORD,)
    ),
    Route(
        "api-delivery-list", "GET", API, _plain("api-delivery-list"), signed_in(API), (NO_RECORD,)
    ),
    Route(
        "api-delivery-list",
        "POST",
        API,
        _plain("api-delivery-list"),
        signed_in(API, 400),
        records=(NO_RECORD,),
        note="empty body: 400 for everyone; who may record where is in services/tests/test_api.py",
    ),
    Route(
        "api-delivery-detail",
        "GET",
        API,
        lambda world, record: reverse(
            "api-delivery-detail", kwargs={"delivery_id": world.records[record].delivery.pk}
        ),
        read(API, CASE_READERS),
    ),
    Route(
        "api-delivery-void",
        "POST",
        API,
        lambda world, record: reverse(
            "api-delivery-void", kwargs={"delivery_id": world.records[record].delivery.pk}
        ),
        write(API, CASE_READERS, CASE_WORKERS, ok=200),
        body=lambda world, record: {"reason": "Registrado por error"},
        changes_on=frozenset({200}),
    ),
    Route(
        "api-delivery-correct",
        "POST",
        API,
        lambda world, record: reverse(
            "api-delivery-correct", kwargs={"delivery_id": world.records[record].delivery.pk}
        ),
        write(API, CASE_READERS, CASE_WORKERS, ok=201),
        body=lambda world, record: {"reason": "Fueron dos", "quantity": 2},
        changes_on=frozenset({201}),
    ),
    Route(
        "api-distribution-create",
        "POST",
        API,
        _plain("api-distribution-create"),
        signed_in(API, 400),
        records=(NO_RECORD,),
        note="empty body: 400 for everyone; scoping is in services/tests/test_api.py",
    ),
    # --- the donors' aggregate API -------------------------------------------------------------
    Route(
        "api-aggregate-list",
        "GET",
        API,
        _plain("api-aggregate-list"),
        aggregates(),
        (NO_RECORD,),
    ),
    Route(
        "api-aggregate-detail",
        "GET",
        API,
        lambda world, record: reverse(
            "api-aggregate-detail", kwargs={"indicator": _first_indicator()}
        ),
        aggregates(),
        (NO_RECORD,),
        body=lambda world, record: {"period": RELEASED_PERIOD},
    ),
    # --- donor report exports (jobs are files, not records: a job id nobody owns is a 404) ---
    *(
        Route(
            "reporting_exports:export_start",
            method,
            HTML,
            _plain("reporting_exports:export_start"),
            exporters(HTML),
            (NO_RECORD,),
            note="posted empty: the form comes back with its errors, nothing is started",
        )
        for method in ("GET", "POST")
    ),
    *(
        Route(
            f"reporting_exports:{name}",
            "GET",
            HTML,
            lambda world, record, name=name: reverse(
                f"reporting_exports:{name}", kwargs={"job_id": uuid.UUID(int=7)}
            ),
            signed_in(HTML, 404),
            (NO_RECORD,),
            note="only the user who started an export sees it (reporting/tests/test_exports.py)",
        )
        for name in ("export_status", "export_download")
    ),
    # --- the donor reviewer's pages: the report on screen, the indicator reference sheets -----
    *(
        Route(
            f"reporting_donor:{name}",
            "GET",
            HTML,
            _plain(f"reporting_donor:{name}"),
            exporters(HTML),
            (NO_RECORD,),
            note="the same readers as the exports (reporting/tests/test_donor_pages.py)",
        )
        for name in ("donor_report", "indicator_sheet_list")
    ),
    Route(
        "reporting_donor:indicator_sheet_detail",
        "GET",
        HTML,
        lambda world, record: reverse(
            "reporting_donor:indicator_sheet_detail", kwargs={"code": _first_indicator()}
        ),
        exporters(HTML),
        (NO_RECORD,),
    ),
    # --- the service uptake dashboard ---------------------------------------------------------
    Route(
        "reporting_dashboard:dashboard",
        "GET",
        HTML,
        _plain("reporting_dashboard:dashboard"),
        dashboard_readers(HTML),
        (NO_RECORD,),
        note="figures of the user's own centres only (reporting/tests/test_dashboard.py)",
    ),
    # --- the API schema -----------------------------------------------------------------------
    Route(
        "api-schema",
        "GET",
        API,
        _plain("api-schema"),
        constant(200),
        records=(NO_RECORD,),
        note="public: it describes the API and holds no data",
    ),
    Route("api-docs", "GET", HTML, _plain("api-docs"), constant(200), records=(NO_RECORD,)),
]


# What a donor reviewer may reach: the aggregates (the API, the exports; the dashboard is not
# theirs and answers 404 itself), their home page, signing in and out, the public API schema.
DONOR_DOORS = frozenset(
    {
        "home",
        "login",
        "logout",
        "api-token",
        "api-aggregate-list",
        "api-aggregate-detail",
        "reporting_exports:export_start",
        "reporting_exports:export_status",
        "reporting_exports:export_download",
        "reporting_dashboard:dashboard",
        "reporting_donor:donor_report",
        "reporting_donor:indicator_sheet_list",
        "reporting_donor:indicator_sheet_detail",
        "api-schema",
        "api-docs",
    }
)


def _donor_kept_out(expect: Expect) -> Expect:
    return lambda role, record: 404 if role == "donor_reviewer" else expect(role, record)


ROUTES = [
    route if route.name in DONOR_DOORS else replace(route, expect=_donor_kept_out(route.expect))
    for route in ROUTES
]


# (route id, role, record) -> why the answer differs from the table today. Each is a defect
# reported to the lead; the test is a strict xfail, so it fails as soon as the code is fixed.
KNOWN_DEFECTS: dict[tuple[str, str, str], str] = {}


def covered() -> set[tuple[str, str]]:
    return {(route.name, route.method) for route in ROUTES}


# --- nothing changed -------------------------------------------------------------------------

SNAPSHOT_APPS = ("registry", "casework", "intake", "services", "reporting", "guardian", "authtoken")
# Thousands of reference rows no route outside the admin writes: their count is enough.
COUNTED_ONLY = frozenset(
    {
        "registry.Country",
        "registry.Department",
        "registry.Municipality",
        "registry.SvMunicipality2024",
    }
)


def model_snapshot() -> dict[str, list[tuple]]:
    """Every row of the project's models, the users and groups, and the audit log.

    Access entries are left out (reading a record writes one); everything else must be equal
    before and after a refused write.
    """
    from auditlog.models import LogEntry
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    with translation.override(settings.LANGUAGE_CODE):
        return _snapshot(LogEntry, get_user_model(), Group)


def _snapshot(LogEntry, user_model, Group) -> dict[str, list[tuple]]:  # noqa: N803
    models = [
        model
        for app in SNAPSHOT_APPS
        for model in apps.get_app_config(app).get_models(include_auto_created=True)
    ]
    models += [user_model, Group, user_model.groups.through, user_model.user_permissions.through]
    snapshot: dict[str, list[tuple]] = {}
    for model in models:
        label = model._meta.label
        if label in COUNTED_ONLY:
            snapshot[label] = [(model.objects.count(),)]
            continue
        names = [f.attname for f in model._meta.concrete_fields if f.attname != "last_login"]
        snapshot[label] = list(model.objects.order_by("pk").values_list(*names))
    snapshot["auditlog.LogEntry"] = list(
        LogEntry.objects.exclude(action=LogEntry.Action.ACCESS)
        .order_by("pk")
        .values_list("pk", "content_type_id", "object_pk", "action", "changes_text")
    )
    return snapshot
